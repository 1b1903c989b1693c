//! Storage of members, sign-ins under way and dashboard sessions.

use sqlx::Row;

use crate::db::Db;
use crate::people::Role;

/// A person's membership of one organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub tenant_id: String,
    /// The identity provider's `sub` for the person.
    pub subject: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// In Unix seconds.
    pub created_at: i64,
}

/// What a sign-in under way keeps until the provider sends the person back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSignIn {
    pub nonce: String,
    pub pkce_verifier: String,
    /// The dashboard path to land on afterwards.
    pub return_to: String,
    pub created_at: i64,
}

/// A dashboard session, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSession {
    pub subject: String,
    pub tenant_id: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub revoked: bool,
}

const MEMBER_COLUMNS: &str = "tenant_id, subject, email, name, role, created_at";

impl Member {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        let role: String = row.try_get("role")?;
        Ok(Member {
            tenant_id: row.try_get("tenant_id")?,
            subject: row.try_get("subject")?,
            email: row.try_get("email")?,
            name: row.try_get("name")?,
            role: role
                .parse()
                .map_err(|error: String| sqlx::Error::Decode(error.into()))?,
            created_at: row.try_get("created_at")?,
        })
    }
}

impl Db {
    /// Makes `member` a member, or gives an existing member its role, email
    /// and name (one statement, so adding a person twice leaves one row).
    pub async fn put_member(&self, member: &Member) -> Result<(), sqlx::Error> {
        let mut writer = self.writer.connection().await?;
        sqlx::query(
            "INSERT INTO members (tenant_id, subject, email, name, role, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (tenant_id, subject) DO UPDATE \
             SET email = excluded.email, name = excluded.name, role = excluded.role",
        )
        .bind(&member.tenant_id)
        .bind(&member.subject)
        .bind(&member.email)
        .bind(&member.name)
        .bind(member.role.as_str())
        .bind(member.created_at)
        .execute(&mut *writer)
        .await?;
        Ok(())
    }

    /// The organisation's members, oldest first.
    pub async fn members(&self, tenant_id: &str) -> Result<Vec<Member>, sqlx::Error> {
        let sql = format!(
            "SELECT {MEMBER_COLUMNS} FROM members WHERE tenant_id = $1 ORDER BY created_at, subject"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(Member::from_row).collect()
    }

    /// Every organisation the person belongs to, the oldest membership first.
    pub async fn memberships(&self, subject: &str) -> Result<Vec<Member>, sqlx::Error> {
        let sql = format!(
            "SELECT {MEMBER_COLUMNS} FROM members WHERE subject = $1 ORDER BY created_at, tenant_id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(subject)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(Member::from_row).collect()
    }

    /// The person's membership of one organisation, if they have one.
    pub async fn member(
        &self,
        tenant_id: &str,
        subject: &str,
    ) -> Result<Option<Member>, sqlx::Error> {
        let sql =
            format!("SELECT {MEMBER_COLUMNS} FROM members WHERE tenant_id = $1 AND subject = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant_id)
            .bind(subject)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Member::from_row).transpose()
    }

    /// The email and name the person's latest ID token gave, on every
    /// membership of theirs.
    pub async fn refresh_member_profile(
        &self,
        subject: &str,
        email: &str,
        name: &str,
    ) -> Result<(), sqlx::Error> {
        let mut writer = self.writer.connection().await?;
        sqlx::query("UPDATE members SET email = $1, name = $2 WHERE subject = $3")
            .bind(email)
            .bind(name)
            .bind(subject)
            .execute(&mut *writer)
            .await?;
        Ok(())
    }

    /// Keeps a sign-in under way under the hash of its state; forgets those
    /// started before `stale_before` (Unix seconds), which can no longer end.
    pub async fn begin_sign_in(
        &self,
        state_hash: &str,
        pending: &PendingSignIn,
        stale_before: i64,
    ) -> Result<(), sqlx::Error> {
        let mut writer = self.writer.connection().await?;
        sqlx::query("DELETE FROM sign_ins WHERE created_at < $1")
            .bind(stale_before)
            .execute(&mut *writer)
            .await?;
        sqlx::query(
            "INSERT INTO sign_ins (state_hash, nonce, pkce_verifier, return_to, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(state_hash)
        .bind(&pending.nonce)
        .bind(&pending.pkce_verifier)
        .bind(&pending.return_to)
        .bind(pending.created_at)
        .execute(&mut *writer)
        .await?;
        Ok(())
    }

    /// The sign-in under way with this state hash, removed in the same
    /// statement: a state is good for one return from the provider.
    pub async fn take_sign_in(
        &self,
        state_hash: &str,
    ) -> Result<Option<PendingSignIn>, sqlx::Error> {
        let mut writer = self.writer.connection().await?;
        let row = sqlx::query(
            "DELETE FROM sign_ins WHERE state_hash = $1 \
             RETURNING nonce, pkce_verifier, return_to, created_at",
        )
        .bind(state_hash)
        .fetch_optional(&mut *writer)
        .await?;
        row.map(|row| {
            Ok(PendingSignIn {
                nonce: row.try_get("nonce")?,
                pkce_verifier: row.try_get("pkce_verifier")?,
                return_to: row.try_get("return_to")?,
                created_at: row.try_get("created_at")?,
            })
        })
        .transpose()
    }

    pub async fn create_web_session(
        &self,
        token_hash: &str,
        session: &WebSession,
    ) -> Result<(), sqlx::Error> {
        let mut writer = self.writer.connection().await?;
        sqlx::query(
            "INSERT INTO web_sessions \
             (token_hash, subject, tenant_id, created_at, last_seen_at, expires_at, revoked) \
             VALUES ($1, $2, $3, $4, $5, $6, 0)",
        )
        .bind(token_hash)
        .bind(&session.subject)
        .bind(&session.tenant_id)
        .bind(session.created_at)
        .bind(session.last_seen_at)
        .bind(session.expires_at)
        .execute(&mut *writer)
        .await?;
        Ok(())
    }

    pub async fn web_session(&self, token_hash: &str) -> Result<Option<WebSession>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT subject, tenant_id, created_at, last_seen_at, expires_at, revoked \
             FROM web_sessions WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(WebSession {
                subject: row.try_get("subject")?,
                tenant_id: row.try_get("tenant_id")?,
                created_at: row.try_get("created_at")?,
                last_seen_at: row.try_get("last_seen_at")?,
                expires_at: row.try_get("expires_at")?,
                revoked: row.try_get::<i64, _>("revoked")? != 0,
            })
        })
        .transpose()
    }

    /// Records that the session was used at `now`, which keeps it from
    /// ending as idle.
    pub async fn touch_web_session(&self, token_hash: &str, now: i64) -> Result<(), sqlx::Error> {
        let mut writer = self.writer.connection().await?;
        sqlx::query("UPDATE web_sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(now)
            .bind(token_hash)
            .execute(&mut *writer)
            .await?;
        Ok(())
    }

    /// Ends a session for good (sign-out).
    pub async fn revoke_web_session(&self, token_hash: &str) -> Result<(), sqlx::Error> {
        let mut writer = self.writer.connection().await?;
        sqlx::query("UPDATE web_sessions SET revoked = 1 WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&mut *writer)
            .await?;
        Ok(())
    }
}
