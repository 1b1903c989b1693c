//! Key records: listing, revoking, the audit trail, and the states the session
//! check keeps in memory.

use sitekit_sdk::admin::{self, KeySummary};
use sqlx::Row;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::db::{Db, new_id, now_unix};
use crate::keys::scopes::{Scope, Scopes};
use crate::keys::{KeyKind, KeyMode, ParsedKey};
use crate::tenants::TenantScope;

/// The scopes every publishable key carries, and no more.
pub const PUBLISHABLE_SCOPES: Scopes = Scopes::of(&[Scope::Chat, Scope::UsageWrite]);

/// A key as an operator may see it: never the secret, only its display form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyListing {
    pub id: String,
    pub tenant_id: String,
    pub widget_id: Option<String>,
    pub kind: KeyKind,
    pub mode: String,
    /// `skt_pub_test_…abcd`
    pub display: String,
    pub generation: i64,
    pub revoked: bool,
    pub expires_at: Option<i64>,
    pub scopes: Scopes,
    pub name: Option<String>,
}

const LISTING_COLUMNS: &str = "id, tenant_id, widget_id, kind, mode, display_prefix, last4, \
     generation, revoked_at, expires_at, scopes, name";

impl KeyListing {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        Ok(KeyListing {
            id: row.try_get("id")?,
            tenant_id: row.try_get("tenant_id")?,
            widget_id: row.try_get("widget_id")?,
            kind: stored_kind(&row.try_get::<String, _>("kind")?)?,
            mode: row.try_get("mode")?,
            display: format!(
                "{}…{}",
                row.try_get::<String, _>("display_prefix")?,
                row.try_get::<String, _>("last4")?
            ),
            generation: row.try_get("generation")?,
            revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
            expires_at: row.try_get("expires_at")?,
            scopes: Scopes::from_stored(&row.try_get::<String, _>("scopes")?),
            name: row.try_get("name")?,
        })
    }

    /// Whether the key still works at `now` (Unix seconds).
    pub fn is_active(&self, now: i64) -> bool {
        !self.revoked && self.expires_at.is_none_or(|at| at > now)
    }
}

/// What the admin API and the CLI show of a key.
impl From<KeyListing> for KeySummary {
    fn from(key: KeyListing) -> Self {
        KeySummary {
            id: key.id,
            widget_id: key.widget_id,
            kind: key.kind.as_str().to_owned(),
            mode: key.mode,
            display: key.display,
            revoked: key.revoked,
            name: key.name,
        }
    }
}

/// How long a rotated key keeps working unless the caller says otherwise.
pub const DEFAULT_ROTATION_GRACE_SECS: u32 = 86_400;
/// The longest grace period: a rotation is not a way to extend a key's life.
pub const MAX_ROTATION_GRACE_SECS: u32 = sitekit_sdk::fields::GraceSeconds::MAX;

/// The earlier of two optional expiry times (None: never).
pub fn earlier_expiry(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The replacement a rotation made; `key` is shown once.
#[derive(Debug)]
pub struct RotatedKey {
    pub id: String,
    pub key: ParsedKey,
    pub scopes: Scopes,
}

/// A secret or restricted key as the admin API checks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminKeyRecord {
    pub id: String,
    pub tenant_id: String,
    pub scopes: Scopes,
    pub revoked: bool,
    pub expires_at: Option<i64>,
}

/// A new server-side key.
#[derive(Debug)]
pub struct NewAdminKey<'a> {
    pub tenant_id: &'a str,
    pub kind: KeyKind,
    pub mode: KeyMode,
    pub scopes: Scopes,
    pub expires_at: Option<i64>,
    pub actor: &'a str,
    /// Its label, checked by the caller.
    pub name: Option<&'a str>,
}

/// What live sessions of a key must agree with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyState {
    pub generation: i64,
    pub revoked: bool,
}

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEvent {
    pub key_id: String,
    pub event: String,
    pub actor: String,
    pub at: i64,
}

