//! An organisation's members and invitations, managed by whoever holds
//! `members:write` (owners, secret keys): list, invite by email (a sign-in
//! link that works once, for a week, for that address only), change a role,
//! remove. An organisation always keeps an owner, nobody grants a role with
//! more than they hold, and memberships the identity provider claims change
//! only there.

use sitekit_sdk::ErrorCode;

use crate::db::{DAY_SECS, Db, new_id, now_unix};
use crate::error::ApiError;
use crate::keys::Caller;
use crate::keys::scopes::Scope;
use crate::people::store::{Invitation, Member};
use crate::people::{Role, sessions};

/// How long an invitation link works.
pub const INVITATION_DAYS: i64 = 7;
const EMAIL_MAX: usize = 254;

/// A new invitation and the link to send: shown once, never stored.
#[derive(Debug)]
pub struct NewInvitation {
    pub invitation: Invitation,
    pub link: String,
}

/// The caller's organisation's members and open invitations.
pub async fn list(db: &Db, caller: &Caller) -> Result<(Vec<Member>, Vec<Invitation>), ApiError> {
    caller.require(Scope::MembersWrite)?;
    let tenant = caller.tenant()?.as_str();
    Ok((
        db.members(tenant).await?,
        db.open_invitations(tenant, now_unix()).await?,
    ))
}

/// Invites `email` as `role`; the link signs them in and makes them a member.
pub async fn invite(
    db: &Db,
    caller: &Caller,
    email: &str,
    role: Role,
    public_url: &str,
) -> Result<NewInvitation, ApiError> {
    caller.require(Scope::MembersWrite)?;
    caller.may_grant(role.acts_as(), role.scopes())?;
    let email = checked_email(email)?;
    let token = sessions::new_token();
    let now = now_unix();
    let invitation = Invitation {
        id: new_id("inv"),
        tenant_id: caller.tenant()?.as_str().to_owned(),
        email: email.to_owned(),
        role,
        invited_by: caller.actor(),
        created_at: now,
        expires_at: now + INVITATION_DAYS * DAY_SECS,
    };
    db.create_invitation(&sessions::token_hash(&token), &invitation)
        .await?;
    let link = format!(
        "{}/v1/auth/login?invitation={token}",
        public_url.trim_end_matches('/')
    );
    Ok(NewInvitation { invitation, link })
}

/// Withdraws an open invitation: its link stops working.
pub async fn withdraw(db: &Db, caller: &Caller, id: &str) -> Result<(), ApiError> {
    caller.require(Scope::MembersWrite)?;
    if db
        .withdraw_invitation(caller.tenant()?.as_str(), id)
        .await?
    {
        Ok(())
    } else {
        Err(ApiError::NotFound(format!("no open invitation {id}")))
    }
}

/// Gives a member another role.
pub async fn change_role(
    db: &Db,
    caller: &Caller,
    subject: &str,
    role: Role,
) -> Result<Member, ApiError> {
    caller.require(Scope::MembersWrite)?;
    caller.may_grant(role.acts_as(), role.scopes())?;
    let tenant = caller.tenant()?.as_str();
    let member = managed_here(existing(db, tenant, subject).await?)?;
    if !db.set_member_role(tenant, subject, role).await? {
        return Err(last_owner(&member));
    }
    Ok(Member { role, ..member })
}

/// Removes a member; their sessions in the organisation end at once.
pub async fn remove(db: &Db, caller: &Caller, subject: &str) -> Result<(), ApiError> {
    caller.require(Scope::MembersWrite)?;
    let tenant = caller.tenant()?.as_str();
    let member = managed_here(existing(db, tenant, subject).await?)?;
    if member.role == Role::Owner {
        caller.may_grant(Role::Owner.acts_as(), Role::Owner.scopes())?;
    }
    if db.remove_member(tenant, subject).await? {
        Ok(())
    } else {
        Err(last_owner(&member))
    }
}

async fn existing(db: &Db, tenant: &str, subject: &str) -> Result<Member, ApiError> {
    db.member(tenant, subject)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no member {subject}")))
}

/// The member, unless the identity provider's claim gives the membership: it
/// would come back as it was at their next sign-in.
fn managed_here(member: Member) -> Result<Member, ApiError> {
    if member.from_claim {
        return Err(ApiError::conflict(
            ErrorCode::ManagedByIdentityProvider,
            format!(
                "{}'s membership comes from the identity provider; change it there",
                member.subject
            ),
        ));
    }
    Ok(member)
}

fn last_owner(member: &Member) -> ApiError {
    ApiError::conflict(
        ErrorCode::LastOwner,
        format!(
            "{} is the organisation's last owner; make someone else an owner first",
            member.subject
        ),
    )
}

/// An address to send an invitation to, as the request's schema says: one
/// `@` with something before it, a domain with a `.` that neither starts nor
/// ends it, no white space or control character, at most 254 characters.
fn checked_email(email: &str) -> Result<&str, ApiError> {
    let inner_dot = |domain: &str| {
        domain
            .char_indices()
            .any(|(at, c)| c == '.' && at > 0 && at + 1 < domain.len())
    };
    let well_formed = email.chars().count() <= EMAIL_MAX
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.contains('@') && inner_dot(domain)
        });
    if well_formed {
        Ok(email)
    } else {
        Err(ApiError::bad_request(
            ErrorCode::InvalidBody,
            format!("`email` must be an email address (at most {EMAIL_MAX} characters)"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invitation_goes_to_one_email_address() {
        for good in ["ann@example.com", "ann.lee+dash@mail.example.org"] {
            assert!(checked_email(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "ann",
            "@example.com",
            "ann@localhost",
            "a b@example.com",
            "a@b@example.com",
            " ann@example.com",
            "ann@.com",
            "ann@example.",
        ] {
            assert!(checked_email(bad).is_err(), "{bad}");
        }
        assert!(checked_email(&format!("{}@example.com", "a".repeat(250))).is_err());
    }
}
