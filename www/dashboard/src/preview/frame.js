// Inside the preview frame (`/dashboard/preview`, sandboxed by the dashboard):
// waits for the settings and the widget's Wasm from the dashboard, mounts the
// real widget beside a launcher as the loader would, and opens its panel.
import { showLauncher } from './launcher.js';

/** Not a key: the preview never starts a session (its page may connect nowhere). */
const PREVIEW_KEY = 'skt_pub_preview';

export function startPreviewFrame() {
  // The embed server's base, which the dashboard is on.
  const server = new URL('..', location.href);
  if (window.parent === window) {
    document.body.append(document.createTextNode('This page shows the widget preview inside the dashboard.'));
    return;
  }
  /** @param {{ state: string, message?: string }} message */
  const tell = (message) => window.parent.postMessage({ type: 'sitekit-preview', ...message }, server.origin);
  let mounted = false;

  window.addEventListener('message', async (event) => {
    const data = event.data;
    if (event.source !== window.parent || !data || data.type !== 'sitekit-preview-show' || mounted) return;
    mounted = true;
    try {
      // preview.html names the widget's JS.
      const widget = await import(new URL(/** @type {string} */ (document.body.dataset.widgetJs), location.href).href);
      await widget.default({ module_or_path: data.wasm });
      const { root, button } = showLauncher(JSON.parse(data.config));
      const endpoint = server.href.replace(/\/$/, '');
      // The widget focuses its input as its panel opens. Opened here by the
      // preview rather than by a visitor, that would pull the focus out of the
      // dashboard's form on every keystroke, so nothing here takes it meanwhile.
      const focus = HTMLElement.prototype.focus;
      HTMLElement.prototype.focus = () => {};
      try {
        const handle = widget.mount(root, button, endpoint, PREVIEW_KEY, data.config, [], () => {});
        button.addEventListener('click', () => handle.toggle());
        handle.open();
        await panelShown(root);
      } finally {
        HTMLElement.prototype.focus = focus;
      }
      tell({ state: 'shown' });
    } catch (error) {
      tell({ state: 'failed', message: String(/** @type {Error | undefined} */ (error)?.message || error) });
    }
  });
  tell({ state: 'ready' });
}

/** How long a panel may take to show before the preview is shown regardless. */
const PANEL_WAIT_MS = 2000;

/**
 * Resolves once the widget shows its panel (it renders on its own schedule)
 * and has run the effects of that render, its try at the focus among them.
 */
/**
 * @param {ShadowRoot} root
 * @returns {Promise<void>}
 */
function panelShown(root) {
  const open = () => root.querySelector('[role="dialog"]:not([hidden])');
  return new Promise((resolve) => {
    // The widget's effects run right after its render: a timer runs after them.
    const settle = () => setTimeout(resolve, 0);
    if (open()) return settle();
    const watcher = new MutationObserver(() => {
      if (!open()) return;
      watcher.disconnect();
      settle();
    });
    watcher.observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ['hidden'] });
    setTimeout(() => {
      watcher.disconnect();
      resolve();
    }, PANEL_WAIT_MS);
  });
}
