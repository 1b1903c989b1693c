//! The operator's operations, once for both of its callers: an operator key
//! through `/v1/operator/…` (`routes/operator.rs`) and the command line on
//! the server's machine (`sitekit tenants …`). Each checks the operator
//! scope it needs; an organisation's keys are then made, listed, rotated and
//! revoked by the same key operations the admin API uses, on that
//! organisation alone. Making and revoking operator keys is for the command
//! line only.

use sitekit_sdk::ErrorCode;
use sitekit_sdk::admin::{CreatedKey, KeyEventList, KeySummary, NewKeyRequest, RotateKeyRequest};
use sitekit_sdk::fields::OrganisationName;
use sitekit_sdk::operator::{NewOrganisation, Organisation, OrganisationRole};

use crate::db::{DAY_SECS, Db, now_unix};
use crate::error::ApiError;
use crate::keys::scopes::{Scope, Scopes};
use crate::keys::{self, Caller};
use crate::operator::OperatorKeyRecord;
use crate::setting_rules::has_control;
use crate::tenants::{self, OrgRoles, Tenant, TenantId};

/// The operator, with what it may do.
#[derive(Debug, Clone)]
pub struct OperatorCaller {
    /// The operator key it came with; none on the local database.
    key: Option<String>,
    scopes: Scopes,
}

impl OperatorCaller {
    /// The command line on the server's machine: every operator scope.
    pub fn local() -> Self {
        OperatorCaller {
            key: None,
            scopes: Scopes::OPERATOR,
        }
    }

    /// An operator key that was checked (not revoked, not expired).
    pub fn key(record: OperatorKeyRecord) -> Self {
        OperatorCaller {
            key: Some(record.id),
            scopes: record.scopes,
        }
    }

    /// 403 `missing_scope` naming the scope when the caller lacks it.
    pub(super) fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.scopes.contains(scope) {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                ErrorCode::MissingScope,
                format!("this operator key lacks the `{scope}` scope"),
            ))
        }
    }

    /// The operator on one organisation, for the operations of its own that
    /// the organisation's keys call too.
    pub(super) fn on(&self, tenant: &str) -> Caller {
        let tenant = TenantId::new(tenant);
        match &self.key {
            Some(key) => Caller::operator_key(key, tenant),
            None => Caller::operator(Some(tenant)),
        }
    }
}

/// Every organisation on the server, oldest first.
pub async fn organisations(
    db: &Db,
    caller: &OperatorCaller,
) -> Result<Vec<Organisation>, ApiError> {
    caller.require(Scope::OrganisationsRead)?;
    Ok(db.tenants().await?.into_iter().map(shown).collect())
}

/// One organisation.
pub async fn organisation(
    db: &Db,
    caller: &OperatorCaller,
    id: &str,
) -> Result<Organisation, ApiError> {
    caller.require(Scope::OrganisationsRead)?;
    existing(db, id).await.map(shown)
}

/// A new organisation: a buyer, a seller or both. With an external id, the
/// organisation made with it before if there is one (`false`: not made now),
/// provided it holds the roles asked for.
pub async fn create_organisation(
    db: &Db,
    caller: &OperatorCaller,
    request: NewOrganisation,
) -> Result<(Organisation, bool), ApiError> {
    caller.require(Scope::OrganisationsWrite)?;
    // As the spec bounds it: every list the server reads is bounded.
    if request.roles.len() > 2 {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidBody,
            "roles lists at most two: buyer and seller",
        ));
    }
    let roles = OrgRoles {
        buyer: request.roles.contains(&OrganisationRole::Buyer),
        seller: request.roles.contains(&OrganisationRole::Seller),
    };
    let (tenant, made) =
        tenants::ops::find_or_create(db, &request.name, roles, request.external_id.as_deref())
            .await?;
    if tenant.roles != roles {
        return Err(ApiError::conflict(
            ErrorCode::ExternalIdInUse,
            format!(
                "{} already has this external id, with the roles {}",
                tenant.id,
                tenant
                    .roles
                    .listed()
                    .iter()
                    .map(|role| role.as_str())
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        ));
    }
    Ok((shown(tenant), made))
}

