// Copy buttons: the text goes to the clipboard, the button and the live region
// say so; where the clipboard is refused, the text is selected for Ctrl+C.
import { announce, h } from './dom.js';

/**
 * A button that copies `text()`; `source` is the element showing that text.
 * @param {{ label: string, text: () => string, source: HTMLElement, testid: string }} options
 */
export function copyButton({ label, text, source, testid }) {
  const button = h('button', { type: 'button', class: 'secondary copy', testid }, label);
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let reset;
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text());
      button.textContent = 'Copied';
      announce('Copied to the clipboard.');
    } catch {
      selectContents(source);
      button.textContent = 'Press Ctrl+C to copy';
      announce('The browser refused the clipboard; the text is selected, press Ctrl+C to copy it.');
    }
    clearTimeout(reset);
    reset = setTimeout(() => {
      button.textContent = label;
    }, 2500);
  });
  return button;
}

/** @param {HTMLElement} element */
function selectContents(element) {
  if (element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement) {
    element.focus();
    element.select();
    return;
  }
  const range = document.createRange();
  range.selectNodeContents(element);
  // Null only in a frame without a browsing context; this page is not one.
  const selection = /** @type {Selection} */ (getSelection());
  selection.removeAllRanges();
  selection.addRange(range);
}
