//! Webhook operations, once for every caller: all of them take
//! `webhooks:write` (an endpoint's URL and its log are as sensitive as
//! changing them), and another organisation's endpoint answers exactly like
//! one that does not exist.

use sitekit_sdk::ErrorCode;
use sitekit_sdk::fields::{PageLimit, WebhookEndpoints, WebhookEvent};
use sitekit_sdk::webhooks::{
    DeliveryPage, DeliveryQuery, DeliveryState, NewWebhookRequest, Webhook, WebhookDelivery,
    WebhookList, WebhookUpdate, WebhookWithSecret,
};

use super::endpoint_url::EndpointUrl;
use super::events::{EventType, rfc3339};
use super::signing::SigningSecret;
use super::store::{DeliveryRow, EndpointRow};
use crate::db::{Db, now_unix_ms};
use crate::egress::EgressPolicy;
use crate::error::ApiError;
use crate::keys::Caller;
use crate::keys::scopes::Scope;

/// How long the secret before a rotation goes on signing beside the new one.
pub const PREVIOUS_SECRET_VALID_MS: i64 = 24 * 3_600 * 1_000;

/// Registers an endpoint; its secret is in this answer and in no other.
pub async fn create(
    db: &Db,
    caller: &Caller,
    policy: &EgressPolicy,
    request: &NewWebhookRequest,
) -> Result<WebhookWithSecret, ApiError> {
    caller.require(Scope::WebhooksWrite)?;
    let tenant = caller.tenant()?;
    let url = EndpointUrl::parse(&request.url, policy)?;
    let events = parse_events(&request.events)?;
    let secret = SigningSecret::generate();
    let max = WebhookEndpoints::MAX_COUNT;
    let row = db
        .create_webhook(
            tenant.as_str(),
            url.as_str(),
            &events,
            &secret,
            max,
            now_unix_ms(),
        )
        .await?
        .ok_or_else(|| {
            // The request is well formed; the organisation's state refuses it.
            ApiError::conflict(
                ErrorCode::TooManyWebhooks,
                format!("an organisation has at most {max} webhook endpoints; delete one first"),
            )
        })?;
    Ok(WebhookWithSecret {
        webhook: webhook(&row),
        secret: secret.expose().to_owned(),
    })
}

/// The caller's endpoints, without secrets.
pub async fn list(db: &Db, caller: &Caller) -> Result<WebhookList, ApiError> {
    caller.require(Scope::WebhooksWrite)?;
    let rows = db.webhooks(caller.scope()).await?;
    Ok(WebhookList {
        webhooks: rows.iter().map(webhook).collect(),
    })
}

pub async fn get(db: &Db, caller: &Caller, id: &str) -> Result<Webhook, ApiError> {
    Ok(webhook(&endpoint(db, caller, id).await?))
}

/// Changes an endpoint's URL or events, checked in full before anything changes.
pub async fn update(
    db: &Db,
    caller: &Caller,
    policy: &EgressPolicy,
    id: &str,
    change: &WebhookUpdate,
) -> Result<Webhook, ApiError> {
    let mut row = endpoint(db, caller, id).await?;
    if let Some(url) = &change.url {
        row.url = EndpointUrl::parse(url, policy)?.as_str().to_owned();
    }
    if let Some(events) = &change.events {
        row.events = parse_events(events)?;
    }
    if !db
        .update_webhook(caller.scope(), id, &row.url, &row.events)
        .await?
    {
        return Err(not_found(id));
    }
    Ok(webhook(&row))
}

/// Deletes an endpoint: nothing more is sent to it, pending deliveries
/// included (they end `failed`).
pub async fn delete(db: &Db, caller: &Caller, id: &str) -> Result<(), ApiError> {
    caller.require(Scope::WebhooksWrite)?;
    if !db.delete_webhook(caller.scope(), id, now_unix_ms()).await? {
        return Err(not_found(id));
    }
    Ok(())
}

/// A new secret, shown in this answer only; the old one signs beside it for
/// [`PREVIOUS_SECRET_VALID_MS`].
pub async fn rotate_secret(
    db: &Db,
    caller: &Caller,
    id: &str,
) -> Result<WebhookWithSecret, ApiError> {
    caller.require(Scope::WebhooksWrite)?;
    let secret = SigningSecret::generate();
    let until = now_unix_ms() + PREVIOUS_SECRET_VALID_MS;
    let row = db
        .rotate_webhook_secret(caller.scope(), id, &secret, until)
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok(WebhookWithSecret {
        webhook: webhook(&row),
        secret: secret.expose().to_owned(),
    })
}