/// An organisation's keys, in display form only.
pub async fn keys(
    db: &Db,
    caller: &OperatorCaller,
    organisation: &str,
) -> Result<Vec<KeySummary>, ApiError> {
    caller.require(Scope::OrganisationKeysWrite)?;
    let tenant = existing(db, organisation).await?;
    keys::ops::list(db, &caller.on(&tenant.id), None).await
}

/// A new secret or restricted key of an organisation, shown only here.
pub async fn create_key(
    db: &Db,
    caller: &OperatorCaller,
    organisation: &str,
    request: NewKeyRequest,
) -> Result<CreatedKey, ApiError> {
    caller.require(Scope::OrganisationKeysWrite)?;
    let tenant = existing(db, organisation).await?;
    keys::ops::create(db, &caller.on(&tenant.id), request).await
}

/// Revokes a key of an organisation; a key of another answers as one that
/// does not exist.
pub async fn revoke_key(
    db: &Db,
    caller: &OperatorCaller,
    organisation: &str,
    key: &str,
) -> Result<(), ApiError> {
    caller.require(Scope::OrganisationKeysWrite)?;
    let tenant = existing(db, organisation).await?;
    keys::ops::revoke(db, &caller.on(&tenant.id), key).await
}

/// Replaces a key of an organisation; the old one works for the grace period.
pub async fn rotate_key(
    db: &Db,
    caller: &OperatorCaller,
    organisation: &str,
    key: &str,
    request: RotateKeyRequest,
) -> Result<CreatedKey, ApiError> {
    caller.require(Scope::OrganisationKeysWrite)?;
    let tenant = existing(db, organisation).await?;
    keys::ops::rotate(db, &caller.on(&tenant.id), key, request).await
}

/// A key of an organisation's audit trail.
pub async fn key_events(
    db: &Db,
    caller: &OperatorCaller,
    organisation: &str,
    key: &str,
) -> Result<KeyEventList, ApiError> {
    caller.require(Scope::OrganisationKeysWrite)?;
    let tenant = existing(db, organisation).await?;
    keys::ops::events(db, &caller.on(&tenant.id), key).await
}

/// The longest note an operator key carries.
const MAX_NOTE_CHARS: usize = OrganisationName::MAX_CHARS;

/// A new operator key, shown only here: every operator scope unless `scopes`
/// lists fewer. Only the command line on the server's machine makes one.
pub async fn create_operator_key(
    db: &Db,
    note: &str,
    scopes: Option<&str>,
    expires_in_days: Option<u32>,
) -> Result<CreatedKey, ApiError> {
    let invalid = |message: String| ApiError::bad_request(ErrorCode::InvalidSetting, message);
    if note.chars().count() > MAX_NOTE_CHARS || has_control(note, &[]) {
        return Err(invalid(format!(
            "a key's note is one line of at most {MAX_NOTE_CHARS} characters"
        )));
    }
    let scopes = match scopes {
        Some(list) => Scopes::parse_operator_list(list)
            .map_err(|why| ApiError::bad_request(ErrorCode::InvalidScopes, why))?,
        None => Scopes::OPERATOR,
    };
    let expires_at = expires_in_days.map(|days| now_unix() + i64::from(days) * DAY_SECS);
    let (id, key) = db
        .create_operator_key(note.trim(), scopes, expires_at)
        .await?;
    Ok(CreatedKey {
        id,
        key: key.expose().to_owned(),
        scopes: scopes.names(),
    })
}

/// Revokes an operator key: it stops working at once.
pub async fn revoke_operator_key(db: &Db, id: &str) -> Result<(), ApiError> {
    if db.revoke_operator_key(id).await? {
        Ok(())
    } else {
        Err(ApiError::NotFound(format!(
            "no active operator key with id {id}"
        )))
    }
}

pub(super) async fn existing(db: &Db, id: &str) -> Result<Tenant, ApiError> {
    db.tenant(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no organisation with id {id}")))
}

fn shown(tenant: Tenant) -> Organisation {
    Organisation {
        id: tenant.id,
        name: tenant.name,
        roles: tenant.roles.listed(),
        created_at: tenant.created_at,
        external_id: tenant.external_id,
    }
}
