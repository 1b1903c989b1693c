//! Which websites may use a widget: origins in their canonical form and the
//! widget's allowlist.

use reqwest::Url;

/// A web origin in canonical form: `scheme://host[:port]`, lower case, without the
/// scheme's default port — the exact form browsers send in the `Origin` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin(String);

impl Origin {
    /// Parses what an operator typed (`https://Shop.example.com/`) or what a browser
    /// sent; anything with a path, query, credentials or a non-web scheme is refused.
    pub fn parse(text: &str) -> Result<Self, String> {
        let url = Url::parse(text.trim())
            .map_err(|_| format!("`{text}` is not an origin such as https://shop.example.com"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("`{text}` must start with http:// or https://"));
        }
        let has_path = !matches!(url.path(), "" | "/");
        if has_path
            || url.query().is_some()
            || url.fragment().is_some()
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(format!(
                "`{text}` must be an origin only (scheme, host and port, no path)"
            ));
        }
        let host = url
            .host_str()
            .ok_or_else(|| format!("`{text}` has no host"))?;
        let origin = match url.port() {
            Some(port) => format!("{}://{host}:{port}", url.scheme()),
            None => format!("{}://{host}", url.scheme()),
        };
        Ok(Origin(origin))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The scheme and the `host[:port]`.
    fn parts(&self) -> (&str, &str) {
        self.0
            .split_once("://")
            .expect("an origin is scheme://host[:port]")
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One entry of a widget's allowlist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginPattern {
    /// One origin, port included: `https://shop.example.com`, `http://127.0.0.1:8788`.
    Exact(Origin),
    /// `https://*.example.com[:port]`: every subdomain, not the apex itself.
    Subdomains { scheme: String, suffix: String },
    /// `http://localhost:*`: any port on this machine, for widgets in test mode
    /// only, so a developer's dev server works while live keys stay locked down.
    LocalhostAnyPort { scheme: String },
}

impl OriginPattern {
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim().trim_end_matches('/');
        let (scheme, rest) = trimmed
            .split_once("://")
            .ok_or_else(|| format!("`{text}` is not an origin such as https://shop.example.com"))?;
        if rest.eq_ignore_ascii_case("localhost:*") {
            let localhost = Origin::parse(&format!("{scheme}://localhost"))?;
            let (scheme, _) = localhost.parts();
            return Ok(OriginPattern::LocalhostAnyPort {
                scheme: scheme.to_owned(),
            });
        }
        if let Some(domain) = rest.strip_prefix("*.") {
            // Validate and canonicalise the part after the wildcard as an origin,
            // and keep what the URL parser read, never the typed text: it drops
            // control characters and tabs, so cutting the text at the typed
            // scheme's length could name another domain.
            let base = Origin::parse(&format!("{scheme}://{domain}"))?;
            let (scheme, host_and_port) = base.parts();
            let host = host_and_port.split(':').next().unwrap_or_default();
            // Below a public suffix (`co.uk`, `github.io`) every subdomain is
            // someone else's site: a wildcard there allows strangers.
            let public_suffix = psl::domain_str(host).is_none();
            if public_suffix || host.parse::<std::net::IpAddr>().is_ok() {
                return Err(format!(
                    "`{text}` is too broad: `{host}` is a public suffix, under which anyone can \
                     have a site; name your own domain, such as https://*.example.com"
                ));
            }
            return Ok(OriginPattern::Subdomains {
                scheme: scheme.to_owned(),
                suffix: format!(".{host_and_port}"),
            });
        }
        let wildcard_elsewhere = || {
            format!(
                "`{text}`: a wildcard may only be a leading subdomain (https://*.example.com) or \
                 the port of localhost (http://localhost:*)"
            )
        };
        if rest.contains('*') {
            return Err(wildcard_elsewhere());
        }
        // Checked again on what the URL parser read: `http:.a*b://x` has no `*`
        // after its `://`, yet names the host `.a*b`.
        let origin = Origin::parse(trimmed)?;
        if origin.as_str().contains('*') {
            return Err(wildcard_elsewhere());
        }
        Ok(OriginPattern::Exact(origin))
    }