/// An audit entry as the admin API and the CLI show it, its time in RFC 3339.
impl From<KeyEvent> for admin::KeyEvent {
    fn from(event: KeyEvent) -> Self {
        let at = OffsetDateTime::from_unix_timestamp(event.at)
            .ok()
            .and_then(|at| at.format(&Rfc3339).ok())
            .unwrap_or_else(|| event.at.to_string());
        admin::KeyEvent {
            event: event.event,
            actor: event.actor,
            at,
        }
    }
}

/// Inserts a secret or restricted key and its first audit entry.
async fn insert_admin_key(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    new: &NewAdminKey<'_>,
    now: i64,
) -> Result<(String, ParsedKey), sqlx::Error> {
    let key = ParsedKey::generate(new.kind, new.mode);
    let key_id = new_id("key");
    sqlx::query(
        "INSERT INTO api_keys (id, tenant_id, widget_id, kind, mode, secret_hash, display_prefix, \
         last4, publishable_value, scopes, generation, created_at, expires_at, name) \
         VALUES ($1, $2, NULL, $3, $4, $5, $6, $7, NULL, $8, 1, $9, $10, $11)",
    )
    .bind(&key_id)
    .bind(new.tenant_id)
    .bind(key.kind.as_str())
    .bind(key.mode.as_str())
    .bind(key.hash())
    .bind(key.display_prefix())
    .bind(key.last4())
    .bind(new.scopes.to_string())
    .bind(now)
    .bind(new.expires_at)
    .bind(new.name)
    .execute(&mut **tx)
    .await?;
    record_key_created(tx, &key_id, new.tenant_id, new.actor, now).await?;
    Ok((key_id, key))
}

/// Inserts a widget's publishable key (kept in full: it is public by design) and
/// its first audit entry.
pub(crate) async fn insert_publishable_key(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    tenant_id: &str,
    widget_id: &str,
    mode: KeyMode,
    actor: &str,
    now: i64,
) -> Result<(String, ParsedKey), sqlx::Error> {
    let key = ParsedKey::generate(KeyKind::Publishable, mode);
    let key_id = new_id("key");
    sqlx::query(
        "INSERT INTO api_keys (id, tenant_id, widget_id, kind, mode, secret_hash, display_prefix, \
         last4, publishable_value, scopes, generation, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11)",
    )
    .bind(&key_id)
    .bind(tenant_id)
    .bind(widget_id)
    .bind(key.kind.as_str())
    .bind(key.mode.as_str())
    .bind(key.hash())
    .bind(key.display_prefix())
    .bind(key.last4())
    .bind(key.expose())
    .bind(PUBLISHABLE_SCOPES.to_string())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    record_key_created(tx, &key_id, tenant_id, actor, now).await?;
    Ok((key_id, key))
}

/// A later entry of a key's audit trail, numbered after the ones before it.
pub(crate) async fn record_key_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    key_id: &str,
    tenant_id: &str,
    event: &str,
    actor: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO key_events (id, key_id, tenant_id, seq, event, actor, at) \
         VALUES ($1, $2, $3, (SELECT COALESCE(MAX(seq), 0) + 1 FROM key_events WHERE key_id = $2), \
         $4, $5, $6)",
    )
    .bind(new_id("kev"))
    .bind(key_id)
    .bind(tenant_id)
    .bind(event)
    .bind(actor)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The first entry of every key's audit trail, written with the key itself.
