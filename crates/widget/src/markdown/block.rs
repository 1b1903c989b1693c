//! Block Markdown, line by line: paragraphs (blank-line separated, their line
//! breaks kept), `#` headings, `-`/`*`/`+` and `1.` lists (nested by indenting)
//! and fenced code.
//!
//! A list item's lines, less their indentation, are blocks of their own, so
//! lists nest and items may hold code. A line that is neither indented nor a new
//! item ends the list: a chat reader expects text after a list to be outside it.

use yew::Html;
use yew::virtual_dom::{AttributeOrProperty, Attributes};

use super::inline::inline;
use super::{MAX_DEPTH, cut, element, plain, run_length, tail, text, utf8};

/// Appends the blocks of `lines` to `out`; `depth` counts the lists around them.
pub(super) fn blocks(lines: &[&[u8]], depth: usize, out: &mut Vec<Html>) {
    let mut at = 0;
    while let Some(line) = lines.get(at) {
        let (indent, rest) = indentation(line, usize::MAX);
        at = if rest.is_empty() {
            at + 1
        } else if let Some(fence) = fence(rest) {
            code_block(lines, at, indent, fence, out)
        } else if let Some(title) = heading(rest) {
            let mut children = Vec::new();
            inline(title, false, 0, &mut children);
            // Every level is an `h3`, the one below the panel's title: answers
            // often start at `##` or `###`, and a skipped level confuses screen
            // reader navigation.
            out.push(plain("h3", children));
            at + 1
        } else if let Some(marker) = list_marker(rest)
            && depth < MAX_DEPTH
        {
            list(lines, at, marker.ordered, depth, out)
        } else {
            paragraph(lines, at, out)
        };
    }
}

/// `line` less up to `width` columns of leading spaces and tabs (a tab counts
/// 4), and the columns it lost.
fn indentation(line: &[u8], width: usize) -> (usize, &[u8]) {
    let mut removed = 0;
    let mut rest = line;
    while let [first @ (b' ' | b'\t'), tail @ ..] = rest
        && removed < width
    {
        removed += if *first == b'\t' { 4 } else { 1 };
        rest = tail;
    }
    (removed, rest)
}

fn is_blank(line: &[u8]) -> bool {
    indentation(line, usize::MAX).1.is_empty()
}

/// A code fence (three or more backticks or tildes, then an ignored language
/// tag) as its marker byte and length.
fn fence(rest: &[u8]) -> Option<(u8, usize)> {
    let marker = *rest.first()?;
    let length = run_length(rest);
    (matches!(marker, b'`' | b'~') && length >= 3).then_some((marker, length))
}

/// The code from the fence at `start` to its closing fence or, while the answer
/// is still streaming, to the end; returns the line after it.
fn code_block(
    lines: &[&[u8]],
    start: usize,
    indent: usize,
    (marker, length): (u8, usize),
    out: &mut Vec<Html>,
) -> usize {
    let mut code = Vec::new();
    let mut at = start + 1;
    while let Some(line) = lines.get(at) {
        at += 1;
        let rest = indentation(line, usize::MAX).1;
        if fence(rest).is_some_and(|(m, l)| m == marker && l >= length && is_blank(tail(rest, l))) {
            break;
        }
        if at > start + 2 {
            code.extend_from_slice(b"\n");
        }
        code.extend_from_slice(indentation(line, indent).1);
    }
    let code = plain("code", vec![text(&code)]);
    // Focusable, so a keyboard can scroll code wider than the panel.
    let focusable = Attributes::Static(&[("tabindex", AttributeOrProperty::Static("0"))]);
    out.push(element("pre", focusable, vec![code]));
    at
}

/// The title of `# Title` … `###### Title`.
fn heading(rest: &[u8]) -> Option<&[u8]> {
    let level = rest.iter().take_while(|&&byte| byte == b'#').count();
    let title = tail(rest, level);
    (matches!(level, 1..=6) && matches!(title.first(), None | Some(b' ' | b'\t')))
        .then(|| indentation(title, usize::MAX).1)
}

