//! The rules an agent binding follows, shared by the CLI and the admin API: a
//! create request becomes a checked [`AgentSettings`], an update is checked in
//! full before anything changes.

use sitekit_sdk::admin::{AgentTimeouts, AgentUpdate, NewAgentRequest};

use crate::db::Agent;
use crate::widget_settings::SettingsError;

/// The runtime adapters this server has (see `relay`).
pub const RUNTIMES: &[&str] = &["langflow", "openai", "agui"];
const MAX_NAME_CHARS: usize = 80;
const MAX_FIELD_LEN: usize = 2_000;
const MAX_SYSTEM_PROMPT_CHARS: usize = 8_000;

/// Everything a new agent needs, checked. No `Debug`: it holds the credential.
#[derive(Clone)]
pub struct AgentSettings {
    pub name: String,
    pub runtime: String,
    pub base_url: String,
    pub flow_id: String,
    pub model: String,
    pub system_prompt: String,
    pub timeouts: AgentTimeouts,
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
        let settings = AgentSettings {
            name: name(&request.name)?,
            runtime: runtime.to_owned(),
            base_url: base_url(&request.base_url)?,
            flow_id: short_text("flow id", &request.flow_id)?,
            model: short_text("model", request.model.as_deref().unwrap_or_default())?,
            system_prompt: system_prompt(request.system_prompt.as_deref().unwrap_or_default())?,
            timeouts: timeouts(request.timeouts.unwrap_or_default())?,
            runtime_key: runtime_key(&request.runtime_key)?,
        };
        settings.check_runtime_needs()?;
        Ok(settings)
    }

    /// Each runtime needs its own piece: Langflow a flow, OpenAI a model.
    fn check_runtime_needs(&self) -> Result<(), SettingsError> {
        match self.runtime.as_str() {
            "langflow" if self.flow_id.is_empty() => Err(SettingsError(
                "a langflow agent needs the flow id (flowId)".into(),
            )),
            "openai" if self.model.is_empty() => Err(SettingsError(
                "an openai agent needs the model (model), e.g. gpt-4o-mini".into(),
            )),
            _ => Ok(()),
        }
    }
}

impl From<&Agent> for AgentSettings {
    fn from(agent: &Agent) -> Self {
        AgentSettings {
            name: agent.name.clone(),
            runtime: agent.runtime.clone(),
            base_url: agent.base_url.clone(),
            flow_id: agent.flow_id.clone(),
            model: agent.model.clone(),
            system_prompt: agent.system_prompt.clone(),
            timeouts: agent.timeouts,
            runtime_key: agent.runtime_key.clone(),
        }
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
        next.flow_id = short_text("flow id", &id)?;
    }
    if let Some(model) = update.model {
        next.model = short_text("model", &model)?;
    }
    if let Some(prompt) = update.system_prompt {
        next.system_prompt = system_prompt(&prompt)?;
    }
    if let Some(limits) = update.timeouts {
        next.timeouts = timeouts(limits)?;
    }
    if let Some(key) = update.runtime_key {
        next.runtime_key = runtime_key(&key)?;
    }
    AgentSettings::from(&next).check_runtime_needs()?;
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

fn short_text(what: &str, text: &str) -> Result<String, SettingsError> {
    let text = text.trim();
    if text.len() > MAX_FIELD_LEN {
        return Err(SettingsError(format!("the {what} is too long")));
    }
    Ok(text.to_owned())
}

fn system_prompt(text: &str) -> Result<String, SettingsError> {
    if text.chars().count() > MAX_SYSTEM_PROMPT_CHARS {
        return Err(SettingsError(format!(
            "the system prompt may have at most {MAX_SYSTEM_PROMPT_CHARS} characters"
        )));
    }
    Ok(text.trim().to_owned())
}

/// Bounds that keep a run from failing at once or hanging for hours.
fn timeouts(limits: AgentTimeouts) -> Result<AgentTimeouts, SettingsError> {
    let within = |what: &str, ms: u32, min: u32, max: u32| {
        if (min..=max).contains(&ms) {
            Ok(())
        } else {
            Err(SettingsError(format!(
                "the {what} timeout must be {min} to {max} ms, not {ms}"
            )))
        }
    };
    within("connect", limits.connect_ms, 100, 60_000)?;
    within("first event", limits.first_event_ms, 100, 600_000)?;
    within("idle", limits.idle_ms, 100, 600_000)?;
    within("total", limits.total_ms, 1_000, 3_600_000)?;
    if limits.first_event_ms > limits.total_ms || limits.idle_ms > limits.total_ms {
        return Err(SettingsError(
            "the first event and idle timeouts must not be longer than the total".into(),
        ));
    }
    Ok(limits)
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
            model: None,
            system_prompt: None,
            timeouts: None,
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

    #[test]
    fn each_runtime_needs_its_own_piece_and_timeouts_stay_in_bounds() {
        let openai = NewAgentRequest {
            runtime: Some("openai".into()),
            flow_id: String::new(),
            ..request("https://api.openai.com/v1")
        };
        assert!(AgentSettings::from_request(&openai).is_err(), "no model");
        let openai = NewAgentRequest {
            model: Some("gpt-4o-mini".into()),
            ..openai
        };
        assert!(AgentSettings::from_request(&openai).is_ok());
        let langflow = NewAgentRequest {
            flow_id: " ".into(),
            ..request("http://127.0.0.1:7860")
        };
        assert!(AgentSettings::from_request(&langflow).is_err(), "no flow");
        let agui = NewAgentRequest {
            runtime: Some("agui".into()),
            flow_id: String::new(),
            ..request("https://agent.example.com/run")
        };
        assert!(AgentSettings::from_request(&agui).is_ok());
        for bad in [
            AgentTimeouts {
                connect_ms: 0,
                ..AgentTimeouts::default()
            },
            AgentTimeouts {
                first_event_ms: 400_000,
                total_ms: 300_000,
                ..AgentTimeouts::default()
            },
        ] {
            let request = NewAgentRequest {
                timeouts: Some(bad),
                ..request("http://127.0.0.1:7860")
            };
            assert!(AgentSettings::from_request(&request).is_err(), "{bad:?}");
        }
    }
}
