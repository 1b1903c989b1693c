//! The subscriptions' rows, and the SQL that resolves a subscription to the
//! version it runs now: its pinned version, or the newest one.

use sitekit_sdk::catalog::PublishedAgentStatus;
use sitekit_sdk::subscriptions::VersionPolicy;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Db, new_id, now_unix};
use crate::tenants::TenantScope;

/// A subscription with what its buyer sees of the published agent, and the
/// version it resolves to now.
#[derive(Debug, Clone)]
pub struct SubscriptionRecord {
    pub id: String,
    pub buyer_id: String,
    pub buyer_name: String,
    pub published_agent_id: String,
    pub agent_name: String,
    pub seller_name: String,
    pub status: PublishedAgentStatus,
    pub policy: VersionPolicy,
    pub policy_changed_at: i64,
    pub created_at: i64,
    /// The version a run starting now runs, and the agent row that binds it.
    pub version: u32,
    pub version_agent_id: String,
    pub version_published_at: i64,
    /// The marketplace purchase it was provisioned for, if one.
    pub external_id: Option<String>,
}

/// The version a row of `subscriptions` runs now, as SQL (a macro, so that
/// [`RESOLVED_AGENT_ID`] can hold it too): its pinned version; else its
/// agent's canary if its bucket is within the canary's share; else the
/// released version.
macro_rules! resolved_version {
    () => {
        "COALESCE(subscriptions.pinned_version, (SELECT CASE WHEN rollout.canary_version IS NOT \
         NULL AND subscriptions.canary_bucket < rollout.canary_percent \
         THEN rollout.canary_version ELSE rollout.released_version END \
         FROM published_agents rollout WHERE rollout.id = subscriptions.published_agent_id))"
    };
}

const RESOLVED_VERSION: &str = resolved_version!();

/// The agent row a row of `widgets` runs now: its own agent, or the version
/// its subscription resolves to. Every run and usage event resolves through
/// this one expression.
pub(crate) const RESOLVED_AGENT_ID: &str = concat!(
    "CASE WHEN widgets.subscription_id IS NULL THEN widgets.agent_id ELSE \
     (SELECT resolved.id FROM subscriptions JOIN agents resolved \
     ON resolved.published_agent_id = subscriptions.published_agent_id \
     WHERE subscriptions.id = widgets.subscription_id AND resolved.version = ",
    resolved_version!(),
    ") END"
);

const SELECT_SUBSCRIPTIONS: &str = "SELECT subscriptions.id, subscriptions.buyer_id, \
     subscriptions.published_agent_id, subscriptions.pinned_version, \
     subscriptions.policy_changed_at, subscriptions.created_at, subscriptions.external_id, \
     published_agents.name AS agent_name, published_agents.status, sellers.name AS seller_name, \
     buyers.name AS buyer_name, \
     resolved.id AS version_agent_id, resolved.version, resolved.created_at AS version_published_at \
     FROM subscriptions \
     JOIN published_agents ON published_agents.id = subscriptions.published_agent_id \
     JOIN tenants sellers ON sellers.id = published_agents.seller_id \
     JOIN tenants buyers ON buyers.id = subscriptions.buyer_id \
     JOIN agents resolved ON resolved.published_agent_id = subscriptions.published_agent_id";

