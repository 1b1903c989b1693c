//! The catalog operations, once for every caller (`routes/catalog.rs` and the
//! local command line). Every organisation with `widgets:read` browses the
//! catalog; a seller with `catalog:write` publishes to it. A version, once
//! published, never changes; its binding is shown only to its seller and its
//! credential to no one.

use sitekit_sdk::ErrorCode;
use sitekit_sdk::admin::{AgentUpdate, NewAgentRequest};
use sitekit_sdk::catalog::{
    AgentVersion, Canary, NewAgentVersion, NewPublishedAgent, PublishedAgent, PublishedAgentUpdate,
};
use sitekit_sdk::fields::{AgentDescription, AgentName, AvatarUrl, CanaryPercent, ReleaseNotes};

use crate::agents::Agent;
use crate::agents::settings::{self, AgentSettings, AgentSettingsError};
use crate::catalog::store::{CatalogEntry, VersionNotes, VersionRecord};
use crate::db::Db;
use crate::egress::EgressPolicy;
use crate::error::ApiError;
use crate::keys::Caller;
use crate::keys::scopes::Scope;
use crate::setting_rules::{SettingsError, has_control, one_line_text};
use crate::tenants::TenantId;

/// The catalog as the caller may see it.
pub async fn list(db: &Db, caller: &Caller) -> Result<Vec<PublishedAgent>, ApiError> {
    caller.require(Scope::WidgetsRead)?;
    let (entries, versions) = tokio::try_join!(
        db.catalog(caller.scope()),
        db.catalog_versions(caller.scope(), None)
    )?;
    Ok(entries
        .into_iter()
        .map(|entry| shown(caller, entry, &versions))
        .collect())
}

pub async fn get(db: &Db, caller: &Caller, id: &str) -> Result<PublishedAgent, ApiError> {
    caller.require(Scope::WidgetsRead)?;
    let entry = visible(db, caller, id).await?;
    let versions = db.catalog_versions(caller.scope(), Some(id)).await?;
    Ok(shown(caller, entry, &versions))
}

/// A new entry of the caller's organisation, which must sell agents.
pub async fn create(
    db: &Db,
    caller: &Caller,
    request: NewPublishedAgent,
) -> Result<PublishedAgent, ApiError> {
    caller.require(Scope::CatalogWrite)?;
    let seller = seller(db, caller).await?;
    let name = name(&request.name).map_err(invalid)?;
    let description = description(&request.description).map_err(invalid)?;
    let icon_url = icon_url(request.icon_url.as_deref()).map_err(invalid)?;
    let id = db
        .create_published_agent(seller.as_str(), &name, &description, icon_url.as_deref())
        .await?;
    // Read back, for the seller's name; a new entry has no version yet.
    Ok(shown(caller, owned(db, caller, &id).await?, &[]))
}

/// Renames, re-describes, deprecates, withdraws or restores an entry, or
/// changes its rollout: the released version (promoting a canary, or rolling
/// back) and the canary's share (0 rolls the canary back). A bad field changes
/// nothing.
pub async fn update(
    db: &Db,
    caller: &Caller,
    id: &str,
    update: PublishedAgentUpdate,
) -> Result<PublishedAgent, ApiError> {
    caller.require(Scope::CatalogWrite)?;
    let mut entry = owned(db, caller, id).await?;
    if let Some(text) = update.name {
        entry.name = name(&text).map_err(invalid)?;
    }
    if let Some(text) = update.description {
        entry.description = description(&text).map_err(invalid)?;
    }
    if let Some(url) = update.icon_url {
        entry.icon_url =
            icon_url(Some(url.as_str()).filter(|url| !url.is_empty())).map_err(invalid)?;
    }
    if let Some(status) = update.status {
        entry.status = status;
    }
    let versions = db.catalog_versions(caller.scope(), Some(id)).await?;
    if let Some(version) = update.released_version {
        if !versions
            .iter()
            .any(|published| published.version == version)
        {
            return Err(ApiError::conflict(
                ErrorCode::UnknownVersion,
                format!("{id} has no version {version} to release"),
            ));
        }
        entry.released_version = Some(version);
        // Released to all, the canary has nothing left to try.
        entry.canary = entry.canary.filter(|canary| canary.version != version);
    }
    if let Some(percent) = update.canary_percent {
        entry.canary = match (entry.canary, percent) {
            (_, 0) => None,
            (_, percent) if percent > CanaryPercent::MAX => {
                return Err(invalid(canary_share_error()));
            }
            (Some(canary), percent) => Some(Canary { percent, ..canary }),
            (None, _) => {
                return Err(invalid(SettingsError(format!(
                    "{id} has no canary to change; publish a version with canaryPercent to \
                     start one"
                ))));
            }
        };
    }
    db.update_published_agent(&entry).await?;
    Ok(shown(caller, entry, &versions))
}

