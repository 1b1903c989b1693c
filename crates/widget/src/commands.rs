//! Commands from outside the Yew tree (the loader's launcher, the host page's
//! `SiteKit(…)` calls) and the port that carries them into the mounted app.

use std::cell::RefCell;

use sitekit_sdk::wire::usage_types;
use yew::Callback;

/// What the host page can ask of the widget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Open,
    Close,
    Toggle,
    Send(String),
    /// Forget the conversation and start a new one.
    Reset,
    /// The site's own user behind this visitor (`SiteKit('identify', {id, name,
    /// email})`), as the JSON the site owner's usage stores.
    Identify(String),
    /// What the visitor answers besides chat, as the owner's extras send it
    /// (and a page may too), by its usage event type: `SiteKit('lead', json)`,
    /// `SiteKit('handoff')`, `SiteKit('csat', '1'…'5')`.
    Engage(&'static str, String),
}

impl Command {
    /// Reads a `SiteKit(name, arg)` call; `None` for names this widget does not know.
    pub fn parse(name: &str, arg: Option<String>) -> Option<Self> {
        Some(match (name, arg) {
            ("open", _) => Command::Open,
            ("close", _) => Command::Close,
            ("toggle", _) => Command::Toggle,
            ("send", Some(text)) => Command::Send(text),
            ("reset", _) => Command::Reset,
            ("lead", Some(json)) => Command::Engage(usage_types::LEAD, json),
            ("handoff", _) => Command::Engage(usage_types::HANDOFF, String::new()),
            ("csat", Some(score)) => Command::Engage(usage_types::CSAT, score),
            _ => return None,
        })
    }
}

/// Hands commands to the app once it has rendered and connected; until then they
/// wait, because the loader may call `open()` right after `mount()`.
#[derive(Debug, Default)]
pub struct CommandPort {
    target: RefCell<Option<Callback<Command>>>,
    pending: RefCell<Vec<Command>>,
}

impl CommandPort {
    pub fn send(&self, command: Command) {
        // Cloned out so that the borrow ends before the app runs the command.
        let target = self.target.borrow().clone();
        match target {
            Some(target) => target.emit(command),
            None => self.pending.borrow_mut().push(command),
        }
    }

    /// Called by the app once, after its first render.
    pub fn connect(&self, target: Callback<Command>) {
        for command in self.pending.take() {
            target.emit(command);
        }
        *self.target.borrow_mut() = Some(target);
    }
}

/// One port per mount: identity is equality (see `ChatSession`).
impl PartialEq for CommandPort {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}