struct Marker<'a> {
    ordered: bool,
    /// An ordered list's first number, as written.
    number: &'a [u8],
    /// The item's first line.
    text: &'a [u8],
    /// The columns from the marker to the item's text.
    width: usize,
}

/// `- `, `* `, `+ `, `12. ` or `12) ` at the start of `rest`.
fn list_marker(rest: &[u8]) -> Option<Marker<'_>> {
    let digits = rest.iter().take_while(|byte| byte.is_ascii_digit()).count();
    let marker = match rest.first()? {
        b'-' | b'*' | b'+' => 1,
        _ if matches!(digits, 1..=9) && matches!(rest.get(digits), Some(b'.' | b')')) => digits + 1,
        _ => return None,
    };
    let (spaces, text) = indentation(tail(rest, marker), 4);
    (spaces > 0).then_some(Marker {
        ordered: digits > 0,
        number: cut(rest, 0, digits),
        text,
        width: marker + spaces,
    })
}

/// The list item of the kind `ordered` that `line` starts, and its indentation.
fn item_start(line: &[u8], ordered: bool) -> Option<(usize, Marker<'_>)> {
    let (indent, rest) = indentation(line, usize::MAX);
    let marker = list_marker(rest)?;
    (marker.ordered == ordered).then_some((indent, marker))
}

/// The list whose first item is at `start`; returns the line after it. An item
/// goes on over lines indented by two or more columns past its marker, and over
/// a blank line before one; the list goes on over further items of its kind,
/// blank lines between them or not.
fn list(lines: &[&[u8]], start: usize, ordered: bool, depth: usize, out: &mut Vec<Html>) -> usize {
    let mut items = Vec::new();
    let mut number = &b"1"[..];
    let mut at = start;
    while let Some((indent, marker)) = lines.get(at).and_then(|line| item_start(line, ordered)) {
        if at == start {
            number = marker.number;
        }
        let mut item = vec![marker.text];
        at += 1;
        let indented = |line: &&[u8]| {
            let (width, rest) = indentation(line, usize::MAX);
            width >= indent + 2 && !rest.is_empty()
        };
        while let Some(line) = lines.get(at)
            && (indented(line) || is_blank(line) && lines.get(at + 1).is_some_and(indented))
        {
            item.push(indentation(line, indent + marker.width).1);
            at += 1;
        }
        let mut children = Vec::new();
        blocks(&item, depth + 1, &mut children);
        items.push(plain("li", children));
        // Blank lines between items; after the list, they are nothing anyway.
        at += lines
            .iter()
            .skip(at)
            .take_while(|line| is_blank(line))
            .count();
    }
    out.push(if ordered {
        let start = Attributes::Dynamic {
            keys: &["start"],
            values: Box::new([Some(AttributeOrProperty::Attribute(utf8(number)))]),
        };
        element("ol", start, items)
    } else {
        plain("ul", items)
    });
    at
}

/// Lines up to a blank one or one that starts another block; their line breaks
/// stay (the stylesheet shows them).
fn paragraph(lines: &[&[u8]], start: usize, out: &mut Vec<Html>) -> usize {
    let mut source = Vec::new();
    let mut at = start;
    while let Some(line) = lines.get(at) {
        let rest = indentation(line, usize::MAX).1;
        if rest.is_empty() || (at > start && interrupts(rest)) {
            break;
        }
        if at > start {
            source.extend_from_slice(b"\n");
        }
        source.extend_from_slice(rest);
        at += 1;
    }
    let mut children = Vec::new();
    inline(&source, false, 0, &mut children);
    out.push(plain("p", children));
    at
}

/// Whether `rest` starts a block even right after a paragraph's line. An ordered
/// list does only from 1, so a line that happens to start with "2024. " does not.
fn interrupts(rest: &[u8]) -> bool {
    fence(rest).is_some()
        || heading(rest).is_some()
        || list_marker(rest).is_some_and(|marker| marker.number.is_empty() || marker.number == b"1")
}
