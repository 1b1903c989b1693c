//! `sitekit tenants`: the operator's commands on organisations and their keys,
//! on the local database or, with `--server` and an operator key, through the
//! operator's API. Both run the same operations (`operator::ops`), so they
//! check and answer alike; this module turns arguments into requests and
//! prints the answers.

use anyhow::Result;
use serde_json::json;
use sitekit_embed_server::db::Db;
use sitekit_embed_server::operator::{OperatorCaller, ops};
use sitekit_sdk::OperatorClient;
use sitekit_sdk::admin::{CreatedKey, KeyEventList, KeyList, NewKeyRequest, RotateKeyRequest};
use sitekit_sdk::operator::{NewOrganisation, Organisation, OrganisationList, OrganisationRole};

use crate::cli::args::{OrgRole, RotationGrace, TenantCommand};
use crate::cli::backend::remote_at;
use crate::cli::commands::{
    print, print_created_key, print_key_events, print_keys, print_rotated_key,
};

/// Where the operator's commands act: one method per operation.
pub trait OperatorBackend {
    async fn organisations(&self) -> Result<OrganisationList>;
    async fn organisation(&self, id: &str) -> Result<Organisation>;
    async fn create_organisation(&self, request: NewOrganisation) -> Result<Organisation>;
    async fn keys(&self, id: &str) -> Result<KeyList>;
    async fn create_key(&self, id: &str, request: NewKeyRequest) -> Result<CreatedKey>;
    async fn rotate_key(
        &self,
        id: &str,
        key: &str,
        request: RotateKeyRequest,
    ) -> Result<CreatedKey>;
    async fn key_events(&self, id: &str, key: &str) -> Result<KeyEventList>;
    async fn revoke_key(&self, id: &str, key: &str) -> Result<()>;
}

impl OperatorBackend for OperatorClient {
    async fn organisations(&self) -> Result<OrganisationList> {
        remote_at(self.server_url(), OperatorClient::organisations(self).await)
    }

    async fn organisation(&self, id: &str) -> Result<Organisation> {
        remote_at(
            self.server_url(),
            OperatorClient::organisation(self, id).await,
        )
    }

    async fn create_organisation(&self, request: NewOrganisation) -> Result<Organisation> {
        let created = OperatorClient::create_organisation(self, &request).await;
        remote_at(self.server_url(), created)
    }

    async fn keys(&self, id: &str) -> Result<KeyList> {
        remote_at(self.server_url(), self.organisation_keys(id).await)
    }

    async fn create_key(&self, id: &str, request: NewKeyRequest) -> Result<CreatedKey> {
        let created = self.create_organisation_key(id, &request).await;
        remote_at(self.server_url(), created)
    }

    async fn rotate_key(
        &self,
        id: &str,
        key: &str,
        request: RotateKeyRequest,
    ) -> Result<CreatedKey> {
        let rotated = self.rotate_organisation_key(id, key, &request).await;
        remote_at(self.server_url(), rotated)
    }

    async fn key_events(&self, id: &str, key: &str) -> Result<KeyEventList> {
        remote_at(
            self.server_url(),
            self.organisation_key_events(id, key).await,
        )
    }

    async fn revoke_key(&self, id: &str, key: &str) -> Result<()> {
        remote_at(
            self.server_url(),
            self.revoke_organisation_key(id, key).await,
        )
    }
}

/// The local database, as the operator.
pub struct LocalOperator(pub Db);

impl OperatorBackend for LocalOperator {
    async fn organisations(&self) -> Result<OrganisationList> {
        let organisations = ops::organisations(&self.0, &OperatorCaller::local()).await?;
        Ok(OrganisationList { organisations })
    }

    async fn organisation(&self, id: &str) -> Result<Organisation> {
        Ok(ops::organisation(&self.0, &OperatorCaller::local(), id).await?)
    }

    async fn create_organisation(&self, request: NewOrganisation) -> Result<Organisation> {
        let caller = OperatorCaller::local();
        Ok(ops::create_organisation(&self.0, &caller, request).await?.0)
    }

