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
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The origins a widget may be embedded on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OriginAllowlist(Vec<Origin>);

impl OriginAllowlist {
    pub fn new(origins: Vec<Origin>) -> Self {
        OriginAllowlist(origins)
    }

    /// Reads the stored form: a JSON array of origin strings.
    pub fn from_stored(json: &str) -> Self {
        let texts: Vec<String> = serde_json::from_str(json).unwrap_or_default();
        OriginAllowlist(texts.iter().filter_map(|t| Origin::parse(t).ok()).collect())
    }

    pub fn to_stored(&self) -> String {
        let texts: Vec<&str> = self.0.iter().map(Origin::as_str).collect();
        serde_json::to_string(&texts).expect("strings serialize")
    }

    pub fn allows(&self, origin: &Origin) -> bool {
        self.0.contains(origin)
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
            "null",
        ] {
            assert!(Origin::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn allowlist_matches_exact_origins_only() {
        let list = OriginAllowlist::new(vec![Origin::parse("http://127.0.0.1:8788").unwrap()]);
        let stored = OriginAllowlist::from_stored(&list.to_stored());
        assert!(stored.allows(&Origin::parse("http://127.0.0.1:8788").unwrap()));
        assert!(!stored.allows(&Origin::parse("http://127.0.0.1:8789").unwrap()));
        assert!(!stored.allows(&Origin::parse("https://127.0.0.1:8788").unwrap()));
    }
}
