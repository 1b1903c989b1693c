//! The webhook tables (migration 0026): endpoints, their sealed secrets, and
//! the deliveries that are both the outbox and the log. Every query of an
//! organisation's rows is bound to its tenant scope; the worker's queries
//! (`claim_deliveries`, `finish_delivery`) reach every tenant's.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::events::{EventType, RETRY_FOR_MS};
use super::signing::SigningSecret;
use crate::db::{Db, new_id};
use crate::master_key::SecretPlace;
use crate::tenants::TenantScope;

/// An endpoint as stored, without its secrets.
#[derive(Debug, Clone)]
pub struct EndpointRow {
    pub id: String,
    pub url: String,
    pub events: Vec<EventType>,
    pub created_at: i64,
    pub previous_secret_until: Option<i64>,
}

/// A delivery as the log shows it.
#[derive(Debug, Clone)]
pub struct DeliveryRow {
    pub id: String,
    pub event_type: String,
    pub state: String,
    pub attempts: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub next_attempt_at: i64,
    pub done_at: Option<i64>,
}

/// A delivery a node has leased to send now, with what sending takes.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: String,
    pub lease_token: String,
    pub url: String,
    pub payload: String,
    pub attempts: i64,
    pub retry_until: i64,
    pub secret: SigningSecret,
    /// The secret before the latest rotation, while it still signs.
    pub previous_secret: Option<SigningSecret>,
}

/// How an attempt went, as the worker records it.
#[derive(Debug, Clone)]
pub enum Attempt {
    Delivered {
        status: i64,
    },
    /// Failed; tried again at `next_attempt_at`, or never (`failed`) when None.
    Failed {
        status: Option<i64>,
        error: String,
        next_attempt_at: Option<i64>,
    },
}

const ENDPOINT_COLUMNS: &str = "id, url, events, created_at, previous_secret_until";

fn endpoint_row(row: &AnyRow) -> Result<EndpointRow, sqlx::Error> {
    let events: String = row.try_get("events")?;
    Ok(EndpointRow {
        id: row.try_get("id")?,
        url: row.try_get("url")?,
        events: events.split(' ').filter_map(EventType::parse).collect(),
        created_at: row.try_get("created_at")?,
        previous_secret_until: row.try_get("previous_secret_until")?,
    })
}

fn delivery_row(row: &AnyRow) -> Result<DeliveryRow, sqlx::Error> {
    Ok(DeliveryRow {
        id: row.try_get("id")?,
        event_type: row.try_get("event_type")?,
        state: row.try_get("state")?,
        attempts: row.try_get("attempts")?,
        last_status: row.try_get("last_status")?,
        last_error: row.try_get("last_error")?,
        created_at: row.try_get("created_at")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        done_at: row.try_get("done_at")?,
    })
}

/// Event types as a column holds them: space-separated.
fn events_text(events: &[EventType]) -> String {
    let names: Vec<&str> = events.iter().map(|event| event.as_str()).collect();
    names.join(" ")
}

fn place(endpoint_id: &str, previous: bool) -> SecretPlace<'_> {
    SecretPlace::WebhookSecret {
        endpoint_id,
        previous,
    }
}

