//! An HTTP body of AG-UI events as SSE `data:` lines, decoded as it arrives:
//! what Langflow's Workflows API and every AG-UI agent answer.

use futures_util::StreamExt;
use sitekit_sdk::agui::Event;
use sitekit_sdk::sse::{SseDecoder, SseFrame};

use super::{RelayError, Upstream, UpstreamEvents, excerpt};

/// The response's events, in order. A frame that is not an AG-UI event, one
/// over the decoder's limit, and a body that breaks off are runtime errors:
/// the runtime answered, then failed.
pub fn events(response: super::RuntimeResponse) -> UpstreamEvents {
    let mut decoder = SseDecoder::new();
    let events = response.bytes_stream().flat_map(move |chunk| {
        let decoded: Vec<Result<Upstream, RelayError>> = match chunk {
            Ok(bytes) => decoder
                .push(&bytes)
                .into_iter()
                .map(|frame| event(frame?))
                .collect(),
            Err(e) => vec![Err(RelayError::Runtime(format!("stream broke: {e}")))],
        };
        futures_util::stream::iter(decoded)
    });
    Box::pin(events)
}

fn event(frame: SseFrame) -> Result<Upstream, RelayError> {
    serde_json::from_str::<Event>(&frame.data)
        .map(Upstream::Event)
        .map_err(|e| {
            // serde's message may quote the frame too: both are cut short.
            RelayError::Runtime(format!(
                "malformed event ({}): `{}`",
                excerpt(&e.to_string(), ""),
                excerpt(&frame.data, "")
            ))
        })
}
