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
        let tenant = Tenant {
            id: new_id("ten"),
            name: name.to_owned(),
            roles,
            created_at: now_unix(),
        };
        let mut writer = self.writer.connection().await?;
        sqlx::query(
            "INSERT INTO tenants (id, name, created_at, is_buyer, is_seller) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&tenant.id)
        .bind(&tenant.name)
        .bind(tenant.created_at)
        .bind(i64::from(roles.buyer))
        .bind(i64::from(roles.seller))
        .execute(&mut *writer)
        .await?;
        Ok(tenant)
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

const TENANT_COLUMNS: &str = "id, name, is_buyer, is_seller, created_at";

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
        })
    }
}
