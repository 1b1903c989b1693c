//! The mounted widget: the conversation of one session, rendered as the panel, and
//! the command port through which the launcher and the host page reach it.

use std::rc::Rc;

use sitekit_sdk::wire::WidgetConfig;
use yew::prelude::*;

use crate::commands::{Command, CommandPort};
use crate::components::{PanelProps, panel};
use crate::hooks::{UseChat, use_chat};
use crate::host::{HostEvent, HostPage};
use crate::i18n::Lang;
use crate::session::ChatSession;
use crate::state::Action;

#[derive(Properties, PartialEq)]
pub struct AppProps {
    pub config: WidgetConfig,
    /// The language of the widget's own words.
    pub lang: Lang,
    pub session: Rc<ChatSession>,
    pub commands: Rc<CommandPort>,
    /// The launcher and the host page's listeners.
    #[prop_or_default]
    pub host: Rc<HostPage>,
}

#[component]
pub fn App(props: &AppProps) -> Html {
    let AppProps {
        config,
        lang,
        session,
        commands,
        host,
    } = props;
    let UseChat {
        state,
        send,
        stop,
        retry,
        reset,
        rate,
    } = use_chat(
        session.clone(),
        host.clone(),
        config.greeting.clone().into(),
        *lang,
    );
    {
        // Each opening of the panel counts for the site owner and is told to the
        // host page; the first render (closed) is no change.
        let (session, host, shown) = (session.clone(), host.clone(), use_mut_ref(|| false));
        use_effect_with(state.open, move |open| {
            if *open != shown.replace(*open) {
                if *open {
                    session.report_opened();
                    host.emit(HostEvent::Open);
                } else {
                    host.take_focus_back();
                    host.emit(HostEvent::Close);
                }
            }
        });
    }
    {
        let (host, texts) = (host.clone(), lang.text());
        use_effect_with((state.open, state.unread), move |(open, unread)| {
            host.show_on_launcher(*open, *unread, texts);
        });
    }
    {
        // Everything the target captures is stable across renders (the dispatcher,
        // the memoised `send` and `reset`), so connecting once is enough.
        let (dispatcher, send, reset) = (state.dispatcher(), send.clone(), reset.clone());
        let session = session.clone();
        use_effect_with(commands.clone(), move |commands| {
            commands.connect(Callback::from(move |command| match command {
                Command::Open => dispatcher.dispatch(Action::Open),
                Command::Close => dispatcher.dispatch(Action::Close),
                Command::Toggle => dispatcher.dispatch(Action::Toggle),
                Command::Send(text) => send.emit(text),
                Command::Reset => reset.emit(()),
                Command::Identify(user) => session.report_identified(&user),
                Command::Engage(kind, body) => session.report_engagement(kind, &body),
            }));
        });
    }
    let on_close = {
        let dispatcher = state.dispatcher();
        Callback::from(move |()| dispatcher.dispatch(Action::Close))
    };
    panel(&PanelProps {
        title: config.title.clone().into(),
        lang: *lang,
        position: config.position,
        state: (*state).clone(),
        on_send: send,
        on_stop: stop,
        on_retry: retry,
        on_rate: rate,
        on_close,
        starter_prompts: config
            .starter_prompts
            .iter()
            .cloned()
            .map(AttrValue::from)
            .collect(),
        avatar_url: config.avatar_url.clone().map(AttrValue::from),
    })
}
