//! Canaries: a seller releases a new version to a share of the subscriptions
//! that follow the latest, the same ones for as long as it runs, and promotes
//! or rolls it back in one call; pinned subscriptions never move, and the
//! seller's analytics tell the two arms apart.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::local_cli::json_of;
use crate::support::{SITE, TestServer, assert_api_error};

const RUNTIME: &str = "http://127.0.0.1:9";
/// Subscriptions that follow the latest.
const FOLLOWING: usize = 20;

struct Rollout {
    server: TestServer,
    seller: String,
    buyer: String,
    agent: String,
    following: Vec<String>,
    pinned: String,
}

impl Rollout {
    /// Versions 1 and 2 released, twenty subscriptions following the latest
    /// and one pinned to version 1.
    async fn new() -> Rollout {
        let server = TestServer::in_process().await;
        let (_, seller) = server.seller("Agent Makers").await;
        let buyer = server.secret_key().await;
        let created: Value = server
            .admin(
                Method::POST,
                "/v1/catalog/agents",
                &seller,
                Some(json!({ "name": "Support agent" })),
            )
            .await
            .json()
            .await
            .unwrap();
        let agent = created["id"].as_str().unwrap().to_owned();
        let mut rollout = Rollout {
            server,
            seller,
            buyer,
            agent,
            following: Vec::new(),
            pinned: String::new(),
        };
        let first = json!({ "baseUrl": RUNTIME, "flowId": "one", "runtimeKey": "k" });
        assert_eq!(rollout.publish(first).await.status(), 201);
        assert_eq!(
            rollout.publish(json!({ "flowId": "two" })).await.status(),
            201
        );
        for _ in 0..FOLLOWING {
            let id = rollout.subscribe(json!("latest")).await;
            rollout.following.push(id);
        }
        rollout.pinned = rollout.subscribe(json!(1)).await;
        rollout
    }

    async fn publish(&self, body: Value) -> reqwest::Response {
        let path = format!("/v1/catalog/agents/{}/versions", self.agent);
        self.server
            .admin(Method::POST, &path, &self.seller, Some(body))
            .await
    }

    async fn subscribe(&self, version: Value) -> String {
        let body = json!({ "publishedAgentId": self.agent, "version": version });
        let created: Value = self
            .server
            .admin(Method::POST, "/v1/subscriptions", &self.buyer, Some(body))
            .await
            .json()
            .await
            .unwrap();
        created["id"].as_str().unwrap().to_owned()
    }

    async fn update(&self, key: &str, body: Value) -> reqwest::Response {
        let path = format!("/v1/catalog/agents/{}", self.agent);
        self.server
            .admin(Method::PATCH, &path, key, Some(body))
            .await
    }

