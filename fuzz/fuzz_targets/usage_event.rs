//! The rules a page's usage event must follow, on any JSON: they never panic,
//! and an event they accept keeps every documented bound, checked here from the
//! JSON itself: its size, a CloudEvents 1.0 event of a known type with an id and
//! a source of bounded length, an RFC 3339 time within the window (35 days back,
//! 5 minutes ahead) that `time_ms` states, and the data its type documents. An
//! accepted event stays accepted as the server stores it, and it is counted as
//! its type says.
//!
//! Input: JSON text (anything else is not an event a server could read).

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};
use sitekit_embed_server::usage::CountedEvent;
use sitekit_embed_server::usage::event_rules::{self as rules, ValidEvent};
use sitekit_sdk::wire::usage_types;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// When the batch arrived: 2026-01-01T00:00:00Z in Unix milliseconds.
const NOW_MS: i64 = 1_767_225_600_000;

fuzz_target!(|input: &[u8]| {
    let Ok(value) = serde_json::from_slice::<Value>(input) else {
        return;
    };
    let Ok(valid) = rules::check(value.clone(), NOW_MS) else {
        return;
    };
    keeps_the_bounds(&value, &valid);
    let stored = serde_json::to_value(&valid.event).expect("an event serialises");
    assert_eq!(
        rules::check(stored, NOW_MS).as_ref(),
        Ok(&valid),
        "stored form"
    );
    let expected = match valid.event.kind.as_str() {
        usage_types::WIDGET_LOADED => Some(CountedEvent::Load),
        usage_types::WIDGET_OPENED => Some(CountedEvent::Open),
        usage_types::FEEDBACK => Some(match text(&valid.event.data, "rating") {
            Some("up") => CountedEvent::FeedbackUp,
            _ => CountedEvent::FeedbackDown,
        }),
        _ => None,
    };
    assert_eq!(rules::counted(&valid.event), expected);
});

fn keeps_the_bounds(value: &Value, valid: &ValidEvent) {
    let compact = serde_json::to_vec(value).expect("JSON serialises");
    assert!(
        compact.len() <= rules::MAX_EVENT_BYTES,
        "{} bytes",
        compact.len()
    );
    let attributes = value.as_object().expect("an event is an object");
    let attribute = |name: &str| attributes.get(name).and_then(Value::as_str);
    assert_eq!(attribute("specversion"), Some("1.0"));
    let id = attribute("id").expect("an id");
    assert!((1..=rules::MAX_ID_CHARS).contains(&chars(id)), "id {id:?}");
    let source = attribute("source").expect("a source");
    assert!((1..=rules::MAX_SOURCE_CHARS).contains(&chars(source)));
    let kind = attribute("type").expect("a type");
    assert!(usage_types::ALL.contains(&kind), "type {kind:?}");
    let time = OffsetDateTime::parse(attribute("time").expect("a time"), &Rfc3339)
        .expect("an RFC 3339 time");
    let time_ms = time.unix_timestamp_nanos().div_euclid(1_000_000);
    assert_eq!(i128::from(valid.time_ms), time_ms);
    assert!((NOW_MS - rules::MAX_AGE_MS..=NOW_MS + rules::MAX_AHEAD_MS).contains(&valid.time_ms));
    if let Some(media_type) = attribute("datacontenttype") {
        let essence = media_type.split(';').next().unwrap_or_default().trim();
        let essence = essence.to_ascii_lowercase();
        assert!(
            essence == "application/json"
                || essence.starts_with("application/") && essence.ends_with("+json"),
            "datacontenttype {media_type:?}"
        );
    }
    let data = match attributes.get("data") {
        None | Some(Value::Null) => None,
        Some(Value::Object(fields)) => Some(fields),
        Some(other) => panic!("data {other}"),
    };
    documented_data(kind, data);
}

/// The data `sitekit_sdk::wire::usage_types` documents for each type.
fn documented_data(kind: &str, data: Option<&Map<String, Value>>) {
    let field = |name: &str| data.and_then(|fields| fields.get(name));
    let length = |name: &str| field(name).and_then(Value::as_str).map(chars);
    let absent_or = |name: &str, max: usize| match field(name) {
        None | Some(Value::Null) => true,
        Some(_) => length(name).is_some_and(|n| (1..=max).contains(&n)),
    };
    let id_chars = 1..=128;
    match kind {
        usage_types::MESSAGE_SENT => assert!(absent_or("threadId", 128) && absent_or("runId", 128)),
        usage_types::FEEDBACK => {
            assert!(length("runId").is_some_and(|n| id_chars.contains(&n)));
            assert!(matches!(
                field("rating").and_then(Value::as_str),
                Some("up" | "down")
            ));
        }
        usage_types::TRACK => {
            assert!(length("name").is_some_and(|n| (1..=rules::MAX_TRACK_NAME_CHARS).contains(&n)));
            assert!(matches!(
                field("properties"),
                None | Some(Value::Null | Value::Object(_))
            ));
        }
        usage_types::VISITOR_IDENTIFIED => {
            assert!(length("id").is_some_and(|n| id_chars.contains(&n)));
            assert!(absent_or("name", rules::MAX_VISITOR_NAME_CHARS));
            assert!(absent_or("email", rules::MAX_VISITOR_EMAIL_CHARS));
        }
        _ => {}
    }
}

fn text<'a>(data: &'a Option<Value>, name: &str) -> Option<&'a str> {
    data.as_ref()?.get(name)?.as_str()
}

fn chars(text: &str) -> usize {
    text.chars().count()
}
