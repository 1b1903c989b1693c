//! Building one client usage event: a CloudEvent whose id is derived from its
//! content, so the same event sent again (a retry, a reload) keeps its id and the
//! server counts it once.

use serde::Serialize;

use crate::time::format_rfc3339_millis;

/// An event larger than this (as JSON) is refused before it is queued; the
/// server refuses them too.
pub const MAX_EVENT_BYTES: usize = 8 * 1024;

/// A built event: its id and its JSON, which is what gets queued, stored and sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Built {
    pub id: String,
    pub json: String,
}

/// [`crate::wire::UsageEvent`]'s shape without `data`, which is added as the JSON
/// text it came as: no `serde_json::Value` (and its number handling) in Wasm.
#[derive(Serialize)]
struct Outgoing<'a> {
    specversion: &'a str,
    id: &'a str,
    source: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    time: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    datacontenttype: Option<&'a str>,
}

/// The event `kind` with `data` (JSON text), from `source`, at `millis` since
/// the epoch; None when `data` is not JSON.
pub(crate) fn build(source: &str, kind: &str, millis: i64, data: Option<&str>) -> Option<Built> {
    let data = data.map(str::trim);
    if data.is_some_and(|data| !crate::decode::is_json(data)) {
        return None;
    }
    let time = format_rfc3339_millis(millis);
    let id = content_id(&[source, kind, &time, data.unwrap_or_default()]);
    let mut json = serde_json::to_string(&Outgoing {
        specversion: "1.0",
        id: &id,
        source,
        kind,
        time: &time,
        datacontenttype: data.is_some().then_some("application/json"),
    })
    .ok()?;
    if let Some(data) = data {
        json.pop(); // the object's closing brace
        json.push_str(",\"data\":");
        json.push_str(data);
        json.push('}');
    }
    Some(Built { id, json })
}

/// 128 bits of two FNV-1a hashes over the parts (each followed by a separator so
/// `["ab","c"]` and `["a","bc"]` differ), as 32 hex digits. Not a secret and not
/// collision-proof against an adversary: it only needs to tell one visitor's
/// events apart, and the server scopes ids by widget and source.
fn content_id(parts: &[&str]) -> String {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut low: u64 = 0xcbf2_9ce4_8422_2325;
    let mut high: u64 = 0x6c62_272e_07bb_0142;
    for byte in parts.iter().flat_map(|part| part.bytes().chain([0xff])) {
        low = (low ^ u64::from(byte)).wrapping_mul(PRIME);
        high = (high ^ u64::from(byte.rotate_left(3))).wrapping_mul(PRIME);
    }
    format!("{high:016x}{low:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::UsageEvent;
    use crate::wire::usage_types::FEEDBACK;

    const UP: Option<&str> = Some(r#"{"runId":"run-1","rating":"up"}"#);

    #[test]
    fn builds_a_cloudevent_the_wire_type_reads() {
        let built = build("/visitors/vis_1", FEEDBACK, 1_795_774_080_250, UP).unwrap();
        let event: UsageEvent = serde_json::from_str(&built.json).unwrap();
        assert_eq!(event.specversion, "1.0");
        assert_eq!(event.id, built.id);
        assert_eq!(event.id.len(), 32);
        assert_eq!(event.kind, FEEDBACK);
        assert_eq!(event.time, "2026-11-27T10:08:00.250Z");
        assert_eq!(event.datacontenttype.as_deref(), Some("application/json"));
        assert_eq!(event.data.unwrap()["rating"], "up");
        assert!(build("/v", FEEDBACK, 0, Some("{not json")).is_none());
        let bare = build("/v", FEEDBACK, 0, None).unwrap();
        let bare: UsageEvent = serde_json::from_str(&bare.json).unwrap();
        assert_eq!((bare.data, bare.datacontenttype), (None, None));
    }

    #[test]
    fn the_same_event_gets_the_same_id_and_any_change_a_new_one() {
        let id = |source, millis, data| build(source, FEEDBACK, millis, data).unwrap().id;
        let event = id("/visitors/vis_1", 1_795_774_080_250, UP);
        assert_eq!(id("/visitors/vis_1", 1_795_774_080_250, UP), event);
        let down = Some(r#"{"runId":"run-1","rating":"down"}"#);
        for other in [
            id("/visitors/vis_1", 1_795_774_080_251, UP),
            id("/visitors/vis_2", 1_795_774_080_250, UP),
            id("/visitors/vis_1", 1_795_774_080_250, down),
        ] {
            assert_ne!(other, event);
        }
    }

    #[test]
    fn parts_are_kept_apart() {
        assert_ne!(content_id(&["ab", "c"]), content_id(&["a", "bc"]));
    }
}
