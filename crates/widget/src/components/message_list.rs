//! The conversation, oldest first. A polite live region that is busy while an
//! answer streams, so screen readers read the finished answer once instead of
//! every chunk.

use web_sys::Element;
use yew::prelude::*;

use crate::state::{Author, ChatMessage};

#[derive(Properties, PartialEq)]
pub struct MessageListProps {
    pub messages: Vec<ChatMessage>,
    pub streaming: bool,
}

#[component]
pub fn MessageList(props: &MessageListProps) -> Html {
    let MessageListProps {
        messages,
        streaming,
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
            aria-live="polite"
            aria-busy={if *streaming { "true" } else { "false" }}
            data-testid="sitekit-messages"
        >
            { for messages.iter().enumerate().map(|(index, message)| message_view(index, message)) }
            if waiting {
                <p class="message assistant typing" data-testid="sitekit-typing" aria-hidden="true">
                    <span class="dot" /><span class="dot" /><span class="dot" />
                </p>
            }
        </div>
    }
}

/// Messages are only ever appended, so the index is a stable key.
fn message_view(index: usize, message: &ChatMessage) -> Html {
    let (class, testid) = match message.author {
        Author::User => ("user", "sitekit-message-user"),
        Author::Assistant => ("assistant", "sitekit-message-assistant"),
    };
    html! {
        // A text child is a DOM text node: agent text can never become markup.
        <p key={index} class={classes!("message", class)} data-testid={testid}>
            { message.text.clone() }
        </p>
    }
}
