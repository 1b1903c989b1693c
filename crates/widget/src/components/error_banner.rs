//! Why the last message got no (complete) answer, announced as an alert, with a
//! way to send it again.

use yew::prelude::*;

use crate::i18n::Lang;

#[derive(Properties, PartialEq)]
pub struct ErrorBannerProps {
    /// Already readable for a visitor; `None` hides the banner.
    pub error: Option<String>,
    /// Sends the failed message again; `None` when there is nothing to resend.
    #[prop_or_default]
    pub on_retry: Option<Callback<()>>,
    #[prop_or(Lang::En)]
    pub lang: Lang,
}

#[component]
pub fn ErrorBanner(props: &ErrorBannerProps) -> Html {
    let Some(error) = &props.error else {
        return Html::default();
    };
    html! {
        <div class="error" role="alert" data-testid="sitekit-error">
            <span>{ error.clone() }</span>
            if let Some(on_retry) = &props.on_retry {
                <button
                    type="button"
                    class="retry"
                    data-testid="sitekit-retry"
                    onclick={on_retry.reform(|_: MouseEvent| ())}
                >
                    { props.lang.text().try_again }
                </button>
            }
        </div>
    }
}
