//! The widget's Markdown parser on any answer, natively (the tree it builds;
//! rendering it needs a DOM): it never panics; the tree holds only text and the
//! fixed set of elements with their fixed attributes, links only to http, https
//! and mailto URLs from the answer; nesting stays bounded; and the answer's text
//! is never lost nor invented: its letters, its non-ASCII characters and its
//! `<`, `>` and `&` appear as text in the same order, except where Markdown
//! drops them by design (a fence's language tag, a link's destination).
//!
//! Input: the answer's text.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sitekit_widget::markdown;
use yew::virtual_dom::{AttributeOrProperty, Attributes, VNode, VTag};

/// How deep the widget nests lists and emphasis (its `MAX_DEPTH`).
const MAX_DEPTH: usize = 8;

fuzz_target!(|input: &[u8]| {
    let Ok(source) = std::str::from_utf8(input) else {
        return;
    };
    let mut tree = Tree::default();
    tree.walk(&markdown::render(source), &Ancestors::default());
    for href in &tree.hrefs {
        assert!(
            source.contains(href.as_str()),
            "href not in the answer: {href:?}"
        );
    }
    let shown: Vec<char> = tree.text.chars().filter(|&c| is_content(c)).collect();
    let written: Vec<char> = source.chars().filter(|&c| is_content(c)).collect();
    assert!(
        is_subsequence(&shown, &written),
        "text invented: {:?}",
        tree.text
    );
    let kept: Vec<char> = kept_text(source).filter(|&c| is_content(c)).collect();
    assert!(is_subsequence(&kept, &shown), "text lost: {:?}", tree.text);
});

/// What the text check follows: letters, non-ASCII characters and what would be
/// markup in HTML. Digits, punctuation and spaces are not: list numbers,
/// emphasis markers, escapes and indentation are Markdown's to drop.
fn is_content(c: char) -> bool {
    c.is_ascii_alphabetic() || !c.is_ascii() || matches!(c, '<' | '>' | '&')
}

/// The answer less what Markdown drops: from a fence (```` ``` ```` or `~~~`) to
/// its line's end (a language tag), and from `](` to the next blank line (a
/// link's destination and title; a link never spans a paragraph).
fn kept_text(source: &str) -> impl Iterator<Item = char> + '_ {
    let mut in_destination = false;
    source.split('\n').flat_map(move |line| {
        // Blank as the parser sees it: spaces and tabs, and a `\r` before the `\n`.
        if line
            .strip_suffix('\r')
            .unwrap_or(line)
            .trim_matches([' ', '\t'])
            .is_empty()
        {
            in_destination = false;
        }
        let mut kept = if in_destination { "" } else { line };
        if let Some(at) = kept.find("](") {
            in_destination = true;
            kept = &kept[..at];
        }
        let fence = [kept.find("```"), kept.find("~~~")]
            .into_iter()
            .flatten()
            .min();
        kept[..fence.unwrap_or(kept.len())].chars()
    })
}

fn is_subsequence(needle: &[char], haystack: &[char]) -> bool {
    let mut rest = haystack.iter();
    needle.iter().all(|c| rest.any(|h| h == c))
}

#[derive(Default)]
struct Tree {
    text: String,
    hrefs: Vec<String>,
}

#[derive(Default, Clone)]
struct Ancestors {
    lists: usize,
    emphasis: usize,
    link: bool,
    code: bool,
}

impl Tree {
    fn walk(&mut self, node: &VNode, ancestors: &Ancestors) {
        match node {
            VNode::VText(text) => self.text.push_str(&text.text),
            VNode::VList(list) => {
                for child in list.iter() {
                    self.walk(child, ancestors);
                }
            }
            VNode::VTag(tag) => {
                let inside = self.element(tag, ancestors);
                if let Some(children) = tag.children() {
                    self.walk(children, &inside);
                }
            }
            _ => panic!("the tree holds only elements, text and lists"),
        }
    }

    /// Checks one element and returns the ancestors of its children.
    fn element(&mut self, tag: &VTag, ancestors: &Ancestors) -> Ancestors {
        let name = tag.tag();
        assert!(!ancestors.code, "<{name}> inside code");
        let attributes = attributes(&tag.attributes);
        let names: Vec<&str> = attributes.iter().map(|(name, _)| *name).collect();
        let mut inside = ancestors.clone();
        match name {
            "p" | "h3" | "ul" | "li" | "em" | "strong" | "code" => {
                assert!(attributes.is_empty(), "<{name}> with {attributes:?}");
            }
            "ol" => {
                assert_eq!(names, ["start"]);
                let start = attributes[0].1;
                assert!((1..=9).contains(&start.len()), "start={start:?}");
                assert!(start.bytes().all(|b| b.is_ascii_digit()), "start={start:?}");
            }
            "pre" => assert_eq!(attributes, [("tabindex", "0")]),
            "a" => {
                assert!(!ancestors.link, "a link inside a link");
                assert_eq!(names, ["href", "rel", "target"]);
                let href = attributes[0].1;
                let scheme = href.split(':').next().unwrap_or_default();
                assert!(
                    href.contains(':')
                        && ["http", "https", "mailto"]
                            .iter()
                            .any(|allowed| scheme.eq_ignore_ascii_case(allowed)),
                    "href={href:?}"
                );
                assert_eq!(
                    attributes[1..],
                    [("rel", "noopener noreferrer"), ("target", "_blank")]
                );
                self.hrefs.push(href.to_owned());
                inside.link = true;
            }
            _ => panic!("<{name}> is not an element answers may have"),
        }
        match name {
            "ul" | "ol" => inside.lists += 1,
            "em" | "strong" => inside.emphasis += 1,
            "code" => inside.code = true,
            _ => {}
        }
        assert!(
            inside.lists <= MAX_DEPTH && inside.emphasis <= MAX_DEPTH,
            "nested too deep"
        );
        inside
    }
}

/// An element's attributes; a property (which could carry a script value) fails.
fn attributes(attributes: &Attributes) -> Vec<(&str, &str)> {
    let pairs: Vec<(&str, Option<&str>)> = match attributes {
        Attributes::Static(pairs) => pairs.iter().map(|(name, v)| (*name, value(v))).collect(),
        Attributes::Dynamic { keys, values } => keys
            .iter()
            .zip(values.iter())
            .filter_map(|(name, v)| Some((*name, value(v.as_ref()?))))
            .collect(),
        Attributes::IndexMap(map) => map
            .iter()
            .map(|(name, v)| (name.as_str(), value(v)))
            .collect(),
    };
    pairs
        .into_iter()
        .map(|(name, v)| (name, v.unwrap_or_else(|| panic!("{name} is a property"))))
        .collect()
}

fn value(value: &AttributeOrProperty) -> Option<&str> {
    match value {
        AttributeOrProperty::Attribute(text) => Some(text.as_str()),
        AttributeOrProperty::Static(text) => Some(text),
        AttributeOrProperty::Property(_) => None,
    }
}
