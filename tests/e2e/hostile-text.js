// What the markup check expects of a string: which widget settings the server
// accepts it in (its documented rules), how strings are batched into settings and
// messages, and what "shown as text" means for plain text and for Markdown.

/** The server trims settings the way Rust's `str::trim` does: Unicode White_Space. */
export const serverTrim = (text) => text.replace(/^\p{White_Space}+|\p{White_Space}+$/gu, '');

/** Length as the server counts it: Unicode scalar values, not UTF-16 units. */
export const chars = (text) => [...text].length;

const CONTROL = /\p{Cc}/u;
const CONTROL_BUT_LINE_BREAKS_AND_TABS = /[^\P{Cc}\t\n\r]/u;

/**
 * Each setting's rules, as the spec states them: lengths and control characters
 * on the value as sent, emptiness on the trimmed value; `refusal` is the error
 * message the server must answer with, or null when it accepts the value.
 */
export const RULES = {
  title: {
    max: 80,
    refusal(text) {
      if (!serverTrim(text)) return /the title must not be empty/;
      if (chars(text) > 80) return /the title may have at most 80 characters/;
      if (CONTROL.test(text)) return /the title may not contain control characters/;
      return null;
    },
  },
  starterPrompt: {
    max: 120,
    refusal(text) {
      if (!serverTrim(text)) return /a starter prompt must not be empty/;
      if (chars(text) > 120) return /a starter prompt may have at most 120 characters/;
      if (CONTROL.test(text)) return /a starter prompt may not contain control characters/;
      return null;
    },
  },
  greeting: {
    max: 500,
    refusal(text) {
      if (chars(text) > 500) return /the greeting may have at most 500 characters/;
      if (CONTROL_BUT_LINE_BREAKS_AND_TABS.test(text)) {
        return /the greeting may not contain control characters other than line breaks and tabs/;
      }
      return null;
    },
  },
};

/**
 * Takes from `queue` (in place) the entries whose texts, joined by `separator`,
 * fit in `max` characters as sent, in order, skipping those that do not fit.
 */
export function takeBatch(queue, { max, separator, count = Infinity, text = (entry) => entry.text }) {
  const batch = [];
  for (let at = 0; at < queue.length && batch.length < count; ) {
    const joined = [...batch, queue[at]].map(text).join(separator);
    if (chars(joined) <= max) batch.push(...queue.splice(at, 1));
    else at += 1;
  }
  return batch;
}

// ASCII punctuation (everything a Markdown backslash may escape) and whitespace:
// what Markdown may turn into structure instead of showing.
const MARKDOWN_PUNCTUATION = /[!-/:-@[-`{-~]|\s/gu;
const WHITESPACE = /\s/gu;
/** Syntax this widget's Markdown acts on; a string with none shows literally. */
const MARKDOWN_SYNTAX = /[\\`*_[\]#~]|https?:\/\/|^\s*([-+*]|\d{1,9}[.)])(\s|$)/mu;

/**
 * Why `entries` (in order) do not all show as text in Markdown rendered to
 * `shown` (the element's text, with each ordered list item's number before it),
 * or an empty list. An entry shows as text when its text with ASCII punctuation
 * and whitespace removed appears in `shown` with the same removed, after the
 * entry before it; apart from the parts Markdown does not show (`hides`: a link's
 * destination, a fence's language tag), which split the text into pieces that
 * must each appear, in order. A string with no Markdown syntax at all must appear
 * literally (only its whitespace may change: paragraphs lose their indentation).
 */
export function notShownAsMarkdown(entries, shown) {
  const bare = shown.replace(MARKDOWN_PUNCTUATION, '');
  const literal = shown.replace(WHITESPACE, '');
  const missing = [];
  let at = 0;
  for (const entry of entries) {
    for (const piece of pieces(entry)) {
      const needle = piece.replace(MARKDOWN_PUNCTUATION, '');
      const found = bare.indexOf(needle, at);
      if (found < 0) missing.push(`${JSON.stringify(entry.text)}: ${JSON.stringify(needle)} is not shown`);
      else at = found + needle.length;
    }
    if (!MARKDOWN_SYNTAX.test(entry.text) && !literal.includes(entry.text.replace(WHITESPACE, ''))) {
      missing.push(`${JSON.stringify(entry.text)} is not shown literally`);
    }
  }
  return missing;
}

/** The text of `entry` around the parts it hides. */
function pieces({ text, hides }) {
  const result = [];
  let from = 0;
  for (const hidden of hides) {
    const at = text.indexOf(hidden, from);
    if (at < 0) throw new Error(`${JSON.stringify(text)} does not contain ${JSON.stringify(hidden)}`);
    result.push(text.slice(from, at));
    from = at + hidden.length;
  }
  result.push(text.slice(from));
  return result;
}
