//! The chat panel: a header with the title and a close button, the conversation,
//! the error banner and the composer. Hidden, not unmounted, when closed, so a
//! half-typed message and the scroll position survive.

use sitekit_sdk::wire::Position;
use yew::prelude::*;

use super::{Composer, ErrorBanner, MessageList};
use crate::state::ChatState;

#[derive(Properties, PartialEq)]
pub struct PanelProps {
    pub title: AttrValue,
    pub position: Position,
    pub state: ChatState,
    pub on_send: Callback<String>,
    pub on_close: Callback<()>,
}

#[component]
pub fn Panel(props: &PanelProps) -> Html {
    let PanelProps {
        title,
        position,
        state,
        on_send,
        on_close,
    } = props;
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
            data-testid="sitekit-panel"
            hidden={!state.open}
            {onkeydown}
        >
            <header class="header">
                <h2 class="title">{ title }</h2>
                <button
                    type="button"
                    class="close"
                    aria-label="Close chat"
                    data-testid="sitekit-close"
                    onclick={on_close.reform(|_: MouseEvent| ())}
                >
                    { "×" }
                </button>
            </header>
            <MessageList messages={state.messages.clone()} streaming={state.streaming} />
            <ErrorBanner error={state.error.clone()} />
            <Composer open={state.open} streaming={state.streaming} on_send={on_send} />
        </section>
    }
}
