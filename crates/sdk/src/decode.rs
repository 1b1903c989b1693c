//! The server's small answers read field by field instead of through serde's
//! derived deserializers: in Wasm the parsing is then the engine's `JSON.parse`
//! (`transport::json`), which keeps serde_json's parser, its error messages and
//! their float formatting out of the npm package's Wasm (about a third of it).
//! The typed admin and widget payloads still use serde; these are the ones every
//! chat and usage batch needs.

use crate::agui::{Message, Role};
use crate::client::RawEvent;
use crate::transport::json::Json;
use crate::wire::{
    DEFAULT_CONVERSATION_DAYS, ErrorDetail, LauncherIcon, Position, SessionResponse,
    ThreadMessages, UsageEventResult, UsageEventStatus, WidgetConfig,
};
use crate::{Error, ErrorCode};

fn string(object: &Json, key: &str) -> Option<String> {
    object.get(key)?.string()
}

/// A whole number that fits a `u32`, as serde would take one.
fn count(value: &Json) -> Option<u32> {
    let number = value.number()?;
    let whole = number.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&number);
    // Exact: a whole number in u32's range.
    whole.then_some(number as u32)
}

fn malformed(what: &str) -> Error {
    Error::Protocol(format!("the server's {what} is not in the expected shape"))
}

/// `POST /v1/sessions` answer.
pub(crate) fn session(text: &str) -> Result<SessionResponse, Error> {
    let read = || {
        let object = Json::parse(text)?;
        Some(SessionResponse {
            token: string(&object, "token")?,
            expires_at: string(&object, "expiresAt")?,
            visitor_id: string(&object, "visitorId")?,
            usage_token: string(&object, "usageToken")?,
        })
    };
    read().ok_or_else(|| malformed("session"))
}

/// `{"error":{"code","message"}}`, if `text` is that.
pub(crate) fn error_detail(text: &str) -> Option<ErrorDetail> {
    let error = Json::parse(text)?.get("error")?;
    Some(ErrorDetail {
        code: string(&error, "code")?,
        message: string(&error, "message")?,
    })
}

/// `POST /v1/usage/events` answer: `{"results":[{"id","status","reason"?}]}`.
pub(crate) fn usage_results(text: &str) -> Result<Vec<UsageEventResult>, Error> {
    let read = || {
        let results = Json::parse(text)?.get("results")?.elements()?;
        results
            .iter()
            .map(|result| {
                let status = match string(result, "status")?.as_str() {
                    "accepted" => UsageEventStatus::Accepted,
                    "duplicate" => UsageEventStatus::Duplicate,
                    "rejected" => UsageEventStatus::Rejected,
                    _ => return None,
                };
                Some(UsageEventResult {
                    id: string(result, "id")?,
                    status,
                    reason: string(result, "reason"),
                })
            })
            .collect::<Option<Vec<_>>>()
    };
    read().ok_or_else(|| malformed("usage answer"))
}

/// `GET /v1/widgets/<key>/config` answer.
pub(crate) fn widget_config(text: &str) -> Result<WidgetConfig, Error> {
    let read = || {
        let object = Json::parse(text)?;
        let position = match string(&object, "position")?.as_str() {
            "left" => Position::Left,
            "right" => Position::Right,
            _ => return None,
        };
        let starter_prompts = match object.get("starterPrompts") {
            Some(prompts) => prompts
                .elements()?
                .iter()
                .map(Json::string)
                .collect::<Option<Vec<_>>>()?,
            None => Vec::new(),
        };
        Some(WidgetConfig {
            title: string(&object, "title")?,
            greeting: string(&object, "greeting")?,
            locale: string(&object, "locale")?,
            primary_color: string(&object, "primaryColor")?,
            primary_text_color: string(&object, "primaryTextColor").unwrap_or_default(),
            position,
            starter_prompts,
            avatar_url: string(&object, "avatarUrl"),
            // Servers that predate these settings leave them out: the defaults.
            launcher_icon: match object.get("launcherIcon") {
                Some(icon) => icon.string()?,
                None => LauncherIcon::default().as_str().to_owned(),
            },
            conversation_days: match object.get("conversationDays") {
                Some(days) => count(&days)?,
                None => DEFAULT_CONVERSATION_DAYS,
            },
        })
    };
    read().ok_or_else(|| malformed("widget config"))
}

