//! Tenants: the organisations everything else belongs to, each a buyer, a
//! seller or both.

use sitekit_sdk::operator::OrganisationRole;
use sqlx::Row;

use crate::db::{Db, new_id, now_unix};

#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub roles: OrgRoles,
    /// In Unix seconds.
    pub created_at: i64,
    /// Its id in the marketplace that provisions it, if one does.
    pub external_id: Option<String>,
}

/// What an organisation does on the marketplace: a buyer puts agents on its
/// sites (its own, or subscribed ones); a seller publishes agents to the
/// catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrgRoles {
    pub buyer: bool,
    pub seller: bool,
}

impl OrgRoles {
    /// Every organisation made before sellers existed, and the default.
    pub const BUYER: OrgRoles = OrgRoles {
        buyer: true,
        seller: false,
    };

    /// The roles held, as the API lists them.
    pub fn listed(self) -> Vec<OrganisationRole> {
        [
            (self.buyer, OrganisationRole::Buyer),
            (self.seller, OrganisationRole::Seller),
        ]
        .into_iter()
        .filter_map(|(held, role)| held.then_some(role))
        .collect()
    }
}

impl Db {
    /// A buyer organisation named `name`.
    pub async fn create_tenant(&self, name: &str) -> Result<Tenant, sqlx::Error> {
        self.create_organisation(name, OrgRoles::BUYER).await
    }

    pub async fn create_organisation(
        &self,
        name: &str,
        roles: OrgRoles,
    ) -> Result<Tenant, sqlx::Error> {
        Ok(self.find_or_create_organisation(name, roles, None).await?.0)
    }

    /// A new organisation, or with an `external_id` the one that has it
    /// already (made now or before: `true` when made now). One statement
    /// decides, so two concurrent calls with one external id make one.
    pub async fn find_or_create_organisation(
        &self,
        name: &str,
        roles: OrgRoles,
        external_id: Option<&str>,
    ) -> Result<(Tenant, bool), sqlx::Error> {
        let tenant = Tenant {
            id: new_id("ten"),
            name: name.to_owned(),
            roles,
            created_at: now_unix(),
            external_id: external_id.map(str::to_owned),
        };
        let mut writer = self.writer.connection().await?;
        let made = sqlx::query(
            "INSERT INTO tenants (id, name, created_at, is_buyer, is_seller, external_id) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (external_id) DO NOTHING",
        )
        .bind(&tenant.id)
        .bind(&tenant.name)
        .bind(tenant.created_at)
        .bind(i64::from(roles.buyer))
        .bind(i64::from(roles.seller))
        .bind(external_id)
        .execute(&mut *writer)
        .await?
        .rows_affected()
            == 1;
        if made {
            return Ok((tenant, true));
        }
        let sql = format!("SELECT {TENANT_COLUMNS} FROM tenants WHERE external_id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(external_id)
            .fetch_one(&mut *writer)
            .await?;
        Ok((Tenant::from_row(&row)?, false))
    }

    pub async fn tenant_exists(&self, id: &str) -> Result<bool, sqlx::Error> {
        Ok(self.tenant(id).await?.is_some())
    }

    pub async fn tenant(&self, id: &str) -> Result<Option<Tenant>, sqlx::Error> {
        let sql = format!("SELECT {TENANT_COLUMNS} FROM tenants WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Tenant::from_row).transpose()
    }

    /// Every tenant, oldest first.
    pub async fn tenants(&self) -> Result<Vec<Tenant>, sqlx::Error> {
        let sql = format!("SELECT {TENANT_COLUMNS} FROM tenants ORDER BY created_at, id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(Tenant::from_row).collect()
    }
}

const TENANT_COLUMNS: &str = "id, name, is_buyer, is_seller, created_at, external_id";

impl Tenant {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Tenant {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            roles: OrgRoles {
                buyer: row.try_get::<i64, _>("is_buyer")? == 1,
                seller: row.try_get::<i64, _>("is_seller")? == 1,
            },
            created_at: row.try_get("created_at")?,
            external_id: row.try_get("external_id")?,
        })
    }
}