    /// The pattern as the operator writes it.
    pub fn to_text(&self) -> String {
        match self {
            OriginPattern::Exact(origin) => origin.to_string(),
            OriginPattern::Subdomains { scheme, suffix } => format!("{scheme}://*{suffix}"),
            OriginPattern::LocalhostAnyPort { scheme } => format!("{scheme}://localhost:*"),
        }
    }

    /// True for patterns only a test-mode widget may use.
    pub fn needs_test_mode(&self) -> bool {
        matches!(self, OriginPattern::LocalhostAnyPort { .. })
    }

    fn matches(&self, origin: &Origin, test_mode: bool) -> bool {
        let text = origin.as_str();
        match self {
            OriginPattern::Exact(allowed) => allowed == origin,
            OriginPattern::Subdomains { scheme, suffix } => text
                .strip_prefix(scheme.as_str())
                .and_then(|rest| rest.strip_prefix("://"))
                .and_then(|rest| rest.strip_suffix(suffix.as_str()))
                // What the wildcard stands for: one or more labels, none of them
                // empty, nothing else.
                .is_some_and(|sub| {
                    sub.split('.')
                        .all(|label| !label.is_empty() && !label.contains([':', '/']))
                }),
            OriginPattern::LocalhostAnyPort { scheme } => {
                test_mode
                    && text
                        .strip_prefix(scheme.as_str())
                        .and_then(|rest| rest.strip_prefix("://localhost"))
                        .is_some_and(|port| {
                            port.is_empty()
                                || port
                                    .strip_prefix(':')
                                    .is_some_and(|p| p.parse::<u16>().is_ok())
                        })
            }
        }
    }
}

/// The origins a widget may be embedded on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OriginAllowlist(Vec<OriginPattern>);

impl OriginAllowlist {
    pub fn new(patterns: Vec<OriginPattern>) -> Self {
        OriginAllowlist(patterns)
    }

    /// Reads the stored form: a JSON array of patterns as operators write them.
    pub fn from_stored(json: &str) -> Self {
        let texts: Vec<String> = serde_json::from_str(json).unwrap_or_default();
        OriginAllowlist(
            texts
                .iter()
                .filter_map(|t| OriginPattern::parse(t).ok())
                .collect(),
        )
    }

    pub fn to_stored(&self) -> String {
        serde_json::to_string(&self.to_texts()).expect("strings serialize")
    }

    /// The patterns as operators write them.
    pub fn to_texts(&self) -> Vec<String> {
        self.0.iter().map(OriginPattern::to_text).collect()
    }