impl Db {
    /// Registers an endpoint of `tenant_id`, unless the organisation has
    /// `max` live ones already (None then, nothing stored).
    pub async fn create_webhook(
        &self,
        tenant_id: &str,
        url: &str,
        events: &[EventType],
        secret: &SigningSecret,
        max: usize,
        now_ms: i64,
    ) -> Result<Option<EndpointRow>, sqlx::Error> {
        let id = new_id("whk");
        let sealed = self.seal(secret.expose(), &place(&id, false))?;
        let inserted = sqlx::query(
            "INSERT INTO webhook_endpoints (id, tenant_id, url, events, secret, created_at) \
             SELECT $1, $2, $3, $4, $5, $6 WHERE (SELECT COUNT(*) FROM webhook_endpoints \
             WHERE tenant_id = $2 AND deleted_at IS NULL) < $7",
        )
        .bind(&id)
        .bind(tenant_id)
        .bind(url)
        .bind(events_text(events))
        .bind(sealed)
        .bind(now_ms)
        .bind(i64::try_from(max).unwrap_or(i64::MAX))
        .execute(&mut *self.writer.connection().await?)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(None);
        }
        Ok(Some(EndpointRow {
            id,
            url: url.to_owned(),
            events: events.to_vec(),
            created_at: now_ms,
            previous_secret_until: None,
        }))
    }

    /// The live endpoints of `scope`, oldest first.
    pub async fn webhooks(&self, scope: &TenantScope) -> Result<Vec<EndpointRow>, sqlx::Error> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints \
             WHERE ($1 = 1 OR tenant_id = $2) AND deleted_at IS NULL ORDER BY created_at, id"
        );
        let rows = scope
            .bind(sqlx::query(sqlx::AssertSqlSafe(sql)))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(endpoint_row).collect()
    }

    /// One live endpoint of `scope`.
    pub async fn webhook(
        &self,
        scope: &TenantScope,
        id: &str,
    ) -> Result<Option<EndpointRow>, sqlx::Error> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints \
             WHERE ($1 = 1 OR tenant_id = $2) AND id = $3 AND deleted_at IS NULL"
        );
        let row = scope
            .bind(sqlx::query(sqlx::AssertSqlSafe(sql)))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(endpoint_row).transpose()
    }

    /// Changes a live endpoint's URL and events; false when there is no such
    /// endpoint of `scope`.
    pub async fn update_webhook(
        &self,
        scope: &TenantScope,
        id: &str,
        url: &str,
        events: &[EventType],
    ) -> Result<bool, sqlx::Error> {
        let updated = scope
            .bind(sqlx::query(
                "UPDATE webhook_endpoints SET url = $3, events = $4 \
                 WHERE ($1 = 1 OR tenant_id = $2) AND id = $5 AND deleted_at IS NULL",
            ))
            .bind(url)
            .bind(events_text(events))
            .bind(id)
            .execute(&mut *self.writer.connection().await?)
            .await?
            .rows_affected();
        Ok(updated == 1)
    }

    /// Deletes a live endpoint (it is kept, marked, for its log) and fails its
    /// pending deliveries, in one transaction; false when there is none.
    pub async fn delete_webhook(
        &self,
        scope: &TenantScope,
        id: &str,
        now_ms: i64,
    ) -> Result<bool, sqlx::Error> {
        let mut writer = self.writer.connection().await?;
        let mut tx = writer.begin().await?;
        let deleted = scope
            .bind(sqlx::query(
                "UPDATE webhook_endpoints SET deleted_at = $3 \
                 WHERE ($1 = 1 OR tenant_id = $2) AND id = $4 AND deleted_at IS NULL",
            ))
            .bind(now_ms)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if deleted == 0 {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE webhook_deliveries SET state = 'failed', last_error = 'endpoint deleted', \
             lease_token = NULL, lease_until = NULL WHERE endpoint_id = $1 AND state = 'pending'",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Gives a live endpoint `secret`; the one it had signs on beside it until
    /// `previous_until` (Unix ms). None when there is no such endpoint.
    pub async fn rotate_webhook_secret(
        &self,
        scope: &TenantScope,
        id: &str,
        secret: &SigningSecret,
        previous_until: i64,
    ) -> Result<Option<EndpointRow>, sqlx::Error> {
        let sql = "SELECT secret FROM webhook_endpoints \
                   WHERE ($1 = 1 OR tenant_id = $2) AND id = $3 AND deleted_at IS NULL";
        let Some(row) = scope
            .bind(sqlx::query(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let stored: String = row.try_get("secret")?;
        let current = self.unseal(&stored, &place(id, false))?;
        let previous = self.seal(&current, &place(id, true))?;
        let sealed = self.seal(secret.expose(), &place(id, false))?;
        // Guarded on the secret read, so two rotations at once cannot leave a
        // previous secret no one was shown.
        let updated = sqlx::query(
            "UPDATE webhook_endpoints SET secret = $1, previous_secret = $2, \
             previous_secret_until = $3 WHERE id = $4 AND secret = $5 AND deleted_at IS NULL",
        )
        .bind(sealed)
        .bind(previous)
        .bind(previous_until)
        .bind(id)
        .bind(&stored)
        .execute(&mut *self.writer.connection().await?)
        .await?
        .rows_affected();
        if updated == 0 {
            return Ok(None);
        }
        self.webhook(scope, id).await
    }

    /// A page of an endpoint's deliveries, newest first, after `before`
    /// (created at, id) when given.
    pub async fn webhook_deliveries(
        &self,
        endpoint_id: &str,
        before: Option<(i64, &str)>,
        limit: i64,
    ) -> Result<Vec<DeliveryRow>, sqlx::Error> {
        let (before_at, before_id) = before.unwrap_or((i64::MAX, ""));
        let rows = sqlx::query(
            "SELECT id, event_type, state, attempts, last_status, last_error, created_at, \
             next_attempt_at, done_at FROM webhook_deliveries WHERE endpoint_id = $1 \
             AND ($2 = 0 OR created_at < $3 OR (created_at = $3 AND id < $4)) \
             ORDER BY created_at DESC, id DESC LIMIT $5",
        )
        .bind(endpoint_id)
        .bind(i64::from(before.is_some()))
        .bind(before_at)
        .bind(before_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(delivery_row).collect()
    }

    /// When a delivery of the endpoint was made, if it is one of its.
    pub async fn webhook_delivery_created_at(
        &self,
        endpoint_id: &str,
        delivery_id: &str,
    ) -> Result<Option<i64>, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT created_at FROM webhook_deliveries WHERE endpoint_id = $1 AND id = $2",
        )
        .bind(endpoint_id)
        .bind(delivery_id)
        .fetch_optional(&self.pool)
        .await
    }

    /// Starts a delivery over, due now, with the same id (the receiver's
    /// idempotency key) and payload; a node sending it now loses its lease,
    /// so what it records is dropped. False when it is not the endpoint's.
    pub async fn resend_delivery(
        &self,
        endpoint_id: &str,
        delivery_id: &str,
        now_ms: i64,
    ) -> Result<bool, sqlx::Error> {
        let updated = sqlx::query(
            "UPDATE webhook_deliveries SET state = 'pending', attempts = 0, \
             next_attempt_at = $1, retry_until = $2, last_status = NULL, last_error = NULL, \
             done_at = NULL, lease_token = NULL, lease_until = NULL \
             WHERE endpoint_id = $3 AND id = $4",
        )
        .bind(now_ms)
        .bind(now_ms + RETRY_FOR_MS)
        .bind(endpoint_id)
        .bind(delivery_id)
        .execute(&mut *self.writer.connection().await?)
        .await?
        .rows_affected();
        Ok(updated == 1)
    }

    /// Leases up to `limit` due deliveries for `lease_ms`. Each is taken by a
    /// conditional update that only one node's can win while the lease holds;
    /// one whose lease ran out (its node stopped mid-send) is due again.
    pub async fn claim_deliveries(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<Claimed>, sqlx::Error> {
        let due: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM webhook_deliveries WHERE state = 'pending' \
             AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until < $1) \
             ORDER BY next_attempt_at LIMIT $2",
        )
        .bind(now_ms)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut claimed = Vec::with_capacity(due.len());
        for id in due {
            let token = new_id("lease");
            let won = sqlx::query(
                "UPDATE webhook_deliveries SET lease_token = $1, lease_until = $2 \
                 WHERE id = $3 AND state = 'pending' AND next_attempt_at <= $4 \
                 AND (lease_until IS NULL OR lease_until < $4)",
            )
            .bind(&token)
            .bind(now_ms + lease_ms)
            .bind(&id)
            .bind(now_ms)
            .execute(&mut *self.writer.connection().await?)
            .await?
            .rows_affected();
            if won == 1
                && let Some(delivery) = self.claimed(&id, token, now_ms).await?
            {
                claimed.push(delivery);
            }
        }
        Ok(claimed)
    }

    /// What sending a leased delivery takes: its endpoint's URL and secrets.
    async fn claimed(
        &self,
        id: &str,
        lease_token: String,
        now_ms: i64,
    ) -> Result<Option<Claimed>, sqlx::Error> {
        let Some(row) = sqlx::query(
            "SELECT d.endpoint_id, d.payload, d.attempts, d.retry_until, e.url, e.secret, \
             e.previous_secret, e.previous_secret_until FROM webhook_deliveries d \
             JOIN webhook_endpoints e ON e.id = d.endpoint_id \
             WHERE d.id = $1 AND e.deleted_at IS NULL",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let endpoint_id: String = row.try_get("endpoint_id")?;
        let open = |stored: &str, previous: bool| -> Result<SigningSecret, sqlx::Error> {
            let text = self.unseal(stored, &place(&endpoint_id, previous))?;
            SigningSecret::from_stored(text).ok_or_else(|| {
                sqlx::Error::Decode(format!("webhook {endpoint_id}'s secret is malformed").into())
            })
        };
        let previous_until: Option<i64> = row.try_get("previous_secret_until")?;
        let previous_stored: Option<String> = row.try_get("previous_secret")?;
        let previous_secret = match (previous_stored, previous_until) {
            (Some(stored), Some(until)) if until > now_ms => Some(open(&stored, true)?),
            _ => None,
        };
        Ok(Some(Claimed {
            id: id.to_owned(),
            lease_token,
            url: row.try_get("url")?,
            payload: row.try_get("payload")?,
            attempts: row.try_get("attempts")?,
            retry_until: row.try_get("retry_until")?,
            secret: open(&row.try_get::<String, _>("secret")?, false)?,
            previous_secret,
        }))
    }

    /// Records an attempt of a leased delivery and ends the lease; nothing
    /// when the lease was lost meanwhile (it ran out, or a resend took it).
    pub async fn finish_delivery(
        &self,
        delivery: &Claimed,
        attempt: &Attempt,
        now_ms: i64,
    ) -> Result<bool, sqlx::Error> {
        let (state, status, error, next, done) = match attempt {
            Attempt::Delivered { status } => ("done", Some(*status), None, None, Some(now_ms)),
            Attempt::Failed {
                status,
                error,
                next_attempt_at,
            } => {
                let state = if next_attempt_at.is_some() {
                    "pending"
                } else {
                    "failed"
                };
                (state, *status, Some(error.as_str()), *next_attempt_at, None)
            }
        };
        let updated = sqlx::query(
            "UPDATE webhook_deliveries SET state = $1, attempts = attempts + 1, \
             last_status = $2, last_error = $3, next_attempt_at = COALESCE($4, next_attempt_at), \
             done_at = $5, lease_token = NULL, lease_until = NULL \
             WHERE id = $6 AND lease_token = $7",
        )
        .bind(state)
        .bind(status)
        .bind(error)
        .bind(next)
        .bind(done)
        .bind(&delivery.id)
        .bind(&delivery.lease_token)
        .execute(&mut *self.writer.connection().await?)
        .await?
        .rows_affected();
        Ok(updated == 1)
    }

    /// Forgets finished deliveries made before `before_ms`: the log is kept
    /// for [`super::delivery::LOG_KEPT_MS`].
    pub async fn forget_webhook_deliveries_before(
        &self,
        before_ms: i64,
    ) -> Result<u64, sqlx::Error> {
        Ok(sqlx::query(
            "DELETE FROM webhook_deliveries WHERE created_at < $1 AND state <> 'pending'",
        )
        .bind(before_ms)
        .execute(&mut *self.writer.connection().await?)
        .await?
        .rows_affected())
    }
}