/// Publishes the next version of the caller's entry `id`.
pub async fn publish_version(
    db: &Db,
    caller: &Caller,
    id: &str,
    request: NewAgentVersion,
    runtimes: &EgressPolicy,
) -> Result<AgentVersion, ApiError> {
    caller.require(Scope::CatalogWrite)?;
    let entry = owned(db, caller, id).await?;
    let canary_percent = match request.canary_percent {
        Some(percent) if !(1..=CanaryPercent::MAX).contains(&percent) => {
            return Err(invalid(canary_share_error()));
        }
        Some(_) if entry.released_version.is_none() => {
            return Err(invalid(SettingsError(
                "the first version is released to every subscription; a canary tries a later \
                 one on a share of them"
                    .into(),
            )));
        }
        percent => percent,
    };
    let notes = VersionNotes {
        release_notes: release_notes(&request.release_notes).map_err(invalid)?,
        buyer_settings: request.buyer_settings,
        canary_percent,
    };
    let latest = db
        .catalog_versions(caller.scope(), Some(id))
        .await?
        .pop()
        .map(|version| version.binding);
    let settings = binding(&entry, latest, request, runtimes).map_err(invalid_binding)?;
    let version = db.publish_version(&entry, settings, notes).await?;
    Ok(version_shown(version, true))
}

/// The runtime binding a new version runs: the request's fields over the
/// latest version's when the runtime stays the same kind, the request's alone
/// for the first version or a new kind. A binding on another server needs that
/// server's credential, as an agent's update does.
fn binding(
    entry: &CatalogEntry,
    latest: Option<Agent>,
    request: NewAgentVersion,
    runtimes: &EgressPolicy,
) -> Result<AgentSettings, AgentSettingsError> {
    let same_kind = |latest: &Agent| {
        request
            .runtime
            .as_deref()
            .is_none_or(|kind| kind == latest.runtime.as_str())
    };
    match latest {
        Some(mut latest) if same_kind(&latest) => {
            let update = AgentUpdate {
                name: Some(entry.name.clone()),
                base_url: request.base_url,
                flow_id: request.flow_id,
                model: request.model,
                system_prompt: request.system_prompt,
                timeouts: request.timeouts,
                runtime_key: request.runtime_key,
            };
            settings::apply_update(&mut latest, update, runtimes)?;
            Ok(AgentSettings::from(&latest))
        }
        _ => {
            let Some(base_url) = request.base_url else {
                return Err(SettingsError(
                    "the first version of an agent, or one on another kind of runtime, names \
                     its runtime: baseUrl, and flowId or model"
                        .into(),
                )
                .into());
            };
            let request = NewAgentRequest {
                name: entry.name.clone(),
                runtime: request.runtime,
                base_url,
                flow_id: request.flow_id.unwrap_or_default(),
                model: request.model,
                system_prompt: request.system_prompt,
                timeouts: request.timeouts,
                runtime_key: request.runtime_key.unwrap_or_default(),
            };
            AgentSettings::from_request(&request, runtimes)
        }
    }
}

/// The caller's organisation, if it sells agents.
pub async fn seller(db: &Db, caller: &Caller) -> Result<TenantId, ApiError> {
    let tenant = caller.tenant()?;
    match db.tenant(tenant.as_str()).await? {
        Some(org) if org.roles.seller => Ok(tenant.clone()),
        _ => Err(ApiError::forbidden(
            ErrorCode::NotASeller,
            "only an organisation that sells agents publishes them; the server's operator makes \
             one with `sitekit tenants create --role seller`",
        )),
    }
}

/// An entry the caller may see.
async fn visible(db: &Db, caller: &Caller, id: &str) -> Result<CatalogEntry, ApiError> {
    db.catalog_entry(caller.scope(), id)
        .await?
        .ok_or_else(|| not_found(id))
}

