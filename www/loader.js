// The Site Kit loader: the one <script async data-key="skt_pub_…"> a site pastes.
//
// It shows the launcher at once (themed from the config an earlier page view
// kept), takes over the page's window.SiteKit queue, fetches the widget's config
// when the page is idle (the answer is Origin-checked: a site that may not show
// the chat loses the launcher again), downloads and compiles the Yew/Wasm widget
// on idle time or the first interaction, whichever comes first, and starts it on
// the visitor's first interaction with the launcher or a host-page call.
//
// Works under a strict host CSP: no inline <style>, no style="" attributes, no
// innerHTML; styles are constructable stylesheets and CSSOM properties.
//
// Loads only the widget files this exact loader was built with: it carries their
// Subresource Integrity hashes (SHA-256, the shortest SRI allows: the loader has
// a byte budget), and the browser runs or compiles nothing that does not match
// them, so a pinned snippet pins the widget too.
//
// The build minifies this file and replaces the placeholders in prefetch (the
// widget's JS and Wasm asset names and their integrity) with the built values.
//
// Its types (JSDoc, checked by tsc: www/tsconfig.check.json) cost no bytes: esbuild
// drops comments. window.SiteKit's are in www/globals.d.ts.

/**
 * The parts of a widget's config that the launcher shows.
 * @typedef {object} LauncherConfig
 * @property {string} [primaryColor]
 * @property {string} [primaryTextColor]
 * @property {string} [position]
 * @property {string} [launcherIcon]
 */
/**
 * The mounted widget: the handle `mount` returns (crates/widget/src/lib.rs).
 * @typedef {object} Handle
 * @property {(args: unknown[]) => void} command runs a SiteKit(...) call
 * @property {() => void} toggle opens or closes the panel
 */

