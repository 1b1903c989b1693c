// Saving a Blob as a file, under the name the server's Content-Disposition gives.
import { h } from './dom.js';

/**
 * `filename*=UTF-8''…` or `filename="…"` of a Content-Disposition header, else `fallback`.
 * @param {string | null} disposition
 * @param {string} fallback
 */
export function fileNameFrom(disposition, fallback) {
  if (!disposition) return fallback;
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(disposition);
  if (extended) {
    try {
      return sanitize(decodeURIComponent(extended[1].trim()), fallback);
    } catch {}
  }
  const plain = /filename\s*=\s*(?:"([^"]*)"|([^;]+))/.exec(disposition);
  return plain ? sanitize((plain[1] ?? plain[2]).trim(), fallback) : fallback;
}

/**
 * A bare file name: no directories.
 * @param {string} name
 * @param {string} fallback
 */
function sanitize(name, fallback) {
  const base = name.split(/[\\/]/).pop();
  return base || fallback;
}

/**
 * @param {Blob} blob
 * @param {string} fileName
 */
export function saveBlob(blob, fileName) {
  const url = URL.createObjectURL(blob);
  const link = h('a', { href: url, download: fileName, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  // The download has taken its copy once the click's task is over.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
