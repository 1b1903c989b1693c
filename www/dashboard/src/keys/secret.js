// A key the API shows exactly once (a new key, or a rotated key's replacement):
// shown with a copy button and the warning that it will not be shown again, and
// dropped from the page when the owner says they have it.
import { copyButton } from '../clipboard.js';
import { h } from '../dom.js';

/**
 * @param {{ title: string, key: string, note: string | null, onDone: () => void }} options
 */
export function secretPanel({ title, key, note, onDone }) {
  const value = h('input', {
    type: 'text',
    readonly: true,
    spellcheck: 'false',
    class: 'secret-value',
    value: key,
    'aria-label': title,
    testid: 'new-key-value',
  });
  const heading = h('h3', { tabindex: '-1' }, title);
  const panel = h(
    'section',
    { class: 'card secret', 'aria-label': title, testid: 'new-key' },
    heading,
    h(
      'p',
      { class: 'warning', testid: 'new-key-warning' },
      h('strong', {}, 'Copy this key now: it will not be shown again.'),
      ' Only its first and last characters are kept for display.',
    ),
    h(
      'div',
      { class: 'secret-row' },
      value,
      copyButton({ label: 'Copy key', text: () => key, source: value, testid: 'copy-new-key' }),
    ),
    note ? h('p', { class: 'hint' }, note) : null,
    h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        testid: 'new-key-done',
        onclick: () => {
          panel.remove();
          onDone();
        },
      },
      'I have stored it',
    ),
  );
  return { element: panel, focus: () => heading.focus() };
}
