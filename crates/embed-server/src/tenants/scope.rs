//! Whose rows a query may touch.

use std::fmt;

use crate::db::AnyQuery;

/// A tenant's id (`ten_…`), as stored.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TenantId(String);

impl TenantId {
    pub fn new(id: impl Into<String>) -> Self {
        TenantId(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The tenants a query reaches: one tenant's rows (every admin API call, with
/// the calling key's tenant, and the operator's commands that name a tenant),
/// or every tenant's (only the operator's local commands that name none). An
/// explicit type rather than a sentinel id, so no tenant id — empty or not —
/// can widen a query to every tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantScope {
    One(TenantId),
    Operator,
}

impl TenantScope {
    /// One tenant's rows.
    pub fn one(id: impl Into<String>) -> Self {
        TenantScope::One(TenantId::new(id))
    }

    /// One tenant, or every tenant when the operator named none.
    pub fn operator_or(tenant: Option<&str>) -> Self {
        tenant.map_or(TenantScope::Operator, TenantScope::one)
    }

    /// The one tenant this scope is, if it is one.
    pub fn tenant(&self) -> Option<&TenantId> {
        match self {
            TenantScope::One(id) => Some(id),
            TenantScope::Operator => None,
        }
    }

    /// Whether a row of `tenant_id` is within this scope.
    pub fn reaches(&self, tenant_id: &str) -> bool {
        match self {
            TenantScope::One(id) => id.as_str() == tenant_id,
            TenantScope::Operator => true,
        }
    }

    /// Binds the two parameters of a query's condition on its tenant column,
    /// written `($n = 1 OR tenant_id = $m)` with `m = n + 1`: 1 for the
    /// operator, then the tenant's id.
    pub(crate) fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        match self {
            TenantScope::One(id) => query.bind(0_i64).bind(id.as_str()),
            // The id is never compared: the first condition already holds.
            TenantScope::Operator => query.bind(1_i64).bind(""),
        }
    }
}
