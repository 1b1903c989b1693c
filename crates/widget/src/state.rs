//! The widget's state machine: one reducer (`use_reducer`) that every change of
//! what the visitor sees goes through, so each transition can be tested alone.

use std::rc::Rc;

use yew::Reducible;

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Author {
    User,
    Assistant,
}

/// A visitor's verdict on an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rating {
    Up,
    Down,
}

/// One bubble of the conversation. The text is shown as text, never as markup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatMessage {
    pub author: Author,
    pub text: String,
    /// The run an answer came from; answers of this page can be rated.
    pub run_id: Option<String>,
    pub rating: Option<Rating>,
}

impl ChatMessage {
    pub fn new(author: Author, text: impl Into<String>) -> Self {
        ChatMessage {
            author,
            text: text.into(),
            run_id: None,
            rating: None,
        }
    }
}

/// Everything the panel shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatState {
    /// The widget's greeting, first in every conversation (empty for none).
    pub greeting: String,
    pub open: bool,
    pub messages: Vec<ChatMessage>,
    /// A run is in flight: the answer may still grow and no new message is sent.
    pub streaming: bool,
    /// A readable explanation of the last failure, for the error banner.
    pub error: Option<String>,
    /// The run the answer now streaming belongs to.
    pub run_id: Option<String>,
    /// Answers that finished while the panel was closed (the launcher's badge).
    pub unread: u32,
}

/// What can happen to the conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Open,
    Close,
    Toggle,
    /// The visitor sent a message; a run starts.
    Send(String),
    /// The run answering the last message has started (its id, for feedback).
    RunStarted(String),
    /// The next chunk of the assistant's answer.
    AssistantDelta(String),
    RunFinished,
    /// The run failed; the text is already readable for a visitor.
    Failed(String),
    /// The visitor stopped the answer; what arrived so far stays.
    Stop,
    /// The last message is sent again after a failure (no second bubble).
    Retry,
    /// An earlier page's conversation, read back from the server.
    Restore(Vec<ChatMessage>),
    /// A new conversation (`SiteKit('reset')`): only the greeting again.
    Reset,
    /// The visitor rated the answer at this index.
    Rate(usize, Rating),
}

impl ChatState {
    /// A closed panel whose conversation starts with the widget's greeting.
    pub fn new(greeting: &str) -> Self {
        ChatState {
            greeting: greeting.to_owned(),
            open: false,
            messages: greeting_only(greeting),
            streaming: false,
            error: None,
            run_id: None,
            unread: 0,
        }
    }

    /// The text of the visitor's last message, which a retry sends again.
    pub fn last_user_text(&self) -> Option<&str> {
        self.messages
            .iter()
            .rev()
            .find(|message| message.author == Author::User)
            .map(|message| message.text.as_str())
    }

    /// A failed message can be sent again: it is the last thing said.
    pub fn can_retry(&self) -> bool {
        self.error.is_some()
            && !self.streaming
            && self
                .messages
                .last()
                .is_some_and(|m| m.author == Author::User)
    }
}

fn greeting_only(greeting: &str) -> Vec<ChatMessage> {
    (!greeting.is_empty())
        .then(|| ChatMessage::new(Author::Assistant, greeting))
        .into_iter()
        .collect()
}

impl Reducible for ChatState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Open => {
                next.open = true;
                next.unread = 0;
            }
            Action::Close => next.open = false,
            Action::Toggle => {
                next.open = !next.open;
                next.unread = 0;
            }
            // One run at a time: the answer to the previous message is still coming.
            Action::Send(_) if self.streaming => return self,
            Action::Send(text) => {
                next.messages.push(ChatMessage::new(Author::User, text));
                next.streaming = true;
                next.error = None;
                next.run_id = None;
            }
            Action::RunStarted(run_id) if self.streaming => next.run_id = Some(run_id),
            Action::RunStarted(_) => return self,
            // A late chunk of a run that already ended must not reopen it.
            Action::AssistantDelta(_) if !self.streaming => return self,
            Action::AssistantDelta(delta) => match next.messages.last_mut() {
                // While streaming, an assistant message at the end is this run's answer
                // (the run started with the user's message).
                Some(last) if last.author == Author::Assistant => last.text.push_str(&delta),
                _ => next.messages.push(ChatMessage {
                    run_id: self.run_id.clone(),
                    ..ChatMessage::new(Author::Assistant, delta)
                }),
            },
            Action::RunFinished => {
                next.streaming = false;
                let answered = self.messages.last().map(|m| m.author) == Some(Author::Assistant);
                if self.streaming && answered && !self.open {
                    next.unread += 1;
                }
            }
            Action::Stop => next.streaming = false,
            Action::Failed(message) => {
                next.streaming = false;
                next.error = Some(message);
            }
            Action::Retry if !self.can_retry() => return self,
            Action::Retry => {
                next.streaming = true;
                next.error = None;
                next.run_id = None;
            }
            // The visitor already started a conversation here: keep it.
            Action::Restore(_) if self.last_user_text().is_some() => return self,
            Action::Restore(earlier) => {
                next.messages = greeting_only(&self.greeting);
                next.messages.extend(earlier);
            }
            Action::Reset => {
                next.messages = greeting_only(&self.greeting);
                next.streaming = false;
                next.error = None;
            }
            Action::Rate(index, rating) => match next.messages.get_mut(index) {
                // Once, and only an answer of a run (not the greeting, not a question).
                Some(message) if message.run_id.is_some() && message.rating.is_none() => {
                    message.rating = Some(rating);
                }
                _ => return self,
            },
        }
        Rc::new(next)
    }
}
