//! What the operator provisions for a marketplace purchase (a Waldur
//! resource, say): the buyer organisation's subscription and widget, each
//! found again by the purchase's external id so that provisioning the same
//! purchase twice, or again after a crash between steps, makes nothing twice;
//! what the marketplace decides of the widget (paused, a monthly budget); its
//! removal; and its usage in a calendar month, for billing.
//!
//! Everything an organisation could do itself runs through the organisation's
//! own operations, as the operator on that organisation (`operator-key:<id>`
//! in the audit trail); every route needs the `provisioning:write` scope.

use sitekit_sdk::ErrorCode;

use sitekit_sdk::operator::{
    MarketplaceControls, MonthlyUsage, OperatorWidget, ProvisionedSubscription, ProvisionedWidget,
};
use sitekit_sdk::subscriptions::Subscription;

use crate::db::Db;
use crate::error::ApiError;
use crate::keys::scopes::Scope;
use crate::operator::OperatorCaller;
use crate::operator::ops::existing;
use crate::subscriptions;
use crate::tenants::TenantScope;
use crate::tenants::ops::checked_external_id;
use crate::usage::month::UtcMonth;
use crate::usage::{UsageFilter, UsageSubject};
use crate::widgets::{self, Marketplace, Widget};

/// The organisation's subscription for the purchase, made now (`true`) or
/// found (`false`).
pub async fn subscription(
    db: &Db,
    caller: &OperatorCaller,
    organisation: &str,
    request: ProvisionedSubscription,
) -> Result<(Subscription, bool), ApiError> {
    caller.require(Scope::ProvisioningWrite)?;
    let external_id = checked_external_id(&request.external_id)?;
    let tenant = existing(db, organisation).await?;
    subscriptions::ops::find_or_create(
        db,
        &caller.on(&tenant.id),
        request.subscription,
        Some(&external_id),
    )
    .await
}

/// The organisation's widget for the purchase, with its publishable key and
/// snippet, made now (`true`) or found (`false`).
pub async fn widget(
    db: &Db,
    caller: &OperatorCaller,
    organisation: &str,
    request: ProvisionedWidget,
    public_url: &str,
) -> Result<(OperatorWidget, bool), ApiError> {
    caller.require(Scope::ProvisioningWrite)?;
    let external_id = checked_external_id(&request.external_id)?;
    let tenant = existing(db, organisation).await?;
    if let Some(found) = found_widget(db, &tenant.id, &external_id, public_url).await? {
        return Ok((found, false));
    }
    let marketplace = Marketplace {
        external_id: Some(external_id.clone()),
        paused: false,
        monthly_message_budget: i64::from(request.monthly_message_budget),
    };
    let made = widgets::ops::create_for(
        db,
        &caller.on(&tenant.id),
        request.widget,
        marketplace,
        public_url,
    )
    .await?;
    match made {
        Some(made) => Ok((
            OperatorWidget {
                organisation_id: tenant.id,
                widget: made.widget,
                publishable_key: Some(made.publishable_key),
                snippet: Some(made.snippet),
            },
            true,
        )),
        // Another request made it in the meantime.
        None => found_widget(db, &tenant.id, &external_id, public_url)
            .await?
            .map(|found| (found, false))
            .ok_or_else(|| ApiError::NotFound(format!("no widget for external id {external_id}"))),
    }
}

/// A widget of any organisation, as the operator sees it.
pub async fn get_widget(
    db: &Db,
    caller: &OperatorCaller,
    id: &str,
    public_url: &str,
) -> Result<OperatorWidget, ApiError> {
    caller.require(Scope::ProvisioningWrite)?;
    shown(db, live_widget(db, id).await?, public_url).await
}

