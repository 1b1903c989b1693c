// A modal confirmation on <dialog>: the browser traps the focus inside, Escape
// cancels, and the focus goes back to where it was.
import { h } from './dom.js';

/**
 * Asks `question`; `fields` (controls) may gather details. Resolves with true
 * when confirmed, false when cancelled.
 * @param {object} options
 * @param {string} options.title
 * @param {string} options.question
 * @param {import('./dom.js').Child} [options.fields]
 * @param {string} options.confirmLabel
 * @param {boolean} [options.danger]
 * @param {string} options.testid
 * @returns {Promise<boolean>}
 */
export function confirmDialog({ title, question, fields = [], confirmLabel, danger = false, testid }) {
  const opener = document.activeElement;
  return new Promise((resolve) => {
    const confirm = h(
      'button',
      { type: 'button', class: danger ? 'danger' : '', testid: `${testid}-confirm` },
      confirmLabel,
    );
    const cancel = h('button', { type: 'button', class: 'secondary', testid: `${testid}-cancel` }, 'Cancel');
    const titleId = `${testid}-title`;
    const dialog = h(
      'dialog',
      { 'aria-labelledby': titleId, testid },
      h('h2', { id: titleId }, title),
      h('p', {}, question),
      fields,
      h('div', { class: 'actions' }, cancel, confirm),
    );
    cancel.addEventListener('click', () => dialog.close('cancel'));
    confirm.addEventListener('click', () => dialog.close('confirm'));
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
      resolve(dialog.returnValue === 'confirm');
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
