//! Components rendered into the page's DOM, checked for what a visitor sees.

use std::cell::RefCell;
use std::rc::Rc;

use sitekit_sdk::wire::Position;
use sitekit_widget::components::{PanelProps, panel};
use sitekit_widget::i18n::Lang;
use sitekit_widget::state::{Action, ChatState, Rating};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{Element, HtmlInputElement};
use yew::{Callback, Html, Reducible, component};

use crate::dom::{click, container, seen, settle, type_into};

fn state(actions: impl IntoIterator<Item = Action>) -> ChatState {
    let state = actions
        .into_iter()
        .fold(Rc::new(ChatState::new("Hello! How can I help?")), |s, a| {
            s.reduce(a)
        });
    (*state).clone()
}

async fn render_panel(state: ChatState, on_send: Callback<String>) -> Element {
    render_panel_with(state, on_send, Vec::new(), None).await
}

/// The panel's props for `state`, in English, with callbacks that do nothing.
fn props(state: ChatState) -> PanelProps {
    PanelProps {
        title: "Acme support".into(),
        lang: Lang::En,
        position: Position::Right,
        state,
        on_send: Callback::noop(),
        on_stop: Callback::noop(),
        on_retry: Callback::noop(),
        on_rate: Callback::noop(),
        on_close: Callback::noop(),
        starter_prompts: Vec::new(),
        avatar_url: None,
    }
}

/// The panel is a function the app calls; here a component stands in for the app.
#[component]
fn Panel(props: &PanelProps) -> Html {
    panel(props)
}

async fn render(props: PanelProps) -> Element {
    let root = container();
    yew::Renderer::<Panel>::with_root_and_props(root.clone(), props).render();
    settle().await;
    root
}

/// The panel with `on_stop` and `on_retry` recording their clicks in the list.
async fn render_panel_recording(state: ChatState) -> (Element, Rc<RefCell<Vec<&'static str>>>) {
    let clicks = Rc::new(RefCell::new(Vec::new()));
    let record = |name: &'static str| {
        let clicks = clicks.clone();
        Callback::from(move |()| clicks.borrow_mut().push(name))
    };
    let root = render(PanelProps {
        on_stop: record("stop"),
        on_retry: record("retry"),
        ..props(state)
    })
    .await;
    (root, clicks)
}

async fn render_panel_with(
    state: ChatState,
    on_send: Callback<String>,
    starter_prompts: Vec<&'static str>,
    avatar_url: Option<&'static str>,
) -> Element {
    render(PanelProps {
        on_send,
        starter_prompts: starter_prompts.into_iter().map(Into::into).collect(),
        avatar_url: avatar_url.map(Into::into),
        ..props(state)
    })
    .await
}

#[wasm_bindgen_test]
async fn the_conversation_shows_in_order_with_agent_markup_as_literal_text() {
    let root = render_panel(
        state([
            Action::Open,
            Action::Send("Is <i>this</i> safe?".into()),
            Action::AssistantDelta("<b>x</b>".into()),
            Action::AssistantDelta("<script>alert(1)</script>".into()),
            Action::RunFinished,
        ]),
        Callback::noop(),
    )
    .await;
    assert_eq!(
        seen(&root, "[data-testid^=sitekit-message-]"),
        [
            (
                "sitekit-message-assistant".into(),
                "Hello! How can I help?".into()
            ),
            ("sitekit-message-user".into(), "Is <i>this</i> safe?".into()),
            (
                "sitekit-message-assistant".into(),
                "<b>x</b><script>alert(1)</script>".into()
            ),
        ]
    );
    for tag in ["b", "i", "script"] {
        assert!(
            root.query_selector(tag).unwrap().is_none(),
            "a <{tag}> element was created"
        );
    }
    let log = root
        .query_selector("[data-testid=sitekit-messages]")
        .unwrap()
        .unwrap();
    assert_eq!(log.get_attribute("aria-live").as_deref(), Some("polite"));
    assert!(
        root.query_selector("[data-testid=sitekit-error]")
            .unwrap()
            .is_none()
    );
    let panel = root
        .query_selector("[data-testid=sitekit-panel]")
        .unwrap()
        .unwrap();
    assert!(!panel.has_attribute("hidden"));
    assert_eq!(
        panel.get_attribute("aria-label").as_deref(),
        Some("Acme support")
    );
}

