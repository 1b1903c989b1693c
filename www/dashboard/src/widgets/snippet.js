// A widget's two snippets from `GET /v1/widgets/<id>/snippet`, each with a copy
// button: the auto-updating one, and the pinned one with Subresource Integrity.
import { copyButton } from '../clipboard.js';
import { errorBox, h, replace } from '../dom.js';

/** @type {{ field: keyof import('../api.js').Snippets, id: string, title: string, about: string }[]} */
const VARIANTS = [
  {
    field: 'autoUpdating',
    id: 'auto',
    title: 'Auto-updating',
    about: 'Loads /v1/loader.js: every page picks up new releases of the widget by itself.',
  },
  {
    field: 'pinned',
    id: 'pinned',
    title: 'Pinned',
    about:
      'Loads one exact loader, which the browser checks against its integrity hash: nothing changes on your pages until you paste a new snippet.',
  },
];

/**
 * @param {{ api: import('../api.js').AdminApi, widgetId: string }} options
 */
export function snippetView({ api, widgetId }) {
  const body = h('div', { class: 'snippets' }, h('p', { class: 'hint' }, 'Loading the snippets…'));
  const error = errorBox('snippet-error');
  const element = h(
    'section',
    { class: 'card', 'aria-labelledby': `snippet-title-${widgetId}`, testid: 'snippet' },
    h('h2', { id: `snippet-title-${widgetId}` }, 'Snippet'),
    h('p', {}, 'Paste one of these into every page that should show the chat, just before </body>.'),
    error.element,
    body,
  );
  api.snippet(widgetId).then(
    (snippets) => {
      replace(
        body,
        VARIANTS.map(({ field, id, title, about }) => {
          const code = h(
            'pre',
            { class: 'code', tabindex: '0', 'aria-label': `${title} snippet` },
            h('code', { testid: `snippet-${id}` }, snippets[field]),
          );
          return h(
            'div',
            { class: 'snippet' },
            h(
              'div',
              { class: 'snippet-head' },
              h('h3', {}, title),
              copyButton({
                label: `Copy ${title.toLowerCase()} snippet`,
                text: () => snippets[field],
                source: code,
                testid: `copy-snippet-${id}`,
              }),
            ),
            h('p', { class: 'hint' }, about),
            code,
          );
        }),
      );
    },
    (failure) => {
      replace(body);
      error.show(/** @type {Error} */ (failure).message);
    },
  );
  return element;
}