pub(super) async fn record_key_created(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    key_id: &str,
    tenant_id: &str,
    actor: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO key_events (id, key_id, tenant_id, seq, event, actor, at) \
         VALUES ($1, $2, $3, 1, 'created', $4, $5)",
    )
    .bind(new_id("kev"))
    .bind(key_id)
    .bind(tenant_id)
    .bind(actor)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Db {
    /// Creates a secret or restricted key. The key itself is returned once and
    /// stored only as its hash.
    pub async fn create_admin_key(
        &self,
        new: NewAdminKey<'_>,
    ) -> Result<(String, ParsedKey), sqlx::Error> {
        let mut writer = self.writer.connection().await?;
        let mut tx = writer.begin().await?;
        let created = insert_admin_key(&mut tx, &new, now_unix()).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Replaces a key of `scope`: a new key of the same kind, mode, scopes, expiry
    /// (no later than `expires_no_later_than`, the expiry of the key asking) and
    /// (for a publishable key) widget, while the old one keeps working for
    /// `grace_secs` more (never longer than it would have anyway). None when
    /// there is no such active key.
    pub async fn rotate_key(
        &self,
        scope: &TenantScope,
        key_id: &str,
        grace_secs: u32,
        expires_no_later_than: Option<i64>,
        actor: &str,
    ) -> Result<Option<RotatedKey>, sqlx::Error> {
        let now = now_unix();
        let mut writer = self.writer.connection().await?;
        let mut tx = writer.begin().await?;
        let row = sqlx::query(
            "SELECT tenant_id, widget_id, kind, mode, scopes, expires_at, name FROM api_keys \
             WHERE id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2) \
             AND ($3 = 1 OR tenant_id = $4)",
        )
        .bind(key_id)
        .bind(now);
        let row = scope.bind(row).fetch_optional(&mut *tx).await?;
        let Some(row) = row else { return Ok(None) };
        let owner: String = row.try_get("tenant_id")?;
        let scopes = Scopes::from_stored(&row.try_get::<String, _>("scopes")?);
        let expires_at: Option<i64> = row.try_get("expires_at")?;
        let widget_id: Option<String> = row.try_get("widget_id")?;
        // The replacement keeps the label: it does the same job.
        let name: Option<String> = row.try_get("name")?;
        let mode = if row.try_get::<String, _>("mode")? == "test" {
            KeyMode::Test
        } else {
            KeyMode::Live
        };
        let (id, key) = match (stored_kind(&row.try_get::<String, _>("kind")?)?, widget_id) {
            (KeyKind::Publishable, Some(widget_id)) => {
                insert_publishable_key(&mut tx, &owner, &widget_id, mode, actor, now).await?
            }
            (kind, _) => {
                let new = NewAdminKey {
                    tenant_id: &owner,
                    kind,
                    mode,
                    scopes,
                    expires_at: earlier_expiry(expires_at, expires_no_later_than),
                    actor,
                    name: name.as_deref(),
                };
                insert_admin_key(&mut tx, &new, now).await?
            }
        };
        let grace_ends = now + i64::from(grace_secs);
        sqlx::query("UPDATE api_keys SET expires_at = $1 WHERE id = $2")
            .bind(expires_at.map_or(grace_ends, |at| at.min(grace_ends)))
            .bind(key_id)
            .execute(&mut *tx)
            .await?;
        record_key_event(&mut tx, key_id, &owner, "rotated", actor, now).await?;
        tx.commit().await?;
        Ok(Some(RotatedKey { id, key, scopes }))
    }

    /// A secret or restricted key, found by its hash.
    pub async fn admin_key(&self, key: &ParsedKey) -> Result<Option<AdminKeyRecord>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT id, tenant_id, scopes, revoked_at, expires_at FROM api_keys \
             WHERE secret_hash = $1 AND kind IN ('sec', 'rst')",
        )
        .bind(key.hash())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(AdminKeyRecord {
                id: row.try_get("id")?,
                tenant_id: row.try_get("tenant_id")?,
                scopes: Scopes::from_stored(&row.try_get::<String, _>("scopes")?),
                revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
                expires_at: row.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    /// Keys of `scope`, optionally only those of one widget.
    pub async fn list_keys(
        &self,
        scope: &TenantScope,
        widget_id: Option<&str>,
    ) -> Result<Vec<KeyListing>, sqlx::Error> {
        // '' stands for "any widget": a text parameter both databases type alike,
        // unlike NULL.
        let sql = format!(
            "SELECT {LISTING_COLUMNS} FROM api_keys WHERE ($1 = '' OR widget_id = $1) \
             AND ($2 = 1 OR tenant_id = $3) ORDER BY created_at, id"
        );
        let query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(widget_id.unwrap_or_default());
        let rows = scope.bind(query).fetch_all(&self.pool).await?;
        rows.iter().map(KeyListing::from_row).collect()
    }

    /// One key of `scope` (revoked and expired ones included).
    pub async fn key(
        &self,
        scope: &TenantScope,
        key_id: &str,
    ) -> Result<Option<KeyListing>, sqlx::Error> {
        let sql = format!(
            "SELECT {LISTING_COLUMNS} FROM api_keys WHERE id = $1 AND ($2 = 1 OR tenant_id = $3)"
        );
        let query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(key_id);
        let row = scope.bind(query).fetch_optional(&self.pool).await?;
        row.as_ref().map(KeyListing::from_row).transpose()
    }

    /// Revokes a key and bumps its generation, which ends its live sessions, and
    /// records who did it. With `tenant_id`, only a key of that tenant. False when
    /// there is no such key or it was revoked already.
    pub async fn revoke_key(
        &self,
        scope: &TenantScope,
        key_id: &str,
        actor: &str,
    ) -> Result<bool, sqlx::Error> {
        let now = now_unix();
        let mut writer = self.writer.connection().await?;
        let mut tx = writer.begin().await?;
        let row = sqlx::query(
            "UPDATE api_keys SET revoked_at = $1, generation = generation + 1 \
             WHERE id = $2 AND revoked_at IS NULL AND ($3 = 1 OR tenant_id = $4) RETURNING tenant_id",
        )
        .bind(now)
        .bind(key_id);
        let owner: Option<String> = scope
            .bind(row)
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| row.try_get("tenant_id"))
            .transpose()?;
        let revoked = owner.is_some();
        if let Some(owner) = owner {
            record_key_event(&mut tx, key_id, &owner, "revoked", actor, now).await?;
        }
        tx.commit().await?;
        Ok(revoked)
    }

    /// Whether a key with this id exists (revoked and expired keys included);
    /// with `tenant_id`, only a key of that tenant.
    pub async fn key_exists(&self, scope: &TenantScope, key_id: &str) -> Result<bool, sqlx::Error> {
        let query =
            sqlx::query("SELECT 1 FROM api_keys WHERE id = $1 AND ($2 = 1 OR tenant_id = $3)")
                .bind(key_id);
        Ok(scope
            .bind(query)
            .fetch_optional(&self.pool)
            .await?
            .is_some())
    }

    /// The audit trail of one key, oldest first.
    pub async fn key_events(&self, key_id: &str) -> Result<Vec<KeyEvent>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT key_id, event, actor, at FROM key_events WHERE key_id = $1 ORDER BY seq",
        )
        .bind(key_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(KeyEvent {
                    key_id: row.try_get("key_id")?,
                    event: row.try_get("event")?,
                    actor: row.try_get("actor")?,
                    at: row.try_get("at")?,
                })
            })
            .collect()
    }

    /// Every key's generation and revocation, for the in-memory session check.
    pub async fn key_states(&self) -> Result<Vec<(String, KeyState)>, sqlx::Error> {
        let rows = sqlx::query("SELECT id, generation, revoked_at FROM api_keys")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("id")?,
                    KeyState {
                        generation: row.try_get("generation")?,
                        revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
                    },
                ))
            })
            .collect()
    }
}

/// A stored key's kind; the column holds only what [`KeyKind::as_str`] wrote.
fn stored_kind(text: &str) -> Result<KeyKind, sqlx::Error> {
    KeyKind::parse(text)
        .ok_or_else(|| sqlx::Error::Decode(format!("unknown key kind `{text}`").into()))
}
