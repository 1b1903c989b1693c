// A secret the API shows exactly once (a new key, a rotated key's replacement, a
// webhook's signing secret): shown with a copy button and the warning that it
// will not be shown again, and dropped from the page when the owner says they
// have it.
import { copyButton } from '../clipboard.js';
import { h } from '../dom.js';

/**
 * `noun` names the secret in the warning, `kept` says what of it stays, and
 * `testid` prefixes the panel's test ids.
 * @param {{ title: string, key: string, note: string | null, onDone: () => void, noun?: string, kept?: string, testid?: string }} options
 */
export function secretPanel({
  title,
  key,
  note,
  onDone,
  noun = 'key',
  kept = 'Only its first and last characters are kept for display.',
  testid = 'new-key',
}) {
  const value = h('input', {
    type: 'text',
    readonly: true,
    spellcheck: 'false',
    class: 'secret-value',
    value: key,
    'aria-label': title,
    testid: `${testid}-value`,
  });
  const heading = h('h3', { tabindex: '-1' }, title);
  const panel = h(
    'section',
    { class: 'card secret', 'aria-label': title, testid },
    heading,
    h(
      'p',
      { class: 'warning', testid: `${testid}-warning` },
      h('strong', {}, `Copy this ${noun} now: it will not be shown again.`),
      ` ${kept}`,
    ),
    h(
      'div',
      { class: 'secret-row' },
      value,
      copyButton({ label: `Copy ${noun}`, text: () => key, source: value, testid: `copy-${testid}` }),
    ),
    note ? h('p', { class: 'hint' }, note) : null,
    h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        testid: `${testid}-done`,
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
