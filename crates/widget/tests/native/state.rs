//! The reducer alone: every transition a conversation goes through.

use std::rc::Rc;

use sitekit_widget::state::{Action, Author, ChatMessage, ChatState, Rating};
use yew::Reducible;

fn run(actions: impl IntoIterator<Item = Action>) -> Rc<ChatState> {
    actions.into_iter().fold(
        Rc::new(ChatState::new("Hi! Ask me anything.")),
        |state, action| state.reduce(action),
    )
}

fn message(author: Author, text: &str) -> ChatMessage {
    ChatMessage::new(author, text)
}

#[test]
fn the_greeting_is_the_first_assistant_message_and_an_empty_one_is_left_out() {
    assert_eq!(
        ChatState::new("Hi! Ask me anything.").messages,
        vec![message(Author::Assistant, "Hi! Ask me anything.")]
    );
    assert!(ChatState::new("").messages.is_empty());
}

#[test]
fn streamed_deltas_grow_one_assistant_message_in_order_until_the_run_finishes() {
    let sent = run([Action::Send("Shipping?".into())]);
    assert!(sent.streaming);
    let partial = sent
        .clone()
        .reduce(Action::AssistantDelta("We ship ".into()));
    assert_eq!(partial.messages.last().unwrap().text, "We ship ");
    let done = run([
        Action::Send("Shipping?".into()),
        Action::AssistantDelta("We ship ".into()),
        Action::AssistantDelta("in 2 ".into()),
        Action::AssistantDelta("days.".into()),
        Action::RunFinished,
    ]);
    assert_eq!(
        done.messages,
        vec![
            message(Author::Assistant, "Hi! Ask me anything."),
            message(Author::User, "Shipping?"),
            message(Author::Assistant, "We ship in 2 days."),
        ]
    );
    assert!(!done.streaming);
    assert_eq!(done.error, None);
}

#[test]
fn the_next_answer_is_a_new_message() {
    let state = run([
        Action::Send("One?".into()),
        Action::AssistantDelta("1".into()),
        Action::RunFinished,
        Action::Send("Two?".into()),
        Action::AssistantDelta("2".into()),
        Action::RunFinished,
    ]);
    let texts: Vec<_> = state.messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["Hi! Ask me anything.", "One?", "1", "Two?", "2"]);
}

#[test]
fn a_failure_shows_a_readable_error_stops_streaming_and_keeps_the_partial_answer() {
    let state = run([
        Action::Send("Hello".into()),
        Action::AssistantDelta("Hel".into()),
        Action::Failed("The assistant is unavailable right now. Please try again.".into()),
    ]);
    assert!(!state.streaming);
    assert_eq!(
        state.error.as_deref(),
        Some("The assistant is unavailable right now. Please try again.")
    );
    assert_eq!(state.messages.last().unwrap().text, "Hel");
    // Sending again clears the error.
    let retried = state.reduce(Action::Send("Hello?".into()));
    assert_eq!(retried.error, None);
    assert!(retried.streaming);
}

#[test]
fn nothing_is_sent_while_streaming_and_late_deltas_are_ignored() {
    let state = run([
        Action::Send("First".into()),
        Action::Send("Second".into()),
        Action::RunFinished,
        Action::AssistantDelta("late".into()),
    ]);
    let texts: Vec<_> = state.messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["Hi! Ask me anything.", "First"]);
}

#[test]
fn open_close_and_toggle_drive_the_panel() {
    assert!(!ChatState::new("").open);
    assert!(run([Action::Open]).open);
    assert!(!run([Action::Open, Action::Close]).open);
    assert!(run([Action::Toggle]).open);
    assert!(!run([Action::Toggle, Action::Toggle]).open);
}

#[test]
fn stopping_keeps_what_arrived_and_frees_the_composer() {
    let stopped = run([
        Action::Send("Tell me everything".into()),
        Action::AssistantDelta("First, ".into()),
        Action::Stop,
    ]);
    assert!(!stopped.streaming);
    assert_eq!(stopped.messages.last().unwrap().text, "First, ");
    assert_eq!(stopped.error, None);
    // A chunk still on its way after the stop is dropped.
    let late = stopped.reduce(Action::AssistantDelta("second".into()));
    assert_eq!(late.messages.last().unwrap().text, "First, ");
}