/// One of the caller's own entries; another seller's is indistinguishable from
/// one that does not exist.
async fn owned(db: &Db, caller: &Caller, id: &str) -> Result<CatalogEntry, ApiError> {
    visible(db, caller, id)
        .await?
        .into_owned_by(caller)
        .ok_or_else(|| not_found(id))
}

impl CatalogEntry {
    fn into_owned_by(self, caller: &Caller) -> Option<CatalogEntry> {
        caller.scope().reaches(&self.seller_id).then_some(self)
    }
}

/// An entry with its versions, their bindings only for its seller.
fn shown(caller: &Caller, entry: CatalogEntry, versions: &[VersionRecord]) -> PublishedAgent {
    let own = caller.scope().reaches(&entry.seller_id);
    PublishedAgent {
        versions: versions
            .iter()
            .filter(|version| version.published_agent_id == entry.id)
            .map(|version| version_shown(version.clone(), own))
            .collect(),
        id: entry.id,
        seller_id: entry.seller_id,
        seller_name: entry.seller_name,
        name: entry.name,
        description: entry.description,
        icon_url: entry.icon_url,
        status: entry.status,
        released_version: entry.released_version,
        canary: entry.canary,
    }
}

fn canary_share_error() -> SettingsError {
    SettingsError(format!(
        "a canary's share is 1 to {} percent of the subscriptions that follow the latest \
         version (0 ends it)",
        CanaryPercent::MAX
    ))
}

fn version_shown(version: VersionRecord, with_binding: bool) -> AgentVersion {
    AgentVersion {
        version: version.version,
        release_notes: version.release_notes,
        buyer_settings: version.buyer_settings,
        published_at: version.published_at,
        binding: with_binding.then(|| version.binding.into()),
    }
}

fn name(text: &str) -> Result<String, SettingsError> {
    one_line_text("the agent's name", text, AgentName::MAX_CHARS)
}

fn description(text: &str) -> Result<String, SettingsError> {
    lines("the description", text, AgentDescription::MAX_CHARS)
}

fn release_notes(text: &str) -> Result<String, SettingsError> {
    lines("the release notes", text, ReleaseNotes::MAX_CHARS)
}

/// A text of several lines (`what` names it): at most `max_chars`, line breaks
/// and tabs but no other control character; stored trimmed.
fn lines(what: &str, text: &str, max_chars: usize) -> Result<String, SettingsError> {
    if text.chars().count() > max_chars {
        Err(SettingsError(format!(
            "{what} may have at most {max_chars} characters"
        )))
    } else if has_control(text, &['\n', '\r', '\t']) {
        Err(SettingsError(format!(
            "{what} may not contain control characters other than line breaks and tabs"
        )))
    } else {
        Ok(text.trim().to_owned())
    }
}

fn icon_url(url: Option<&str>) -> Result<Option<String>, SettingsError> {
    match url {
        None => Ok(None),
        Some(url) if AvatarUrl::is_valid(url) => Ok(Some(url.to_owned())),
        Some(_) => Err(SettingsError(format!(
            "the icon must be an https:// URL of at most {} characters, without spaces, quotes, \
             `<`, `>`, `\\` or brackets",
            AvatarUrl::MAX_LEN
        ))),
    }
}

fn invalid(error: SettingsError) -> ApiError {
    ApiError::bad_request(ErrorCode::InvalidSetting, error.0)
}

fn invalid_binding(error: AgentSettingsError) -> ApiError {
    ApiError::bad_request(error.code, error.message)
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("no published agent with id {id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_and_notes_keep_line_breaks_but_no_other_control_character() {
        assert_eq!(
            description("  Answers\n\tquestions  ").unwrap(),
            "Answers\n\tquestions"
        );
        assert!(description("bell\u{7}").is_err());
        assert!(release_notes(&"x".repeat(ReleaseNotes::MAX_CHARS)).is_ok());
        assert!(release_notes(&"x".repeat(ReleaseNotes::MAX_CHARS + 1)).is_err());
    }

    #[test]
    fn icons_are_plain_https_urls() {
        assert_eq!(icon_url(None).unwrap(), None);
        assert!(icon_url(Some("https://cdn.example.com/a.png")).is_ok());
        assert!(icon_url(Some("javascript:alert(1)")).is_err());
        assert!(icon_url(Some("https://x\"onload=1")).is_err());
    }
}
