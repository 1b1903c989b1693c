//! The operator's API client: one typed method per `/v1/operator/…` route,
//! for an operator key (`skt_op_…`, made on the server's machine with `sitekit
//! operator-keys create`). A control plane uses it to provision organisations
//! and their keys, then the admin API ([`crate::AdminClient`]) with those keys;
//! a marketplace, to provision its purchases (a subscription and a widget each),
//! pause them, and read their monthly usage for billing.

use crate::Error;
use crate::admin::{CreatedKey, KeyEventList, KeyList, NewKeyRequest, RotateKeyRequest};
use crate::client::segment;
use crate::keyed_client::KeyedClient;
use crate::operator::{
    MarketplaceControls, MonthlyUsage, NewOrganisation, OperatorWidget, Organisation,
    OrganisationList, ProvisionedSubscription, ProvisionedWidget,
};
use crate::subscriptions::Subscription;
use crate::transport::Method;

/// A client for the operator's API of one embed server. Every failure is an
/// [`Error`] carrying the server's stable code (`missing_scope`, `not_found`, …).
///
/// ```no_run
/// # async fn demo() -> Result<(), sitekit_sdk::Error> {
/// use sitekit_sdk::{AdminClient, OperatorClient};
/// use sitekit_sdk::admin::{AdminKeyKind, NewKeyRequest};
/// use sitekit_sdk::operator::{NewOrganisation, OrganisationRole};
///
/// let operator = OperatorClient::new("https://embed.example.com", "skt_op_live_…");
/// let new = NewOrganisation { name: "Acme".into(), roles: vec![OrganisationRole::Buyer], external_id: None };
/// let acme = operator.create_organisation(&new).await?;
/// let request = NewKeyRequest {
///     kind: AdminKeyKind::Secret,
///     scopes: None,
///     expires_in_days: None,
///     test_mode: false,
///     name: Some("storefront".into()),
/// };
/// let key = operator.create_organisation_key(&acme.id, &request).await?;
/// let admin = AdminClient::new("https://embed.example.com", key.key);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct OperatorClient {
    http: KeyedClient,
}

impl OperatorClient {
    /// `server_url` is the embed server's base URL; `key` an operator key.
    pub fn new(server_url: impl Into<String>, key: impl Into<String>) -> Self {
        OperatorClient {
            http: KeyedClient::new(server_url.into(), key.into()),
        }
    }

    /// The server's base URL, as given (without a trailing slash).
    pub fn server_url(&self) -> &str {
        self.http.endpoint()
    }

    /// `GET /v1/operator/organisations` (`organisations:read`), oldest first.
    pub async fn organisations(&self) -> Result<OrganisationList, Error> {
        self.http.get("/v1/operator/organisations".into()).await
    }

    /// `GET /v1/operator/organisations/<id>` (`organisations:read`).
    pub async fn organisation(&self, id: &str) -> Result<Organisation, Error> {
        self.http.get(organisation_path(id)).await
    }

    /// `POST /v1/operator/organisations` (`organisations:write`).
    pub async fn create_organisation(
        &self,
        request: &NewOrganisation,
    ) -> Result<Organisation, Error> {
        let path = "/v1/operator/organisations".into();
        self.http.send_json(Method::Post, path, request).await
    }

    /// `GET /v1/operator/organisations/<id>/keys` (`organisation-keys:write`):
    /// display forms only.
    pub async fn organisation_keys(&self, id: &str) -> Result<KeyList, Error> {
        self.http
            .get(format!("{}/keys", organisation_path(id)))
            .await
    }

    /// `POST /v1/operator/organisations/<id>/keys` (`organisation-keys:write`):
    /// a secret or restricted key of the organisation, shown only here.
    pub async fn create_organisation_key(
        &self,
        id: &str,
        request: &NewKeyRequest,
    ) -> Result<CreatedKey, Error> {
        let path = format!("{}/keys", organisation_path(id));
        self.http.send_json(Method::Post, path, request).await
    }

    /// `POST /v1/operator/organisations/<id>/keys/<key>/rotate`
    /// (`organisation-keys:write`): a replacement, shown only here; the old key
    /// works for the grace period.
    pub async fn rotate_organisation_key(
        &self,
        id: &str,
        key: &str,
        request: &RotateKeyRequest,
    ) -> Result<CreatedKey, Error> {
        let path = format!("{}/rotate", key_path(id, key));
        self.http.send_json(Method::Post, path, request).await
    }

    /// `GET /v1/operator/organisations/<id>/keys/<key>/events`
    /// (`organisation-keys:write`): the key's audit trail.
    pub async fn organisation_key_events(
        &self,
        id: &str,
        key: &str,
    ) -> Result<KeyEventList, Error> {
        self.http.get(format!("{}/events", key_path(id, key))).await
    }

    /// `POST /v1/operator/organisations/<id>/keys/<key>/revoke`
    /// (`organisation-keys:write`): the key stops working, its sessions end.
    pub async fn revoke_organisation_key(&self, id: &str, key: &str) -> Result<(), Error> {
        let path = format!("{}/revoke", key_path(id, key));
        self.http.send(Method::Post, path, None).await.map(drop)
    }

    /// `POST /v1/operator/organisations/<id>/subscriptions`
    /// (`provisioning:write`): the purchase's subscription, made or found by
    /// its external id.
    pub async fn provision_subscription(
        &self,
        id: &str,
        request: &ProvisionedSubscription,
    ) -> Result<Subscription, Error> {
        let path = format!("{}/subscriptions", organisation_path(id));
        self.http.send_json(Method::Post, path, request).await
    }

    /// `POST /v1/operator/organisations/<id>/widgets` (`provisioning:write`):
    /// the purchase's widget, made or found by its external id.
    pub async fn provision_widget(
        &self,
        id: &str,
        request: &ProvisionedWidget,
    ) -> Result<OperatorWidget, Error> {
        let path = format!("{}/widgets", organisation_path(id));
        self.http.send_json(Method::Post, path, request).await
    }

    /// `GET /v1/operator/widgets/<id>` (`provisioning:write`).
    pub async fn widget(&self, id: &str) -> Result<OperatorWidget, Error> {
        self.http.get(widget_path(id)).await
    }

    /// `PATCH /v1/operator/widgets/<id>` (`provisioning:write`): pause or
    /// restore it, or change its monthly budget.
    pub async fn control_widget(
        &self,
        id: &str,
        controls: &MarketplaceControls,
    ) -> Result<OperatorWidget, Error> {
        self.http
            .send_json(Method::Patch, widget_path(id), controls)
            .await
    }

    /// `DELETE /v1/operator/widgets/<id>` (`provisioning:write`).
    pub async fn delete_widget(&self, id: &str) -> Result<(), Error> {
        self.http
            .send(Method::Delete, widget_path(id), None)
            .await
            .map(drop)
    }

    /// `GET /v1/operator/widgets/<id>/usage?month=YYYY-MM`
    /// (`provisioning:write`): the month's totals to date.
    pub async fn widget_usage(&self, id: &str, month: &str) -> Result<MonthlyUsage, Error> {
        let path = format!("{}/usage?month={}", widget_path(id), segment(month));
        self.http.get(path).await
    }
}

fn widget_path(id: &str) -> String {
    format!("/v1/operator/widgets/{}", segment(id))
}

fn organisation_path(id: &str) -> String {
    format!("/v1/operator/organisations/{}", segment(id))
}

fn key_path(id: &str, key: &str) -> String {
    format!("{}/keys/{}", organisation_path(id), segment(key))
}
