//! Suggestions the site owner chose, offered until the visitor has written
//! anything; choosing one sends it as the visitor's first message.

use yew::prelude::*;

use crate::i18n::Lang;

/// A function, not a component: it keeps no state, and each component type
/// costs the Wasm its own copy of Yew's lifecycle.
pub fn starter_prompts(prompts: &[AttrValue], on_send: &Callback<String>, lang: Lang) -> Html {
    if prompts.is_empty() {
        return Html::default();
    }
    html! {
        <div class="starters" role="group" aria-label={lang.text().suggested_questions} data-testid="sitekit-starters">
            { for prompts.iter().map(|prompt| {
                let onclick = {
                    let (prompt, on_send) = (prompt.clone(), on_send.clone());
                    Callback::from(move |_: MouseEvent| on_send.emit(prompt.to_string()))
                };
                html! {
                    <button
                        type="button"
                        class="starter"
                        data-testid="sitekit-starter"
                        {onclick}
                    >
                        { prompt.clone() }
                    </button>
                }
            }) }
        </div>
    }
}