    /// Whether a page at `origin` may use the widget; `test_mode` is the mode of the
    /// publishable key it presented.
    pub fn allows(&self, origin: &Origin, test_mode: bool) -> bool {
        self.0
            .iter()
            .any(|pattern| pattern.matches(origin, test_mode))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_canonicalised_like_browsers_send_them() {
        assert_eq!(
            Origin::parse("HTTPS://Shop.Example.com/").unwrap().as_str(),
            "https://shop.example.com"
        );
        assert_eq!(
            Origin::parse("https://shop.example.com:443")
                .unwrap()
                .as_str(),
            "https://shop.example.com"
        );
        assert_eq!(
            Origin::parse("http://127.0.0.1:8788").unwrap().as_str(),
            "http://127.0.0.1:8788"
        );
    }

    #[test]
    fn things_that_are_not_origins_are_refused() {
        for text in [
            "shop.example.com",
            "https://a.com/path",
            "ftp://a.com",
            "https://u:p@a.com",
            // A password without a user name is a credential too.
            "https://:p@a.com",
            "null",
        ] {
            assert!(Origin::parse(text).is_err(), "{text}");
        }
    }

    fn allowlist(patterns: &[&str]) -> OriginAllowlist {
        let list = OriginAllowlist::new(
            patterns
                .iter()
                .map(|p| OriginPattern::parse(p).unwrap())
                .collect(),
        );
        // Always through the stored form, as the server reads it.
        OriginAllowlist::from_stored(&list.to_stored())
    }

    fn allows(list: &OriginAllowlist, origin: &str, test_mode: bool) -> bool {
        list.allows(&Origin::parse(origin).unwrap(), test_mode)
    }

    #[test]
    fn exact_origins_match_scheme_host_and_port() {
        let list = allowlist(&["http://127.0.0.1:8788", "https://shop.example.com"]);
        assert!(allows(&list, "http://127.0.0.1:8788", false));
        assert!(allows(&list, "https://shop.example.com:443", false));
        assert!(!allows(&list, "http://127.0.0.1:8789", false));
        assert!(!allows(&list, "https://127.0.0.1:8788", false));
        assert!(!allows(&list, "http://shop.example.com", false));
    }

    #[test]
    fn a_subdomain_wildcard_covers_subdomains_but_not_the_apex_or_lookalikes() {
        let list = allowlist(&["https://*.Example.com"]);
        assert!(allows(&list, "https://shop.example.com", false));
        assert!(allows(&list, "https://eu.shop.example.com", false));
        assert!(!allows(&list, "https://example.com", false));
        assert!(!allows(&list, "https://evilexample.com", false));
        assert!(!allows(&list, "https://shop.example.com.evil.io", false));
        assert!(!allows(&list, "http://shop.example.com", false));
        assert!(!allows(&list, "https://shop.example.com:8443", false));
        // An empty label is no label: no such host can serve a page.
        assert!(!allows(&list, "https://eu..shop.example.com", false));
        let with_port = allowlist(&["https://*.example.com:8443"]);
        assert!(allows(&with_port, "https://shop.example.com:8443", false));
        assert!(!allows(&with_port, "https://shop.example.com", false));
    }

    #[test]
    fn localhost_on_any_port_works_for_test_mode_only() {
        let list = allowlist(&["http://localhost:*"]);
        assert!(allows(&list, "http://localhost:3000", true));
        assert!(allows(&list, "http://localhost", true));
        assert!(!allows(&list, "http://localhost:3000", false));
        assert!(!allows(&list, "http://localhost.evil.io:3000", true));
        assert!(
            OriginPattern::parse("http://localhost:*")
                .unwrap()
                .needs_test_mode()
        );
    }

    #[test]
    fn patterns_are_read_as_the_url_parser_reads_them() {
        // It drops control characters before the scheme and tabs or newlines
        // anywhere: a pattern is what it read, never the typed text cut at the
        // typed scheme's length, which named another domain.
        for (typed, read) in [
            (
                "\0\0https://*.examplee.com:8443",
                "https://*.examplee.com:8443",
            ),
            ("ht\ttps://*.example.com", "https://*.example.com"),
            ("\u{1}http://localhost:*", "http://localhost:*"),
        ] {
            assert_eq!(
                OriginPattern::parse(typed).unwrap().to_text(),
                read,
                "{typed:?}"
            );
        }
        let list = allowlist(&["ht\ttps://*.example.com"]);
        assert!(allows(&list, "https://shop.example.com", false));
        assert!(!allows(&list, "https://shop.xample.com", false));
    }

    #[test]
    fn wildcards_anywhere_else_or_too_broad_are_refused() {
        for text in [
            "https://*.com",
            "https://*.co.uk",
            "https://*.github.io",
            "https://*.GitHub.io",
            "https://*.s3.amazonaws.com",
            "https://*.127.0.0.1",
            "https://shop.*.com",
            "*",
            "https://*",
            "https://example.com:*",
            "http:.example*com://..",
        ] {
            assert!(OriginPattern::parse(text).is_err(), "{text}");
        }
        // One's own domain under a public suffix is fine.
        for text in [
            "https://*.shop.co.uk",
            "https://*.me.github.io",
            "https://*.corp.internal",
        ] {
            assert!(OriginPattern::parse(text).is_ok(), "{text}");
        }
    }
}
