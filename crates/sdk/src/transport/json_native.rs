//! Reading JSON natively: serde_json's `Value`.

use serde_json::Value;

/// One parsed JSON value (see `decode.rs` for why this exists).
pub(crate) struct Json(Value);

impl Json {
    pub fn parse(text: &str) -> Option<Json> {
        serde_json::from_str(text).ok().map(Json)
    }

    pub fn get(&self, key: &str) -> Option<Json> {
        self.0.get(key).cloned().map(Json)
    }

    pub fn string(&self) -> Option<String> {
        self.0.as_str().map(str::to_owned)
    }

    pub fn number(&self) -> Option<f64> {
        self.0.as_f64()
    }

    pub fn elements(&self) -> Option<Vec<Json>> {
        Some(self.0.as_array()?.iter().cloned().map(Json).collect())
    }

    pub fn text(&self) -> String {
        self.0.to_string()
    }
}
