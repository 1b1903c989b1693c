//! The widget operations, once for every caller (`routes/widgets.rs`,
//! `routes/snippet.rs` and the local command line): `widgets:read` to look,
//! `widgets:write` to change. Creating a widget makes its publishable key.

use sitekit_sdk::ErrorCode;
use sitekit_sdk::admin::{
    CreatedWidget, NewWidgetRequest, WidgetSnippet, WidgetSummary, WidgetUpdate,
};

use crate::agents;
use crate::assets::Manifest;
use crate::db::Db;
use crate::error::ApiError;
use crate::keys::scopes::Scope;
use crate::keys::{Caller, KeyMode};
use crate::setting_rules::SettingsError;
use crate::subscriptions;
use crate::widgets::settings::{self, WidgetSettings};
use crate::widgets::snippet;
use crate::widgets::{Marketplace, Widget, WidgetRuns};

pub async fn list(db: &Db, caller: &Caller) -> Result<Vec<WidgetSummary>, ApiError> {
    caller.require(Scope::WidgetsRead)?;
    let widgets = db.widgets(caller.scope()).await?;
    Ok(widgets.into_iter().map(WidgetSummary::from).collect())
}

pub async fn get(db: &Db, caller: &Caller, id: &str) -> Result<WidgetSummary, ApiError> {
    caller.require(Scope::WidgetsRead)?;
    Ok(owned(db, caller, id).await?.into())
}

/// A widget of one of the caller's agents or subscriptions, with its
/// publishable key and the auto-updating snippet for a server at `public_url`.
pub async fn create(
    db: &Db,
    caller: &Caller,
    request: NewWidgetRequest,
    public_url: &str,
) -> Result<CreatedWidget, ApiError> {
    let created = create_for(db, caller, request, Marketplace::default(), public_url).await?;
    Ok(created.expect("a widget without an external id is always made"))
}

/// As [`create`], with what a marketplace decides of the widget; None, and
/// nothing made, when the organisation has a widget with its external id.
pub async fn create_for(
    db: &Db,
    caller: &Caller,
    request: NewWidgetRequest,
    marketplace: Marketplace,
    public_url: &str,
) -> Result<Option<CreatedWidget>, ApiError> {
    caller.require(Scope::WidgetsWrite)?;
    let runs = what_runs(db, caller, &request).await?;
    let settings = WidgetSettings::from_request(&request).map_err(invalid)?;
    let mode = KeyMode::of_test_mode(request.test_mode);
    let made = db
        .provision_widget(runs, settings, mode, &caller.actor(), marketplace)
        .await?;
    Ok(made.map(|(widget, key)| CreatedWidget {
        snippet: snippet::auto_updating(public_url, key.expose()),
        publishable_key: key.expose().to_owned(),
        widget: widget.into(),
    }))
}

/// What a new widget runs: an agent of the caller's own, or a subscription
/// of its organisation (then the widget is the buyer's, whoever sells it).
async fn what_runs(
    db: &Db,
    caller: &Caller,
    request: &NewWidgetRequest,
) -> Result<WidgetRuns, ApiError> {
    match (&request.agent_id, &request.subscription_id) {
        (Some(agent), None) => {
            let agent = agents::ops::owned(db, caller, agent).await?;
            Ok(WidgetRuns {
                tenant_id: agent.tenant_id,
                agent_id: agent.id,
                subscription_id: None,
            })
        }
        (None, Some(subscription)) => {
            let subscription = subscriptions::ops::owned(db, caller, subscription).await?;
            Ok(WidgetRuns {
                tenant_id: subscription.buyer_id,
                agent_id: subscription.version_agent_id,
                subscription_id: Some(subscription.id),
            })
        }
        _ => Err(ApiError::bad_request(
            ErrorCode::InvalidBody,
            "name what the widget runs: agentId (an agent of your own) or subscriptionId (a \
             subscription to a published agent), one of the two",
        )),
    }
}

/// Changes a widget; a bad field changes nothing.
pub async fn update(
    db: &Db,
    caller: &Caller,
    id: &str,
    update: WidgetUpdate,
) -> Result<WidgetSummary, ApiError> {
    caller.require(Scope::WidgetsWrite)?;
    let mut widget = owned(db, caller, id).await?;
    let test_mode = db.widget_is_test_mode(&widget.id).await?;
    settings::apply_update(&mut widget, update, test_mode).map_err(invalid)?;
    if !db.update_widget(&widget).await? {
        return Err(not_found(id));
    }
    Ok(widget.into())
}

/// Deletes the widget and revokes its publishable keys, ending its sessions
/// (on each node at its next reload of key states).
pub async fn delete(db: &Db, caller: &Caller, id: &str) -> Result<(), ApiError> {
    caller.require(Scope::WidgetsWrite)?;
    let widget = owned(db, caller, id).await?;
    if !db
        .delete_widget(&widget.tenant_id, id, &caller.actor())
        .await?
    {
        return Err(not_found(id));
    }
    Ok(())
}

/// The widget's auto-updating and pinned snippets, for a server at
/// `public_url` serving the assets of `manifest`.
pub async fn snippet(
    db: &Db,
    caller: &Caller,
    id: &str,
    public_url: &str,
    manifest: &Manifest,
) -> Result<WidgetSnippet, ApiError> {
    caller.require(Scope::WidgetsRead)?;
    let widget = owned(db, caller, id).await?;
    let key = db.publishable_key_of(&widget.id).await?.ok_or_else(|| {
        // The widget exists but has nothing a page could load: a snippet with
        // the dead key would only fail on the customer's site.
        ApiError::conflict(
            ErrorCode::PublishableKeyRevoked,
            format!(
                "widget {id} has no snippet: its publishable key was revoked; \
                 create a new widget for the site"
            ),
        )
    })?;
    Ok(snippet::for_widget(&widget.id, public_url, &key, manifest))
}

/// The caller's widget `id`; another tenant's is indistinguishable from one
/// that does not exist.
pub async fn owned(db: &Db, caller: &Caller, id: &str) -> Result<Widget, ApiError> {
    db.widget_in(caller.scope(), id)
        .await?
        .ok_or_else(|| not_found(id))
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("no widget with id {id}"))
}

fn invalid(error: SettingsError) -> ApiError {
    ApiError::bad_request(ErrorCode::InvalidSetting, error.0)
}