    async fn keys(&self, id: &str) -> Result<KeyList> {
        let keys = ops::keys(&self.0, &OperatorCaller::local(), id).await?;
        Ok(KeyList { keys })
    }

    async fn create_key(&self, id: &str, request: NewKeyRequest) -> Result<CreatedKey> {
        Ok(ops::create_key(&self.0, &OperatorCaller::local(), id, request).await?)
    }

    async fn rotate_key(
        &self,
        id: &str,
        key: &str,
        request: RotateKeyRequest,
    ) -> Result<CreatedKey> {
        let caller = OperatorCaller::local();
        Ok(ops::rotate_key(&self.0, &caller, id, key, request).await?)
    }

    async fn key_events(&self, id: &str, key: &str) -> Result<KeyEventList> {
        Ok(ops::key_events(&self.0, &OperatorCaller::local(), id, key).await?)
    }

    async fn revoke_key(&self, id: &str, key: &str) -> Result<()> {
        Ok(ops::revoke_key(&self.0, &OperatorCaller::local(), id, key).await?)
    }
}

pub async fn run(backend: &impl OperatorBackend, command: TenantCommand) -> Result<()> {
    match command {
        TenantCommand::Create {
            name,
            roles,
            external_id,
            json,
        } => {
            let roles = [
                (OrgRole::Buyer, OrganisationRole::Buyer),
                (OrgRole::Seller, OrganisationRole::Seller),
            ]
            .into_iter()
            .filter_map(|(given, role)| roles.contains(&given).then_some(role))
            .collect();
            let created = backend
                .create_organisation(NewOrganisation {
                    name,
                    roles,
                    external_id,
                })
                .await?;
            print(json, &created, |tenant| match &tenant.external_id {
                Some(external_id) => println!(
                    "tenant {} ({}), {}, has external id {external_id}",
                    tenant.id,
                    tenant.name,
                    roles_text(tenant)
                ),
                None => println!(
                    "created tenant {} ({}), {}",
                    tenant.id,
                    tenant.name,
                    roles_text(tenant)
                ),
            })
        }
        TenantCommand::List { json } => print(json, &backend.organisations().await?, |list| {
            for tenant in &list.organisations {
                println!("{}  {}  {}", tenant.id, roles_text(tenant), tenant.name);
            }
        }),
        TenantCommand::Show { id, json } => {
            print(json, &backend.organisation(&id).await?, |tenant| {
                println!("{}  {}  {}", tenant.id, roles_text(tenant), tenant.name);
            })
        }
        TenantCommand::CreateKey { id, key, json } => {
            let created = backend.create_key(&id, key.into()).await?;
            print(json, &created, print_created_key)
        }
        TenantCommand::Keys { id, json } => print(json, &backend.keys(&id).await?, print_keys),
        TenantCommand::RotateKey {
            id,
            key_id,
            grace: RotationGrace { grace_secs },
            json,
        } => {
            let request = RotateKeyRequest {
                grace_seconds: Some(grace_secs),
            };
            let rotated = backend.rotate_key(&id, &key_id, request).await?;
            print(json, &rotated, |rotated| {
                print_rotated_key(rotated, &key_id, grace_secs);
            })
        }
        TenantCommand::KeyEvents { id, key_id, json } => {
            let events = backend.key_events(&id, &key_id).await?;
            print(json, &events, print_key_events)
        }
        TenantCommand::RevokeKey { id, key_id, json } => {
            backend.revoke_key(&id, &key_id).await?;
            print(json, &json!({ "id": key_id, "revoked": true }), |_| {
                println!("revoked key {key_id} of tenant {id}; its sessions end within seconds");
            })
        }
    }
}

/// "buyer", "seller" or "buyer and seller".
fn roles_text(tenant: &Organisation) -> String {
    let names: Vec<&str> = tenant.roles.iter().map(|role| role.as_str()).collect();
    names.join(" and ")
}
