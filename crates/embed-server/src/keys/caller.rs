//! Who asks for an operation: a secret or restricted key (through the admin
//! API or `sitekit --server`), a member signed in to the dashboard (with
//! their role's scopes), or the operator (on the local database, or with an
//! operator key through the operator's API). Every operation checks the same
//! scopes and reaches the same rows whoever calls it.

use crate::error::ApiError;
use crate::keys::scopes::{self, GrantError, Scope, Scopes};
use crate::keys::{AdminKeyRecord, KeyKind};
use crate::tenants::{TenantId, TenantScope};
use sitekit_sdk::ErrorCode;

/// How the audit trail names changes made by the operator's command line.
const OPERATOR_ACTOR: &str = "cli";

/// A caller, with what it may reach and do.
#[derive(Debug, Clone)]
pub struct Caller {
    scope: TenantScope,
    who: Who,
}

#[derive(Debug, Clone)]
enum Who {
    Key {
        id: String,
        kind: KeyKind,
        scopes: Scopes,
        /// When the calling key stops working, if it does.
        expires_at: Option<i64>,
    },
    /// A member, by the identity provider's `sub`, with their role's name,
    /// the kind of key it acts as and its scopes.
    Person {
        subject: String,
        role: &'static str,
        kind: KeyKind,
        scopes: Scopes,
    },
    /// Holds every scope, like a secret key that never expires; `key` is the
    /// operator key it came with, none on the local database.
    Operator { key: Option<String> },
}

impl Caller {
    /// A key that was checked (not revoked, not expired): its own tenant only.
    pub fn key(record: AdminKeyRecord, kind: KeyKind) -> Caller {
        Caller {
            scope: TenantScope::one(record.tenant_id),
            who: Who::Key {
                id: record.id,
                kind,
                scopes: record.scopes,
                expires_at: record.expires_at,
            },
        }
    }

    /// A signed-in member of `tenant`, known by the identity provider's
    /// `subject`, whose role `role` acts as a key of `kind` with `scopes`.
    pub fn person(
        tenant: &str,
        subject: &str,
        role: &'static str,
        (kind, scopes): (KeyKind, Scopes),
    ) -> Caller {
        Caller {
            scope: TenantScope::one(tenant),
            who: Who::Person {
                subject: subject.to_owned(),
                role,
                kind,
                scopes,
            },
        }
    }

    /// The operator, on the tenant it named, or on every tenant.
    pub fn operator(tenant: Option<TenantId>) -> Caller {
        Caller {
            scope: tenant.map_or(TenantScope::Operator, TenantScope::One),
            who: Who::Operator { key: None },
        }
    }

    /// The operator with its key `key_id`, on one tenant: what it makes or
    /// changes there is recorded as that key's doing.
    pub fn operator_key(key_id: &str, tenant: TenantId) -> Caller {
        Caller {
            scope: TenantScope::One(tenant),
            who: Who::Operator {
                key: Some(key_id.to_owned()),
            },
        }
    }

    /// The rows the caller's queries reach: a key's own tenant's, never another's.
    pub fn scope(&self) -> &TenantScope {
        &self.scope
    }

    /// The tenant what the caller creates belongs to; the operator must name one.
    pub fn tenant(&self) -> Result<&TenantId, ApiError> {
        self.scope.tenant().ok_or_else(|| {
            ApiError::bad_request(ErrorCode::TenantRequired,
                "--tenant is needed on the local database (with --server, the key's tenant is used)",
            )
        })
    }

    /// How the audit trail names this caller.
    pub fn actor(&self) -> String {
        match &self.who {
            Who::Key { id, .. } => format!("key:{id}"),
            Who::Person { subject, .. } => format!("person:{subject}"),
            Who::Operator { key: Some(id) } => format!("operator-key:{id}"),
            Who::Operator { key: None } => OPERATOR_ACTOR.to_owned(),
        }
    }

    /// When what this caller makes must stop working at the latest: a key may
    /// not outlive the key that made it. The operator's keys act for the
    /// operator, whose organisations' keys outlive any one operator key.
    pub fn expires_at(&self) -> Option<i64> {
        match &self.who {
            Who::Key { expires_at, .. } => *expires_at,
            Who::Person { .. } | Who::Operator { .. } => None,
        }
    }

    fn kind_and_scopes(&self) -> (KeyKind, Scopes) {
        match &self.who {
            Who::Key { kind, scopes, .. } => (*kind, *scopes),
            Who::Person { kind, scopes, .. } => (*kind, *scopes),
            Who::Operator { .. } => (KeyKind::Secret, Scopes::EVERYTHING),
        }
    }

    /// 403 `missing_scope` naming the scope when the caller lacks it.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.kind_and_scopes().1.contains(scope) {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                ErrorCode::MissingScope,
                match &self.who {
                    Who::Person { role, .. } => {
                        format!("your role ({role}) lacks the `{scope}` scope")
                    }
                    _ => format!("this key lacks the `{scope}` scope"),
                },
            ))
        }
    }

    /// 403 `missing_scope` unless the caller may create or rotate a key of
    /// `target` kind with `target_scopes` (see [`scopes::may_grant`]).
    pub fn may_grant(&self, target: KeyKind, target_scopes: Scopes) -> Result<(), ApiError> {
        scopes::may_grant(self.kind_and_scopes(), target, target_scopes).map_err(refused)
    }

    /// 403 `missing_scope` unless the caller may revoke a key of `target` kind.
    pub fn may_revoke(&self, target: KeyKind) -> Result<(), ApiError> {
        scopes::may_revoke(self.kind_and_scopes().0, target).map_err(refused)
    }
}

fn refused(error: GrantError) -> ApiError {
    ApiError::forbidden(ErrorCode::MissingScope, error.to_string())
}