/// `GET /v1/threads/<id>` answer.
pub(crate) fn thread_messages(text: &str) -> Result<ThreadMessages, Error> {
    let read = || {
        let object = Json::parse(text)?;
        let messages = object
            .get("messages")?
            .elements()?
            .iter()
            .map(|message| {
                let role = match string(message, "role")?.as_str() {
                    "developer" => Role::Developer,
                    "system" => Role::System,
                    "assistant" => Role::Assistant,
                    "user" => Role::User,
                    "tool" => Role::Tool,
                    _ => return None,
                };
                Some(Message {
                    id: string(message, "id")?,
                    role,
                    content: string(message, "content"),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(ThreadMessages {
            thread_id: string(&object, "threadId")?,
            messages,
        })
    };
    read().ok_or_else(|| malformed("thread"))
}

/// What an event adds to an answer's text: its delta, the run's failure, or
/// nothing (lifecycle and tool events).
pub(crate) fn answer_part(event: &RawEvent) -> Option<Result<String, Error>> {
    match event.kind.as_str() {
        "TEXT_MESSAGE_CONTENT" => {
            let delta = Json::parse(&event.json).and_then(|event| string(&event, "delta"));
            Some(delta.ok_or_else(|| malformed("text event")))
        }
        "RUN_ERROR" => {
            let event = Json::parse(&event.json);
            let field = |key| event.as_ref().and_then(|event| string(event, key));
            // A failure without a code is still the runtime's.
            Some(Err(Error::Run {
                code: field("code").unwrap_or_else(|| ErrorCode::RuntimeError.as_str().to_owned()),
                message: field("message").unwrap_or_default(),
            }))
        }
        _ => None,
    }
}

/// An AG-UI event's `type`.
pub(crate) fn event_type(text: &str) -> Option<String> {
    string(&Json::parse(text)?, "type")
}

/// Each event of a stored JSON array, as its id and its JSON; what cannot be
/// read is left out.
pub(crate) fn stored_events(text: &str) -> Vec<(String, String)> {
    let events = Json::parse(text).and_then(|array| array.elements());
    events
        .unwrap_or_default()
        .iter()
        .filter_map(|event| Some((string(event, "id")?, event.text())))
        .collect()
}

/// Whether `text` is JSON.
pub(crate) fn is_json(text: &str) -> bool {
    Json::parse(text).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_session_and_refuses_a_partial_one() {
        let session = session(
            r#"{"token":"t","expiresAt":"2026-11-27T10:00:00Z","visitorId":"vis_1.s","usageToken":"u","extra":1}"#,
        )
        .unwrap();
        assert_eq!(
            (
                session.token.as_str(),
                session.visitor_id.as_str(),
                session.usage_token.as_str()
            ),
            ("t", "vis_1.s", "u")
        );
        assert_eq!(session.expires_at, "2026-11-27T10:00:00Z");
        assert!(matches!(
            super::session(r#"{"token":"t"}"#),
            Err(Error::Protocol(_))
        ));
        assert!(
            super::session(
                r#"{"token":"t","expiresAt":"2026-11-27T10:00:00Z","visitorId":"vis_1.s"}"#
            )
            .is_err(),
            "a session without its usage token"
        );
        assert!(super::session("<html>").is_err());
    }

    #[test]
    fn reads_usage_results_with_and_without_reasons() {
        let results = usage_results(
            r#"{"results":[{"id":"a","status":"accepted"},{"id":"b","status":"rejected","reason":"unknown_type"}]}"#,
        )
        .unwrap();
        assert_eq!(results.len(), 2);
        assert_eq!(results[0].status, UsageEventStatus::Accepted);
        assert_eq!(results[1].reason.as_deref(), Some("unknown_type"));
        assert!(usage_results(r#"{"results":[{"id":"a","status":"lost"}]}"#).is_err());
        assert!(usage_results(r#"{"results":{}}"#).is_err());
    }

    #[test]
    fn reads_a_widget_config_as_serde_would() {
        let full = r##"{"title":"Help","greeting":"Hi","locale":"de","primaryColor":"#112233",
            "primaryTextColor":"#ffffff","position":"left","starterPrompts":["a","b"],
            "avatarUrl":"https://example.com/a.png","launcherIcon":"headset","conversationDays":0}"##;
        let minimal = r##"{"title":"Help","greeting":"Hi","locale":"en","primaryColor":"#112233","position":"right"}"##;
        for text in [full, minimal] {
            let expected: WidgetConfig = serde_json::from_str(text).unwrap();
            assert_eq!(widget_config(text).unwrap(), expected);
        }
        assert!(widget_config(&full.replace("left", "top")).is_err());
        assert!(widget_config(r#"{"title":"Help"}"#).is_err());
        for days in ["-1", "1.5", "\"30\"", "null", "4294967296"] {
            let text = full.replace(
                r#""conversationDays":0"#,
                &format!(r#""conversationDays":{days}"#),
            );
            assert!(
                serde_json::from_str::<WidgetConfig>(&text).is_err(),
                "{days}"
            );
            assert!(
                widget_config(&text).is_err(),
                "conversationDays {days} was read"
            );
        }
    }

    #[test]
    fn a_config_from_an_older_server_gets_the_default_icon_and_retention() {
        let older = r##"{"title":"Help","greeting":"Hi","locale":"en","primaryColor":"#112233",
            "primaryTextColor":"#ffffff","position":"right"}"##;
        let config = widget_config(older).unwrap();
        assert_eq!(
            (config.launcher_icon.as_str(), config.conversation_days),
            ("chat", 30)
        );
        assert_eq!(
            LauncherIcon::from_name(&config.launcher_icon),
            Some(LauncherIcon::Chat)
        );
        // An icon newer than this SDK is passed on as its name, not refused.
        let newer = older.replace(r#""position""#, r#""launcherIcon":"rocket","position""#);
        assert_eq!(widget_config(&newer).unwrap().launcher_icon, "rocket");
    }

    #[test]
    fn reads_a_thread_as_serde_would() {
        let text = r#"{"threadId":"t","messages":[{"id":"1","role":"user","content":"Hi"},
            {"id":"2","role":"assistant","content":"Hello"},{"id":"3","role":"tool"}]}"#;
        let expected: ThreadMessages = serde_json::from_str(text).unwrap();
        assert_eq!(thread_messages(text).unwrap(), expected);
        assert!(
            thread_messages(r#"{"threadId":"t","messages":[{"id":"1","role":"robot"}]}"#).is_err()
        );
    }

    #[test]
    fn an_answer_is_its_deltas_and_a_failed_run_its_code() {
        let raw = |kind: &str, json: &str| RawEvent {
            kind: kind.into(),
            json: json.into(),
        };
        let delta = raw(
            "TEXT_MESSAGE_CONTENT",
            r#"{"type":"TEXT_MESSAGE_CONTENT","messageId":"m","delta":"Hel"}"#,
        );
        assert_eq!(answer_part(&delta).unwrap().unwrap(), "Hel");
        let failed = raw(
            "RUN_ERROR",
            r#"{"type":"RUN_ERROR","message":"down","code":"runtime_unavailable"}"#,
        );
        match answer_part(&failed) {
            Some(Err(Error::Run { code, message })) => {
                assert_eq!(
                    (code.as_str(), message.as_str()),
                    ("runtime_unavailable", "down")
                );
            }
            other => panic!("{other:?}"),
        }
        let bare = raw("RUN_ERROR", r#"{"type":"RUN_ERROR","message":"crashed"}"#);
        assert!(
            matches!(answer_part(&bare), Some(Err(Error::Run { code, .. })) if code == "runtime_error")
        );
        assert!(matches!(
            answer_part(&bare),
            Some(Err(error)) if error.code() == ErrorCode::RuntimeError && error.is(ErrorCode::RuntimeError)
        ));
        assert!(answer_part(&raw("RUN_STARTED", r#"{"type":"RUN_STARTED"}"#)).is_none());
    }

    #[test]
    fn reads_errors_event_types_and_stored_events() {
        let detail = error_detail(r#"{"error":{"code":"rate_limited","message":"slow"}}"#).unwrap();
        assert_eq!(detail.code, "rate_limited");
        assert!(error_detail(r#"{"error":"flat"}"#).is_none());
        assert_eq!(
            event_type(r#"{"type":"RUN_STARTED","threadId":"t"}"#).as_deref(),
            Some("RUN_STARTED")
        );
        assert_eq!(event_type("[1]"), None);
        let stored = stored_events(r#"[{"id":"a","n":1},{"no_id":true},7,{"id":"b"}]"#);
        let ids: Vec<&str> = stored.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(
            Json::parse(&stored[0].1).unwrap().get("n").unwrap().text(),
            "1"
        );
        assert!(stored_events("not json").is_empty());
        assert!(is_json(r#"{"a":[1,2]}"#) && !is_json("{a"));
    }
}
