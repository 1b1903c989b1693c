// The live preview: the real widget (this build's JS and Wasm) mounted with the
// form's unsaved settings, in a sandboxed frame (`/dashboard/preview`).
//
// Why a frame: the widget has no unmount, and each mount starts its own Yew app
// and usage reporter, so every change gets a fresh frame instead of another
// mount in this page; the sandbox (an opaque origin) also keeps the widget's
// code away from this page's storage, where the secret key is. The frame may
// reach nothing (its CSP says `connect-src 'none'`), so this page hands it the
// widget's Wasm; a preview is no visitor and counts no usage.
import { h } from '../dom.js';

/** How long the form must rest before the preview follows it. */
const SETTLE_MS = 250;

/** @type {Promise<ArrayBuffer> | null} */
let wasm = null;
/** The widget's Wasm, fetched once per page (it is immutable). */
function widgetWasm() {
  // The dashboard's page (index.html) names the widget's Wasm.
  wasm ||= fetch(new URL(/** @type {string} */ (document.body.dataset.widgetWasm), location.href)).then((response) => {
    if (!response.ok) throw new Error(`the widget's Wasm answered HTTP ${response.status}`);
    return response.arrayBuffer();
  });
  wasm.catch(() => {
    wasm = null;
  });
  return wasm;
}

export function widgetPreview() {
  const stage = h('div', { class: 'preview-stage' });
  const status = h('p', { class: 'hint', role: 'status', testid: 'preview-status' });
  const element = h(
    'figure',
    { class: 'preview' },
    h(
      'figcaption',
      {},
      h('strong', {}, 'Preview'),
      ' — how visitors will see the widget, with your unsaved changes. Messages typed here go nowhere.',
    ),
    stage,
    status,
  );

  /** @type {HTMLIFrameElement | null} */
  let shown = null; // the frame on screen
  /** @type {{ frame: HTMLIFrameElement, config: string } | null} */
  let loading = null; // the frame being prepared, with the config it will show
  /** @type {import('./settings.js').PreviewConfig | null} */
  let config = null;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;

  /** @param {MessageEvent} event */
  const onMessage = async (event) => {
    const data = event.data;
    if (data?.type !== 'sitekit-preview') return;
    if (loading && event.source === loading.frame.contentWindow) {
      if (data.state === 'ready') {
        const target = loading;
        try {
          const bytes = await widgetWasm();
          // The frame has an opaque origin (its sandbox), hence '*': the settings
          // and the Wasm are no secret.
          if (loading === target)
            /** @type {Window} */ (target.frame.contentWindow).postMessage(
              { type: 'sitekit-preview-show', config: target.config, wasm: bytes },
              '*',
            );
        } catch (error) {
          status.textContent = `The preview could not load the widget: ${/** @type {Error} */ (error).message}`;
        }
      } else if (data.state === 'shown') {
        // Swapped only now, so the preview never blinks empty while it updates.
        shown?.remove();
        shown = loading.frame;
        shown.classList.remove('loading');
        shown.removeAttribute('tabindex');
        shown.dataset.testid = 'widget-preview';
        loading = null;
        status.textContent = '';
      } else if (data.state === 'failed') {
        status.textContent = `The preview could not show these settings: ${data.message}`;
      }
    }
  };
  window.addEventListener('message', onMessage);

  function load() {
    loading?.frame.remove();
    const frame = h('iframe', {
      src: 'dashboard/preview',
      sandbox: 'allow-scripts',
      title: 'Widget preview',
      class: 'preview-frame loading',
      tabindex: '-1',
      testid: 'widget-preview-loading',
    });
    loading = { frame, config: JSON.stringify(config) };
    stage.append(frame);
  }

  return {
    element,
    /**
     * Shows `next` (a widget config object) once the form rests.
     * @param {import('./settings.js').PreviewConfig} next
     */
    show(next) {
      config = next;
      clearTimeout(timer);
      timer = setTimeout(load, shown ? SETTLE_MS : 0);
    },
    dispose() {
      clearTimeout(timer);
      window.removeEventListener('message', onMessage);
    },
  };
}
