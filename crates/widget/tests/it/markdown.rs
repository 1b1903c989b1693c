//! Markdown in answers, rendered into the page's DOM: the elements it makes, the
//! links it allows, agent markup kept as text, and answers cut off mid-stream.

use sitekit_widget::components::{MessageList, MessageListProps};
use sitekit_widget::i18n::Lang;
use sitekit_widget::markdown;
use sitekit_widget::state::{Author, ChatMessage};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::Element;
use yew::prelude::*;

use crate::dom::{container, settle};

#[derive(Properties, PartialEq)]
struct SourceProps {
    source: AttrValue,
}

#[component]
fn Rendered(props: &SourceProps) -> Html {
    markdown::render(&props.source)
}

async fn render(source: &str) -> Element {
    let root = container();
    yew::Renderer::<Rendered>::with_root_and_props(
        root.clone(),
        SourceProps {
            source: AttrValue::from(source.to_owned()),
        },
    )
    .render();
    settle().await;
    root
}

fn all(root: &Element, selector: &str) -> Vec<Element> {
    let nodes = root.query_selector_all(selector).unwrap();
    (0..nodes.length())
        .map(|i| nodes.get(i).unwrap().unchecked_into::<Element>())
        .collect()
}

/// The text of every element matching `selector`, in document order.
fn texts(root: &Element, selector: &str) -> Vec<String> {
    all(root, selector)
        .iter()
        .map(|element| element.text_content().unwrap_or_default())
        .collect()
}

fn text(root: &Element) -> String {
    root.text_content().unwrap_or_default()
}

#[wasm_bindgen_test]
async fn paragraphs_headings_lists_and_code_become_elements() {
    let root = render(
        "# Setup\nFirst **install** it, *then* run `sitekit serve`.\nA second line.\n\n\
         ## Steps\n- one\n* two\n+ three\n\n3. third\n4. fourth\n\n\
         ```rust\nfn main() {\n    println!(\"*not em*\");\n}\n```\n###### Done\n#hashtag.",
    )
    .await;
    // One heading level, below the panel's `h2`, whatever the answer starts at.
    assert_eq!(texts(&root, ":scope > h3"), ["Setup", "Steps", "Done"]);
    assert!(all(&root, "h1, h2, h4, h5, h6").is_empty());
    assert_eq!(
        texts(&root, ":scope > p"),
        [
            "First install it, then run sitekit serve.\nA second line.",
            "#hashtag."
        ]
    );
    assert_eq!(texts(&root, "p > strong"), ["install"]);
    assert_eq!(texts(&root, "p > em"), ["then"]);
    assert_eq!(texts(&root, "p > code"), ["sitekit serve"]);
    assert_eq!(texts(&root, "ul > li"), ["one", "two", "three"]);
    assert_eq!(texts(&root, "ol > li"), ["third", "fourth"]);
    let ordered = root.query_selector("ol").unwrap().unwrap();
    assert_eq!(ordered.get_attribute("start").as_deref(), Some("3"));
    assert_eq!(
        texts(&root, "pre > code"),
        ["fn main() {\n    println!(\"*not em*\");\n}"]
    );
    assert!(all(&root, "pre em").is_empty(), "code is taken as it is");
    let code = root.query_selector("pre").unwrap().unwrap();
    assert_eq!(code.get_attribute("tabindex").as_deref(), Some("0"));
}

#[wasm_bindgen_test]
async fn lists_nest_hold_code_and_end_where_the_text_goes_on() {
    let root = render(
        "Options:\n- a\n  - a1\n  - a2\n- b\n\n  ```\n  x\n\n  y\n  ```\n- c\nAfter the list.",
    )
    .await;
    assert_eq!(texts(&root, ":scope > ul > li > ul > li"), ["a1", "a2"]);
    assert_eq!(texts(&root, ":scope > ul > li > pre > code"), ["x\n\ny"]);
    assert_eq!(all(&root, ":scope > ul > li").len(), 3);
    assert_eq!(texts(&root, ":scope > p"), ["Options:", "After the list."]);
}

#[wasm_bindgen_test]
async fn emphasis_needs_a_partner_and_leaves_words_and_arithmetic_alone() {
    let root =
        render("snake_case_name and 2 * 3 * 4, __strong__ _em_ **a *b* c**, skt_pub_… stays").await;
    assert_eq!(texts(&root, "strong"), ["strong", "a b c"]);
    assert_eq!(texts(&root, "em"), ["em", "b"]);
    let shown = text(&root);
    assert!(
        shown.starts_with("snake_case_name and 2 * 3 * 4, "),
        "{shown}"
    );
    assert!(shown.ends_with("skt_pub_… stays"), "{shown}");
}

