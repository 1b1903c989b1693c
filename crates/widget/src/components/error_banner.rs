//! Why the last message got no (complete) answer, announced as an alert, with a
//! way to send it again.

use yew::prelude::*;

use crate::i18n::Lang;

/// `error` is already readable for a visitor; `None` hides the banner. `on_retry`
/// sends the failed message again; `None` when there is nothing to resend.
///
/// A function, not a component: it keeps no state, and each component type
/// costs the Wasm its own copy of Yew's lifecycle.
pub fn error_banner(error: Option<&str>, on_retry: Option<&Callback<()>>, lang: Lang) -> Html {
    let Some(error) = error else {
        return Html::default();
    };
    html! {
        <div class="error" role="alert" data-testid="sitekit-error">
            <span>{ error.to_owned() }</span>
            if let Some(on_retry) = on_retry {
                <button
                    type="button"
                    class="retry"
                    data-testid="sitekit-retry"
                    onclick={on_retry.reform(|_: MouseEvent| ())}
                >
                    { lang.text().try_again }
                </button>
            }
        </div>
    }
}
