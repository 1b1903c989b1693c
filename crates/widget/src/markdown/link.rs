//! Links in answers: which ones a visitor may follow, and how they open.
//!
//! Only http, https and mailto: anything else (`javascript:`, `data:`, a relative
//! path) could run script in the host page or lead somewhere unexpected, so it
//! stays text.

use yew::Html;
use yew::virtual_dom::{AttributeOrProperty, Attributes};

use super::{cut, element, text, utf8};

/// The schemes a link may have, compared without regard to case.
const SCHEMES: [&[u8]; 3] = [b"http", b"https", b"mailto"];

/// `url`, if it may become a link.
pub(super) fn safe_href(url: &[u8]) -> Option<&[u8]> {
    SCHEMES
        .iter()
        .any(|scheme| has_scheme(url, scheme))
        .then_some(url)
}

/// Whether `url` starts with `scheme` (in any case) and `:`.
fn has_scheme(url: &[u8], scheme: &[u8]) -> bool {
    matches!(url.get(scheme.len()), Some(b':'))
        && cut(url, 0, scheme.len()).eq_ignore_ascii_case(scheme)
}

/// An anchor that opens `href` in a new tab, and gives that page no handle on
/// this one (`noopener`) and no referrer.
pub(super) fn anchor(href: &[u8], children: Vec<Html>) -> Html {
    let attributes = Attributes::Dynamic {
        keys: &["href", "rel", "target"],
        values: Box::new([
            Some(AttributeOrProperty::Attribute(utf8(href))),
            Some(AttributeOrProperty::Static("noopener noreferrer")),
            Some(AttributeOrProperty::Static("_blank")),
        ]),
    };
    element("a", attributes, children)
}

/// The bare `http://…` or `https://…` URL `rest` starts with, as a link, and its
/// length: up to whitespace or `<`, less the sentence's punctuation after it (a
/// `)` only when the URL has no `(`, as in "(see https://example.com)").
pub(super) fn autolink(rest: &[u8]) -> Option<(Html, usize)> {
    let scheme = if rest.starts_with(b"https://") {
        8
    } else if rest.starts_with(b"http://") {
        7
    } else {
        return None;
    };
    let mut url = rest
        .split(|&byte| byte.is_ascii_whitespace() || byte == b'<')
        .next()?;
    while let [head @ .., last] = url
        && (matches!(
            last,
            b'.' | b',' | b':' | b';' | b'!' | b'?' | b'"' | b'\'' | b'*' | b'_'
        ) || *last == b')' && head.iter().all(|&byte| byte != b'('))
    {
        url = head;
    }
    (url.len() > scheme).then(|| (anchor(url, vec![text(url)]), url.len()))
}
