//! People: members of organisations who sign in to the dashboard with the
//! install's identity provider (`oidc`), their roles (`roles`: named sets of
//! the scopes keys carry), their dashboard sessions (`sessions`) and the
//! storage of all three (`store`), memberships the provider's token claims
//! (`claims`), and managing members and invitations (`members`). Signing in
//! (accepting an invitation on the way), finding a session's caller, moving
//! it to another organisation and signing out are here; the HTTP routes are
//! `routes/sign_in.rs` and `routes/members.rs`.

pub mod claims;
pub mod members;
pub mod oidc;
pub mod roles;
pub mod sessions;
mod store;

use std::sync::Arc;

use sitekit_sdk::ErrorCode;

use crate::db::{Db, now_unix};
use crate::error::ApiError;
use crate::keys::Caller;
pub use oidc::{Identity, Oidc, OidcConfig, OidcError};
pub use roles::Role;
use sessions::SessionTimeouts;
pub use store::{Invitation, Joining, Member, PendingSignIn, WebSession};

/// A sign-in must come back from the provider within this long.
const SIGN_IN_WINDOW_SECS: i64 = 600;

/// A session's last use is written at most this often, so reading pages
/// does not write on every request.
const TOUCH_EVERY_SECS: i64 = 60;

/// How people sign in on this server.
#[derive(Debug)]
pub struct People {
    /// None: no identity provider configured; the dashboard takes keys.
    pub oidc: Option<Arc<Oidc>>,
    pub timeouts: SessionTimeouts,
    /// Whether the dashboard offers signing in with a secret key (the admin
    /// API takes keys from programs either way).
    pub key_sign_in: bool,
}

/// A finished sign-in: the cookie's token and where to land.
#[derive(Debug)]
pub struct SignedIn {
    pub token: String,
    pub return_to: String,
}

/// A request's signed-in person, checked.
#[derive(Debug, Clone)]
pub struct Person {
    pub member: Member,
    pub session: WebSession,
}

impl People {
    fn oidc(&self) -> Result<&Oidc, ApiError> {
        self.oidc.as_deref().ok_or_else(|| {
            ApiError::NotFound(
                "this server has no identity provider (sitekit serve --oidc-issuer …); \
                 sign in to the dashboard with a secret key"
                    .into(),
            )
        })
    }

    /// Starts a sign-in: keeps its state, nonce and PKCE verifier and returns
    /// the provider's page to send the person to.
    /// With `invitation` (an invitation link's token), the sign-in accepts it.
    pub async fn start_sign_in(
        &self,
        db: &Db,
        return_to: &str,
        invitation: Option<&str>,
    ) -> Result<String, ApiError> {
        let authorization = self.oidc()?.authorize().await.map_err(provider_error)?;
        let now = now_unix();
        let pending = PendingSignIn {
            nonce: authorization.nonce,
            pkce_verifier: authorization.pkce_verifier,
            return_to: return_to.to_owned(),
            invitation_hash: invitation.map(sessions::token_hash),
            created_at: now,
        };
        db.begin_sign_in(
            &sessions::token_hash(&authorization.state),
            &pending,
            now - SIGN_IN_WINDOW_SECS,
        )
        .await?;
        Ok(authorization.url)
    }

    /// Ends a sign-in the provider sent back: the state must be one this
    /// server issued and not used yet, the ID token must verify, and the
    /// person must be a member of an organisation here. Opens a session in
    /// their oldest membership.
    pub async fn finish_sign_in(
        &self,
        db: &Db,
        state: &str,
        code: &str,
    ) -> Result<SignedIn, ApiError> {
        let oidc = self.oidc()?;
        let pending = db
            .take_sign_in(&sessions::token_hash(state))
            .await?
            .filter(|pending| pending.created_at > now_unix() - SIGN_IN_WINDOW_SECS)
            .ok_or_else(|| {
                sign_in_failed(
                    "this sign-in is unknown, was used already or took too long; start again",
                )
            })?;
        let identity = oidc
            .finish(code, &pending.nonce, &pending.pkce_verifier)
            .await
            .map_err(provider_error)?;
        db.refresh_member_profile(&identity.subject, &identity.email, &identity.name)
            .await?;
        if let Some(claimed) = &identity.organisations {
            db.set_claimed_memberships(&identity, claimed, now_unix())
                .await?;
        }
        let invited_to = match &pending.invitation_hash {
            Some(invitation) => Some(accept(db, invitation, &identity).await?),
            None => None,
        };
        let member = db
            .memberships(&identity.subject)
            .await?
            .into_iter()
            .find(|member| {
                invited_to
                    .as_ref()
                    .is_none_or(|tenant| member.tenant_id == *tenant)
            })
            .ok_or_else(|| {
                ApiError::forbidden(
                    ErrorCode::NotAMember,
                    format!(
                        "{} signed in, but is a member of no organisation here; ask an owner \
                         of yours to add you",
                        if identity.email.is_empty() {
                            &identity.subject
                        } else {
                            &identity.email
                        }
                    ),
                )
            })?;
        let token = sessions::new_token();
        let now = now_unix();
        let lifetime = i64::try_from(self.timeouts.lifetime.as_secs()).unwrap_or(i64::MAX);
        let session = WebSession {
            subject: identity.subject,
            tenant_id: member.tenant_id.clone(),
            created_at: now,
            last_seen_at: now,
            expires_at: now.saturating_add(lifetime),
            revoked: false,
        };
        db.create_web_session(&sessions::token_hash(&token), &session)
            .await?;
        Ok(SignedIn {
            token,
            return_to: pending.return_to,
        })
    }