#[wasm_bindgen_test]
async fn a_failed_run_shows_an_alert_frees_the_send_button_and_offers_to_try_again() {
    let (root, clicks) = render_panel_recording(state([
        Action::Open,
        Action::Send("Hi".into()),
        Action::Failed("You seem to be offline. Check your connection and try again.".into()),
    ]))
    .await;
    let banner = root
        .query_selector("[data-testid=sitekit-error]")
        .unwrap()
        .unwrap();
    assert_eq!(banner.get_attribute("role").as_deref(), Some("alert"));
    assert_eq!(
        banner.text_content().unwrap(),
        "You seem to be offline. Check your connection and try again.Try again"
    );
    let send = root
        .query_selector("[data-testid=sitekit-send]")
        .unwrap()
        .unwrap();
    assert!(!send.has_attribute("disabled"));
    click(
        &root
            .query_selector("[data-testid=sitekit-retry]")
            .unwrap()
            .unwrap(),
    );
    assert_eq!(*clicks.borrow(), ["retry"]);
}

#[wasm_bindgen_test]
async fn finished_answers_can_be_rated_once_and_the_streaming_one_not_yet() {
    let answered = state([
        Action::Open,
        Action::Send("Hi".into()),
        Action::RunStarted("run-1-0".into()),
        Action::AssistantDelta("Hello!".into()),
        Action::RunFinished,
        Action::Send("More?".into()),
        Action::RunStarted("run-1-1".into()),
        Action::AssistantDelta("Yes".into()),
    ]);
    let rated = Rc::new(RefCell::new(Vec::new()));
    let on_rate = {
        let rated = rated.clone();
        Callback::from(move |rating| rated.borrow_mut().push(rating))
    };
    let root = render(PanelProps {
        on_rate,
        ..props(answered)
    })
    .await;
    // The greeting has no run; the streaming answer is not finished.
    let ups = root
        .query_selector_all("[data-testid=sitekit-rate-up]")
        .unwrap();
    assert_eq!(ups.length(), 1);
    let up: Element = ups.get(0).unwrap().unchecked_into();
    assert_eq!(up.get_attribute("aria-label").as_deref(), Some("Helpful"));
    assert_eq!(up.get_attribute("aria-pressed").as_deref(), Some("false"));
    click(&up);
    assert_eq!(*rated.borrow(), [(2, Rating::Up)]);
}

/// Drawn, not typed: an emoji shows as an empty box where no emoji font is
/// installed, and a screen reader would read it next to the label.
#[wasm_bindgen_test]
async fn rating_buttons_are_hidden_svg_thumbs_named_by_their_labels() {
    let answered = state([
        Action::Open,
        Action::Send("Hi".into()),
        Action::RunStarted("run-1-0".into()),
        Action::AssistantDelta("Hello!".into()),
        Action::RunFinished,
    ]);
    let root = render(props(answered)).await;
    for (testid, label) in [
        ("sitekit-rate-up", "Helpful"),
        ("sitekit-rate-down", "Not helpful"),
    ] {
        let button = root
            .query_selector(&format!("[data-testid={testid}]"))
            .unwrap()
            .unwrap();
        assert_eq!(button.get_attribute("aria-label").as_deref(), Some(label));
        assert_eq!(button.text_content().unwrap().trim(), "", "{testid}");
        let icon = button.query_selector("svg").unwrap().unwrap();
        assert_eq!(
            icon.namespace_uri().as_deref(),
            Some("http://www.w3.org/2000/svg")
        );
        assert_eq!(icon.get_attribute("aria-hidden").as_deref(), Some("true"));
        assert_eq!(icon.query_selector_all("path").unwrap().length(), 1);
        // Sized, coloured and turned by the stylesheet, which a strict CSP
        // allows; no style attribute, and the same thumb for both.
        assert!(!icon.has_attribute("style"));
        let path = icon.query_selector("path").unwrap().unwrap();
        assert_eq!(path.get_attribute_names().length(), 1, "{testid}: only `d`");
    }
}

#[wasm_bindgen_test]
async fn an_arabic_panel_reads_right_to_left_in_arabic() {
    let root = render(PanelProps {
        title: "الدعم".into(),
        lang: Lang::Ar,
        ..props(state([Action::Open]))
    })
    .await;
    let panel = root
        .query_selector("[data-testid=sitekit-panel]")
        .unwrap()
        .unwrap();
    assert_eq!(panel.get_attribute("dir").as_deref(), Some("rtl"));
    assert_eq!(panel.get_attribute("lang").as_deref(), Some("ar"));
    let send = root
        .query_selector("[data-testid=sitekit-send]")
        .unwrap()
        .unwrap();
    assert_eq!(send.text_content().as_deref(), Some("إرسال"));
    let input = root
        .query_selector("[data-testid=sitekit-input]")
        .unwrap()
        .unwrap();
    assert_eq!(
        input.get_attribute("placeholder").as_deref(),
        Some("اكتب رسالتك…")
    );
    let close = root
        .query_selector("[data-testid=sitekit-close]")
        .unwrap()
        .unwrap();
    assert_eq!(
        close.get_attribute("aria-label").as_deref(),
        Some("إغلاق المحادثة")
    );
}

