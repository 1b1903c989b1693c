//! The streaming effect: sending a message starts a run whose AG-UI events grow
//! the assistant's answer chunk by chunk, or end in a readable error.

use std::rc::Rc;

use futures_util::StreamExt;
use sitekit_sdk::agui::Event;
use yew::prelude::*;

use crate::failure::Failure;
use crate::session::ChatSession;
use crate::state::{Action, ChatState};

/// The conversation and the way to add to it.
pub struct UseChat {
    pub state: UseReducerHandle<ChatState>,
    /// Sends a message unless it is blank or a run is still streaming.
    pub send: Callback<String>,
}

#[hook]
pub fn use_chat(session: Rc<ChatSession>, greeting: AttrValue) -> UseChat {
    let state = use_reducer(move || ChatState::new(&greeting));
    // The reducer's `streaming` flag is only as fresh as the render a callback was
    // made in; this one is shared by every callback, so two runs never overlap.
    let busy = use_mut_ref(|| false);
    let dispatcher = state.dispatcher();
    let send = use_callback(session, move |text: String, session| {
        let text = text.trim();
        if text.is_empty() || *busy.borrow() {
            return;
        }
        *busy.borrow_mut() = true;
        dispatcher.dispatch(Action::Send(text.to_owned()));
        let (session, busy, dispatcher) = (session.clone(), busy.clone(), dispatcher.clone());
        let text = text.to_owned();
        wasm_bindgen_futures::spawn_local(async move {
            let outcome = stream_answer(&session, &text, &dispatcher).await;
            // The session, and with it the visitor id, may exist even if the run failed.
            session.remember_visitor();
            *busy.borrow_mut() = false;
            match outcome {
                Ok(()) => dispatcher.dispatch(Action::RunFinished),
                Err(failure) => {
                    web_sys::console::error_1(&failure.console_line().into());
                    dispatcher.dispatch(Action::Failed(failure.readable()));
                }
            }
        });
    });
    UseChat { state, send }
}

/// Dispatches the answer's text as it arrives, until the run finishes or fails.
async fn stream_answer(
    session: &ChatSession,
    text: &str,
    dispatcher: &UseReducerDispatcher<ChatState>,
) -> Result<(), Failure> {
    let mut events = session.client.chat_text(&session.thread_id, text).await?;
    while let Some(event) = events.next().await {
        match event? {
            Event::TextMessageContent { delta, .. } => {
                dispatcher.dispatch(Action::AssistantDelta(delta));
            }
            Event::RunError { message, code } => return Err(Failure::run_error(message, code)),
            // The SDK ends the stream after a terminal event and reports a stream that
            // ends early as an error, so running out of events means finished.
            _ => {}
        }
    }
    Ok(())
}
