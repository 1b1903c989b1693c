//! Why the last message got no (complete) answer, announced as an alert.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ErrorBannerProps {
    /// Already readable for a visitor; `None` hides the banner.
    pub error: Option<String>,
}

#[component]
pub fn ErrorBanner(props: &ErrorBannerProps) -> Html {
    match &props.error {
        Some(error) => html! {
            <p class="error" role="alert" data-testid="sitekit-error">{ error.clone() }</p>
        },
        None => Html::default(),
    }
}
