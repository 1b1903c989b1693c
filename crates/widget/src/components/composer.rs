//! The message box: a form, so Enter and the send button both submit, and the
//! browser's own form semantics reach assistive technology.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::i18n::Lang;

#[derive(Properties, PartialEq)]
pub struct ComposerProps {
    /// The panel is visible: the input takes focus when it opens.
    pub open: bool,
    /// An answer is still coming; the next message waits for it.
    pub streaming: bool,
    pub on_send: Callback<String>,
    /// Stops the answer that is streaming.
    pub on_stop: Callback<()>,
    #[prop_or(Lang::En)]
    pub lang: Lang,
}

#[component]
pub fn Composer(props: &ComposerProps) -> Html {
    let ComposerProps {
        open,
        streaming,
        on_send,
        on_stop,
        lang,
    } = props;
    let texts = lang.text();
    let input = use_node_ref();
    {
        let input = input.clone();
        use_effect_with(*open, move |open| {
            if let Some(input) = input.cast::<HtmlInputElement>().filter(|_| *open) {
                let _ = input.focus();
            }
        });
    }
    let onsubmit = {
        let (input, on_send, streaming) = (input.clone(), on_send.clone(), *streaming);
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let Some(input) = input.cast::<HtmlInputElement>() else {
                return;
            };
            let text = input.value();
            // A blank or too-early message stays in the box instead of vanishing.
            if streaming || text.trim().is_empty() {
                return;
            }
            on_send.emit(text);
            input.set_value("");
        })
    };
    html! {
        <form class="composer" {onsubmit}>
            <input
                ref={input}
                class="input"
                type="text"
                name="message"
                autocomplete="off"
                placeholder={texts.placeholder}
                aria-label={texts.message_label}
                data-testid="sitekit-input"
            />
            if *streaming {
                // Instead of Send while an answer streams, in the same place.
                <button
                    type="button"
                    class="send stop"
                    data-testid="sitekit-stop"
                    onclick={on_stop.reform(|_: MouseEvent| ())}
                >
                    { texts.stop }
                </button>
            } else {
                <button type="submit" class="send" data-testid="sitekit-send">
                    { texts.send }
                </button>
            }
        </form>
    }
}