#[test]
fn a_failed_message_is_sent_again_without_a_second_bubble() {
    let failed = run([
        Action::Send("Where is my order?".into()),
        Action::Failed("You seem to be offline.".into()),
    ]);
    assert!(failed.can_retry());
    assert_eq!(failed.last_user_text(), Some("Where is my order?"));
    let retried = failed.reduce(Action::Retry);
    assert!(retried.streaming);
    assert_eq!(retried.error, None);
    let users = retried
        .messages
        .iter()
        .filter(|m| m.author == Author::User)
        .count();
    assert_eq!(users, 1);
    // Nothing to retry while streaming, after success, or after part of an answer.
    assert!(!retried.can_retry());
    let partial = run([
        Action::Send("Hi".into()),
        Action::AssistantDelta("Hel".into()),
        Action::Failed("broke off".into()),
    ]);
    assert!(!partial.can_retry());
    assert!(!partial.clone().reduce(Action::Retry).streaming);
}

#[test]
fn an_earlier_conversation_comes_back_after_the_greeting_unless_a_new_one_began() {
    let earlier = vec![
        message(Author::User, "Shipping?"),
        message(Author::Assistant, "Two days."),
    ];
    let restored = run([Action::Restore(earlier.clone())]);
    assert_eq!(restored.messages[0].text, "Hi! Ask me anything.");
    assert_eq!(&restored.messages[1..], &earlier[..]);
    // The visitor already wrote on this page: what they see stays.
    let busy = run([Action::Send("Returns?".into()), Action::Restore(earlier)]);
    assert_eq!(busy.last_user_text(), Some("Returns?"));
    assert_eq!(busy.messages.len(), 2);
}

#[test]
fn a_reset_leaves_only_the_greeting() {
    let reset = run([
        Action::Open,
        Action::Send("Shipping?".into()),
        Action::AssistantDelta("Two".into()),
        Action::Reset,
    ]);
    assert_eq!(
        reset.messages,
        vec![message(Author::Assistant, "Hi! Ask me anything.")]
    );
    assert!(!reset.streaming && reset.open);
}

#[test]
fn an_answer_carries_its_run_and_is_rated_once() {
    let answered = run([
        Action::Send("Shipping?".into()),
        Action::RunStarted("run-1-0".into()),
        Action::AssistantDelta("Two days.".into()),
        Action::RunFinished,
    ]);
    let answer = answered.messages.len() - 1;
    assert_eq!(answered.messages[answer].run_id.as_deref(), Some("run-1-0"));
    let rated = answered.clone().reduce(Action::Rate(answer, Rating::Down));
    assert_eq!(rated.messages[answer].rating, Some(Rating::Down));
    // A second verdict, the greeting and the question cannot be rated.
    let again = rated.clone().reduce(Action::Rate(answer, Rating::Up));
    assert_eq!(again.messages[answer].rating, Some(Rating::Down));
    for index in [0, 1] {
        let unchanged = answered.clone().reduce(Action::Rate(index, Rating::Up));
        assert_eq!(unchanged.messages[index].rating, None);
    }
}

#[test]
fn an_answer_that_finishes_while_the_panel_is_closed_is_unread_until_it_opens() {
    let answered_closed = run([
        Action::Send("Hi".into()),
        Action::AssistantDelta("Hello".into()),
        Action::RunFinished,
    ]);
    assert_eq!(answered_closed.unread, 1);
    let opened = answered_closed.clone().reduce(Action::Open);
    assert_eq!(opened.unread, 0);

    let answered_open = run([
        Action::Open,
        Action::Send("Hi".into()),
        Action::AssistantDelta("Hello".into()),
        Action::RunFinished,
    ]);
    assert_eq!(answered_open.unread, 0);
    let failed_closed = run([Action::Send("Hi".into()), Action::Failed("down".into())]);
    assert_eq!(failed_closed.unread, 0, "a failure is not an answer");
}