#[wasm_bindgen_test]
async fn a_failure_after_part_of_the_answer_offers_no_retry() {
    let (root, _) = render_panel_recording(state([
        Action::Open,
        Action::Send("Hi".into()),
        Action::AssistantDelta("Half an".into()),
        Action::Failed("The assistant is unavailable right now. Please try again.".into()),
    ]))
    .await;
    assert!(
        root.query_selector("[data-testid=sitekit-error]")
            .unwrap()
            .is_some()
    );
    assert!(
        root.query_selector("[data-testid=sitekit-retry]")
            .unwrap()
            .is_none()
    );
}

#[wasm_bindgen_test]
async fn while_an_answer_streams_stop_replaces_send_and_a_typing_indicator_shows() {
    let (root, clicks) =
        render_panel_recording(state([Action::Open, Action::Send("Hi".into())])).await;
    assert!(
        root.query_selector("[data-testid=sitekit-send]")
            .unwrap()
            .is_none()
    );
    click(
        &root
            .query_selector("[data-testid=sitekit-stop]")
            .unwrap()
            .unwrap(),
    );
    assert_eq!(*clicks.borrow(), ["stop"]);
    assert!(
        root.query_selector("[data-testid=sitekit-typing]")
            .unwrap()
            .is_some()
    );
    let log = root
        .query_selector("[data-testid=sitekit-messages]")
        .unwrap()
        .unwrap();
    assert_eq!(log.get_attribute("aria-busy").as_deref(), Some("true"));
}

#[wasm_bindgen_test]
async fn submitting_the_composer_sends_the_text_and_empties_the_box() {
    let sent = Rc::new(RefCell::new(Vec::new()));
    let on_send = {
        let sent = sent.clone();
        Callback::from(move |text: String| sent.borrow_mut().push(text))
    };
    let root = render_panel(state([Action::Open]), on_send).await;
    let input = root
        .query_selector("[data-testid=sitekit-input]")
        .unwrap()
        .unwrap();
    let send = root
        .query_selector("[data-testid=sitekit-send]")
        .unwrap()
        .unwrap();
    click(&send);
    type_into(&input, "Where is my order?");
    click(&send);
    assert_eq!(*sent.borrow(), ["Where is my order?"]);
    assert_eq!(input.unchecked_ref::<HtmlInputElement>().value(), "");
}

#[wasm_bindgen_test]
async fn a_closed_panel_is_hidden() {
    let root = render_panel(state([]), Callback::noop()).await;
    let panel = root
        .query_selector("[data-testid=sitekit-panel]")
        .unwrap()
        .unwrap();
    assert!(panel.has_attribute("hidden"));
}

#[wasm_bindgen_test]
async fn starter_prompts_send_themselves_and_go_once_the_visitor_has_written() {
    let sent = Rc::new(RefCell::new(Vec::new()));
    let on_send = {
        let sent = sent.clone();
        Callback::from(move |text: String| sent.borrow_mut().push(text))
    };
    let prompts = vec!["What do you sell?", "<b>Opening</b> hours"];
    let root = render_panel_with(state([Action::Open]), on_send, prompts.clone(), None).await;
    let shown: Vec<String> = seen(&root, "[data-testid=sitekit-starter]")
        .into_iter()
        .map(|(_, text)| text)
        .collect();
    assert_eq!(
        shown, prompts,
        "prompts are shown as literal text, in order"
    );
    assert!(root.query_selector("b").unwrap().is_none());
    let second = root
        .query_selector_all("[data-testid=sitekit-starter]")
        .unwrap()
        .item(1)
        .unwrap();
    click(second.unchecked_ref());
    assert_eq!(*sent.borrow(), ["<b>Opening</b> hours"]);

    let after = render_panel_with(
        state([Action::Open, Action::Send("Hi".into())]),
        Callback::noop(),
        prompts,
        None,
    )
    .await;
    assert!(
        after
            .query_selector("[data-testid=sitekit-starters]")
            .unwrap()
            .is_none()
    );
}

#[wasm_bindgen_test]
async fn the_avatar_shows_in_the_header_only_when_set() {
    let url = "https://cdn.example.com/bot.png";
    let root = render_panel_with(
        state([Action::Open]),
        Callback::noop(),
        Vec::new(),
        Some(url),
    )
    .await;
    let avatar = root
        .query_selector("[data-testid=sitekit-avatar]")
        .unwrap()
        .expect("an avatar image");
    assert_eq!(avatar.get_attribute("src").as_deref(), Some(url));
    assert_eq!(avatar.get_attribute("alt").as_deref(), Some(""));
    let without = render_panel(state([Action::Open]), Callback::noop()).await;
    assert!(
        without
            .query_selector("[data-testid=sitekit-avatar]")
            .unwrap()
            .is_none()
    );
}
