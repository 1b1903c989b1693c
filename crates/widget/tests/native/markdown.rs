//! The tree `markdown::render` builds, written out as HTML: which elements the
//! agent's text becomes, which links it keeps, and that nothing it writes turns
//! into markup. How that tree lands in a real DOM is `tests/it/markdown.rs`.

use sitekit_widget::markdown;
use yew::virtual_dom::{AttributeOrProperty, Attributes, VNode};

/// What `source` renders to, as HTML: elements with their attributes, and
/// text escaped, so markup the agent wrote reads `&lt;b&gt;`.
fn html(source: &str) -> String {
    let mut out = String::new();
    write(&markdown::render(source), &mut out);
    out
}

fn write(node: &VNode, out: &mut String) {
    match node {
        VNode::VTag(tag) => {
            out.push('<');
            out.push_str(tag.tag());
            for (name, value) in attributes(&tag.attributes) {
                out.push_str(&format!(" {name}=\"{}\"", escape(&value)));
            }
            out.push('>');
            if let Some(children) = tag.children() {
                write(children, out);
            }
            out.push_str(&format!("</{}>", tag.tag()));
        }
        VNode::VText(text) => out.push_str(&escape(&text.text)),
        VNode::VList(nodes) => nodes.iter().for_each(|node| write(node, out)),
        other => panic!("Markdown made a node it never should: {other:?}"),
    }
}

