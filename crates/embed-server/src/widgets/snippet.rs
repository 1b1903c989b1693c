//! The `<script>` snippet a site owner pastes into their pages, in two variants:
//! auto-updating (the loader URL that always serves the current release) and
//! pinned (one exact loader, checked by the browser with Subresource Integrity,
//! which checks the widget's files in turn).

use sitekit_sdk::admin::WidgetSnippet;

use crate::assets::Manifest;

/// The auto-updating snippet: always the current loader.
pub fn auto_updating(public_url: &str, publishable_key: &str) -> String {
    format!(
        r#"<script async src="{}/v1/loader.js" data-key="{publishable_key}"></script>"#,
        public_url.trim_end_matches('/')
    )
}

/// Both snippets of a widget, for the assets this server serves.
pub fn for_widget(
    widget_id: &str,
    public_url: &str,
    publishable_key: &str,
    manifest: &Manifest,
) -> WidgetSnippet {
    let loader_url = format!(
        "{}/v1/assets/{}",
        public_url.trim_end_matches('/'),
        manifest.pinned_loader
    );
    // `crossorigin` makes the browser fetch with CORS, without which it cannot
    // check the integrity of a script from another origin and refuses to run it.
    let pinned = format!(
        r#"<script async src="{loader_url}" integrity="{}" crossorigin="anonymous" data-key="{publishable_key}"></script>"#,
        manifest.loader_integrity
    );
    WidgetSnippet {
        widget_id: widget_id.to_owned(),
        auto_updating: auto_updating(public_url, publishable_key),
        pinned,
        loader_url,
        integrity: manifest.loader_integrity.clone(),
    }
}

#[cfg(test)]
mod tests {
    use crate::assets::Manifest;

    #[test]
    fn snippet_points_at_the_loader_with_the_key() {
        assert_eq!(
            super::auto_updating("https://embed.example.com/", "skt_pub_test_x"),
            r#"<script async src="https://embed.example.com/v1/loader.js" data-key="skt_pub_test_x"></script>"#
        );
    }

    #[test]
    fn the_pinned_snippet_names_the_hashed_loader_and_its_integrity() {
        let manifest = Manifest {
            loader: "loader.js".into(),
            widget_js: "widget-1.js".into(),
            widget_wasm: "widget-2.wasm".into(),
            widget_extras: String::new(),
            pinned_loader: "loader-0123456789abcdef.js".into(),
            loader_integrity: "sha384-abc".into(),
            dashboard: "dashboard.html".into(),
            dashboard_preview: "dashboard-preview.html".into(),
            dashboard_js: "dashboard-3.js".into(),
            dashboard_css: "dashboard-4.css".into(),
            assets: Vec::new(),
        };
        let snippet = super::for_widget(
            "wid_1",
            "https://embed.example.com/",
            "skt_pub_x",
            &manifest,
        );
        assert_eq!(
            snippet.pinned,
            r#"<script async src="https://embed.example.com/v1/assets/loader-0123456789abcdef.js" integrity="sha384-abc" crossorigin="anonymous" data-key="skt_pub_x"></script>"#
        );
        assert_eq!(
            snippet.loader_url,
            "https://embed.example.com/v1/assets/loader-0123456789abcdef.js"
        );
        assert_eq!(snippet.integrity, "sha384-abc");
        assert_eq!(
            snippet.auto_updating,
            super::auto_updating("https://embed.example.com", "skt_pub_x")
        );
    }
}
