//! Tenants: the buyer organisations everything else belongs to.

use crate::db::{Db, new_id, now_unix};

#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: String,
    pub name: String,
}

impl Db {
    pub async fn create_tenant(&self, name: &str) -> Result<Tenant, sqlx::Error> {
        let tenant = Tenant {
            id: new_id("ten"),
            name: name.to_owned(),
        };
        let mut writer = self.writer.connection().await?;
        sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(&tenant.id)
            .bind(&tenant.name)
            .bind(now_unix())
            .execute(&mut *writer)
            .await?;
        Ok(tenant)
    }

    pub async fn tenant_exists(&self, id: &str) -> Result<bool, sqlx::Error> {
        let row = sqlx::query("SELECT 1 FROM tenants WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }
}
