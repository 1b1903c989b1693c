//! The organisations' audit trail: who (a person or a key) wrote what through
//! the admin API, when, from which address, and what the server answered.
//! The HTTP layer records every write whose caller it identified
//! ([`Pending`], filled in by the caller extractor); owners read the trail.

mod store;

use std::sync::{Arc, Mutex};

use crate::db::{Db, now_unix_ms};
use crate::error::ApiError;
use crate::keys::Caller;
use crate::keys::scopes::Scope;
pub use store::AuditEvent;

/// The most events one read returns.
pub const MAX_PAGE: u32 = 500;

/// Who a request turned out to come from, once its caller is known: set by
/// the caller extractor, read when the answer is sent.
#[derive(Debug, Clone, Default)]
pub struct Pending(Arc<Mutex<Option<Who>>>);

#[derive(Debug, Clone)]
struct Who {
    tenant_id: String,
    actor: String,
    address: String,
}

impl Pending {
    /// Notes that the request is `caller`'s, from `address`.
    pub fn identify(&self, caller: &Caller, address: &str) {
        let Ok(tenant) = caller.tenant() else {
            return;
        };
        if let Ok(mut who) = self.0.lock() {
            *who = Some(Who {
                tenant_id: tenant.as_str().to_owned(),
                actor: caller.actor(),
                address: address.to_owned(),
            });
        }
    }

    /// Records the write `method path` answered with `status`, if a caller
    /// was identified. A failure is logged: the write itself has happened.
    pub async fn record(&self, db: &Db, method: &str, path: &str, status: u16) {
        let who = self.0.lock().ok().and_then(|who| who.clone());
        let Some(who) = who else {
            return;
        };
        let event = AuditEvent {
            tenant_id: who.tenant_id,
            actor: who.actor,
            method: method.to_owned(),
            path: path.to_owned(),
            status,
            address: who.address,
            at: now_unix_ms(),
        };
        if let Err(error) = db.record_audit_event(&event).await {
            tracing::error!(%error, method, path, "cannot record an audit event");
        }
    }
}

/// The caller's organisation's trail, newest first: up to `limit` events
/// before `before` (Unix ms; all when none). Needs `members:write` (owners,
/// secret keys).
pub async fn trail(
    db: &Db,
    caller: &Caller,
    limit: u32,
    before: Option<i64>,
) -> Result<Vec<AuditEvent>, ApiError> {
    caller.require(Scope::MembersWrite)?;
    let tenant = caller.tenant()?;
    Ok(db
        .audit_events(tenant.as_str(), limit.clamp(1, MAX_PAGE), before)
        .await?)
}
