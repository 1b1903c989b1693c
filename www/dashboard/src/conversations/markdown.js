// The agent's Markdown in a transcript, by the widget's rules
// (crates/widget/src/markdown): text nodes and a fixed set of elements
// (paragraphs, headings, lists, code blocks, emphasis, strong, code, and links
// to http, https and mailto only), never markup, so
// nothing an agent or a visitor wrote can run or style the dashboard. Nesting
// is bounded; anything else stays text as written.
import { h } from '../dom.js';

/** How deep emphasis nests before further markers are text. */
const MAX_DEPTH = 8;

/**
 * `source` as block elements.
 * @param {string} source
 * @returns {HTMLElement[]}
 */
export function renderMarkdown(source) {
  const lines = source.split(/\r?\n/);
  /** @type {HTMLElement[]} */
  const blocks = [];
  let at = 0;
  while (at < lines.length) {
    const line = lines[at];
    if (line.trim() === '') {
      at += 1;
    } else if (line.trimStart().startsWith('```')) {
      const code = [];
      at += 1;
      while (at < lines.length && !lines[at].trimStart().startsWith('```')) code.push(lines[at++]);
      at += 1;
      blocks.push(h('pre', {}, h('code', {}, code.join('\n'))));
    } else if (/^#{1,6}\s/.test(line)) {
      blocks.push(h('h3', {}, inline(line.replace(/^#{1,6}\s+/, ''), 0)));
      at += 1;
    } else if (listItem(line)) {
      const ordered = /^\s*\d+[.)]\s/.test(line);
      const items = [];
      while (at < lines.length && listItem(lines[at]) && /^\s*\d+[.)]\s/.test(lines[at]) === ordered) {
        items.push(h('li', {}, inline(lines[at].replace(/^\s*(?:[-*+]|\d+[.)])\s+/, ''), 0)));
        at += 1;
      }
      blocks.push(h(ordered ? 'ol' : 'ul', {}, items));
    } else {
      const paragraph = [];
      while (at < lines.length && lines[at].trim() !== '' && !startsBlock(lines[at])) paragraph.push(lines[at++]);
      /** @type {(Node | string)[]} */
      const children = [];
      paragraph.forEach((text, index) => {
        if (index > 0) children.push(h('br'));
        children.push(...inline(text, 0));
      });
      blocks.push(h('p', {}, children));
    }
  }
  return blocks;
}

/** @param {string} line */
function listItem(line) {
  return /^\s*(?:[-*+]|\d+[.)])\s+\S/.test(line);
}

/** @param {string} line */
function startsBlock(line) {
  return line.trimStart().startsWith('```') || /^#{1,6}\s/.test(line) || listItem(line);
}

/**
 * Inline text: `code`, **strong** and *emphasis* (or with `_`), [links](url).
 * As in the widget, a run of one marker opens emphasis and of two strong, only
 * where it can (not before a space; `_` not inside a word), and only when a
 * run of the same length closes it later; any other marker is text.
 * @param {string} text
 * @param {number} depth
 * @returns {(Node | string)[]}
 */
function inline(text, depth) {
  /** @type {(Node | string)[]} */
  const out = [];
  let plain = '';
  let at = 0;
  const flush = () => {
    if (plain) out.push(plain);
    plain = '';
  };
  while (at < text.length) {
    const rest = text.slice(at);
    const code = /^`([^`]+)`/.exec(rest);
    const link = /^\[([^\]]+)\]\(([^)\s]+)\)/.exec(rest);
    const marker = text[at];
    if (code) {
      flush();
      out.push(h('code', {}, code[1]));
      at += code[0].length;
    } else if (link) {
      // A link elsewhere than http, https or mailto keeps its words, not its target.
      flush();
      const href = safeHref(link[2]);
      out.push(href ? h('a', { href, rel: 'noopener noreferrer', target: '_blank' }, link[1]) : link[1]);
      at += link[0].length;
    } else if (marker === '*' || marker === '_') {
      const length = runLength(text, at);
      const close =
        length <= 2 && depth < MAX_DEPTH && opens(text, at, length) ? closing(text, at + length, marker, length) : -1;
      if (close < 0) {
        plain += text.slice(at, at + length);
        at += length;
      } else {
        flush();
        out.push(h(length === 1 ? 'em' : 'strong', {}, inline(text.slice(at + length, close), depth + 1)));
        at = close + length;
      }
    } else {
      plain += marker;
      at += 1;
    }
  }
  flush();
  return out;
}

/**
 * @param {string} text
 * @param {number} at
 */
function runLength(text, at) {
  let end = at;
  while (text[end] === text[at]) end += 1;
  return end - at;
}

/** @param {string | undefined} char */
const isWord = (char) => char !== undefined && /[\p{L}\p{N}]/u.test(char);
/** @param {string | undefined} char */
const isSpace = (char) => char === undefined || /\s/.test(char);

/**
 * Whether the run of `length` markers at `at` can open emphasis.
 * @param {string} text
 * @param {number} at
 * @param {number} length
 */
function opens(text, at, length) {
  const after = text[at + length];
  return !isSpace(after) && !(text[at] === '_' && isWord(text[at - 1]));
}

/**
 * Where the first run of `length` × `marker` from `from` that can close starts; -1 if none.
 * @param {string} text
 * @param {number} from
 * @param {string} marker
 * @param {number} length
 */
function closing(text, from, marker, length) {
  let at = from;
  while (at < text.length) {
    if (text[at] !== marker) {
      at += 1;
      continue;
    }
    const run = runLength(text, at);
    const closes = !isSpace(text[at - 1]) && !(marker === '_' && isWord(text[at + run]));
    if (run === length && closes && at > from) return at;
    at += run;
  }
  return -1;
}

/**
 * The link's address when it is http, https or mailto; null otherwise.
 * @param {string} target
 * @returns {string | null}
 */
function safeHref(target) {
  try {
    const url = new URL(target);
    return ['http:', 'https:', 'mailto:'].includes(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}
