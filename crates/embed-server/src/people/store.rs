//! Storage of members, sign-ins under way and dashboard sessions.

use sqlx::Row;

use crate::db::Db;
use crate::people::claims::ClaimedMembership;
use crate::people::{Identity, Role};

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
    /// Whether the identity provider's organisations claim gives this
    /// membership, so that only the provider changes it.
    pub from_claim: bool,
}

/// How a person becomes a member, which decides what happens when they are
/// one already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joining {
    /// The operator adds them: the role is the operator's, and the provider's
    /// claim no longer changes it.
    ByOperator,
    /// They accept an invitation: a member keeps the role they have.
    ByInvitation,
    /// The provider's claim names the organisation: the role is the claim's,
    /// unless the membership came another way.
    ByClaim,
}

impl Joining {
    fn on_conflict(self) -> &'static str {
        match self {
            Joining::ByOperator => {
                "DO UPDATE SET email = excluded.email, name = excluded.name, \
                 role = excluded.role, from_claim = 0"
            }
            Joining::ByInvitation => "DO NOTHING",
            Joining::ByClaim => "DO UPDATE SET role = excluded.role WHERE members.from_claim = 1",
        }
    }
}

/// What a sign-in under way keeps until the provider sends the person back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSignIn {
    pub nonce: String,
    pub pkce_verifier: String,
    /// The dashboard path to land on afterwards.
    pub return_to: String,
    /// The hash of the invitation this sign-in accepts, if it accepts one.
    pub invitation_hash: Option<String>,
    pub created_at: i64,
}

/// An invitation to become a member, as stored (its token only hashed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub id: String,
    pub tenant_id: String,
    /// The address invited; the ID token's email must be it.
    pub email: String,
    pub role: Role,
    /// Who invited, as the audit trail names callers.
    pub invited_by: String,
    pub created_at: i64,
    pub expires_at: i64,
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

const MEMBER_COLUMNS: &str = "tenant_id, subject, email, name, role, created_at, from_claim";
const INVITATION_COLUMNS: &str = "id, tenant_id, email, role, invited_by, created_at, expires_at";

fn role_of(row: &sqlx::any::AnyRow) -> Result<Role, sqlx::Error> {
    let role: String = row.try_get("role")?;
    role.parse()
        .map_err(|error: String| sqlx::Error::Decode(error.into()))
}

impl Invitation {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Invitation {
            id: row.try_get("id")?,
            tenant_id: row.try_get("tenant_id")?,
            email: row.try_get("email")?,
            role: role_of(row)?,
            invited_by: row.try_get("invited_by")?,
            created_at: row.try_get("created_at")?,
            expires_at: row.try_get("expires_at")?,
        })
    }
}

impl Member {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Member {
            tenant_id: row.try_get("tenant_id")?,
            subject: row.try_get("subject")?,
            email: row.try_get("email")?,
            name: row.try_get("name")?,
            role: role_of(row)?,
            created_at: row.try_get("created_at")?,
            from_claim: row.try_get::<i64, _>("from_claim")? != 0,
        })
    }
}

/// Makes `member` a member of its organisation (one statement, so joining
/// twice leaves one row); what an existing membership keeps is `joining`'s
/// rule.
async fn insert_member(
    connection: &mut sqlx::AnyConnection,
    member: &Member,
    joining: Joining,
) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO members (tenant_id, subject, email, name, role, created_at, from_claim) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, subject) {}",
        joining.on_conflict()
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&member.tenant_id)
        .bind(&member.subject)
        .bind(&member.email)
        .bind(&member.name)
        .bind(member.role.as_str())
        .bind(member.created_at)
        .bind(i64::from(joining == Joining::ByClaim))
        .execute(connection)
        .await?;
    Ok(())
}

impl Db {
    /// Makes `member` a member; `joining` says what a member already keeps.
    pub async fn add_member(&self, member: &Member, joining: Joining) -> Result<(), sqlx::Error> {
        let mut writer = self.writer.connection().await?;
        insert_member(&mut writer, member, joining).await
    }

