//! The conversation, oldest first. A polite live region that is busy while an
//! answer streams, so screen readers read the finished answer once instead of
//! every chunk.

use web_sys::Element;
use yew::prelude::*;

use crate::i18n::Lang;
use crate::markdown;
use crate::state::{Author, ChatMessage, Rating};

#[derive(Properties, PartialEq)]
pub struct MessageListProps {
    pub messages: Vec<ChatMessage>,
    pub streaming: bool,
    /// Rates the answer at an index.
    #[prop_or_default]
    pub on_rate: Callback<(usize, Rating)>,
    #[prop_or(Lang::En)]
    pub lang: Lang,
}

#[component]
pub fn MessageList(props: &MessageListProps) -> Html {
    let MessageListProps {
        messages,
        streaming,
        on_rate,
        lang,
    } = props;
    let list = use_node_ref();
    {
        // Follows the newest text; runs after every render, which only happens
        // when the messages or the streaming flag changed.
        let list = list.clone();
        use_effect(move || {
            if let Some(list) = list.cast::<Element>() {
                list.set_scroll_top(list.scroll_height());
            }
        });
    }
    // Between sending and the first chunk of the answer there is nothing to show
    // but the wait itself.
    let waiting = *streaming
        && messages
            .last()
            .is_none_or(|message| message.author == Author::User);
    html! {
        <div
            ref={list}
            class="messages"
            role="log"
            // Reachable by keyboard, so it can be scrolled without a mouse.
            tabindex="0"
            aria-live="polite"
            aria-busy={if *streaming { "true" } else { "false" }}
            data-testid="sitekit-messages"
        >
            { for messages.iter().enumerate().map(|(index, message)| {
                // The answer still streaming is not rated yet.
                let finished = !*streaming || index + 1 < messages.len();
                message_view(index, message, finished, on_rate, *lang)
            }) }
            if waiting {
                <p class="message assistant typing" data-testid="sitekit-typing" aria-hidden="true">
                    <span class="dot" /><span class="dot" /><span class="dot" />
                </p>
            }
        </div>
    }
}

/// The index is the key: messages are appended, and a reset or a restored
/// conversation replaces the list whole.
fn message_view(
    index: usize,
    message: &ChatMessage,
    finished: bool,
    on_rate: &Callback<(usize, Rating)>,
    lang: Lang,
) -> Html {
    let (class, testid, text) = match message.author {
        // What the visitor typed is shown as typed.
        Author::User => (
            "user",
            "sitekit-message-user",
            Html::from(message.text.clone()),
        ),
        // Markdown becomes elements and text nodes, never markup from the agent's text.
        Author::Assistant => (
            "assistant",
            "sitekit-message-assistant",
            markdown::render(&message.text),
        ),
    };
    let rateable = finished && message.run_id.is_some();
    html! {
        <div key={index} class={classes!("turn", class)}>
            <div class={classes!("message", class)} data-testid={testid}>{ text }</div>
            if rateable {
                <div class="rating" role="group" aria-label={lang.text().rate_answer}>
                    { rating_button(index, Rating::Up, message.rating, on_rate, lang) }
                    { rating_button(index, Rating::Down, message.rating, on_rate, lang) }
                </div>
            }
        </div>
    }
}

/// A thumb; pressed once rated, and then neither can be pressed again.
fn rating_button(
    index: usize,
    rating: Rating,
    rated: Option<Rating>,
    on_rate: &Callback<(usize, Rating)>,
    lang: Lang,
) -> Html {
    let (label, testid) = match rating {
        Rating::Up => (lang.text().helpful, "sitekit-rate-up"),
        Rating::Down => (lang.text().not_helpful, "sitekit-rate-down"),
    };
    let pressed = if rated == Some(rating) {
        "true"
    } else {
        "false"
    };
    // An icon, not an emoji: systems without an emoji font (headless Chromium on
    // Linux among them) draw those as empty boxes. The button's label names it.
    html! {
        <button
            type="button"
            class="rate"
            aria-label={label}
            aria-pressed={pressed}
            disabled={rated.is_some()}
            data-testid={testid}
            onclick={on_rate.reform(move |_: MouseEvent| (index, rating))}
        >
            // A raised thumb: the cuff on the left, the hand beside it, the
            // thumb pointing up; the stylesheet fills it and turns the down one.
            // Literal attributes only: Yew keeps them as one static list.
            <svg viewBox="0 0 24 24" aria-hidden="true">
                <path d="M2 10h4v11H2zM8 10l4-8c1.5 0 2.5 1 2.5 2.5L14 9h6a2 2 0 0 1 2 2.3l-1.3 7.6A2.5 2.5 0 0 1 18.2 21H8z" />
            </svg>
        </button>
    }
}