    /// The person whose session `token` is, while the session works and they
    /// are still a member of its organisation (with their role as it is now).
    pub async fn person(&self, db: &Db, token: &str) -> Result<Person, ApiError> {
        let hash = sessions::token_hash(token);
        let session = db
            .web_session(&hash)
            .await?
            .ok_or_else(|| sign_in_required("no such sign-in; sign in again"))?;
        let now = now_unix();
        sessions::check(&session, self.timeouts, now)
            .map_err(|ended| sign_in_required(ended.message()))?;
        let member = db
            .member(&session.tenant_id, &session.subject)
            .await?
            .ok_or_else(|| sign_in_required("you are no longer a member of this organisation"))?;
        if now - session.last_seen_at >= TOUCH_EVERY_SECS {
            db.touch_web_session(&hash, now).await?;
        }
        Ok(Person { member, session })
    }

    /// Moves the session `token` of `person` to another organisation of theirs.
    pub async fn switch_organisation(
        &self,
        db: &Db,
        person: Person,
        token: &str,
        tenant_id: &str,
    ) -> Result<Person, ApiError> {
        let member = db
            .member(tenant_id, &person.member.subject)
            .await?
            .ok_or_else(|| {
                ApiError::forbidden(
                    ErrorCode::NotAMember,
                    format!("you are not a member of {tenant_id}"),
                )
            })?;
        db.move_web_session(&sessions::token_hash(token), tenant_id)
            .await?;
        let session = WebSession {
            tenant_id: tenant_id.to_owned(),
            ..person.session
        };
        Ok(Person { member, session })
    }

    /// Ends the session for good, and returns the provider's sign-out page
    /// (which comes back to `after`) when it has one.
    pub async fn sign_out(
        &self,
        db: &Db,
        token: &str,
        after: &str,
    ) -> Result<Option<String>, ApiError> {
        db.revoke_web_session(&sessions::token_hash(token)).await?;
        Ok(match &self.oidc {
            Some(oidc) => oidc.end_session_url(after).await,
            None => None,
        })
    }
}

/// Accepts the invitation whose token hashes to `invitation` for the person
/// who signed in: it must be open and sent to their email address. Returns the
/// organisation they joined (or were a member of already, whose role stays).
async fn accept(db: &Db, invitation: &str, identity: &Identity) -> Result<String, ApiError> {
    // The address must be the provider's to vouch for, not one typed into a profile.
    if !identity.email_verified {
        return Err(sign_in_failed(format!(
            "the identity provider has not verified {}, so it cannot accept an invitation",
            identity.email
        )));
    }
    let invitation = db
        .take_invitation(invitation, &identity.email, now_unix())
        .await?
        .ok_or_else(|| {
            sign_in_failed(format!(
                "this invitation is unknown, was used already, has expired, or was sent to \
                 another address than {}",
                identity.email
            ))
        })?;
    let member = Member {
        tenant_id: invitation.tenant_id.clone(),
        subject: identity.subject.clone(),
        email: identity.email.clone(),
        name: identity.name.clone(),
        role: invitation.role,
        created_at: now_unix(),
        from_claim: false,
    };
    db.add_member(&member, Joining::ByInvitation).await?;
    Ok(invitation.tenant_id)
}

impl Person {
    /// The caller every admin operation takes: the member's organisation,
    /// with their role's scopes.
    pub fn caller(&self) -> Caller {
        let role = self.member.role;
        Caller::person(
            &self.member.tenant_id,
            &self.member.subject,
            role.as_str(),
            (role.acts_as(), role.scopes()),
        )
    }
}

fn sign_in_failed(message: impl Into<String>) -> ApiError {
    ApiError::unauthorized(ErrorCode::SignInFailed, message)
}

fn sign_in_required(message: &str) -> ApiError {
    ApiError::unauthorized(ErrorCode::SignInRequired, message)
}

fn provider_error(error: OidcError) -> ApiError {
    match error {
        OidcError::Unreachable(detail) => {
            tracing::warn!(%detail, "identity provider unreachable");
            ApiError::Unavailable(
                "the identity provider cannot be reached; try again in a moment".into(),
            )
        }
        OidcError::Rejected(reason) => sign_in_failed(format!("sign-in refused: {reason}")),
    }
}