#[wasm_bindgen_test]
async fn links_open_in_a_new_tab_without_a_handle_on_the_page() {
    let root = render(
        "See [the docs](https://example.com/docs \"Docs\"), [mail](MAILTO:help@example.com), \
         [shout](HTTPS://EXAMPLE.COM) and https://example.org/a_(b)/c. (Or http://example.net/x).",
    )
    .await;
    let anchors = all(&root, "a");
    let hrefs: Vec<_> = anchors
        .iter()
        .map(|a| a.get_attribute("href").unwrap())
        .collect();
    assert_eq!(
        hrefs,
        [
            "https://example.com/docs",
            "MAILTO:help@example.com",
            "HTTPS://EXAMPLE.COM",
            "https://example.org/a_(b)/c",
            "http://example.net/x"
        ]
    );
    assert_eq!(
        texts(&root, "a"),
        [
            "the docs",
            "mail",
            "shout",
            "https://example.org/a_(b)/c",
            "http://example.net/x"
        ]
    );
    for anchor in anchors {
        assert_eq!(
            anchor.get_attribute("rel").as_deref(),
            Some("noopener noreferrer")
        );
        assert_eq!(anchor.get_attribute("target").as_deref(), Some("_blank"));
    }
    assert!(text(&root).ends_with("c. (Or http://example.net/x)."));
}

#[wasm_bindgen_test]
async fn links_to_anything_but_http_https_or_mailto_are_only_text() {
    let root = render(
        "[one](javascript:alert(1)) [two]( JavaScript:alert(2) ) [three](data:text/html,<script>alert(3)</script>) \
         [four](/relative/path) [five](vbscript:x) <javascript:alert(6)> [six](java\tscript:alert(7)) \
         [**seven**](#top) xhttps://example.com",
    )
    .await;
    assert!(all(&root, "a").is_empty(), "{}", root.inner_html());
    assert_eq!(texts(&root, "strong"), ["seven"]);
    let shown = text(&root);
    for label in ["one", "two", "three", "four", "five", "six", "seven"] {
        assert!(shown.contains(label), "{label} missing from {shown}");
    }
    assert!(!shown.contains("alert(1)"), "{shown}");
    assert!(shown.contains("<javascript:alert(6)>"), "{shown}");
}

#[wasm_bindgen_test]
async fn agent_markup_is_shown_as_text_and_never_becomes_elements() {
    let source = "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n\
                  - <iframe src=\"https://example.com\"></iframe>\n\n\
                  **<b>bold</b>** [<i>x</i>](https://example.com) `<svg onload=alert(1)>`\n\n\
                  ```html\n<style>*{display:none}</style>\n```";
    let root = render(source).await;
    for tag in ["script", "img", "iframe", "b", "i", "svg", "style"] {
        assert!(
            root.query_selector(tag).unwrap().is_none(),
            "a <{tag}> element was created"
        );
    }
    let shown = text(&root);
    for literal in [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<iframe src=\"https://example.com\"></iframe>",
        "<b>bold</b>",
        "<i>x</i>",
        "<svg onload=alert(1)>",
        "<style>*{display:none}</style>",
    ] {
        assert!(shown.contains(literal), "{literal} missing from {shown}");
    }
    for element in all(&root, "*") {
        let attributes = element.get_attribute_names();
        for name in attributes.iter() {
            let name = name.as_string().unwrap();
            assert!(
                matches!(
                    name.as_str(),
                    "href" | "rel" | "target" | "start" | "tabindex"
                ),
                "<{}> got a {name} attribute",
                element.tag_name()
            );
        }
    }
}

#[wasm_bindgen_test]
async fn multibyte_text_survives_every_construct() {
    let root = render(
        "café **über** 日本 _ñandú_ `λ→x` [größe](https://example.com/ü) https://例え.jp/パス。\n\n\
         - 🚀 *émoji*\n# Überschrift ✓",
    )
    .await;
    assert_eq!(texts(&root, "strong"), ["über"]);
    assert_eq!(texts(&root, "em"), ["ñandú", "émoji"]);
    assert_eq!(texts(&root, "code"), ["λ→x"]);
    assert_eq!(texts(&root, "a"), ["größe", "https://例え.jp/パス。"]);
    assert_eq!(texts(&root, "li"), ["🚀 émoji"]);
    assert_eq!(texts(&root, "h3"), ["Überschrift ✓"]);
    assert!(text(&root).starts_with("café über 日本 ñandú λ→x größe"));
}

