//! The rules one client usage event (a CloudEvent of the SDK's `usage_types`)
//! must follow to be stored. A broken event is refused with a stable reason;
//! the rest of its batch still goes through.

use serde_json::{Map, Value};
use sitekit_sdk::wire::{UsageEvent, usage_types};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::db::DAY_MS;
use crate::usage::CountedEvent;

/// An event's JSON may be this large (its compact form, so whitespace is free).
pub const MAX_EVENT_BYTES: usize = 8 * 1024;
pub const MAX_ID_CHARS: usize = 128;
pub const MAX_SOURCE_CHARS: usize = 256;
/// A `track` event's `name`.
pub const MAX_TRACK_NAME_CHARS: usize = 100;
/// An identified visitor's display name and e-mail address (RFC 5321's limit).
pub const MAX_VISITOR_NAME_CHARS: usize = 200;
pub const MAX_VISITOR_EMAIL_CHARS: usize = 254;
/// Thread and run ids in event data, as long as the chat route allows them.
const MAX_DATA_ID_CHARS: usize = 128;
/// How old an event may be: a browser holds unsent events in `localStorage`
/// until they are acknowledged, maybe for weeks; older ones would rewrite
/// closed months.
pub const MAX_AGE_MS: i64 = 35 * DAY_MS;
/// How far ahead of the server's clock an event may be: some clock skew.
pub const MAX_AHEAD_MS: i64 = 5 * 60_000;

/// Why an event was refused; [`Reason::code`] is what the client reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Not a JSON object, or an attribute of the wrong JSON type.
    InvalidEvent,
    EventTooLarge,
    UnsupportedSpecversion,
    InvalidId,
    InvalidSource,
    UnknownType,
    InvalidTime,
    TimeOutOfRange,
    InvalidData,
    /// The widget has accepted as many events today as it may.
    DailyLimitReached,
}

impl Reason {
    pub fn code(self) -> &'static str {
        match self {
            Reason::InvalidEvent => "invalid_event",
            Reason::EventTooLarge => "event_too_large",
            Reason::UnsupportedSpecversion => "unsupported_specversion",
            Reason::InvalidId => "invalid_id",
            Reason::InvalidSource => "invalid_source",
            Reason::UnknownType => "unknown_type",
            Reason::InvalidTime => "invalid_time",
            Reason::TimeOutOfRange => "time_out_of_range",
            Reason::InvalidData => "invalid_data",
            Reason::DailyLimitReached => "daily_limit_reached",
        }
    }
}

/// An event that follows the rules, with its time in Unix milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidEvent {
    pub event: UsageEvent,
    pub time_ms: i64,
}

/// The event's `id` as far as it has one, for its answer (empty otherwise).
pub fn id_of(value: &Value) -> &str {
    value.get("id").and_then(Value::as_str).unwrap_or_default()
}

/// Checks one event of a batch, received at `now_ms` (Unix milliseconds).
pub fn check(value: Value, now_ms: i64) -> Result<ValidEvent, Reason> {
    if compact_len(&value) > MAX_EVENT_BYTES {
        return Err(Reason::EventTooLarge);
    }
    let Value::Object(attributes) = value else {
        return Err(Reason::InvalidEvent);
    };
    let text = |name: &str| attributes.get(name).and_then(Value::as_str);
    if text("specversion") != Some("1.0") {
        return Err(Reason::UnsupportedSpecversion);
    }
    if !text("id").is_some_and(|id| has_chars(id, 1..=MAX_ID_CHARS)) {
        return Err(Reason::InvalidId);
    }
    if !text("source").is_some_and(|source| has_chars(source, 1..=MAX_SOURCE_CHARS)) {
        return Err(Reason::InvalidSource);
    }
    if !text("type").is_some_and(|kind| usage_types::ALL.contains(&kind)) {
        return Err(Reason::UnknownType);
    }
    let time_ms = text("time")
        .and_then(|time| OffsetDateTime::parse(time, &Rfc3339).ok())
        .map(unix_ms)
        .ok_or(Reason::InvalidTime)?;
    if !(now_ms - MAX_AGE_MS..=now_ms + MAX_AHEAD_MS).contains(&time_ms) {
        return Err(Reason::TimeOutOfRange);
    }
    // Every attribute checked so far is a string, so only the optional ones can
    // be of the wrong type now (a `datacontenttype` that is a number, say).
    let event: UsageEvent =
        serde_json::from_value(Value::Object(attributes)).map_err(|_| Reason::InvalidEvent)?;
    if !event
        .datacontenttype
        .as_deref()
        .is_none_or(is_json_media_type)
    {
        return Err(Reason::InvalidData);
    }
    check_data(&event.kind, event.data.as_ref())?;
    Ok(ValidEvent { event, time_ms })
}

