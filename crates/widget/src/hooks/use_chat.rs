//! The streaming effect: sending a message starts a run whose answer grows chunk
//! by chunk, or ends in a readable error; the visitor can stop it, send a failed
//! message again, and a returning visitor gets the earlier conversation back.

use std::cell::RefCell;
use std::rc::Rc;

use futures_util::StreamExt;
use futures_util::future::{AbortHandle, Abortable, Aborted};
use sitekit_sdk::ErrorCode;
use sitekit_sdk::agui::Role;
use yew::prelude::*;

use super::use_back_online;
use crate::failure::Failure;
use crate::host::{HostEvent, HostPage};
use crate::i18n::Lang;
use crate::session::ChatSession;
use crate::state::{Action, Author, ChatMessage, ChatState, Rating};

/// The conversation and the ways to change it.
pub struct UseChat {
    pub state: UseReducerHandle<ChatState>,
    /// Sends a message unless it is blank or a run is still streaming.
    pub send: Callback<String>,
    /// Stops the answer that is streaming; what arrived stays.
    pub stop: Callback<()>,
    /// Sends the last message again after it failed.
    pub retry: Callback<()>,
    /// Starts a new conversation (`SiteKit('reset')`).
    pub reset: Callback<()>,
    /// Rates the answer at an index (reported as usage).
    pub rate: Callback<(usize, Rating)>,
}

/// The run in flight, shared by every callback: the reducer's `streaming` flag is
/// only as fresh as the render a callback was made in, and two runs must never
/// overlap.
#[derive(Default)]
struct InFlight {
    abort: Option<AbortHandle>,
    /// The last run failed because the visitor was offline.
    offline: bool,
}

type Shared<T> = Rc<RefCell<T>>;

#[hook]
pub fn use_chat(
    session: Rc<ChatSession>,
    host: Rc<HostPage>,
    greeting: AttrValue,
    lang: Lang,
) -> UseChat {
    let state = use_reducer(move || ChatState::new(&greeting));
    let in_flight: Shared<InFlight> = use_mut_ref(InFlight::default);
    {
        // A returning visitor sees the conversation an earlier page left.
        let (session, dispatcher) = (session.clone(), state.dispatcher());
        use_effect_with((), move |()| restore(session, dispatcher));
    }
    let dispatcher = state.dispatcher();
    let send = {
        let (in_flight, dispatcher) = (in_flight.clone(), dispatcher.clone());
        use_callback(
            (session.clone(), host.clone()),
            move |text: String, (session, host)| {
                let text = text.trim();
                if text.is_empty() || in_flight.borrow().abort.is_some() {
                    return;
                }
                dispatcher.dispatch(Action::Send(text.to_owned()));
                host.emit(HostEvent::Message {
                    role: "user",
                    text: text.to_owned(),
                });
                start_run(session, host, text, lang, &in_flight, &dispatcher);
            },
        )
    };
    let retry = {
        let (in_flight, dispatcher) = (in_flight.clone(), dispatcher.clone());
        use_callback(
            (session.clone(), host.clone(), state.clone()),
            move |(), (session, host, state)| {
                let Some(text) = state.last_user_text().filter(|_| state.can_retry()) else {
                    return;
                };
                if in_flight.borrow().abort.is_some() {
                    return;
                }
                dispatcher.dispatch(Action::Retry);
                start_run(session, host, text, lang, &in_flight, &dispatcher);
            },
        )
    };
    // Offline: the failed message goes out again once the browser is back online.
    use_back_online(
        state.can_retry() && in_flight.borrow().offline,
        retry.clone(),
    );
    let stop = {
        let (in_flight, dispatcher) = (in_flight.clone(), dispatcher.clone());
        use_callback((), move |(), ()| {
            if let Some(abort) = in_flight.borrow_mut().abort.take() {
                abort.abort();
                dispatcher.dispatch(Action::Stop);
            }
        })
    };
    let reset = {
        let dispatcher = dispatcher.clone();
        use_callback(session.clone(), move |(), session| {
            if let Some(abort) = in_flight.borrow_mut().abort.take() {
                abort.abort();
            }
            session.start_new_thread();
            dispatcher.dispatch(Action::Reset);
        })
    };
    let rate = use_callback(
        (session, state.clone()),
        move |(index, rating): (usize, Rating), (session, state)| {
            let Some(message) = state.messages.get(index) else {
                return;
            };
            if let (Some(run_id), None) = (&message.run_id, message.rating) {
                session.report_feedback(run_id, rating);
                dispatcher.dispatch(Action::Rate(index, rating));
            }
        },
    );
    UseChat {
        state,
        send,
        stop,
        retry,
        reset,
        rate,
    }
}