    /// Makes the person's claimed memberships those the provider's claim
    /// names (by the organisations' external ids; ids of no organisation
    /// here give nothing), in one transaction: organisations the claim no
    /// longer names lose them, and the person's sessions there end.
    /// Memberships that came another way stay as they are.
    pub async fn set_claimed_memberships(
        &self,
        person: &Identity,
        claimed: &[ClaimedMembership],
        now: i64,
    ) -> Result<(), sqlx::Error> {
        let mut writer = self.writer.connection().await?;
        let mut tx = writer.begin().await?;
        let mut members = Vec::new();
        for membership in claimed {
            let tenant: Option<String> =
                sqlx::query_scalar("SELECT id FROM tenants WHERE external_id = $1")
                    .bind(&membership.external_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            members.extend(tenant.map(|tenant_id| Member {
                tenant_id,
                subject: person.subject.clone(),
                email: person.email.clone(),
                name: person.name.clone(),
                role: membership.role,
                created_at: now,
                from_claim: true,
            }));
        }
        let held: Vec<String> = sqlx::query_scalar(
            "SELECT tenant_id FROM members WHERE subject = $1 AND from_claim = 1",
        )
        .bind(&person.subject)
        .fetch_all(&mut *tx)
        .await?;
        for tenant_id in held {
            if members.iter().any(|member| member.tenant_id == tenant_id) {
                continue;
            }
            for sql in [
                "DELETE FROM members WHERE tenant_id = $1 AND subject = $2",
                "UPDATE web_sessions SET revoked = 1 WHERE tenant_id = $1 AND subject = $2",
            ] {
                sqlx::query(sql)
                    .bind(&tenant_id)
                    .bind(&person.subject)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        for member in &members {
            insert_member(&mut tx, member, Joining::ByClaim).await?;
        }
        tx.commit().await
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

    /// Every organisation the person belongs to, with its name and their role
    /// there, the oldest membership first: what they may switch between.
    pub async fn organisations_of(
        &self,
        subject: &str,
    ) -> Result<Vec<(String, String, Role)>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT members.tenant_id, tenants.name, members.role FROM members \
             JOIN tenants ON tenants.id = members.tenant_id \
             WHERE members.subject = $1 ORDER BY members.created_at, members.tenant_id",
        )
        .bind(subject)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("tenant_id")?,
                    row.try_get("name")?,
                    role_of(row)?,
                ))
            })
            .collect()
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
            "INSERT INTO sign_ins \
             (state_hash, nonce, pkce_verifier, return_to, invitation_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(state_hash)
        .bind(&pending.nonce)
        .bind(&pending.pkce_verifier)
        .bind(&pending.return_to)
        .bind(&pending.invitation_hash)
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
             RETURNING nonce, pkce_verifier, return_to, invitation_hash, created_at",
        )
        .bind(state_hash)
        .fetch_optional(&mut *writer)
        .await?;
        row.map(|row| {
            Ok(PendingSignIn {
                nonce: row.try_get("nonce")?,
                pkce_verifier: row.try_get("pkce_verifier")?,
                return_to: row.try_get("return_to")?,
                invitation_hash: row.try_get("invitation_hash")?,
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

    /// Makes the session act in another organisation.
    pub async fn move_web_session(
        &self,
        token_hash: &str,
        tenant_id: &str,
    ) -> Result<(), sqlx::Error> {
        let mut writer = self.writer.connection().await?;
        sqlx::query("UPDATE web_sessions SET tenant_id = $1 WHERE token_hash = $2")
            .bind(tenant_id)
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

/// The guard that keeps an organisation from losing its last owner: a change
/// applies to an owner only while another owner remains.
const ANOTHER_OWNER_REMAINS: &str = "(role <> 'owner' OR (SELECT COUNT(*) FROM members AS others \
     WHERE others.tenant_id = members.tenant_id AND others.role = 'owner') > 1)";

impl Db {
    /// Gives a member a new role, unless that leaves the organisation without
    /// an owner (one statement decides). `false`: nothing changed.
    pub async fn set_member_role(
        &self,
        tenant_id: &str,
        subject: &str,
        role: Role,
    ) -> Result<bool, sqlx::Error> {
        let sql = format!(
            "UPDATE members SET role = $1 WHERE tenant_id = $2 AND subject = $3 \
             AND ($1 = 'owner' OR {ANOTHER_OWNER_REMAINS})"
        );
        let mut writer = self.writer.connection().await?;
        let changed = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(role.as_str())
            .bind(tenant_id)
            .bind(subject)
            .execute(&mut *writer)
            .await?
            .rows_affected();
        Ok(changed == 1)
    }

    /// Removes a member and ends their sessions there, unless they are the
    /// last owner. `false`: nothing changed.
    pub async fn remove_member(&self, tenant_id: &str, subject: &str) -> Result<bool, sqlx::Error> {
        let sql = format!(
            "DELETE FROM members WHERE tenant_id = $1 AND subject = $2 AND {ANOTHER_OWNER_REMAINS}"
        );
        let mut writer = self.writer.connection().await?;
        let removed = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant_id)
            .bind(subject)
            .execute(&mut *writer)
            .await?
            .rows_affected();
        if removed == 1 {
            sqlx::query(
                "UPDATE web_sessions SET revoked = 1 WHERE tenant_id = $1 AND subject = $2",
            )
            .bind(tenant_id)
            .bind(subject)
            .execute(&mut *writer)
            .await?;
        }
        Ok(removed == 1)
    }

    pub async fn create_invitation(
        &self,
        token_hash: &str,
        invitation: &Invitation,
    ) -> Result<(), sqlx::Error> {
        let mut writer = self.writer.connection().await?;
        sqlx::query(
            "INSERT INTO invitations \
             (token_hash, id, tenant_id, email, role, invited_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(token_hash)
        .bind(&invitation.id)
        .bind(&invitation.tenant_id)
        .bind(&invitation.email)
        .bind(invitation.role.as_str())
        .bind(&invitation.invited_by)
        .bind(invitation.created_at)
        .bind(invitation.expires_at)
        .execute(&mut *writer)
        .await?;
        Ok(())
    }

    /// The organisation's invitations not accepted yet and not expired at
    /// `now`, oldest first.
    pub async fn open_invitations(
        &self,
        tenant_id: &str,
        now: i64,
    ) -> Result<Vec<Invitation>, sqlx::Error> {
        let sql = format!(
            "SELECT {INVITATION_COLUMNS} FROM invitations WHERE tenant_id = $1 AND expires_at > $2 \
             ORDER BY created_at, id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant_id)
            .bind(now)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(Invitation::from_row).collect()
    }

    /// The invitation with this token hash for `email` (in any case), if it
    /// has not expired by `now`, removed in the same statement: an invitation
    /// is accepted once, and only by the address it was sent to.
    pub async fn take_invitation(
        &self,
        token_hash: &str,
        email: &str,
        now: i64,
    ) -> Result<Option<Invitation>, sqlx::Error> {
        let sql = format!(
            "DELETE FROM invitations WHERE token_hash = $1 AND expires_at > $2 \
             AND LOWER(email) = LOWER($3) RETURNING {INVITATION_COLUMNS}"
        );
        let mut writer = self.writer.connection().await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(token_hash)
            .bind(now)
            .bind(email)
            .fetch_optional(&mut *writer)
            .await?;
        row.as_ref().map(Invitation::from_row).transpose()
    }

    /// Withdraws an invitation of the organisation. `false`: no such one.
    pub async fn withdraw_invitation(
        &self,
        tenant_id: &str,
        id: &str,
    ) -> Result<bool, sqlx::Error> {
        let mut writer = self.writer.connection().await?;
        let removed = sqlx::query("DELETE FROM invitations WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .execute(&mut *writer)
            .await?
            .rows_affected();
        Ok(removed == 1)
    }
}