impl SubscriptionRecord {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        let status: String = row.try_get("status")?;
        let pinned: Option<i64> = row.try_get("pinned_version")?;
        Ok(SubscriptionRecord {
            id: row.try_get("id")?,
            buyer_id: row.try_get("buyer_id")?,
            buyer_name: row.try_get("buyer_name")?,
            published_agent_id: row.try_get("published_agent_id")?,
            agent_name: row.try_get("agent_name")?,
            seller_name: row.try_get("seller_name")?,
            status: PublishedAgentStatus::parse(&status).ok_or_else(|| {
                sqlx::Error::Decode(format!("unknown catalog status `{status}`").into())
            })?,
            policy: match pinned {
                Some(version) => VersionPolicy::Pinned(number(version)?),
                None => VersionPolicy::Latest,
            },
            policy_changed_at: row.try_get("policy_changed_at")?,
            created_at: row.try_get("created_at")?,
            version: number(row.try_get("version")?)?,
            version_agent_id: row.try_get("version_agent_id")?,
            version_published_at: row.try_get("version_published_at")?,
            external_id: row.try_get("external_id")?,
        })
    }

    /// Since when it has run its version: since its policy was set, or since
    /// the version it follows came out, whichever was later.
    pub fn version_since(&self) -> i64 {
        match self.policy {
            VersionPolicy::Pinned(_) => self.policy_changed_at,
            VersionPolicy::Latest => self.policy_changed_at.max(self.version_published_at),
        }
    }
}

/// The canary bucket (0 to 99) of an agent's subscription with `earlier`
/// subscriptions before it: the fractional parts of multiples of the golden
/// ratio spread any number of them evenly, so a canary of p % reaches p % of
/// an agent's subscriptions within three (the test checks up to a thousand),
/// and half of twenty exactly. (Two nodes subscribing at once may give two the
/// same bucket; the spread barely moves.)
fn canary_bucket(earlier: i64) -> i64 {
    const GOLDEN_FRACTION: f64 = 0.618_033_988_749_894_9;
    ((earlier as f64 * GOLDEN_FRACTION).fract() * 100.0) as i64
}

fn number(value: i64) -> Result<u32, sqlx::Error> {
    u32::try_from(value).map_err(|error| sqlx::Error::Decode(Box::new(error)))
}

impl Db {
    /// A new subscription's id; with an `external_id` the buyer's
    /// subscription made for it before, if there is one (`false`: found, not
    /// made now).
    pub async fn create_subscription(
        &self,
        buyer_id: &str,
        published_agent_id: &str,
        policy: VersionPolicy,
        external_id: Option<&str>,
    ) -> Result<(String, bool), sqlx::Error> {
        let id = new_id("sub");
        let now = now_unix();
        let mut writer = self.writer.connection().await?;
        let earlier: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM subscriptions WHERE published_agent_id = $1")
                .bind(published_agent_id)
                .fetch_one(&mut *writer)
                .await?;
        let inserted = sqlx::query(
            "INSERT INTO subscriptions (id, buyer_id, published_agent_id, pinned_version, \
             policy_changed_at, created_at, canary_bucket, external_id) \
             VALUES ($1, $2, $3, $4, $5, $5, $6, $7) ON CONFLICT (buyer_id, external_id) DO NOTHING",
        )
        .bind(&id)
        .bind(buyer_id)
        .bind(published_agent_id)
        .bind(policy.pinned().map(i64::from))
        .bind(now)
        .bind(canary_bucket(earlier))
        .bind(external_id)
        .execute(&mut *writer)
        .await?
        .rows_affected();
        drop(writer);
        if inserted == 1 {
            return Ok((id, true));
        }
        // Another request made it meanwhile; the insert found it, so it exists.
        let found = self
            .subscription_by_external_id(buyer_id, external_id.unwrap_or_default())
            .await?
            .ok_or(sqlx::Error::RowNotFound)?;
        Ok((found, false))
    }

    /// The id of the buyer's subscription made for the purchase `external_id`.
    pub async fn subscription_by_external_id(
        &self,
        buyer_id: &str,
        external_id: &str,
    ) -> Result<Option<String>, sqlx::Error> {
        sqlx::query_scalar("SELECT id FROM subscriptions WHERE buyer_id = $1 AND external_id = $2")
            .bind(buyer_id)
            .bind(external_id)
            .fetch_optional(&self.pool)
            .await
    }

