//! The chat panel: a header with the avatar, title and a close button, the
//! conversation, the starter prompts, the error banner, the owner's extras and
//! the composer. Hidden, not unmounted, when closed, so a half-typed message
//! and the scroll position survive.

use sitekit_sdk::wire::Position;
use yew::prelude::*;

use super::{Composer, MessageList, error_banner, starter_prompts};
use crate::i18n::Lang;
use crate::state::{Author, ChatState, Rating};

#[derive(Properties, PartialEq)]
pub struct PanelProps {
    pub title: AttrValue,
    /// The language of the widget's own words (and the panel's direction).
    #[prop_or(Lang::En)]
    pub lang: Lang,
    pub position: Position,
    pub state: ChatState,
    pub on_send: Callback<String>,
    pub on_stop: Callback<()>,
    pub on_retry: Callback<()>,
    /// Rates the answer at an index.
    #[prop_or_default]
    pub on_rate: Callback<(usize, Rating)>,
    pub on_close: Callback<()>,
    /// Offered until the visitor has written something.
    #[prop_or_default]
    pub starter_prompts: Vec<AttrValue>,
    /// An `https://` image of the agent (the server allows nothing else).
    #[prop_or_default]
    pub avatar_url: Option<AttrValue>,
}

/// A function, not a component: it keeps no state, and its props change with
/// every change of the conversation anyway; each component type costs the Wasm
/// its own copy of Yew's lifecycle.
pub fn panel(props: &PanelProps) -> Html {
    let PanelProps {
        title,
        lang,
        position,
        state,
        on_send,
        on_stop,
        on_retry,
        on_rate,
        on_close,
        starter_prompts: prompts,
        avatar_url,
    } = props;
    let visitor_has_written = state
        .messages
        .iter()
        .any(|message| message.author == Author::User);
    let side = match position {
        Position::Left => "left",
        Position::Right => "right",
    };
    let onkeydown = {
        let on_close = on_close.clone();
        Callback::from(move |event: KeyboardEvent| {
            if event.key() == "Escape" {
                on_close.emit(());
            }
        })
    };
    html! {
        <section
            class={classes!("panel", side)}
            role="dialog"
            aria-label={title}
            lang={lang.tag()}
            dir={lang.dir()}
            data-testid="sitekit-panel"
            hidden={!state.open}
            {onkeydown}
        >
            <header class="header">
                if let Some(src) = avatar_url {
                    // Decorative: the title already names the chat.
                    <img class="avatar" src={src} alt="" referrerpolicy="no-referrer" data-testid="sitekit-avatar" />
                }
                <h2 class="title" data-testid="sitekit-title">{ title }</h2>
                <button
                    type="button"
                    class="close"
                    aria-label={lang.text().close_chat}
                    data-testid="sitekit-close"
                    onclick={on_close.reform(|_: MouseEvent| ())}
                >
                    { "×" }
                </button>
            </header>
            <MessageList
                messages={state.messages.clone()}
                streaming={state.streaming}
                on_rate={on_rate.clone()}
                lang={*lang}
            />
            if !visitor_has_written {
                { starter_prompts(prompts, on_send, *lang) }
            }
            { error_banner(state.error.as_deref(), state.can_retry().then_some(on_retry), *lang) }
            // The owner's extras draw here (`extras.rs`); the panel leaves its
            // children to them.
            <div class="extras" />
            <Composer
                open={state.open}
                streaming={state.streaming}
                on_send={on_send}
                on_stop={on_stop}
                lang={*lang}
            />
        </section>
    }
}