/// Pauses or restores a widget, or changes its monthly budget.
pub async fn control_widget(
    db: &Db,
    caller: &OperatorCaller,
    id: &str,
    controls: MarketplaceControls,
    public_url: &str,
) -> Result<OperatorWidget, ApiError> {
    caller.require(Scope::ProvisioningWrite)?;
    let mut widget = live_widget(db, id).await?;
    let marketplace = &mut widget.marketplace;
    if let Some(paused) = controls.paused {
        marketplace.paused = paused;
    }
    if let Some(budget) = controls.monthly_message_budget {
        marketplace.monthly_message_budget = i64::from(budget);
    }
    if !db
        .set_marketplace_controls(id, marketplace.paused, marketplace.monthly_message_budget)
        .await?
    {
        return Err(no_widget(id));
    }
    shown(db, widget, public_url).await
}

/// Deletes a widget (its publishable key is revoked, its sessions end).
pub async fn delete_widget(db: &Db, caller: &OperatorCaller, id: &str) -> Result<(), ApiError> {
    caller.require(Scope::ProvisioningWrite)?;
    let widget = live_widget(db, id).await?;
    widgets::ops::delete(db, &caller.on(&widget.tenant_id), id).await
}

/// A widget's usage in a calendar month (UTC), to date; a deleted widget's
/// too, so that its last month can still be billed.
pub async fn widget_usage(
    db: &Db,
    caller: &OperatorCaller,
    id: &str,
    month: &str,
) -> Result<MonthlyUsage, ApiError> {
    caller.require(Scope::ProvisioningWrite)?;
    let month = UtcMonth::parse(month)
        .map_err(|error| ApiError::bad_request(ErrorCode::InvalidQuery, error.0))?;
    if !db
        .usage_subject_exists(&TenantScope::Operator, UsageSubject::Widget, id)
        .await?
    {
        return Err(no_widget(id));
    }
    let rows = db
        .daily_usage(&UsageFilter {
            scope: TenantScope::Operator,
            agent_id: None,
            widget_id: Some(id.to_owned()),
            key_id: None,
            from_day: month.first_day(),
            to_day: month.next_first_day() - 1,
        })
        .await?;
    let mut usage = MonthlyUsage {
        widget_id: id.to_owned(),
        month: month.to_string(),
        messages: 0,
        input_tokens: 0,
        output_tokens: 0,
    };
    for row in rows {
        usage.messages += row.counts.messages;
        usage.input_tokens += row.counts.input_tokens;
        usage.output_tokens += row.counts.output_tokens;
    }
    Ok(usage)
}

/// The widget made for `external_id`. A deleted one is not made again: the
/// purchase ended.
async fn found_widget(
    db: &Db,
    tenant_id: &str,
    external_id: &str,
    public_url: &str,
) -> Result<Option<OperatorWidget>, ApiError> {
    let Some((widget, deleted)) = db.widget_by_external_id(tenant_id, external_id).await? else {
        return Ok(None);
    };
    if deleted {
        return Err(ApiError::conflict(
            ErrorCode::ExternalIdInUse,
            format!(
                "{} was made for this external id and has been deleted; a purchase gets one \
                 widget",
                widget.id
            ),
        ));
    }
    shown(db, widget, public_url).await.map(Some)
}

/// A widget, with its organisation and what its pages load it with.
async fn shown(db: &Db, widget: Widget, public_url: &str) -> Result<OperatorWidget, ApiError> {
    let key = db.publishable_key_of(&widget.id).await?;
    Ok(OperatorWidget {
        organisation_id: widget.tenant_id.clone(),
        snippet: key
            .as_deref()
            .map(|key| widgets::snippet::auto_updating(public_url, key)),
        publishable_key: key,
        widget: widget.into(),
    })
}

async fn live_widget(db: &Db, id: &str) -> Result<Widget, ApiError> {
    db.widget_in(&TenantScope::Operator, id)
        .await?
        .ok_or_else(|| no_widget(id))
}

fn no_widget(id: &str) -> ApiError {
    ApiError::NotFound(format!("no widget with id {id}"))
}
