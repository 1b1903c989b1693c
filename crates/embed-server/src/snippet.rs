//! The `<script>` snippet a site owner pastes into their pages.

/// The auto-updating snippet: always the current loader.
pub fn auto_updating(public_url: &str, publishable_key: &str) -> String {
    format!(
        r#"<script async src="{}/v1/loader.js" data-key="{publishable_key}"></script>"#,
        public_url.trim_end_matches('/')
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn snippet_points_at_the_loader_with_the_key() {
        assert_eq!(
            super::auto_updating("https://embed.example.com/", "skt_pub_test_x"),
            r#"<script async src="https://embed.example.com/v1/loader.js" data-key="skt_pub_test_x"></script>"#
        );
    }
}
