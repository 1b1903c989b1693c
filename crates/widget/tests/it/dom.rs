//! Small DOM helpers: a fresh container per test, letting Yew render, and reading
//! what a visitor would see.

use std::time::Duration;

use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlElement, HtmlInputElement};

pub fn document() -> Document {
    web_sys::window().unwrap().document().unwrap()
}

/// An empty `div` attached to the page, so layout and focus behave as on a site.
pub fn container() -> Element {
    let div = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&div).unwrap();
    div
}

/// Yields to the event loop so Yew's scheduler renders and runs effects.
pub async fn settle() {
    yew::platform::time::sleep(Duration::ZERO).await;
}

/// Polls until `check` holds, for what arrives over the network (the SDK may
/// retry a failed request a few times first, for up to about 2 s).
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..500 {
        if check() {
            return;
        }
        yew::platform::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{what} did not happen within 5 s");
}

/// The first element matching `selector`, once there is one.
pub async fn wait_for(root: &web_sys::Node, selector: &str) -> Element {
    eventually(selector, || query(root, selector).is_some()).await;
    query(root, selector).unwrap()
}

pub fn query(root: &web_sys::Node, selector: &str) -> Option<Element> {
    match root.dyn_ref::<Element>() {
        Some(element) => element.query_selector(selector).unwrap(),
        None => root
            .unchecked_ref::<web_sys::ShadowRoot>()
            .query_selector(selector)
            .unwrap(),
    }
}

/// `(data-testid, text)` of every element under `root` that matches `selector`.
pub fn seen(root: &Element, selector: &str) -> Vec<(String, String)> {
    let nodes = root.query_selector_all(selector).unwrap();
    (0..nodes.length())
        .map(|i| nodes.get(i).unwrap().unchecked_into::<Element>())
        .map(|e| {
            let testid = e.get_attribute("data-testid").unwrap_or_default();
            (
                testid,
                e.text_content().unwrap_or_default().trim().to_owned(),
            )
        })
        .collect()
}

pub fn click(element: &Element) {
    element.unchecked_ref::<HtmlElement>().click();
}

pub fn type_into(input: &Element, text: &str) {
    input.unchecked_ref::<HtmlInputElement>().set_value(text);
}

/// What the loader gives `mount`: a shadow root on a fresh host element, its
/// launcher button, and an `emit` that records each `(name, detail)` the widget
/// tells the host page about in `events`.
pub struct LoaderParts {
    pub host: HtmlElement,
    pub shadow: web_sys::ShadowRoot,
    pub launcher: HtmlElement,
    pub emit: js_sys::Function,
    pub events: js_sys::Array,
}

impl LoaderParts {
    pub fn new() -> Self {
        let host: HtmlElement = container().unchecked_into();
        let shadow = host
            .attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open))
            .unwrap();
        let launcher: HtmlElement = document()
            .create_element("button")
            .unwrap()
            .unchecked_into();
        launcher
            .set_attribute("data-testid", "sitekit-launcher")
            .unwrap();
        // As the loader makes it: hidden until an answer arrives unread.
        let badge = document().create_element("span").unwrap();
        badge.set_class_name("badge");
        badge.set_attribute("hidden", "").unwrap();
        launcher.append_child(&badge).unwrap();
        shadow.append_child(&launcher).unwrap();
        let events = js_sys::Array::new();
        let emit = js_sys::Function::new_with_args("name, detail", "this.push([name, detail])")
            .bind0(&events);
        LoaderParts {
            host,
            shadow,
            launcher,
            emit,
            events,
        }
    }

    /// The names of the events emitted so far, in order.
    pub fn event_names(&self) -> Vec<String> {
        self.events
            .iter()
            .map(|event| js_sys::Array::from(&event).get(0).as_string().unwrap())
            .collect()
    }
}