/// Streams the answer to `text` into the conversation; [`UseChat::stop`] can end it.
fn start_run(
    session: &Rc<ChatSession>,
    host: &Rc<HostPage>,
    text: &str,
    lang: Lang,
    in_flight: &Shared<InFlight>,
    dispatcher: &UseReducerDispatcher<ChatState>,
) {
    let (abort, registration) = AbortHandle::new_pair();
    *in_flight.borrow_mut() = InFlight {
        abort: Some(abort),
        offline: false,
    };
    let (session, host) = (session.clone(), host.clone());
    let (in_flight, dispatcher) = (in_flight.clone(), dispatcher.clone());
    let text = text.to_owned();
    wasm_bindgen_futures::spawn_local(async move {
        let outcome =
            Abortable::new(stream_answer(&session, &text, &dispatcher), registration).await;
        // The session, and with it the visitor id, may exist even if the run failed.
        session.remember();
        match outcome {
            // Stopped (or reset): the callback that did it has updated the state.
            Err(Aborted) => {}
            Ok(result) => {
                in_flight.borrow_mut().abort = None;
                match result {
                    Ok(answer) => {
                        dispatcher.dispatch(Action::RunFinished);
                        host.emit(HostEvent::Message {
                            role: "assistant",
                            text: answer,
                        });
                    }
                    Err(failure) => {
                        in_flight.borrow_mut().offline = failure.is(ErrorCode::Network);
                        web_sys::console::error_1(&failure.console_line().into());
                        dispatcher.dispatch(Action::Failed(failure.readable(lang.text())));
                        host.emit(HostEvent::Error {
                            code: failure.code,
                            message: failure.message,
                        });
                    }
                }
            }
        }
    });
}

/// Reads back the thread an earlier page left, if any. A thread that cannot be
/// read (expired, offline) just starts the conversation afresh.
fn restore(session: Rc<ChatSession>, dispatcher: UseReducerDispatcher<ChatState>) {
    if !session.continues_a_conversation() {
        return;
    }
    wasm_bindgen_futures::spawn_local(async move {
        let Ok(thread) = session.client.thread(&session.thread_id()).await else {
            return;
        };
        let earlier = thread
            .messages
            .into_iter()
            .filter_map(|message| {
                let author = match message.role {
                    Role::User => Author::User,
                    Role::Assistant => Author::Assistant,
                    _ => return None,
                };
                Some(ChatMessage::new(author, message.content?))
            })
            .collect::<Vec<_>>();
        if !earlier.is_empty() {
            dispatcher.dispatch(Action::Restore(earlier));
        }
    });
}

/// Dispatches the answer's text as it arrives, until the run finishes or fails;
/// returns the whole answer.
async fn stream_answer(
    session: &ChatSession,
    text: &str,
    dispatcher: &UseReducerDispatcher<ChatState>,
) -> Result<String, Failure> {
    let mut answer = session.client.answer(&session.thread_id(), text).await?;
    dispatcher.dispatch(Action::RunStarted(answer.run_id().to_owned()));
    session.report_message_sent(answer.run_id());
    // The SDK ends the stream after the run's last event and reports a stream
    // that ends early as an error, so running out of text means finished.
    let mut whole = String::new();
    while let Some(delta) = answer.next().await {
        let delta = delta?;
        whole.push_str(&delta);
        dispatcher.dispatch(Action::AssistantDelta(delta));
    }
    Ok(whole)
}