    /// The subscriptions of `scope`, oldest first.
    pub async fn subscriptions(
        &self,
        scope: &TenantScope,
    ) -> Result<Vec<SubscriptionRecord>, sqlx::Error> {
        let sql = format!(
            "{SELECT_SUBSCRIPTIONS} WHERE resolved.version = {RESOLVED_VERSION} \
             AND ($1 = 1 OR subscriptions.buyer_id = $2) \
             ORDER BY subscriptions.created_at, subscriptions.id"
        );
        let rows = scope
            .bind(sqlx::query(sqlx::AssertSqlSafe(sql)))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(SubscriptionRecord::from_row).collect()
    }

    /// One subscription, only if `scope` reaches it: another organisation's
    /// is indistinguishable from one that does not exist.
    pub async fn subscription_in(
        &self,
        scope: &TenantScope,
        id: &str,
    ) -> Result<Option<SubscriptionRecord>, sqlx::Error> {
        let sql = format!(
            "{SELECT_SUBSCRIPTIONS} WHERE resolved.version = {RESOLVED_VERSION} \
             AND ($1 = 1 OR subscriptions.buyer_id = $2) AND subscriptions.id = $3"
        );
        let row = scope
            .bind(sqlx::query(sqlx::AssertSqlSafe(sql)))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(SubscriptionRecord::from_row).transpose()
    }

    /// Every subscription to the published agents of `seller_id` (or to one
    /// of them), for the seller's analytics.
    pub async fn subscriptions_to_seller(
        &self,
        seller_id: &str,
        published_agent_id: Option<&str>,
    ) -> Result<Vec<SubscriptionRecord>, sqlx::Error> {
        let sql = format!(
            "{SELECT_SUBSCRIPTIONS} WHERE resolved.version = {RESOLVED_VERSION} \
             AND published_agents.seller_id = $1 AND ($2 = '' OR published_agents.id = $2)"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(seller_id)
            .bind(published_agent_id.unwrap_or_default())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(SubscriptionRecord::from_row).collect()
    }

    /// Sets a subscription's version policy, now.
    pub async fn set_version_policy(
        &self,
        subscription: &SubscriptionRecord,
        policy: VersionPolicy,
    ) -> Result<(), sqlx::Error> {
        let mut writer = self.writer.connection().await?;
        sqlx::query(
            "UPDATE subscriptions SET pinned_version = $1, policy_changed_at = $2 \
             WHERE id = $3 AND buyer_id = $4",
        )
        .bind(policy.pinned().map(i64::from))
        .bind(now_unix())
        .bind(&subscription.id)
        .bind(&subscription.buyer_id)
        .execute(&mut *writer)
        .await?;
        Ok(())
    }

    /// The version numbers of a published agent, oldest first, whoever may
    /// see it: a withdrawn agent's subscribers still move between them.
    pub async fn version_numbers(&self, published_agent_id: &str) -> Result<Vec<u32>, sqlx::Error> {
        let versions: Vec<i64> = sqlx::query_scalar(
            "SELECT version FROM agents WHERE published_agent_id = $1 ORDER BY version",
        )
        .bind(published_agent_id)
        .fetch_all(&self.pool)
        .await?;
        versions.into_iter().map(number).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::canary_bucket;

    #[test]
    fn buckets_spread_any_number_of_subscriptions_evenly() {
        let buckets: Vec<i64> = (0..1_000).map(canary_bucket).collect();
        assert!(buckets.iter().all(|bucket| (0..100).contains(bucket)));
        for count in 1..=buckets.len() {
            for percent in 1..100 {
                let reached = buckets[..count]
                    .iter()
                    .filter(|bucket| **bucket < percent)
                    .count() as f64;
                let exact = count as f64 * percent as f64 / 100.0;
                assert!(
                    (reached - exact).abs() <= 3.0,
                    "{percent} % of {count}: {reached}"
                );
            }
        }
        let half_of_twenty = buckets[..20].iter().filter(|bucket| **bucket < 50).count();
        assert_eq!(half_of_twenty, 10);
    }
}
