//! Markdown in the agent's answers, parsed by hand into Yew nodes.
//!
//! What the agent writes only ever becomes text nodes and a fixed set of
//! elements (`p`, `h3`, lists, `pre`/`code`, `em`, `strong`, and `a` for http,
//! https and mailto links): there is no path from its text to markup.
//! Answers stream in, so the whole text is parsed again on every chunk; anything
//! left open (a fence, a lone `**`) renders sensibly rather than waiting to be
//! closed.
//!
//! Parsing works on bytes and cuts only next to ASCII bytes (the markers), so it
//! never splits a UTF-8 character. It is written for the widget's Wasm size: no
//! regex, Unicode tables or formatting, and no indexing that could panic.

mod block;
mod inline;
mod link;

use yew::virtual_dom::{Attributes, Listeners, VList, VTag, VText};
use yew::{AttrValue, Html, NodeRef};

/// How deep lists and emphasis nest before further markers are text: deep enough
/// for any answer, shallow enough that none can exhaust the stack.
const MAX_DEPTH: usize = 8;

/// `source` as block elements (paragraphs, headings, lists, code blocks…).
pub fn render(source: &str) -> Html {
    let mut lines = Vec::new();
    for line in source.as_bytes().split(|&byte| byte == b'\n') {
        lines.push(line.strip_suffix(b"\r").unwrap_or(line));
    }
    let mut nodes = Vec::new();
    block::blocks(&lines, 0, &mut nodes);
    list(nodes)
}

/// An element named `name` with `attributes` around `children`, built the way
/// `html!` builds a literal tag (no tag-name checks, no attribute map).
fn element(name: &'static str, attributes: Attributes, children: Vec<Html>) -> Html {
    VTag::__new_other(
        AttrValue::Static(name),
        NodeRef::default(),
        None,
        attributes,
        Listeners::None,
        list(children),
    )
    .into()
}

/// An element without attributes.
fn plain(name: &'static str, children: Vec<Html>) -> Html {
    element(name, Attributes::Static(&[]), children)
}

/// Nodes side by side, in no element.
fn list(nodes: Vec<Html>) -> Html {
    VList::with_children(nodes, None).into()
}

/// A DOM text node: whatever `text` holds, it stays text.
fn text(text: &[u8]) -> Html {
    VText::new(utf8(text)).into()
}

/// Bytes cut from a `&str` next to ASCII bytes, as the `str` they still are.
fn utf8(bytes: &[u8]) -> AttrValue {
    AttrValue::from(std::str::from_utf8(bytes).unwrap_or_default())
}

/// `bytes[start..end]`, or nothing if that is out of range. The parser only cuts
/// in range; unlike indexing, this leaves no panic path in the Wasm at each cut.
fn cut(bytes: &[u8], start: usize, end: usize) -> &[u8] {
    bytes.get(start..end).unwrap_or_default()
}

/// `bytes[start..]`, or nothing if that is out of range.
fn tail(bytes: &[u8], start: usize) -> &[u8] {
    bytes.get(start..).unwrap_or_default()
}

/// How many bytes at the start of `bytes` equal the first one.
fn run_length(bytes: &[u8]) -> usize {
    let first = bytes.first();
    bytes.iter().take_while(|&byte| Some(byte) == first).count()
}
