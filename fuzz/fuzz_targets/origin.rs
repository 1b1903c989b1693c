//! The server's origins and allowlist patterns: a parsed origin had nothing but
//! a scheme, host and port, is what the URL standard (the `url` crate, as
//! browsers) serialises as its origin, and parses back to itself; a pattern's text parses back to the same pattern and
//! survives the stored form; and an allowlist lets in exactly the origins its
//! pattern describes, checked here from the URL standard's scheme, host and
//! port: a subdomain wildcard never matches its apex, another scheme or port,
//! or a host outside its domain, and `localhost:*` only test-mode keys.
//!
//! Input: a pattern (or origin) on the first line, an origin on the second.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sitekit_embed_server::widgets::origin::{Origin, OriginAllowlist, OriginPattern};
use url::Url;

fuzz_target!(|input: &[u8]| {
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    let (first, second) = text.split_once('\n').unwrap_or((text, ""));
    for candidate in [first, second] {
        if let Ok(origin) = Origin::parse(candidate) {
            canonical(candidate, &origin);
        }
    }
    let Ok(pattern) = OriginPattern::parse(first) else {
        return;
    };
    round_trips(&pattern);
    if let OriginPattern::Subdomains { scheme, suffix } = &pattern {
        covers_subdomains_only(&pattern, scheme, suffix);
    }
    if let Ok(origin) = Origin::parse(second) {
        let list = OriginAllowlist::new(vec![pattern.clone()]);
        for test_mode in [false, true] {
            assert_eq!(
                list.allows(&origin, test_mode),
                described(&pattern, &origin, test_mode),
                "{pattern:?} and {origin} (test mode {test_mode})"
            );
        }
    }
});

fn canonical(text: &str, origin: &Origin) {
    let url = Url::parse(text.trim()).expect("an origin is a URL");
    assert_eq!(
        origin.as_str(),
        url.origin().ascii_serialization(),
        "{text:?}"
    );
    assert!(
        url.username().is_empty()
            && url.password().is_none()
            && url.path() == "/"
            && url.query().is_none()
            && url.fragment().is_none(),
        "an origin with more than scheme, host and port: {text:?}"
    );
    assert_eq!(Origin::parse(origin.as_str()).as_ref(), Ok(origin));
}

fn round_trips(pattern: &OriginPattern) {
    let text = pattern.to_text();
    assert_eq!(
        OriginPattern::parse(&text).as_ref(),
        Ok(pattern),
        "{text:?}"
    );
    let list = OriginAllowlist::new(vec![pattern.clone()]);
    assert_eq!(OriginAllowlist::from_stored(&list.to_stored()), list);
    assert_eq!(
        pattern.needs_test_mode(),
        matches!(pattern, OriginPattern::LocalhostAnyPort { .. })
    );
}

fn covers_subdomains_only(pattern: &OriginPattern, scheme: &str, suffix: &str) {
    let domain = suffix
        .strip_prefix('.')
        .expect("a wildcard's suffix starts with a dot");
    let apex = Origin::parse(&format!("{scheme}://{domain}")).expect("the apex is an origin");
    assert_eq!(
        apex.as_str(),
        format!("{scheme}://{domain}"),
        "the suffix is canonical"
    );
    let list = OriginAllowlist::new(vec![pattern.clone()]);
    assert!(!list.allows(&apex, true), "{pattern:?} allows its apex");
    let shop =
        Origin::parse(&format!("{scheme}://shop{suffix}")).expect("a subdomain is an origin");
    assert!(list.allows(&shop, false), "{pattern:?} refuses {shop}");
}

/// Whether `pattern` describes `origin`, from the URL standard's reading of both.
fn described(pattern: &OriginPattern, origin: &Origin, test_mode: bool) -> bool {
    let url = Url::parse(origin.as_str()).expect("an origin is a URL");
    let host = url.host_str().unwrap_or_default();
    match pattern {
        OriginPattern::Exact(allowed) => allowed == origin,
        OriginPattern::Subdomains { scheme, suffix } => {
            let apex = Url::parse(&format!("{scheme}://{}", &suffix[1..])).expect("apex parses");
            url.scheme() == apex.scheme()
                && url.port_or_known_default() == apex.port_or_known_default()
                && url.domain().is_some()
                && host
                    .strip_suffix(apex.host_str().unwrap_or_default())
                    .and_then(|labels| labels.strip_suffix('.'))
                    // One or more labels, none of them empty.
                    .is_some_and(|labels| labels.split('.').all(|label| !label.is_empty()))
        }
        OriginPattern::LocalhostAnyPort { scheme } => {
            test_mode && url.scheme() == scheme && host == "localhost"
        }
    }
}
