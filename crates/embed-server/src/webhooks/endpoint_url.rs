//! The rules an endpoint's URL follows, checked once where it enters (creation
//! and update), and again by the egress policy on every delivery.

use reqwest::Url;
use sitekit_sdk::ErrorCode;
use sitekit_sdk::fields::WebhookUrl;

use crate::egress::EgressPolicy;
use crate::error::ApiError;

/// A URL an endpoint may have: `https://`, or `http://` to a host the operator
/// named in `--runtime-allow` (a receiver on the public internet uses TLS); no
/// user name or password; within the egress policy as far as can be told
/// before connecting (a literal address, a loopback name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointUrl(Url);

impl EndpointUrl {
    pub fn parse(text: &str, policy: &EgressPolicy) -> Result<EndpointUrl, ApiError> {
        let not_allowed =
            |message: String| ApiError::bad_request(ErrorCode::WebhookUrlNotAllowed, message);
        if text.chars().count() > WebhookUrl::MAX_CHARS {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidBody,
                format!("`url` is at most {} characters", WebhookUrl::MAX_CHARS),
            ));
        }
        let url = Url::parse(text.trim()).map_err(|error| {
            ApiError::bad_request(
                ErrorCode::InvalidBody,
                format!("`url` is not a URL: {error}"),
            )
        })?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(ApiError::bad_request(
                ErrorCode::CredentialsInUrl,
                "`url` carries a user name or password; a receiver verifies deliveries by their \
                 signature instead",
            ));
        }
        if url.host().is_none() {
            return Err(not_allowed("`url` names no host".into()));
        }
        match url.scheme() {
            "https" => {}
            "http" if policy.names_host_of(&url) => {}
            "http" => {
                return Err(not_allowed(
                    "`url` must be https://; plain http:// only reaches hosts the server's \
                     operator allows with --runtime-allow"
                        .into(),
                ));
            }
            other => return Err(not_allowed(format!("`url` must be https://, not {other}:"))),
        }
        if url.fragment().is_some() {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidBody,
                "`url` has a fragment, which is never sent",
            ));
        }
        policy.check_url(&url).map_err(|refused| {
            not_allowed(format!(
                "{} is a {} address, which webhooks may not reach; the server's operator can \
                 allow it with --runtime-allow",
                refused.what, refused.class
            ))
        })?;
        Ok(EndpointUrl(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(url: &str, policy: &EgressPolicy) -> String {
        match EndpointUrl::parse(url, policy) {
            Ok(_) => "ok".into(),
            Err(ApiError::BadRequest { code, .. }) => code.to_string(),
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn only_https_or_an_allowed_plain_host_outside_private_networks() {
        let strict = EgressPolicy::default();
        let local = EgressPolicy::parse("127.0.0.1").unwrap();
        assert_eq!(code("https://hooks.example.com/in?x=1", &strict), "ok");
        assert_eq!(code("http://127.0.0.1:9000/hook", &local), "ok");
        for (url, expected) in [
            ("http://hooks.example.com/", "webhook_url_not_allowed"),
            ("http://127.0.0.1:9000/", "webhook_url_not_allowed"),
            ("https://10.0.0.1/", "webhook_url_not_allowed"),
            ("https://169.254.169.254/latest", "webhook_url_not_allowed"),
            ("https://localhost/", "webhook_url_not_allowed"),
            ("ftp://hooks.example.com/", "webhook_url_not_allowed"),
            ("https://user:pw@hooks.example.com/", "credentials_in_url"),
            ("https://hooks.example.com/#x", "invalid_body"),
            ("not a url", "invalid_body"),
        ] {
            assert_eq!(code(url, &strict), expected, "{url}");
        }
        let long = format!(
            "https://hooks.example.com/{}",
            "a".repeat(WebhookUrl::MAX_CHARS)
        );
        assert_eq!(code(&long, &strict), "invalid_body");
        // The operator's allowance of loopback does not open private networks.
        assert_eq!(code("http://10.0.0.1/", &local), "webhook_url_not_allowed");
    }
}
