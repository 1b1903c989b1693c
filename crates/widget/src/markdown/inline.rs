//! Inline Markdown within a paragraph, heading or list item: code spans,
//! emphasis (`*em*`, `_em_`, `**strong**`, `__strong__`), links `[text](url)`
//! and bare `https://…` URLs. A backslash escapes a punctuation mark; a marker
//! without its partner is literal text.

use yew::Html;

use super::link::{anchor, autolink, safe_href};
use super::{MAX_DEPTH, cut, list, plain, run_length, tail, text};

/// Appends the nodes `source` makes to `out`. Inside a link's text (`in_link`)
/// nothing becomes a link again; `depth` counts the emphasis around `source`.
pub(super) fn inline(source: &[u8], in_link: bool, depth: usize, out: &mut Vec<Html>) {
    // Start of the plain text not added yet.
    let mut plain = 0;
    let mut at = 0;
    while let Some(&byte) = source.get(at) {
        let rest = tail(source, at);
        if byte == b'\\' && rest.get(1).is_some_and(u8::is_ascii_punctuation) {
            push_text(out, cut(source, plain, at));
            plain = at + 1;
            at += 2;
            continue;
        }
        let found = match byte {
            b'`' => code_span(rest),
            b'*' | b'_' if depth < MAX_DEPTH => emphasis(source, at, in_link, depth),
            b'[' if !in_link => link(rest, depth),
            // Not inside a word: "xhttp://" is no link.
            b'h' if !in_link
                && !cut(source, 0, at)
                    .last()
                    .is_some_and(u8::is_ascii_alphanumeric) =>
            {
                autolink(rest)
            }
            _ => None,
        };
        match found {
            Some((node, length)) => {
                push_text(out, cut(source, plain, at));
                out.push(node);
                at += length;
                plain = at;
            }
            // A whole run of markers is literal, so `***` is not read as `*` + `**`.
            None if matches!(byte, b'`' | b'*' | b'_') => at += run_length(rest),
            None => at += 1,
        }
    }
    push_text(out, tail(source, plain));
}

fn push_text(out: &mut Vec<Html>, source: &[u8]) {
    if !source.is_empty() {
        out.push(text(source));
    }
}

/// `` `code` `` at the start of `rest`: up to the next run of as many backticks,
/// taken as it is (no emphasis, no links inside).
fn code_span(rest: &[u8]) -> Option<(Html, usize)> {
    let (code, length) = code_span_length(rest)?;
    Some((plain("code", vec![text(code)]), length))
}

/// The content and the length of the code span at the start of `rest`.
fn code_span_length(rest: &[u8]) -> Option<(&[u8], usize)> {
    let ticks = run_length(rest);
    let mut at = ticks;
    while let Some(&byte) = rest.get(at) {
        let run = run_length(tail(rest, at));
        if byte == b'`' && run == ticks {
            return Some((cut(rest, ticks, at), at + run));
        }
        at += run;
    }
    None
}

/// Emphasis opened by the run of markers at `source[start]`, if it is closed
/// later: one `*`/`_` is `em`, two `strong`.
fn emphasis(source: &[u8], start: usize, in_link: bool, depth: usize) -> Option<(Html, usize)> {
    let rest = tail(source, start);
    let length = run_length(rest);
    let name = match length {
        1 => "em",
        2 => "strong",
        _ => return None,
    };
    let open_end = start + length;
    if !flanking(source, start, open_end).0 {
        return None;
    }
    let close = closing_run(source, open_end, *rest.first()?, length)?;
    let mut children = Vec::new();
    inline(
        cut(source, open_end, close),
        in_link,
        depth + 1,
        &mut children,
    );
    Some((plain(name, children), close + length - start))
}

/// Where the run closing emphasis opened with `length` × `marker` starts,
/// searching from `from`: the first such run that can close. Code spans are
/// skipped whole.
fn closing_run(source: &[u8], from: usize, marker: u8, length: usize) -> Option<usize> {
    let mut at = from;
    while let Some(&byte) = source.get(at) {
        let rest = tail(source, at);
        at += match byte {
            b'\\' => 2,
            b'`' => code_span_length(rest).map_or_else(|| run_length(rest), |(_, length)| length),
            _ if byte == marker => {
                let run = run_length(rest);
                if run == length && flanking(source, at, at + run).1 {
                    return Some(at);
                }
                run
            }
            _ => 1,
        };
    }
    None
}

/// What the byte next to a marker run is, for [`flanking`].
#[derive(PartialEq, PartialOrd)]
enum Side {
    /// Whitespace, or the start or end of the text.
    Space,
    Punctuation,
    /// A letter, a digit or part of a non-ASCII character.
    Word,
}

fn side(byte: Option<&u8>) -> Side {
    match byte {
        Some(byte) if byte.is_ascii_punctuation() => Side::Punctuation,
        Some(byte) if !byte.is_ascii_whitespace() => Side::Word,
        _ => Side::Space,
    }
}

/// Whether the run `source[start..end]` can open and whether it can close
/// emphasis: it opens before a non-space and closes after one, so `2 * 3 * 4`
/// does neither; `_` also not inside a word, so `snake_case` stays as it is.
fn flanking(source: &[u8], start: usize, end: usize) -> (bool, bool) {
    let before = side(cut(source, 0, start).last());
    let after = side(source.get(end));
    let anywhere = matches!(source.get(start), Some(b'*'));
    (
        after > Side::Space && (anywhere || before < Side::Word),
        before > Side::Space && (anywhere || after < Side::Word),
    )
}

/// `[text](url)` at the start of `rest`: the text in brackets (which may nest)
/// and the URL in parentheses (which may nest too).
/// A URL that is not http, https or mailto leaves only the text.
fn link(rest: &[u8], depth: usize) -> Option<(Html, usize)> {
    let text_end = matching(rest, b'[', b']')?;
    let after = tail(rest, text_end + 1);
    if !matches!(after.first(), Some(b'(')) {
        return None;
    }
    let url_end = matching(after, b'(', b')')?;
    // Around the URL, spaces are allowed; after it, a title, which is dropped.
    let url = cut(after, 1, url_end)
        .split(u8::is_ascii_whitespace)
        .find(|part| !part.is_empty())
        .unwrap_or_default();
    let mut children = Vec::new();
    inline(cut(rest, 1, text_end), true, depth, &mut children);
    let node = match safe_href(url) {
        Some(href) => anchor(href, children),
        None => list(children),
    };
    Some((node, text_end + url_end + 2))
}

/// Where the `close` matching the `open` that `bytes` starts with is, skipping
/// nested pairs and escaped bytes.
fn matching(bytes: &[u8], open: u8, close: u8) -> Option<usize> {
    let mut depth = 0;
    let mut at = 1;
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b'\\' => at += 1,
            _ if byte == close && depth == 0 => return Some(at),
            _ if byte == close => depth -= 1,
            _ if byte == open => depth += 1,
            _ => {}
        }
        at += 1;
    }
    None
}
