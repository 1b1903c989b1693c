//! The rules an agent binding follows, shared by the CLI and the admin API: a
//! create request becomes a checked [`AgentSettings`], an update is checked in
//! full before anything changes.
//!
//! A runtime URL is where the server sends the agent's credential, so it must
//! pass the egress policy, carry no credential of its own, and never move to
//! another server while keeping the credential meant for the old one.

use sitekit_sdk::ErrorCode;
use sitekit_sdk::admin::{AgentTimeouts, AgentUpdate, NewAgentRequest};
use sitekit_sdk::fields::{
    AgentName, ConnectTimeout, FirstEventTimeout, FlowId, IdleTimeout, ModelName, RuntimeKey,
    RuntimeUrl, SystemPrompt, TotalTimeout,
};

use crate::agents::{Agent, RuntimeKind};
use crate::egress::EgressPolicy;
use crate::setting_rules::{SettingsError, has_control, one_line_text};

/// A setting that breaks a rule: a stable code for the API and a sentence a
/// person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AgentSettingsError {
    pub code: ErrorCode,
    pub message: String,
}

impl From<SettingsError> for AgentSettingsError {
    fn from(error: SettingsError) -> Self {
        AgentSettingsError {
            code: ErrorCode::InvalidSetting,
            message: error.0,
        }
    }
}

/// The kind a request names; Langflow when it names none.
fn runtime_kind(named: Option<&str>) -> Result<RuntimeKind, SettingsError> {
    let Some(named) = named else {
        return Ok(RuntimeKind::Langflow);
    };
    RuntimeKind::parse(named).ok_or_else(|| {
        let kinds: Vec<&str> = RuntimeKind::ALL.iter().map(|kind| kind.as_str()).collect();
        SettingsError(format!(
            "the runtime `{named}` is not supported; use one of: {}",
            kinds.join(", ")
        ))
    })
}

/// Everything a new agent needs, checked. No `Debug`: it holds the credential.
#[derive(Clone)]
pub struct AgentSettings {
    pub name: String,
    pub runtime: RuntimeKind,
    pub base_url: String,
    pub flow_id: String,
    pub model: String,
    pub system_prompt: String,
    pub timeouts: AgentTimeouts,
    pub runtime_key: String,
}

impl AgentSettings {
    /// The agent these settings make, under `id` in `tenant_id`, as version 1
    /// (a published agent's later versions are numbered as they are stored).
    pub fn into_agent(self, id: String, tenant_id: String) -> Agent {
        Agent {
            id,
            tenant_id,
            name: self.name,
            runtime: self.runtime,
            base_url: self.base_url,
            flow_id: self.flow_id,
            model: self.model,
            system_prompt: self.system_prompt,
            timeouts: self.timeouts,
            runtime_key: self.runtime_key,
            version: 1,
        }
    }

    /// `policy` is where runtimes may be: the server's `--runtime-allow`.
    pub fn from_request(
        request: &NewAgentRequest,
        policy: &EgressPolicy,
    ) -> Result<Self, AgentSettingsError> {
        let runtime = runtime_kind(request.runtime.as_deref())?;
        let settings = AgentSettings {
            name: name(&request.name)?,
            runtime,
            base_url: base_url(&request.base_url, policy)?,
            flow_id: short_text("flow id", &request.flow_id, FlowId::MAX_CHARS)?,
            model: short_text(
                "model",
                request.model.as_deref().unwrap_or_default(),
                ModelName::MAX_CHARS,
            )?,
            system_prompt: system_prompt(request.system_prompt.as_deref().unwrap_or_default())?,
            timeouts: timeouts(request.timeouts.unwrap_or_default())?,
            runtime_key: runtime_key(&request.runtime_key)?,
        };
        settings.check_runtime_needs()?;
        Ok(settings)
    }

