// The widget form's labelled controls: a field with its label and hint, and a
// checkbox with its own.
import { h, uniqueId } from '../dom.js';

/**
 * A label, its control and an optional hint tied to the control.
 * @param {string} label
 * @param {HTMLElement} control
 * @param {string} [hint]
 */
export function field(label, control, hint) {
  control.id ||= uniqueId('field');
  const parts = [h('label', { for: control.id }, label), control];
  if (hint) {
    const hintId = `${control.id}-hint`;
    control.setAttribute('aria-describedby', hintId);
    parts.push(h('p', { class: 'hint', id: hintId }, hint));
  }
  return h('div', { class: 'field' }, parts);
}

/**
 * @param {string} label
 * @param {boolean} checked
 * @param {string} testid
 * @param {string} [hint]
 */
export function checkbox(label, checked, testid, hint) {
  const input = h('input', { type: 'checkbox', checked, testid, id: uniqueId('check') });
  /** @type {HTMLElement[]} */
  const parts = [input, h('label', { for: input.id }, label)];
  if (hint) {
    input.setAttribute('aria-describedby', `${input.id}-hint`);
    parts.push(h('p', { class: 'hint', id: `${input.id}-hint` }, hint));
  }
  return { input, element: h('div', { class: 'field check' }, parts) };
}
