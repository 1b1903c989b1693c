//! The seller's view, `sitekit usage by-agent`: every agent's usage across all
//! tenants, on the local database only; tenants' keys still see only their own.

use serde_json::{Value, json};
use sitekit_embed_server::db::DAY_MS;
use sitekit_embed_server::db::now_unix_ms;
use sitekit_embed_server::tenants::TenantScope;
use sitekit_embed_server::usage::UsageRun;
use sitekit_embed_server::usage::report::format_day;

use crate::support::KeyIds;
use crate::support::TestServer;
use crate::support::local_cli::{json_of, run};
use crate::usage::{report, wait_for_runs};

fn record(
    ids: &KeyIds,
    id: &str,
    thread: &str,
    outcome: &str,
    tokens: Option<(i64, i64)>,
) -> UsageRun {
    UsageRun {
        id: id.into(),
        tenant_id: ids.tenant.clone(),
        agent_id: ids.agent.clone(),
        agent_version: 1,
        widget_id: ids.widget.clone(),
        key_id: ids.key.clone(),
        visitor_id: "vis_seller".into(),
        thread_id: thread.into(),
        run_id: id.into(),
        input_chars: 10,
        output_chars: 20,
        input_tokens: tokens.map(|(input, _)| input),
        output_tokens: tokens.map(|(_, output)| output),
        first_event_ms: None,
        duration_ms: 1,
        outcome: outcome.into(),
        started_at_ms: now_unix_ms() - 1_000,
    }
}

fn agent<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|agent| agent["agentId"] == id)
        .unwrap_or_else(|| panic!("agent {id} is not listed: {report}"))
}

#[tokio::test]
async fn the_operator_sees_every_agents_usage_and_tenants_only_their_own() {
    let server = TestServer::spawn().await;
    let db = server.db().await;
    let ours = server.key_ids(&server.faq_key).await;
    let (their_tenant, their_widget) = server.other_tenant().await;
    let pool = sqlx::AnyPool::connect(&server.db_url).await.unwrap();
    let their_key: String = sqlx::query_scalar("SELECT id FROM api_keys WHERE widget_id = $1")
        .bind(&their_widget)
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    let their_agent = db
        .agents(&TenantScope::one(their_tenant.clone()))
        .await
        .unwrap()[0]
        .id
        .clone();
    let theirs = KeyIds {
        tenant: their_tenant.clone(),
        agent: their_agent.clone(),
        widget: their_widget,
        key: their_key,
    };
    for run in [
        record(&ours, "run_ours_1", "t1", "ok", Some((5, 7))),
        record(&ours, "run_ours_2", "t1", "runtime_timeout", None),
        record(&ours, "run_ours_3", "t2", "ok", Some((1, 2))),
        record(&theirs, "run_theirs_1", "t1", "visitor_left", None),
    ] {
        assert!(db.record_run(&run).await.unwrap());
    }
    wait_for_runs(&server.db_url, 4).await;

    let all = json_of(&server.db_url, &["usage", "by-agent", "--json"]).await;
    let today = format_day(now_unix_ms().div_euclid(DAY_MS));
    assert_eq!(all["to"], today.as_str(), "{all}");
    // Every agent of both tenants is listed, used or not.
    assert_eq!(
        all["agents"].as_array().unwrap().len(),
        db.agents(&TenantScope::Operator).await.unwrap().len(),
        "{all}"
    );
    let mine = agent(&all, &ours.agent);
    assert_eq!(mine["tenantId"], server.tenant_id.as_str());
    assert_eq!(mine["tenantName"], "Test Company");
    assert_eq!(mine["agentName"], "Agent");
    assert_eq!(
        (
            &mine["runs"],
            &mine["conversations"],
            &mine["messages"],
            &mine["inputTokens"],
            &mine["outputTokens"],
            &mine["errors"],
        ),
        (
            &json!(3),
            &json!(2),
            &json!(3),
            &json!(6),
            &json!(9),
            &json!({ "runtime_timeout": 1 })
        ),
        "{mine}"
    );
    let other = agent(&all, &their_agent);
    assert_eq!(other["tenantId"], their_tenant.as_str());
    assert_eq!(
        (&other["runs"], &other["errors"]),
        (&json!(1), &json!({ "visitor_left": 1 }))
    );
    let unused = agent(&all, &server.key_ids(&server.down_key).await.agent);
    assert_eq!(
        (&unused["runs"], &unused["errors"]),
        (&json!(0), &json!({}))
    );

    // A range without usage lists the agents with nothing counted.
    let old = json_of(
        &server.db_url,
        &[
            "usage",
            "by-agent",
            "--from",
            "2020-01-01",
            "--to",
            "2020-01-31",
            "--json",
        ],
    )
    .await;
    assert_eq!(agent(&old, &ours.agent)["runs"], 0, "{old}");

    // As text: a count, a header, one line per agent.
    let (ok, text, stderr) = run(&server.db_url, &["usage", "by-agent"]).await;
    assert!(ok, "{stderr}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].ends_with(&format!("to {today}")), "{text}");
    assert!(
        lines[1].starts_with("agent") && lines[1].contains("tenant") && lines[1].contains("runs"),
        "{text}"
    );
    let line = lines
        .iter()
        .find(|line| line.starts_with(&ours.agent))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains("Test Company") && line.contains("runtime_timeout:1"),
        "{line}"
    );

    // No key reaches it: the network has no such view, the CLI refuses --server.
    let secret = server.secret_key().await;
    server
        .remote_error(
            &secret,
            &["usage", "by-agent"],
            "works only on the local database",
        )
        .await;
    let (_, their_secret) = server.key(&their_tenant, &["--kind", "secret"]).await;
    let their_report = report(&server.url, &their_secret, "").await;
    assert_eq!(their_report["totals"]["runs"], 1, "{their_report}");
    assert!(!their_report.to_string().contains(&ours.widget));
    let our_report = report(&server.url, &secret, "").await;
    assert_eq!(our_report["totals"]["runs"], 3, "{our_report}");
}