/// A page of an endpoint's delivery log, newest first.
pub async fn deliveries(
    db: &Db,
    caller: &Caller,
    id: &str,
    query: &DeliveryQuery,
) -> Result<DeliveryPage, ApiError> {
    let row = endpoint(db, caller, id).await?;
    let limit = query.limit.unwrap_or(PageLimit::DEFAULT);
    if !(1..=PageLimit::MAX).contains(&limit) {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidQuery,
            format!("`limit` is 1 to {}", PageLimit::MAX),
        ));
    }
    let before = match &query.before {
        Some(before) => {
            let at = db
                .webhook_delivery_created_at(&row.id, before)
                .await?
                .ok_or_else(|| {
                    ApiError::NotFound(format!(
                        "no delivery {before} of this endpoint; pass a page's `nextBefore`"
                    ))
                })?;
            Some((at, before.as_str()))
        }
        None => None,
    };
    let mut rows = db
        .webhook_deliveries(&row.id, before, i64::from(limit) + 1)
        .await?;
    let next_before = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last().map(|last| last.id.clone())
    } else {
        None
    };
    Ok(DeliveryPage {
        deliveries: rows.into_iter().map(delivery).collect(),
        next_before,
    })
}

/// Sends a delivery again, as it was and with the same `webhook-id` (a
/// receiver that took it already may drop it), retried for another day.
pub async fn resend(db: &Db, caller: &Caller, id: &str, delivery_id: &str) -> Result<(), ApiError> {
    let row = endpoint(db, caller, id).await?;
    if !db
        .resend_delivery(&row.id, delivery_id, now_unix_ms())
        .await?
    {
        return Err(ApiError::NotFound(format!(
            "no delivery with id {delivery_id} of webhook {id}"
        )));
    }
    Ok(())
}

/// A live endpoint of the caller's, once the caller may manage webhooks.
async fn endpoint(db: &Db, caller: &Caller, id: &str) -> Result<EndpointRow, ApiError> {
    caller.require(Scope::WebhooksWrite)?;
    db.webhook(caller.scope(), id)
        .await?
        .ok_or_else(|| not_found(id))
}

/// At least one event type, each known and named once.
fn parse_events(names: &[String]) -> Result<Vec<EventType>, ApiError> {
    let invalid = |message: String| ApiError::bad_request(ErrorCode::InvalidBody, message);
    if names.is_empty() {
        return Err(invalid("`events` names at least one event type".into()));
    }
    if names.len() > EventType::ALL.len() {
        return Err(invalid(format!(
            "`events` names at most {} event types",
            EventType::ALL.len()
        )));
    }
    let mut events = Vec::with_capacity(names.len());
    for name in names {
        let event = EventType::parse(name).ok_or_else(|| {
            let shown: String = name.chars().take(64).collect();
            invalid(format!(
                "unknown event type `{shown}`; event types are: {}",
                WebhookEvent::NAMES.join(", ")
            ))
        })?;
        if events.contains(&event) {
            return Err(invalid(format!("`events` names {name} twice")));
        }
        events.push(event);
    }
    Ok(events)
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("no webhook with id {id}"))
}

fn webhook(row: &EndpointRow) -> Webhook {
    let now = now_unix_ms();
    Webhook {
        id: row.id.clone(),
        url: row.url.clone(),
        events: row
            .events
            .iter()
            .map(|event| event.as_str().to_owned())
            .collect(),
        created_at: rfc3339(row.created_at),
        previous_secret_expires_at: row
            .previous_secret_until
            .filter(|until| *until > now)
            .map(rfc3339),
    }
}

fn delivery(row: DeliveryRow) -> WebhookDelivery {
    let state = match row.state.as_str() {
        "done" => DeliveryState::Done,
        "failed" => DeliveryState::Failed,
        _ => DeliveryState::Pending,
    };
    WebhookDelivery {
        id: row.id,
        event_type: row.event_type,
        state,
        attempts: row.attempts,
        last_status: row.last_status,
        last_error: row.last_error,
        created_at: rfc3339(row.created_at),
        next_attempt_at: (state == DeliveryState::Pending).then(|| rfc3339(row.next_attempt_at)),
        done_at: row.done_at.map(rfc3339),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_known_named_once_and_at_least_one() {
        let names = |list: &[&str]| list.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            parse_events(&names(&["run.failed", "usage.daily"])).unwrap(),
            [EventType::RunFailed, EventType::UsageDaily]
        );
        for broken in [
            &[][..],
            &["run.failed", "run.failed"][..],
            &["webhook.test"][..],
            &["Run.Failed"][..],
        ] {
            assert!(parse_events(&names(broken)).is_err(), "{broken:?}");
        }
    }
}