(() => {
  /** @param {string} message */
  const fail = (message) => console.error(`[SiteKit] ${message}`);

  // Only valid during this script's first run, hence read before anything else.
  const script = /** @type {HTMLScriptElement | null} */ (document.currentScript);
  const key = script?.dataset.key;
  if (!key) {
    fail('the loader needs a classic <script> tag with a data-key attribute');
    return;
  }
  // The snippet pasted twice: the first copy already runs the chat.
  if (window.SiteKit?.loaded) return;
  const origin = new URL(script.src).origin;
  const cacheKey = `sitekit:${key}:config`;

  const CSS =
    ':host{all:initial}' +
    '.launcher{position:fixed;bottom:16px;right:16px;z-index:2147483000;display:grid;place-items:center;' +
    'width:56px;height:56px;padding:0;border:0;border-radius:50%;cursor:pointer;color:var(--sitekit-on-primary,#fff);' +
    'background:var(--sitekit-primary,#2563eb);box-shadow:0 4px 14px rgba(0,0,0,.25)}' +
    '.launcher.left{left:16px;right:auto}' +
    '.launcher:focus-visible{outline:3px solid var(--sitekit-primary,#2563eb);outline-offset:3px}' +
    '.launcher svg{width:28px;height:28px;fill:currentColor}';

  // The launcher's icons (24×24), chosen by the config's launcherIcon.
  /** @type {Record<string, string>} */
  const ICONS = {
    chat: 'M20 2H4a2 2 0 0 0-2 2v18l4-4h14a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2z',
    help: 'M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm1 16h-2v-2h2zm1.2-6.9c-.8.7-1.2 1.1-1.2 2.4h-2c0-2 .7-2.8 1.6-3.5.6-.5 1-.8 1-1.5a1.6 1.6 0 0 0-3.2 0H8.4a3.6 3.6 0 0 1 7.2 0c0 1.3-.7 2-1.4 2.6z',
    sparkles:
      'M10 2l2.2 5.8L18 10l-5.8 2.2L10 18l-2.2-5.8L2 10l5.8-2.2zm9 11l1 2.6 2.6 1-2.6 1L19 22l-1-2.4-2.6-1 2.6-1z',
    headset: 'M12 2a9 9 0 0 0-9 9v7a3 3 0 0 0 3 3h3v-8H5v-2a7 7 0 0 1 14 0v2h-4v8h3a3 3 0 0 0 3-3v-7a9 9 0 0 0-9-9z',
  };

  // SiteKit('on', event, fn) listeners live here, so they hear the widget from
  // its first event on however early they were added.
  /** @type {Record<string, ((detail: unknown) => void)[]>} */
  const listeners = {};
  /**
   * @param {string} name
   * @param {unknown} detail
   */
  const emit = (name, detail) => {
    for (const listener of listeners[name] || []) {
      try {
        listener(detail);
      } catch (error) {
        fail(`a SiteKit("on", "${name}") listener failed: ${error}`);
      }
    }
  };

  // Calls for the widget made before it is mounted, in order (the page's own
  // queue first). A stub the page defined itself pushed argument lists to .q.
  /** @type {unknown[][]} */
  const pending = [];
  /** @type {Handle | null} */
  let handle = null;
  /** @param {...any} args what the page passed to SiteKit(...) */
  const call = (...args) => {
    if (args[0] === 'on') {
      // biome-ignore lint/suspicious/noAssignInExpressions: the listener list, made on first use
      if (typeof args[2] === 'function') (listeners[args[1]] ||= []).push(args[2]);
    } else if (handle) {
      handle.command(args);
    } else {
      pending.push(args);
      load();
    }
  };
  call.loaded = true;
  const queued = window.SiteKit?.q || [];
  window.SiteKit = call;

  // Made by showLauncher, before anything that uses them runs.
  /** @type {HTMLDivElement} */
  let host;
  /** @type {ShadowRoot} */
  let root;
  /** @type {HTMLButtonElement} */
  let button;

  // The config as an earlier page view kept it, so the launcher shows themed at once.
  /** @type {LauncherConfig | null} */
  let config = null;
  try {
    // Nothing kept: JSON.parse(null) is null.
    config = JSON.parse(/** @type {string} */ (localStorage.getItem(cacheKey)));
  } catch {}

  /** @type {Promise<LauncherConfig> | null} */
  let fetching = null;
  const fetchConfig = () =>
    (fetching ||= fetch(`${origin}/v1/widgets/${encodeURIComponent(key)}/config`)
      .catch((error) => {
        fetching = null; // offline: the next interaction tries again
        throw new Error(`could not reach ${origin} to load the chat (${error.message})`);
      })
      .then(async (response) => {
        const body = await response.json().catch(() => null);
        if (!response.ok || !body) {
          // This site may not show the chat: no launcher; its developer gets the reason.
          host.remove();
          try {
            localStorage.removeItem(cacheKey);
          } catch {}
          const error = body?.error;
          throw new Error(
            error ? `${error.code}: ${error.message}` : `the chat config answered HTTP ${response.status}`,
          );
        }
        config = body;
        theme();
        try {
          localStorage.setItem(cacheKey, JSON.stringify(body));
        } catch {}
        return body;
      }));

  // Idle time downloads and compiles the widget (off the main thread); starting
  // it, which runs its code for the first time, waits for the visitor or the
  // page to want the chat, so a page nobody chats on has no long task from us.
  /** @type {Promise<[any, WebAssembly.Module]> | null} */
  let fetchingWidget = null;
  const widgetJs = `${origin}/v1/assets/__SITEKIT_WIDGET_JS__`;
  const prefetch = () =>
    (fetchingWidget ||= whenShown
      .then(fetchConfig)
      .then(() =>
        Promise.all([
          // import() takes no integrity, a module <script> does; once that has
          // run, import() of its URL is answered from the page's module map,
          // without fetching (unchecked) bytes again.
          new Promise((resolve, reject) => {
            const module = document.createElement('script');
            module.type = 'module';
            module.integrity = '__SITEKIT_WIDGET_JS_INTEGRITY__';
            module.src = widgetJs;
            module.onload = resolve;
            module.onerror = reject;
            // The page's, not the launcher's: a failure removes the launcher, and a
            // script out of the document never loads (nor fails) when tried again.
            document.body.append(module);
          }).then(() => import(widgetJs)),
          WebAssembly.compileStreaming(
            fetch(`${origin}/v1/assets/__SITEKIT_WIDGET_WASM__`, { integrity: '__SITEKIT_WIDGET_WASM_INTEGRITY__' }),
          ),
        ]).catch(() =>
          // A network error and bytes the browser refused look alike to a
          // page. If the server answers, the bytes failed their integrity
          // check (or the server no longer keeps this release): trying again
          // cannot help, so the launcher goes.
          fetch(widgetJs, { method: 'HEAD' }).then((response) => {
            host.remove();
            throw Error(
              response.ok
                ? "the widget's files failed their integrity check"
                : `${widgetJs} answered HTTP ${response.status}`,
            );
          }),
        ),
      )
      .catch((error) => {
        fetchingWidget = null; // the next interaction tries again
        throw error;
      }));

  /** @type {Promise<Handle | null | void> | null} */
  let loading = null;
  const load = () =>
    (loading ||= prefetch()
      .then(async ([module, wasm]) => {
        await module.default({ module_or_path: wasm });
        handle = module.mount(root, button, origin, key, JSON.stringify(config), pending, emit);
        return handle;
      })
      .catch((error) => {
        loading = null;
        fail(`could not load the chat: ${error.message}`);
      }));

  function theme() {
    const { primaryColor, primaryTextColor, position, launcherIcon } = config || {};
    // CSSOM, not a style attribute: allowed under CSP; an invalid colour is ignored.
    host.style.setProperty('--sitekit-primary', primaryColor || '');
    host.style.setProperty('--sitekit-on-primary', primaryTextColor || '');
    button.classList.toggle('left', position === 'left');
    // The button's first child is the icon's svg, the svg's its path; ICONS[undefined] is undefined too.
    /** @type {SVGPathElement} */ (/** @type {SVGSVGElement} */ (button.firstChild).firstChild).setAttribute(
      'd',
      ICONS[/** @type {string} */ (launcherIcon)] || ICONS.chat,
    );
  }

  function showLauncher() {
    host = document.createElement('div');
    host.id = 'sitekit-root';
    root = host.attachShadow({ mode: 'open' });
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];

    button = document.createElement('button');
    button.type = 'button';
    button.className = 'launcher';
    button.dataset.testid = 'sitekit-launcher';
    button.setAttribute('aria-label', 'Open chat');
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.append(document.createElementNS(ns, 'path'));
    // Answers that arrive while the panel is closed; the widget fills it in.
    const badge = document.createElement('span');
    badge.className = 'badge';
    badge.hidden = true;
    badge.setAttribute('aria-hidden', 'true');
    badge.dataset.testid = 'sitekit-unread';
    button.append(svg, badge);
    theme();

    // Clicks open and close the panel; hovering or focusing the launcher already
    // starts loading the widget, so the click usually finds it ready.
    button.addEventListener('click', () => load().then((widget) => widget?.toggle()));
    button.addEventListener('pointerenter', load, { once: true });
    button.addEventListener('focus', load, { once: true });

    root.append(button);
    document.body.append(host);
  }

  const whenShown = /** @type {Promise<Event | void>} */ (
    new Promise((resolve) => {
      if (document.body) resolve();
      else document.addEventListener('DOMContentLoaded', resolve, { once: true });
    })
  ).then(showLauncher);

  for (const args of queued) call(...args);
  // Idle time: make sure the site may show the chat, then have the widget at hand.
  // Not in every browser, whatever lib.dom.d.ts says.
  /** @param {() => void} callback */
  const idle = (callback) =>
    /** @type {Partial<Window>} */ (window).requestIdleCallback
      ? requestIdleCallback(callback, { timeout: 4000 })
      : setTimeout(callback, 1500);
  whenShown.then(() => idle(() => prefetch().catch((error) => fail(error.message))));
})();