/// An element's attributes, in order; Markdown sets no DOM properties.
fn attributes(attributes: &Attributes) -> Vec<(&str, String)> {
    let value = |value: &AttributeOrProperty| match value {
        AttributeOrProperty::Attribute(value) => value.to_string(),
        AttributeOrProperty::Static(value) => value.to_string(),
        AttributeOrProperty::Property(_) => panic!("Markdown set a DOM property"),
    };
    match attributes {
        Attributes::Static(pairs) => pairs.iter().map(|(name, v)| (*name, value(v))).collect(),
        Attributes::Dynamic { keys, values } => keys
            .iter()
            .zip(values.iter())
            .filter_map(|(name, v)| Some((*name, value(v.as_ref()?))))
            .collect(),
        Attributes::IndexMap(map) => map.iter().map(|(name, v)| (&**name, value(v))).collect(),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[test]
fn blocks_become_paragraphs_headings_lists_and_code() {
    assert_eq!(
        html("# Setup\nFirst **install** it, *then* run `sitekit serve`.\nA second line."),
        "<h3>Setup</h3><p>First <strong>install</strong> it, <em>then</em> run \
         <code>sitekit serve</code>.\nA second line.</p>"
    );
    assert_eq!(
        html("- one\n* two\n\n3. third\n4. fourth"),
        "<ul><li><p>one</p></li><li><p>two</p></li></ul>\
         <ol start=\"3\"><li><p>third</p></li><li><p>fourth</p></li></ol>"
    );
    assert_eq!(
        html("```rust\nfn main() {\n    println!(\"*not em*\");\n}\n```\n###### Done\n#hashtag."),
        "<pre tabindex=\"0\"><code>fn main() {\n    println!(&quot;*not em*&quot;);\n}</code></pre>\
         <h3>Done</h3><p>#hashtag.</p>"
    );
}

#[test]
fn lists_nest_hold_code_and_end_where_the_text_goes_on() {
    assert_eq!(
        html("- a\n  - a1\n- b\n\n  ```\n  x\n  ```\nAfter the list."),
        "<ul><li><p>a</p><ul><li><p>a1</p></li></ul></li>\
         <li><p>b</p><pre tabindex=\"0\"><code>x</code></pre></li></ul><p>After the list.</p>"
    );
}

#[test]
fn emphasis_needs_a_partner_and_leaves_words_and_arithmetic_alone() {
    assert_eq!(
        html("snake_case_name and 2 * 3 * 4, __strong__ _em_ **a *b* c**"),
        "<p>snake_case_name and 2 * 3 * 4, <strong>strong</strong> <em>em</em> \
         <strong>a <em>b</em> c</strong></p>"
    );
}

#[test]
fn only_http_https_and_mailto_links_become_anchors() {
    let new_tab = "rel=\"noopener noreferrer\" target=\"_blank\"";
    assert_eq!(
        html("[docs](https://example.com/docs \"Docs\") and https://example.org/a_(b)/c."),
        format!(
            "<p><a href=\"https://example.com/docs\" {new_tab}>docs</a> and \
             <a href=\"https://example.org/a_(b)/c\" {new_tab}>https://example.org/a_(b)/c</a>.</p>"
        )
    );
    assert_eq!(
        html("[mail](MAILTO:help@example.com)"),
        format!("<p><a href=\"MAILTO:help@example.com\" {new_tab}>mail</a></p>")
    );
    assert_eq!(
        html("[one](javascript:alert(1)) [two](/relative) xhttps://example.com"),
        "<p>one two xhttps://example.com</p>"
    );
}

#[test]
fn agent_markup_stays_text() {
    assert_eq!(
        html("<script>alert(1)</script> **<b>bold</b>** `<svg onload=alert(1)>`"),
        "<p>&lt;script&gt;alert(1)&lt;/script&gt; <strong>&lt;b&gt;bold&lt;/b&gt;</strong> \
         <code>&lt;svg onload=alert(1)&gt;</code></p>"
    );
}

#[test]
fn unfinished_constructs_stay_as_written_until_they_are_closed() {
    // The bare URL is a link already; the bracket before it is not closed.
    assert_eq!(
        html("Here **bold and `code and [link](https://exa"),
        "<p>Here **bold and `code and [link](<a href=\"https://exa\" \
         rel=\"noopener noreferrer\" target=\"_blank\">https://exa</a></p>"
    );
    // Still streaming: an open fence is code to the end.
    assert_eq!(
        html("Run:\n```sh\nnpm install"),
        "<p>Run:</p><pre tabindex=\"0\"><code>npm install</code></pre>"
    );
}

/// An answer with every construct, to be cut anywhere as it streams in.
const ANSWER: &str = "# Título ✓\nHello **wörld** and *em*, `code`, __ß__, _ü_ \\*not\\*.\n\n\
    - one [link](https://example.com/ä) <b>x</b>\n  - nested 日本\n\n    ```\n    inner\n    ```\n\
    2. two https://example.org/ö)\n\n```rust\nlet s = \"ünïcödé\";\n```\n\
    [bad](javascript:alert(1)) ***x*** `` a`b `` end";

#[test]
fn every_prefix_of_an_answer_parses_into_the_allowed_elements_only() {
    const ALLOWED: [&str; 10] = [
        "p", "h3", "ul", "ol", "li", "pre", "code", "em", "strong", "a",
    ];
    for (at, _) in ANSWER.char_indices().chain([(ANSWER.len(), ' ')]) {
        let tree = markdown::render(&ANSWER[..at]);
        let mut tags = Vec::new();
        collect_tags(&tree, &mut tags);
        for tag in tags {
            assert!(ALLOWED.contains(&tag.as_str()), "<{tag}> at {at}");
        }
    }
}

fn collect_tags(node: &VNode, tags: &mut Vec<String>) {
    match node {
        VNode::VTag(tag) => {
            tags.push(tag.tag().to_owned());
            if let Some(children) = tag.children() {
                collect_tags(children, tags);
            }
        }
        VNode::VList(nodes) => nodes.iter().for_each(|node| collect_tags(node, tags)),
        _ => {}
    }
}

#[test]
fn deep_nesting_stops_instead_of_exhausting_the_stack() {
    let mut source = String::new();
    for depth in 0..200 {
        source.push_str(&" ".repeat(depth * 2));
        source.push_str("- item\n");
    }
    source.push_str(&"*a _b ".repeat(300));
    source.push_str(&"c_ d*".repeat(300));
    let rendered = html(&source);
    assert!(rendered.matches("<ul>").count() <= 10, "{rendered}");
    assert!(rendered.contains("<em>"));
}
