// The Site Kit loader: the one <script async data-key="skt_pub_…"> a site pastes.
//
// It keeps calls made before the widget exists (window.SiteKit queue), asks the
// embed server whether this site may show the chat (the config answer is
// Origin-checked), and only then shows the launcher. The Yew/Wasm widget itself is
// downloaded on the first click, so a page that nobody chats on pays for ~2 KB.
//
// Works under a strict host CSP: no inline <style>, no style="" attributes, no
// innerHTML; styles are constructable stylesheets and CSSOM properties.
//
// The build minifies this file and replaces the two placeholders in loadWidget
// (the widget's JS and Wasm asset names) with the hashed file names.
(() => {
  const fail = (message) => console.error("[SiteKit] " + message);

  // Calls made before the widget loads are queued as argument arrays; a stub
  // the page defined itself is kept, with its queue.
  const SiteKit = (window.SiteKit =
    window.SiteKit ||
    function (...args) {
      SiteKit.q.push(args);
    });
  SiteKit.q = SiteKit.q || [];

  // Only valid during this script's first run, hence read before any await.
  const script = document.currentScript;
  const key = script && script.dataset.key;
  if (!key) {
    fail("the loader needs a classic <script> tag with a data-key attribute");
    return;
  }
  const origin = new URL(script.src).origin;

  const CSS =
    ":host{all:initial}" +
    ".launcher{position:fixed;bottom:16px;right:16px;z-index:2147483000;display:grid;place-items:center;" +
    "width:56px;height:56px;padding:0;border:0;border-radius:50%;cursor:pointer;color:var(--sitekit-on-primary,#fff);" +
    "background:var(--sitekit-primary,#2563eb);box-shadow:0 4px 14px rgba(0,0,0,.25)}" +
    ".launcher.left{left:16px;right:auto}" +
    ".launcher:focus-visible{outline:3px solid var(--sitekit-primary,#2563eb);outline-offset:3px}" +
    ".launcher svg{width:28px;height:28px;fill:currentColor}";

  const bodyReady = document.body
    ? Promise.resolve()
    : new Promise((resolve) => document.addEventListener("DOMContentLoaded", resolve, { once: true }));

  async function start() {
    let response;
    try {
      response = await fetch(`${origin}/v1/widgets/${encodeURIComponent(key)}/config`);
    } catch (error) {
      fail(`could not reach ${origin} to load the chat (${error.message})`);
      return;
    }
    const body = await response.json().catch(() => null);
    if (!response.ok || !body) {
      // A site that is not allowed gets no launcher; its developer gets the reason.
      const error = body && body.error;
      fail(error ? `${error.code}: ${error.message}` : `the chat config answered HTTP ${response.status}`);
      return;
    }
    await bodyReady;
    showLauncher(body);
  }

  function showLauncher(config) {
    if (document.getElementById("sitekit-root")) return; // the snippet was pasted twice
    const host = document.createElement("div");
    host.id = "sitekit-root";
    const root = host.attachShadow({ mode: "open" });
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
    // CSSOM, not a style attribute: allowed under CSP; an invalid colour is ignored.
    host.style.setProperty("--sitekit-primary", config.primaryColor);
    host.style.setProperty("--sitekit-on-primary", config.primaryTextColor || "");

    const button = document.createElement("button");
    button.type = "button";
    button.className = config.position === "left" ? "launcher left" : "launcher";
    button.dataset.testid = "sitekit-launcher";
    button.setAttribute("aria-label", "Open chat");
    button.append(chatIcon());

    // The first click loads and opens the widget; later clicks toggle its panel.
    let widget = null;
    button.addEventListener("click", async () => {
      const first = !widget;
      widget = widget || loadWidget(root, config);
      try {
        const handle = await widget;
        if (first) handle.open();
        else handle.toggle();
      } catch (error) {
        widget = null; // the next click tries again
        fail(`could not load the chat widget (${error && error.message ? error.message : error})`);
      }
    });

    root.append(button);
    document.body.append(host);
  }

  async function loadWidget(root, config) {
    const module = await import(`${origin}/v1/assets/__SITEKIT_WIDGET_JS__`);
    await module.default({ module_or_path: `${origin}/v1/assets/__SITEKIT_WIDGET_WASM__` });
    const handle = module.mount(root, origin, key, JSON.stringify(config), SiteKit.q);
    // From now on, SiteKit(...) calls go straight to the widget.
    window.SiteKit = (...args) => handle.command(args);
    return handle;
  }

  function chatIcon() {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M20 2H4a2 2 0 0 0-2 2v18l4-4h14a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2z");
    svg.append(path);
    return svg;
  }

  start();
})();