/// What a valid event adds to the daily roll-ups: loads, opens and ratings;
/// messages are counted from the server's run records, never from the page.
pub fn counted(event: &UsageEvent) -> Option<CountedEvent> {
    match event.kind.as_str() {
        usage_types::WIDGET_LOADED => Some(CountedEvent::Load),
        usage_types::WIDGET_OPENED => Some(CountedEvent::Open),
        usage_types::FEEDBACK => {
            // `check` made sure the rating is "up" or "down".
            let rating = event.data.as_ref()?.get("rating")?.as_str()?;
            Some(if rating == "up" {
                CountedEvent::FeedbackUp
            } else {
                CountedEvent::FeedbackDown
            })
        }
        usage_types::CSAT => csat_score(event).map(CountedEvent::Csat),
        _ => None,
    }
}

/// A valid CSAT event's score (`check` made sure it is 1 to 5).
fn csat_score(event: &UsageEvent) -> Option<u8> {
    let score = event.data.as_ref()?.get("score")?.as_u64()?;
    u8::try_from(score).ok()
}

/// A visitor's answer to the CSAT question of one conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatedConversation {
    pub thread_id: String,
    pub score: u8,
}

/// The conversation a valid CSAT event rates.
pub fn rated_conversation(event: &UsageEvent) -> Option<RatedConversation> {
    if event.kind != usage_types::CSAT {
        return None;
    }
    Some(RatedConversation {
        thread_id: event.data.as_ref()?.get("threadId")?.as_str()?.to_owned(),
        score: csat_score(event)?,
    })
}

/// A visitor's rating of one answer, from a valid feedback event's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatedAnswer {
    pub run_id: String,
    pub thread_id: String,
    pub rating: String,
}

/// The answer a valid feedback event rates, when it names its thread
/// (widgets before the inbox named only the run).
pub fn rated_answer(event: &UsageEvent) -> Option<RatedAnswer> {
    if event.kind != usage_types::FEEDBACK {
        return None;
    }
    let data = event.data.as_ref()?;
    let text = |name| Some(data.get(name)?.as_str()?.to_owned());
    Some(RatedAnswer {
        run_id: text("runId")?,
        thread_id: text("threadId").filter(|id| !id.is_empty())?,
        rating: text("rating")?,
    })
}