    /// The version each subscription that follows the latest runs now.
    async fn following_versions(&self) -> Vec<u64> {
        let list = self.server.get_json("/v1/subscriptions", &self.buyer).await;
        self.following
            .iter()
            .map(|id| {
                list["subscriptions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|subscription| subscription["id"] == id.as_str())
                    .unwrap()["version"]
                    .as_u64()
                    .unwrap()
            })
            .collect()
    }

    async fn pinned_version(&self) -> Value {
        let path = format!("/v1/subscriptions/{}", self.pinned);
        self.server.get_json(&path, &self.buyer).await["version"].clone()
    }
}

fn count(versions: &[u64], version: u64) -> usize {
    versions.iter().filter(|ran| **ran == version).count()
}

#[tokio::test]
async fn a_canary_reaches_its_share_of_followers_the_same_ones_until_promoted_or_rolled_back() {
    let rollout = Rollout::new().await;
    assert_eq!(rollout.following_versions().await, [2; FOLLOWING]);

    // Version 3 to half of the twenty.
    let response = rollout
        .publish(json!({ "flowId": "three", "canaryPercent": 50 }))
        .await;
    assert_eq!(response.status(), 201);
    let half = rollout.following_versions().await;
    assert_eq!((count(&half, 3), count(&half, 2)), (10, 10), "{half:?}");
    assert_eq!(rollout.pinned_version().await, 1);
    let entry = rollout
        .server
        .get_json(
            &format!("/v1/catalog/agents/{}", rollout.agent),
            &rollout.buyer,
        )
        .await;
    assert_eq!(entry["releasedVersion"], 2);
    assert_eq!(entry["canary"], json!({ "version": 3, "percent": 50 }));
    // A widget on a subscription in the canary runs it.
    let in_canary = rollout.following[half.iter().position(|v| *v == 3).unwrap()].clone();
    let widget = rollout
        .server
        .post_widget(
            &rollout.buyer,
            json!({ "subscriptionId": in_canary, "allowedOrigins": [SITE] }),
        )
        .await;
    let widget_id = widget["widget"]["id"].as_str().unwrap();
    let db = rollout.server.db().await;
    let (_, agent) = db.widget_with_agent(widget_id).await.unwrap().unwrap();
    assert_eq!(agent.version, 3);

    // A smaller share keeps only subscriptions that were in it: sticky.
    let response = rollout
        .update(&rollout.seller, json!({ "canaryPercent": 30 }))
        .await;
    assert_eq!(response.status(), 200);
    let smaller = rollout.following_versions().await;
    assert!((5..=7).contains(&count(&smaller, 3)), "{smaller:?}");
    for (before, now) in half.iter().zip(&smaller) {
        assert!(*now == 2 || *before == 3, "{half:?} then {smaller:?}");
    }
    let report = rollout
        .server
        .get_json("/v1/seller/usage", &rollout.seller)
        .await;
    let rollouts: Vec<Value> = report["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| json!([row["version"], row.get("rollout"), row["subscriptions"]]))
        .collect();
    let in_canary = count(&smaller, 3);
    assert_eq!(
        rollouts,
        [
            json!([1, null, 1]),
            json!([2, "released", FOLLOWING - in_canary]),
            json!([3, "canary", in_canary]),
        ]
    );

    // Promote: one call, every follower on 3, the canary over.
    let promoted: Value = rollout
        .update(&rollout.seller, json!({ "releasedVersion": 3 }))
        .await
        .json()
        .await
        .unwrap();
    assert!(promoted.get("canary").is_none(), "{promoted}");
    assert_eq!(rollout.following_versions().await, [3; FOLLOWING]);

    // Another canary, rolled back in one call.
    assert_eq!(
        rollout
            .publish(json!({ "flowId": "four", "canaryPercent": 50 }))
            .await
            .status(),
        201
    );
    assert_eq!(count(&rollout.following_versions().await, 4), 10);
    let response = rollout
        .update(&rollout.seller, json!({ "canaryPercent": 0 }))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(rollout.following_versions().await, [3; FOLLOWING]);
    // A plain release ends a canary too; the pinned one never moved.
    assert_eq!(
        rollout
            .publish(json!({ "flowId": "five", "canaryPercent": 10 }))
            .await
            .status(),
        201
    );
    assert_eq!(
        rollout.publish(json!({ "flowId": "six" })).await.status(),
        201
    );
    assert_eq!(rollout.following_versions().await, [6; FOLLOWING]);
    assert_eq!(rollout.pinned_version().await, 1);
}

#[tokio::test]
async fn only_the_seller_changes_a_rollout_and_only_to_what_exists() {
    let rollout = Rollout::new().await;
    let before = rollout.following_versions().await;

    // Buyers reach no rollout, not even of an agent they subscribe to.
    let response = rollout
        .update(&rollout.buyer, json!({ "releasedVersion": 1 }))
        .await;
    assert_api_error(response, 404, "not_found").await;
    let (_, rival) = rollout.server.seller("Rival Agents").await;
    let response = rollout.update(&rival, json!({ "canaryPercent": 0 })).await;
    assert_api_error(response, 404, "not_found").await;

    for (body, status, code) in [
        (json!({ "releasedVersion": 9 }), 409, "unknown_version"),
        (json!({ "releasedVersion": 0 }), 409, "unknown_version"),
        (json!({ "canaryPercent": 20 }), 400, "invalid_setting"),
        (json!({ "canaryPercent": 100 }), 400, "invalid_setting"),
        (json!({ "canaryPercent": -1 }), 400, "invalid_body"),
        (json!({ "canaryPercent": "half" }), 400, "invalid_body"),
    ] {
        let response = rollout.update(&rollout.seller, body.clone()).await;
        assert_api_error(response, status, code).await;
    }
    for (body, code) in [
        (
            json!({ "flowId": "x", "canaryPercent": 0 }),
            "invalid_setting",
        ),
        (
            json!({ "flowId": "x", "canaryPercent": 100 }),
            "invalid_setting",
        ),
        (
            json!({ "flowId": "x", "canaryPercent": 256 }),
            "invalid_body",
        ),
    ] {
        assert_api_error(rollout.publish(body).await, 400, code).await;
    }
    // The first version of another agent is released to everyone.
    let created: Value = rollout
        .server
        .admin(
            Method::POST,
            "/v1/catalog/agents",
            &rollout.seller,
            Some(json!({ "name": "New" })),
        )
        .await
        .json()
        .await
        .unwrap();
    let path = format!(
        "/v1/catalog/agents/{}/versions",
        created["id"].as_str().unwrap()
    );
    let body = json!({ "baseUrl": RUNTIME, "flowId": "f", "runtimeKey": "k", "canaryPercent": 50 });
    let response = rollout
        .server
        .admin(Method::POST, &path, &rollout.seller, Some(body))
        .await;
    let message = assert_api_error(response, 400, "invalid_setting").await;
    assert!(message.contains("first version"), "{message}");

    assert_eq!(rollout.following_versions().await, before);
    let entry = rollout
        .server
        .get_json(
            &format!("/v1/catalog/agents/{}", rollout.agent),
            &rollout.seller,
        )
        .await;
    assert_eq!(entry["versions"].as_array().unwrap().len(), 2);
    assert!(entry.get("canary").is_none());
}

#[tokio::test]
async fn the_command_line_runs_a_canary() {
    let rollout = Rollout::new().await;
    let db_url = &rollout.server.db_url;
    let agent = rollout.agent.as_str();
    let published = json_of(
        db_url,
        &[
            "catalog",
            "publish",
            agent,
            "--flow-id",
            "three",
            "--canary-percent",
            "50",
            "--json",
        ],
    )
    .await;
    assert_eq!(published["version"], 3);
    assert_eq!(count(&rollout.following_versions().await, 3), 10);
    let shown = rollout
        .server
        .remote(&rollout.seller, &["catalog", "canary", agent, "0"])
        .await;
    assert!(
        shown
            .stdout
            .contains("releases version 2 to every subscription"),
        "{}",
        shown.stdout
    );
    let promoted = rollout
        .server
        .remote_json(&rollout.seller, &["catalog", "release", agent, "3"])
        .await;
    assert_eq!(promoted["releasedVersion"], 3);
    assert_eq!(rollout.following_versions().await, [3; FOLLOWING]);
}