#[wasm_bindgen_test]
async fn unfinished_constructs_render_sensibly() {
    let root = render("Here **bold and `code and [link](https://exa").await;
    assert!(all(&root, "strong, code").is_empty());
    assert_eq!(text(&root), "Here **bold and `code and [link](https://exa");
    // The answer is still streaming: the open fence is code to the end.
    let root = render("Run:\n```sh\nnpm install\nnpm test").await;
    assert_eq!(texts(&root, "pre > code"), ["npm install\nnpm test"]);
    let root = render("* ").await;
    assert_eq!(all(&root, "li").len(), 1);
}

/// Every prefix of a document an answer might stream in, cut at each character.
const STREAMED: &str = "# Título ✓\nHello **wörld** and *em*, `code`, __ß__, _ü_ \\*not\\*.\n\n\
    - one [link](https://example.com/ä) <b>x</b>\n  - nested 日本\n\n    ```\n    inner\n    ```\n\
    2. two https://example.org/ö)\n\n```rust\nlet s = \"ünïcödé\";\n```\n\
    > quote *a **b** c*\n\n---\n[bad](javascript:alert(1)) ***x*** `` a`b `` end";

#[wasm_bindgen_test]
async fn every_prefix_of_a_streamed_answer_renders() {
    for (at, _) in STREAMED.char_indices() {
        let _ = markdown::render(&STREAMED[..at]);
    }
    // The same prefixes through one mounted renderer, as the message list does.
    let root = container();
    let mut app = yew::Renderer::<Rendered>::with_root_and_props(
        root.clone(),
        SourceProps {
            source: AttrValue::from(""),
        },
    )
    .render();
    for (at, _) in STREAMED.char_indices().step_by(3) {
        app.update(SourceProps {
            source: AttrValue::from(STREAMED[..at].to_owned()),
        });
        settle().await;
    }
    app.update(SourceProps {
        source: AttrValue::from(STREAMED),
    });
    settle().await;
    assert_eq!(texts(&root, "h3"), ["Título ✓"]);
    assert!(text(&root).contains("*not*"));
    assert!(root.query_selector("b").unwrap().is_none());
    assert_eq!(all(&root, "a").len(), 2);
}

#[wasm_bindgen_test]
async fn deep_nesting_stops_instead_of_exhausting_the_stack() {
    let mut source = String::new();
    for depth in 0..200 {
        source.push_str(&" ".repeat(depth * 2));
        source.push_str("- item\n");
    }
    source.push_str(&"*a _b ".repeat(300));
    source.push_str(&"c_ d*".repeat(300));
    let root = render(&source).await;
    assert!(all(&root, "ul").len() <= 10);
    assert!(!all(&root, "em").is_empty());
}

#[wasm_bindgen_test]
async fn answers_are_markdown_and_what_the_visitor_typed_is_plain_text() {
    let root = container();
    yew::Renderer::<MessageList>::with_root_and_props(
        root.clone(),
        MessageListProps {
            messages: vec![
                ChatMessage::new(Author::User, "**Why** <b>?</b>\n- not a list"),
                ChatMessage::new(Author::Assistant, "**Because** <b>!</b>\n- a list"),
            ],
            streaming: false,
            on_rate: Callback::noop(),
            lang: Lang::En,
        },
    )
    .render();
    settle().await;
    let user = root
        .query_selector("[data-testid=sitekit-message-user]")
        .unwrap()
        .unwrap();
    assert_eq!(user.children().length(), 0);
    assert_eq!(text(&user), "**Why** <b>?</b>\n- not a list");
    let answer = root
        .query_selector("[data-testid=sitekit-message-assistant]")
        .unwrap()
        .unwrap();
    assert_eq!(texts(&answer, "strong"), ["Because"]);
    assert_eq!(texts(&answer, "li"), ["a list"]);
    assert_eq!(text(&answer), "Because <b>!</b>a list");
    assert!(root.query_selector("b").unwrap().is_none());
    let log = root
        .query_selector("[data-testid=sitekit-messages]")
        .unwrap()
        .unwrap();
    assert_eq!(log.get_attribute("aria-live").as_deref(), Some("polite"));
}