/// The data each type documents (`sitekit_sdk::wire::usage_types`). Fields
/// beyond those are allowed, so a newer SDK can send more.
fn check_data(kind: &str, data: Option<&Value>) -> Result<(), Reason> {
    let fields = match data {
        None => None,
        Some(Value::Object(fields)) => Some(fields),
        Some(_) => return Err(Reason::InvalidData),
    };
    let valid = match kind {
        usage_types::MESSAGE_SENT => fields
            .is_none_or(|fields| optional_id(fields, "threadId") && optional_id(fields, "runId")),
        usage_types::FEEDBACK => fields.is_some_and(|fields| {
            required_text(fields, "runId", 1..=MAX_DATA_ID_CHARS)
                && optional_id(fields, "threadId")
                && matches!(
                    fields.get("rating").and_then(Value::as_str),
                    Some("up" | "down")
                )
        }),
        usage_types::CSAT => fields.is_some_and(|fields| {
            required_text(fields, "threadId", 1..=MAX_DATA_ID_CHARS)
                && fields
                    .get("score")
                    .and_then(Value::as_u64)
                    .is_some_and(|score| (1..=5).contains(&score))
        }),
        // The lead's fields follow the widget's form: `engagement/ops.rs`
        // checks them against it.
        usage_types::LEAD => fields.is_some_and(|fields| {
            required_text(fields, "threadId", 1..=MAX_DATA_ID_CHARS)
                && fields.get("email").is_some_and(Value::is_string)
        }),
        usage_types::HANDOFF => {
            fields.is_some_and(|fields| required_text(fields, "threadId", 1..=MAX_DATA_ID_CHARS))
        }
        usage_types::TRACK => fields.is_some_and(|fields| {
            required_text(fields, "name", 1..=MAX_TRACK_NAME_CHARS)
                && matches!(
                    fields.get("properties"),
                    None | Some(Value::Null | Value::Object(_))
                )
        }),
        usage_types::VISITOR_IDENTIFIED => fields.is_some_and(|fields| {
            required_text(fields, "id", 1..=MAX_DATA_ID_CHARS)
                && optional_text(fields, "name", MAX_VISITOR_NAME_CHARS)
                && optional_text(fields, "email", MAX_VISITOR_EMAIL_CHARS)
        }),
        // Loaded and opened document no data; an object is allowed for more.
        _ => true,
    };
    if valid {
        Ok(())
    } else {
        Err(Reason::InvalidData)
    }
}

fn required_text(
    fields: &Map<String, Value>,
    name: &str,
    chars: std::ops::RangeInclusive<usize>,
) -> bool {
    fields
        .get(name)
        .and_then(Value::as_str)
        .is_some_and(|text| has_chars(text, chars))
}

fn optional_id(fields: &Map<String, Value>, name: &str) -> bool {
    optional_text(fields, name, MAX_DATA_ID_CHARS)
}

fn optional_text(fields: &Map<String, Value>, name: &str, max_chars: usize) -> bool {
    match fields.get(name) {
        None | Some(Value::Null) => true,
        Some(_) => required_text(fields, name, 1..=max_chars),
    }
}

/// Whether `text` has a length in `allowed` and no control character: none
/// belongs in an id, a source, a name or an address, and PostgreSQL cannot
/// store NUL (the whole batch would fail).
fn has_chars(text: &str, allowed: std::ops::RangeInclusive<usize>) -> bool {
    // Characters, not bytes: a limit must not depend on the visitor's language.
    allowed.contains(&text.chars().count()) && !text.chars().any(char::is_control)
}

