//! Whose rows a query may touch.

use crate::db::AnyQuery;

/// The tenants a query reaches: one tenant's rows (every admin API call, with
/// the calling key's tenant), or every tenant's (only the operator's local
/// commands). An explicit type rather than a sentinel id, so no tenant id —
/// empty or not — can widen a query to every tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantScope {
    Tenant(String),
    Operator,
}

impl TenantScope {
    /// One tenant, or every tenant when the operator named none.
    pub fn operator_or(tenant: Option<&str>) -> Self {
        tenant.map_or(TenantScope::Operator, |id| {
            TenantScope::Tenant(id.to_owned())
        })
    }

    /// Binds the two parameters of a query's condition on its tenant column,
    /// written `($n = 1 OR tenant_id = $m)` with `m = n + 1`: 1 for the
    /// operator, then the tenant's id.
    pub(crate) fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        match self {
            TenantScope::Tenant(id) => query.bind(0_i64).bind(id.as_str()),
            // The id is never compared: the first condition already holds.
            TenantScope::Operator => query.bind(1_i64).bind(""),
        }
    }
}