    /// Each runtime needs its own piece: Langflow a flow, OpenAI a model.
    fn check_runtime_needs(&self) -> Result<(), AgentSettingsError> {
        match self.runtime {
            RuntimeKind::Langflow if self.flow_id.is_empty() => {
                Err(SettingsError("a langflow agent needs the flow id (flowId)".into()).into())
            }
            RuntimeKind::Openai if self.model.is_empty() => Err(SettingsError(
                "an openai agent needs the model (model), e.g. gpt-4o-mini".into(),
            )
            .into()),
            _ => Ok(()),
        }
    }
}

impl From<&Agent> for AgentSettings {
    fn from(agent: &Agent) -> Self {
        AgentSettings {
            name: agent.name.clone(),
            runtime: agent.runtime,
            base_url: agent.base_url.clone(),
            flow_id: agent.flow_id.clone(),
            model: agent.model.clone(),
            system_prompt: agent.system_prompt.clone(),
            timeouts: agent.timeouts,
            runtime_key: agent.runtime_key.clone(),
        }
    }
}

/// Applies an update to `agent` only if every field in it is valid. A base URL
/// on another server (scheme, host or port) needs the credential for that
/// server in the same update: the stored one was given for the old server.
pub fn apply_update(
    agent: &mut Agent,
    update: AgentUpdate,
    policy: &EgressPolicy,
) -> Result<(), AgentSettingsError> {
    let mut next = agent.clone();
    if let Some(text) = update.name {
        next.name = name(&text)?;
    }
    if let Some(url) = update.base_url {
        next.base_url = base_url(&url, policy)?;
        let moved = origin(&next.base_url) != origin(&agent.base_url);
        if moved && update.runtime_key.is_none() && !agent.runtime_key.is_empty() {
            return Err(AgentSettingsError {
                code: ErrorCode::RuntimeKeyRequired,
                message: "the base URL now names another server: send that server's credential \
                          (runtimeKey) in the same update, as the stored one belongs to the old \
                          server (send an empty runtimeKey for a runtime that needs none)"
                    .into(),
            });
        }
    }
    if let Some(id) = update.flow_id {
        next.flow_id = short_text("flow id", &id, FlowId::MAX_CHARS)?;
    }
    if let Some(model) = update.model {
        next.model = short_text("model", &model, ModelName::MAX_CHARS)?;
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
    one_line_text("the agent's name", text, AgentName::MAX_CHARS)
}

/// The runtime's address, without a trailing slash so paths join cleanly.
fn base_url(text: &str, policy: &EgressPolicy) -> Result<String, AgentSettingsError> {
    if text.chars().count() > RuntimeUrl::MAX_CHARS {
        return Err(SettingsError("the base URL is too long".into()).into());
    }
    let url = reqwest::Url::parse(text.trim())
        .map_err(|_| SettingsError(format!("the base URL `{text}` is not a URL")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(SettingsError(
            "the base URL must start with http:// or https:// and name a host".into(),
        )
        .into());
    }
    // The URL standard lets `*`, `!` and more into a host name; no DNS name or
    // address has them, so they are typos (or probes), refused as the spec's
    // pattern says.
    let host = url.host_str().unwrap_or_default();
    if !host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'[' | b']' | b':'))
    {
        return Err(SettingsError(format!(
            "the base URL's host `{host}` is not a host name or address"
        ))
        .into());
    }
    // Whatever is in the URL is shown in lists and logs: a credential belongs
    // in runtimeKey, which is never shown.
    if !url.username().is_empty()
        || url.password().is_some()
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(AgentSettingsError {
            code: ErrorCode::CredentialsInUrl,
            message: "the base URL may not carry a user name, password, query or fragment \
                      (user:pass@…, ?key=…): give the runtime's credential as runtimeKey"
                .into(),
        });
    }
    policy
        .check_url(&url)
        .map_err(|refused| AgentSettingsError {
            code: ErrorCode::RuntimeNotAllowed,
            message: refused.to_string(),
        })?;
    Ok(text.trim().trim_end_matches('/').to_owned())
}

/// Scheme, host and port: which server a URL reaches.
fn origin(url: &str) -> Option<String> {
    reqwest::Url::parse(url)
        .ok()
        .map(|url| url.origin().ascii_serialization())
}