/// `application/json` or any `…+json` type, parameters aside: what CloudEvents
/// calls JSON data. Without one the data is JSON anyway.
fn is_json_media_type(media_type: &str) -> bool {
    let essence = media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn unix_ms(time: OffsetDateTime) -> i64 {
    // Whole milliseconds; an RFC 3339 time within the window always fits.
    i64::try_from(time.unix_timestamp_nanos().div_euclid(1_000_000)).unwrap_or(i64::MAX)
}

/// The size of the event's compact JSON, counted without building it.
fn compact_len(value: &Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // Writing a Value to a writer that never fails cannot fail.
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// 2026-01-01T00:00:00Z in Unix milliseconds.
    const NOW_MS: i64 = 1_767_225_600_000;

    fn rfc3339(ms: i64) -> String {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .unwrap()
            .format(&Rfc3339)
            .unwrap()
    }

    fn event(kind: &str, time_ms: i64, data: Option<Value>) -> Value {
        let mut event = json!({
            "specversion": "1.0", "id": "e1", "source": "/visitors/v1",
            "type": kind, "time": rfc3339(time_ms),
        });
        if let Some(data) = data {
            event["data"] = data;
        }
        event
    }

    fn reason(value: Value) -> Option<Reason> {
        check(value, NOW_MS).err()
    }

    #[test]
    fn the_time_window_includes_its_bounds_and_nothing_beyond() {
        let at = |ms| reason(event(usage_types::WIDGET_OPENED, ms, None));
        assert_eq!(at(NOW_MS), None);
        assert_eq!(at(NOW_MS - MAX_AGE_MS), None);
        assert_eq!(at(NOW_MS - MAX_AGE_MS - 1), Some(Reason::TimeOutOfRange));
        assert_eq!(at(NOW_MS + MAX_AHEAD_MS), None);
        assert_eq!(at(NOW_MS + MAX_AHEAD_MS + 1), Some(Reason::TimeOutOfRange));
    }

    #[test]
    fn times_are_rfc_3339_with_any_offset() {
        let with_time = |time: &str| {
            let mut value = event(usage_types::WIDGET_LOADED, NOW_MS, None);
            value["time"] = json!(time);
            check(value, NOW_MS).map(|valid| valid.time_ms)
        };
        // One instant, written in UTC and at +02:00, with milliseconds.
        assert_eq!(with_time("2025-12-31T23:59:59.250Z"), Ok(NOW_MS - 750));
        assert_eq!(with_time("2026-01-01T01:59:59.250+02:00"), Ok(NOW_MS - 750));
        for invalid in [
            "2025-12-31T24:00:00Z",
            "2025-12-31T23:59:59",
            "yesterday",
            "",
        ] {
            assert_eq!(with_time(invalid), Err(Reason::InvalidTime), "{invalid}");
        }
    }

    #[test]
    fn attributes_are_checked_in_order_with_their_own_reasons() {
        let valid = event(usage_types::WIDGET_OPENED, NOW_MS, None);
        let with = |name: &str, value: Value| {
            let mut event = valid.clone();
            event[name] = value;
            reason(event)
        };
        assert_eq!(reason(valid.clone()), None);
        assert_eq!(
            with("specversion", json!("0.3")),
            Some(Reason::UnsupportedSpecversion)
        );
        assert_eq!(
            with("specversion", json!(1.0)),
            Some(Reason::UnsupportedSpecversion)
        );
        assert_eq!(with("id", json!("")), Some(Reason::InvalidId));
        assert_eq!(with("id", json!(7)), Some(Reason::InvalidId));
        assert_eq!(with("id", json!("é".repeat(128))), None);
        assert_eq!(with("id", json!("é".repeat(129))), Some(Reason::InvalidId));
        assert_eq!(with("id", json!("e\u{0}1")), Some(Reason::InvalidId));
        assert_eq!(with("source", json!("")), Some(Reason::InvalidSource));
        assert_eq!(
            with("source", json!("s\u{1b}[2J")),
            Some(Reason::InvalidSource)
        );
        assert_eq!(
            with("source", json!("s".repeat(257))),
            Some(Reason::InvalidSource)
        );
        assert_eq!(
            with("type", json!("dev.sitekit.other")),
            Some(Reason::UnknownType)
        );
        assert_eq!(
            with("datacontenttype", json!(3)),
            Some(Reason::InvalidEvent)
        );
        assert_eq!(
            with("datacontenttype", json!("text/plain")),
            Some(Reason::InvalidData)
        );
        assert_eq!(
            with(
                "datacontenttype",
                json!("application/cloudevents+json; charset=utf-8")
            ),
            None
        );
        assert_eq!(
            reason(json!(["not", "an", "object"])),
            Some(Reason::InvalidEvent)
        );
        let mut large = valid;
        large["data"] = json!({ "padding": "x".repeat(MAX_EVENT_BYTES) });
        assert_eq!(reason(large), Some(Reason::EventTooLarge));
    }

    #[test]
    fn each_type_has_its_data_shape() {
        let data = |kind: &str, data: Option<Value>| reason(event(kind, NOW_MS, data));
        let feedback = usage_types::FEEDBACK;
        assert_eq!(
            data(feedback, Some(json!({"runId": "r1", "rating": "up"}))),
            None
        );
        assert_eq!(
            data(feedback, Some(json!({"runId": "r1", "rating": "down"}))),
            None
        );
        for wrong in [
            None,
            Some(json!({"runId": "r1", "rating": "meh"})),
            Some(json!({"rating": "up"})),
            Some(json!({"runId": 1, "rating": "up"})),
            Some(json!({"runId": "r1", "rating": "up", "threadId": ""})),
            Some(json!({"runId": "r1", "rating": "up", "threadId": 7})),
        ] {
            assert_eq!(
                data(feedback, wrong.clone()),
                Some(Reason::InvalidData),
                "{wrong:?}"
            );
        }
        let track = usage_types::TRACK;
        assert_eq!(data(track, Some(json!({"name": "x".repeat(100)}))), None);
        let rated = |kind: &str, data: Value| {
            let event = check(event(kind, NOW_MS, Some(data)), NOW_MS).ok()?.event;
            rated_answer(&event)
        };
        assert_eq!(
            rated(
                feedback,
                json!({"threadId": "t1", "runId": "r1", "rating": "down"})
            ),
            Some(RatedAnswer {
                run_id: "r1".into(),
                thread_id: "t1".into(),
                rating: "down".into()
            })
        );
        // An older widget's rating names no thread: counted, not in the inbox.
        assert_eq!(
            rated(feedback, json!({"runId": "r1", "rating": "up"})),
            None
        );
        let sent = json!({"threadId": "t1", "runId": "r1", "rating": "up"});
        assert_eq!(rated(usage_types::MESSAGE_SENT, sent), None);
        assert_eq!(
            data(
                track,
                Some(json!({"name": "cta", "properties": {"plan": "pro"}}))
            ),
            None
        );
        for wrong in [
            None,
            Some(json!({"name": ""})),
            Some(json!({"name": "x".repeat(101)})),
            Some(json!({"name": "cta\u{0}"})),
            Some(json!({"name": "cta", "properties": "plan=pro"})),
        ] {
            assert_eq!(
                data(track, wrong.clone()),
                Some(Reason::InvalidData),
                "{wrong:?}"
            );
        }
        let sent = usage_types::MESSAGE_SENT;
        assert_eq!(data(sent, None), None);
        assert_eq!(
            data(sent, Some(json!({"threadId": "t", "runId": "r"}))),
            None
        );
        assert_eq!(
            data(sent, Some(json!({"threadId": 5}))),
            Some(Reason::InvalidData)
        );
        assert_eq!(data(sent, Some(json!("hello"))), Some(Reason::InvalidData));
        assert_eq!(
            data(usage_types::WIDGET_LOADED, Some(json!({"page": "/"}))),
            None
        );
        assert_eq!(
            data(usage_types::WIDGET_LOADED, Some(json!([1]))),
            Some(Reason::InvalidData)
        );
    }

    #[test]
    fn loads_opens_and_ratings_are_counted_and_nothing_else() {
        let counted_as = |kind: &str, data: Option<Value>| {
            let valid = check(event(kind, NOW_MS, data), NOW_MS).unwrap();
            counted(&valid.event)
        };
        assert_eq!(
            counted_as(usage_types::WIDGET_LOADED, None),
            Some(CountedEvent::Load)
        );
        assert_eq!(
            counted_as(usage_types::WIDGET_OPENED, None),
            Some(CountedEvent::Open)
        );
        for (rating, expected) in [
            ("up", CountedEvent::FeedbackUp),
            ("down", CountedEvent::FeedbackDown),
        ] {
            let data = json!({ "runId": "r1", "rating": rating, "extra": { "rating": "up" } });
            assert_eq!(
                counted_as(usage_types::FEEDBACK, Some(data)),
                Some(expected)
            );
        }
        assert_eq!(counted_as(usage_types::MESSAGE_SENT, None), None);
        let track = json!({ "name": "pricing_viewed" });
        assert_eq!(counted_as(usage_types::TRACK, Some(track)), None);
    }
}
