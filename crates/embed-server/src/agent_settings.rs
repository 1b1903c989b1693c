//! The rules an agent binding follows, shared by the CLI and the admin API: a
//! create request becomes a checked [`AgentSettings`], an update is checked in
//! full before anything changes.

use sitekit_sdk::admin::{AgentUpdate, NewAgentRequest};

use crate::db::Agent;
use crate::widget_settings::SettingsError;

/// The runtime adapters this server has (see `relay`).
pub const RUNTIMES: &[&str] = &["langflow"];
const MAX_NAME_CHARS: usize = 80;
const MAX_FIELD_LEN: usize = 2_000;

/// Everything a new agent needs, checked. No `Debug`: it holds the credential.
#[derive(Clone)]
pub struct AgentSettings {
    pub name: String,
    pub runtime: String,
    pub base_url: String,
    pub flow_id: String,
    pub runtime_key: String,
}

impl AgentSettings {
    pub fn from_request(request: &NewAgentRequest) -> Result<Self, SettingsError> {
        let runtime = request.runtime.as_deref().unwrap_or(RUNTIMES[0]);
        if !RUNTIMES.contains(&runtime) {
            return Err(SettingsError(format!(
                "the runtime `{runtime}` is not supported; use one of: {}",
                RUNTIMES.join(", ")
            )));
        }
        Ok(AgentSettings {
            name: name(&request.name)?,
            runtime: runtime.to_owned(),
            base_url: base_url(&request.base_url)?,
            flow_id: flow_id(&request.flow_id)?,
            runtime_key: runtime_key(&request.runtime_key)?,
        })
    }
}

/// Applies an update to `agent` only if every field in it is valid.
pub fn apply_update(agent: &mut Agent, update: AgentUpdate) -> Result<(), SettingsError> {
    let mut next = agent.clone();
    if let Some(text) = update.name {
        next.name = name(&text)?;
    }
    if let Some(url) = update.base_url {
        next.base_url = base_url(&url)?;
    }
    if let Some(id) = update.flow_id {
        next.flow_id = flow_id(&id)?;
    }
    if let Some(key) = update.runtime_key {
        next.runtime_key = runtime_key(&key)?;
    }
    *agent = next;
    Ok(())
}

fn name(text: &str) -> Result<String, SettingsError> {
    match text.trim().chars().count() {
        0 => Err(SettingsError("the agent's name must not be empty".into())),
        1..=MAX_NAME_CHARS => Ok(text.trim().to_owned()),
        _ => Err(SettingsError(format!(
            "the agent's name may have at most {MAX_NAME_CHARS} characters"
        ))),
    }
}

/// The runtime's address, without a trailing slash so paths join cleanly.
fn base_url(text: &str) -> Result<String, SettingsError> {
    let url = reqwest::Url::parse(text.trim())
        .map_err(|_| SettingsError(format!("the base URL `{text}` is not a URL")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(SettingsError(
            "the base URL must start with http:// or https:// and name a host".into(),
        ));
    }
    if text.len() > MAX_FIELD_LEN {
        return Err(SettingsError("the base URL is too long".into()));
    }
    Ok(text.trim().trim_end_matches('/').to_owned())
}

fn flow_id(text: &str) -> Result<String, SettingsError> {
    let text = text.trim();
    if text.is_empty() || text.len() > MAX_FIELD_LEN {
        return Err(SettingsError("the flow id must not be empty".into()));
    }
    Ok(text.to_owned())
}

fn runtime_key(text: &str) -> Result<String, SettingsError> {
    if text.len() > MAX_FIELD_LEN {
        return Err(SettingsError("the runtime key is too long".into()));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(base_url: &str) -> NewAgentRequest {
        NewAgentRequest {
            name: " Support ".into(),
            runtime: None,
            base_url: base_url.into(),
            flow_id: "faq".into(),
            runtime_key: "k".into(),
        }
    }

    #[test]
    fn a_request_is_trimmed_and_defaults_to_langflow() {
        let Ok(settings) = AgentSettings::from_request(&request("http://127.0.0.1:7860/")) else {
            panic!("a valid request was refused");
        };
        assert_eq!(settings.name, "Support");
        assert_eq!(settings.runtime, "langflow");
        assert_eq!(settings.base_url, "http://127.0.0.1:7860");
    }

    #[test]
    fn only_http_runtimes_and_known_adapters_are_accepted() {
        for bad in ["ftp://example.com", "not a url", "file:///etc/passwd"] {
            assert!(AgentSettings::from_request(&request(bad)).is_err(), "{bad}");
        }
        let unknown = NewAgentRequest {
            runtime: Some("mystery".into()),
            ..request("https://runtime.example.com")
        };
        let Err(error) = AgentSettings::from_request(&unknown) else {
            panic!("an unknown runtime was accepted");
        };
        assert!(error.0.contains("langflow"), "{error}");
    }
}
