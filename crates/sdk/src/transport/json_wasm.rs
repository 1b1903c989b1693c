//! Reading JSON in Wasm: the engine's own `JSON.parse`, so no JSON parser (and
//! none of serde's deserializers) is compiled into the Wasm.

use js_sys::{Array, JSON, Reflect};
use wasm_bindgen::JsValue;

/// One parsed JSON value (see `decode.rs` for why this exists).
pub(crate) struct Json(JsValue);

impl Json {
    pub fn parse(text: &str) -> Option<Json> {
        JSON::parse(text).ok().map(Json)
    }

    pub fn get(&self, key: &str) -> Option<Json> {
        if !self.0.is_object() || Array::is_array(&self.0) {
            return None;
        }
        let value = Reflect::get(&self.0, &JsValue::from_str(key)).ok()?;
        (!value.is_undefined()).then_some(Json(value))
    }

    pub fn string(&self) -> Option<String> {
        self.0.as_string()
    }

    pub fn number(&self) -> Option<f64> {
        self.0.as_f64()
    }

    pub fn elements(&self) -> Option<Vec<Json>> {
        Array::is_array(&self.0).then(|| Array::from(&self.0).iter().map(Json).collect())
    }

    pub fn text(&self) -> String {
        JSON::stringify(&self.0)
            .ok()
            .and_then(|text| text.as_string())
            .unwrap_or_default()
    }
}