fn short_text(what: &str, text: &str, max_chars: usize) -> Result<String, SettingsError> {
    if text.chars().count() > max_chars {
        return Err(SettingsError(format!("the {what} is too long")));
    }
    if has_control(text, &[]) {
        return Err(SettingsError(format!(
            "the {what} may not contain control characters"
        )));
    }
    Ok(text.trim().to_owned())
}

fn system_prompt(text: &str) -> Result<String, SettingsError> {
    if text.chars().count() > SystemPrompt::MAX_CHARS {
        return Err(SettingsError(format!(
            "the system prompt may have at most {} characters",
            SystemPrompt::MAX_CHARS
        )));
    }
    if has_control(text, &['\n', '\r', '\t']) {
        return Err(SettingsError(
            "the system prompt may not contain control characters other than line breaks and tabs"
                .into(),
        ));
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
    within(
        "connect",
        limits.connect_ms,
        ConnectTimeout::MIN_MS,
        ConnectTimeout::MAX_MS,
    )?;
    within(
        "first event",
        limits.first_event_ms,
        FirstEventTimeout::MIN_MS,
        FirstEventTimeout::MAX_MS,
    )?;
    within(
        "idle",
        limits.idle_ms,
        IdleTimeout::MIN_MS,
        IdleTimeout::MAX_MS,
    )?;
    within(
        "total",
        limits.total_ms,
        TotalTimeout::MIN_MS,
        TotalTimeout::MAX_MS,
    )?;
    if limits.first_event_ms > limits.total_ms || limits.idle_ms > limits.total_ms {
        return Err(SettingsError(
            "the first event and idle timeouts must not be longer than the total".into(),
        ));
    }
    Ok(limits)
}

fn runtime_key(text: &str) -> Result<String, SettingsError> {
    if text.chars().count() > RuntimeKey::MAX_CHARS {
        return Err(SettingsError("the runtime key is too long".into()));
    }
    // It travels as an HTTP header's value.
    if has_control(text, &[]) {
        return Err(SettingsError(
            "the runtime key may not contain control characters".into(),
        ));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the tests' local runtimes need: loopback allowed.
    fn local() -> EgressPolicy {
        EgressPolicy::parse("127.0.0.1").unwrap()
    }

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
        let Ok(settings) =
            AgentSettings::from_request(&request("http://127.0.0.1:7860/"), &local())
        else {
            panic!("a valid request was refused");
        };
        assert_eq!(settings.name, "Support");
        assert_eq!(settings.runtime, RuntimeKind::Langflow);
        assert_eq!(settings.base_url, "http://127.0.0.1:7860");
    }

    #[test]
    fn only_http_runtimes_and_known_adapters_are_accepted() {
        for bad in ["ftp://example.com", "not a url", "file:///etc/passwd"] {
            assert!(
                AgentSettings::from_request(&request(bad), &local()).is_err(),
                "{bad}"
            );
        }
        let unknown = NewAgentRequest {
            runtime: Some("mystery".into()),
            ..request("https://runtime.example.com")
        };
        let Err(error) = AgentSettings::from_request(&unknown, &local()) else {
            panic!("an unknown runtime was accepted");
        };
        assert!(error.message.contains("langflow"), "{error}");
    }

    #[test]
    fn each_runtime_needs_its_own_piece_and_timeouts_stay_in_bounds() {
        let openai = NewAgentRequest {
            runtime: Some("openai".into()),
            flow_id: String::new(),
            ..request("https://api.openai.com/v1")
        };
        assert!(
            AgentSettings::from_request(&openai, &local()).is_err(),
            "no model"
        );
        let openai = NewAgentRequest {
            model: Some("gpt-4o-mini".into()),
            ..openai
        };
        assert!(AgentSettings::from_request(&openai, &local()).is_ok());
        let langflow = NewAgentRequest {
            flow_id: " ".into(),
            ..request("http://127.0.0.1:7860")
        };
        assert!(
            AgentSettings::from_request(&langflow, &local()).is_err(),
            "no flow"
        );
        let agui = NewAgentRequest {
            runtime: Some("agui".into()),
            flow_id: String::new(),
            ..request("https://agent.example.com/run")
        };
        assert!(AgentSettings::from_request(&agui, &local()).is_ok());
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
            assert!(
                AgentSettings::from_request(&request, &local()).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_base_url_carries_no_credential_and_passes_the_egress_policy() {
        for bad in [
            "https://user:pass@runtime.example.com",
            "https://token@runtime.example.com",
            "https://runtime.example.com/run?key=secret",
            "https://runtime.example.com/run#key",
        ] {
            let Err(error) = AgentSettings::from_request(&request(bad), &local()) else {
                panic!("{bad} was accepted");
            };
            assert_eq!(error.code, "credentials_in_url", "{bad}");
        }
        for bad in [
            "http://10.0.0.5:7860",
            "http://localhost:7860",
            "http://[::1]:7860",
        ] {
            let Err(error) = AgentSettings::from_request(&request(bad), &local()) else {
                panic!("{bad} was accepted");
            };
            assert_eq!(error.code, "runtime_not_allowed", "{bad}");
            assert!(error.message.contains("--runtime-allow"), "{error}");
        }
        for bad in ["https://0.a*", "https://run!time.example.com"] {
            let Err(error) = AgentSettings::from_request(&request(bad), &local()) else {
                panic!("{bad} was accepted");
            };
            assert_eq!(error.code, "invalid_setting", "{bad}");
            assert!(error.message.contains("not a host name"), "{error}");
        }
        assert!(
            AgentSettings::from_request(&request("https://runtime.example.com:8443"), &local())
                .is_ok()
        );
    }

    #[test]
    fn moving_the_runtime_to_another_server_needs_a_new_credential() {
        let settings =
            AgentSettings::from_request(&request("https://runtime.example.com"), &local()).unwrap();
        let agent = settings.into_agent("agt_1".into(), "ten_1".into());
        let update = |url: &str, key: Option<&str>| AgentUpdate {
            base_url: Some(url.into()),
            runtime_key: key.map(str::to_owned),
            ..AgentUpdate::default()
        };
        for moved in [
            "https://other.example.com",
            "http://runtime.example.com",
            "https://runtime.example.com:8443",
        ] {
            let mut changed = agent.clone();
            let error = apply_update(&mut changed, update(moved, None), &local()).unwrap_err();
            assert_eq!(error.code, "runtime_key_required", "{moved}");
            assert_eq!(changed.base_url, agent.base_url, "nothing changed");
            let mut changed = agent.clone();
            apply_update(&mut changed, update(moved, Some("new-key")), &local()).unwrap();
            assert_eq!(
                (changed.base_url.as_str(), changed.runtime_key.as_str()),
                (moved, "new-key")
            );
        }
        // Another path on the same server keeps its credential.
        let mut changed = agent.clone();
        apply_update(
            &mut changed,
            update("https://runtime.example.com/v2", None),
            &local(),
        )
        .unwrap();
        assert_eq!(changed.runtime_key, "k");
    }

    #[test]
    fn texts_with_control_characters_are_refused() {
        let with = |change: &dyn Fn(&mut NewAgentRequest)| {
            let mut request = request("https://runtime.example.com");
            change(&mut request);
            AgentSettings::from_request(&request, &local())
        };
        assert!(with(&|r| r.name = "Sup\0port".into()).is_err());
        assert!(with(&|r| r.flow_id = "faq\u{1b}[2J".into()).is_err());
        assert!(with(&|r| r.runtime_key = "key\r\nX-Injected: 1".into()).is_err());
        assert!(with(&|r| r.system_prompt = Some("a\0b".into())).is_err());
        let kept = with(&|r| r.system_prompt = Some("Be brief.\n\tAlways.".into())).unwrap();
        assert_eq!(kept.system_prompt, "Be brief.\n\tAlways.");
    }
}
