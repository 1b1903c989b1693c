//! The storage layer on every database this run has: SQLite always, PostgreSQL
//! when `DATABASE_URL_PG` names one (`.ci/run` starts one and sets it).

use sitekit_embed_server::chat::{BudgetOutcome, MessageBudgets};
use sitekit_embed_server::conversations::ConversationFilter;
use sitekit_embed_server::db::Db;
use sitekit_embed_server::keys::{KeyKind, KeyMode, ParsedKey};
use sitekit_embed_server::tenants::TenantScope;
use sitekit_embed_server::widgets::origin::Origin;
use sitekit_sdk::admin::NewWidgetRequest;
use sitekit_sdk::wire::Position;

use crate::support::{TempDir, create_agent, create_widget, open_db, widget_request};

fn database_urls(dir: &TempDir) -> Vec<(&'static str, String)> {
    let sqlite = format!("sqlite://{}", dir.path().join("storage.db").display());
    let mut urls = vec![("sqlite", sqlite)];
    match std::env::var("DATABASE_URL_PG") {
        Ok(url) => urls.push(("postgres", url)),
        Err(_) => eprintln!("DATABASE_URL_PG is not set: storage checked on SQLite only"),
    }
    urls
}

#[tokio::test]
async fn a_widget_is_found_by_its_publishable_key_on_every_database() {
    let dir = TempDir::new();
    for (name, url) in database_urls(&dir) {
        // Opening again (a restart, a second node) finds the migrations applied.
        open_db(&url).await;
        let db = open_db(&url).await;
        assert!(db.is_reachable().await, "{name}");
        let tenant = db.create_tenant("Storage test").await.unwrap();
        let agent = create_agent(
            &db,
            &tenant.id,
            "http://127.0.0.1:1",
            "flow",
            "secret-runtime-key",
        )
        .await;
        let request = NewWidgetRequest {
            title: Some("Help".into()),
            locale: Some("de".into()),
            position: Some(Position::Left),
            ..widget_request(&agent.id, &["https://*.example.com"])
        };
        let (widget, key) = create_widget(&db, &agent, &request).await;

        let (found, record) = db
            .widget_by_publishable_key(&key)
            .await
            .unwrap()
            .expect(name);
        assert_eq!(found.id, widget.id, "{name}");
        assert_eq!(
            (
                found.locale.as_str(),
                found.position.as_str(),
                found.enabled
            ),
            ("de", "left", true)
        );
        assert!(
            found
                .allowed_origins
                .allows(&Origin::parse("https://shop.example.com").unwrap(), false)
        );
        assert_eq!((record.generation, record.revoked), (1, false), "{name}");
        assert_eq!(record.scopes.to_string(), "chat usage:write");

        let (_, with_agent) = db.widget_with_agent(&widget.id).await.unwrap().expect(name);
        assert_eq!(with_agent.runtime_key, "secret-runtime-key", "{name}");

        let stranger = ParsedKey::generate(KeyKind::Publishable, KeyMode::Live);
        assert!(
            db.widget_by_publishable_key(&stranger)
                .await
                .unwrap()
                .is_none(),
            "{name}"
        );
        // A daily budget of one: the second message of the day is refused, uncounted.
        assert_eq!(
            db.count_message(&widget.id, daily(1)).await.unwrap(),
            BudgetOutcome::Counted
        );
        for _ in 0..2 {
            match db.count_message(&widget.id, daily(1)).await.unwrap() {
                BudgetOutcome::Exhausted { renews_in_secs } => {
                    assert!((1..=86_400).contains(&renews_in_secs))
                }
                other => panic!("{name}: expected the budget to be used up, got {other:?}"),
            }
        }
        assert_eq!(
            db.count_message(&widget.id, daily(2)).await.unwrap(),
            BudgetOutcome::Counted,
            "{name}"
        );
        let (other, _) = create_widget(
            &db,
            &agent,
            &widget_request(&agent.id, &["https://a.example"]),
        )
        .await;
        monthly_budget_counts_the_whole_month(&db, &other.id, name).await;
        // Revoking bumps the generation once, and the audit trail says who did what.
        let key_id = record.id.clone();
        assert!(
            db.revoke_key(&TenantScope::Operator, &key_id, "tester")
                .await
                .unwrap(),
            "{name}"
        );
        assert!(
            !db.revoke_key(&TenantScope::Operator, &key_id, "tester")
                .await
                .unwrap(),
            "{name}: revoked once only"
        );
        let states: std::collections::HashMap<_, _> =
            db.key_states().await.unwrap().into_iter().collect();
        assert_eq!(
            (states[&key_id].generation, states[&key_id].revoked),
            (2, true),
            "{name}"
        );
        let events: Vec<(String, String)> = db
            .key_events(&key_id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.event, e.actor))
            .collect();
        assert_eq!(
            events,
            [
                ("created".into(), "test".into()),
                ("revoked".into(), "tester".into())
            ],
            "{name}"
        );
        let listed = db
            .list_keys(&TenantScope::Operator, Some(&widget.id))
            .await
            .unwrap();
        assert_eq!(listed.len(), 1, "{name}");
        assert!(
            listed[0].revoked && listed[0].display.starts_with("skt_pub_live_…"),
            "{name}"
        );
        // Every node of one database agrees on the session signing key, and a
        // rotation keeps the old key as the previous one.
        let other_node = open_db(&url).await;
        let before = db.session_signing_keys().await.unwrap();
        assert_eq!(before, other_node.session_signing_keys().await.unwrap());
        other_node.rotate_session_signing_key().await.unwrap();
        let after = db.session_signing_keys().await.unwrap();
        assert_ne!(after.current, before.current, "{name}");
        assert_eq!(after.previous.as_ref(), Some(&before.current), "{name}");
    }
}

#[tokio::test]
async fn threads_keep_turns_in_order_until_their_retention_ends() {
    use sitekit_embed_server::chat::{ThreadKey, Turn};
    let dir = TempDir::new();
    for (name, url) in database_urls(&dir) {
        let db = open_db(&url).await;
        let tenant = db.create_tenant("Threads test").await.unwrap();
        let agent = create_agent(&db, &tenant.id, "http://127.0.0.1:1", "flow", "k").await;
        let request = widget_request(&agent.id, &["https://shop.example.com"]);
        let (widget, _) = create_widget(&db, &agent, &request).await;
        let thread = ThreadKey {
            widget_id: widget.id.clone(),
            visitor_id: "visitor".into(),
            thread_id: "t".into(),
        };
        let turn = |run: &str, question: &str, answer: &str, at_ms| Turn {
            run_id: run.into(),
            question: question.into(),
            answer: answer.into(),
            at_ms,
        };
        db.append_turn(&thread, &turn("r1", "first?", "one", 1_000))
            .await
            .unwrap();
        // An answer that never came stores only the question.
        db.append_turn(&thread, &turn("r2", "second?", "", 5_000))
            .await
            .unwrap();
        db.append_turn(&thread, &turn("r3", "third?", "three", 9_000))
            .await
            .unwrap();
        let texts = |messages: Vec<sitekit_sdk::agui::Message>| {
            messages
                .into_iter()
                .map(|m| m.content.unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            texts(db.thread_messages(&thread, 10).await.unwrap()),
            ["first?", "one", "second?", "third?", "three"],
            "{name}"
        );
        assert_eq!(
            texts(db.thread_messages(&thread, 2).await.unwrap()),
            ["third?", "three"],
            "{name}: the newest, oldest first"
        );
        let other_visitor = ThreadKey {
            visitor_id: "someone else".into(),
            ..thread.clone()
        };
        assert!(
            db.thread_messages(&other_visitor, 10)
                .await
                .unwrap()
                .is_empty()
        );
        // Each message its own place, one after another, a turn's two together.
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        let places: Vec<i64> = sqlx::query_scalar(
            "SELECT seq FROM thread_messages WHERE widget_id = $1 AND visitor_id = 'visitor' \
             ORDER BY seq",
        )
        .bind(&widget.id)
        .fetch_all(&pool)
        .await
        .unwrap();
        pool.close().await;
        assert_eq!(places, [1, 2, 3, 4, 5], "{name}");

        // The owner's inbox holds the thread from its first message to its latest.
        let inbox = || async {
            let all = ConversationFilter::default();
            let scope = TenantScope::one(&tenant.id);
            let rows = db.conversations(&scope, &all, None, 10).await;
            rows.unwrap()
                .iter()
                .map(|c| {
                    (
                        c.thread_id.clone(),
                        c.started_at,
                        c.last_message_at,
                        c.messages,
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(inbox().await, [("t".into(), 1_000, 9_000, 5)], "{name}");

        assert_eq!(db.forget_messages_before(5_000).await.unwrap(), 2, "{name}");
        assert_eq!(
            texts(db.thread_messages(&thread, 10).await.unwrap()),
            ["second?", "third?", "three"],
            "{name}"
        );
        assert_eq!(inbox().await, [("t".into(), 1_000, 9_000, 3)], "{name}");
        // Once its last message is forgotten, so is the conversation.
        assert_eq!(db.forget_messages_before(9_001).await.unwrap(), 3, "{name}");
        assert_eq!(inbox().await, [], "{name}");
    }
}

/// A search of common words walks the conversations and looks into each; of
/// rare ones, starts from the index's matches (`conversations/search.rs`):
/// both find the same conversations in the same order, page after page.
#[tokio::test]
async fn a_search_finds_the_same_conversations_whether_its_words_are_rare_or_common() {
    use sitekit_embed_server::chat::{ThreadKey, Turn};
    use sitekit_embed_server::conversations::PageCursor;
    let dir = TempDir::new();
    for (name, url) in database_urls(&dir) {
        let db = open_db(&url).await;
        db.ensure_message_search().await.unwrap();
        let tenant = db.create_tenant("Search test").await.unwrap();
        let agent = create_agent(&db, &tenant.id, "http://127.0.0.1:1", "flow", "k").await;
        let request = widget_request(&agent.id, &["https://shop.example.com"]);
        let (widget, _) = create_widget(&db, &agent, &request).await;
        // 1,100 threads, each a question and an answer holding "lantern"
        // (2,200 matches: common); every 400th also "quokka" (rare).
        let threads = 1_100;
        for n in 0..threads {
            let thread = ThreadKey {
                widget_id: widget.id.clone(),
                visitor_id: format!("vis_{n}"),
                thread_id: format!("t{n:04}"),
            };
            let rare = if n % 400 == 0 { " quokka" } else { "" };
            let turn = Turn {
                run_id: format!("r{n}"),
                question: format!("Where is my lantern{rare}?"),
                answer: "The lantern ships today.".into(),
                at_ms: 1_000_000 + n,
            };
            db.append_turn(&thread, &turn).await.unwrap();
        }
        let scope = TenantScope::one(&tenant.id);
        let search = |words: &str, after: Option<PageCursor>| {
            let filter = ConversationFilter {
                search: Some(words.into()),
                ..ConversationFilter::default()
            };
            let db = &db;
            let scope = &scope;
            async move {
                let rows = db.conversations(scope, &filter, after.as_ref(), 50).await;
                rows.unwrap()
            }
        };
        let threads_of = |rows: &[sitekit_embed_server::conversations::ConversationRow]| {
            rows.iter().map(|c| c.thread_id.clone()).collect::<Vec<_>>()
        };
        let newest = |from: i64| {
            (0..50)
                .map(|k| format!("t{:04}", from - k))
                .collect::<Vec<_>>()
        };
        let first = search("LANTERN", None).await;
        assert_eq!(threads_of(&first), newest(threads - 1), "{name}");
        let last = first.last().unwrap();
        let after = PageCursor {
            last_message_at: last.last_message_at,
            id: last.id.clone(),
        };
        let second = search("lantern", Some(after)).await;
        assert_eq!(threads_of(&second), newest(threads - 51), "{name}");
        assert_eq!(
            threads_of(&search("quokka lantern", None).await),
            ["t0800", "t0400", "t0000"],
            "{name}"
        );
        assert!(
            search("ships quokka", None).await.is_empty(),
            "{name}: one message holds every word"
        );
    }
}

#[tokio::test]
async fn no_tenant_id_widens_a_query_to_every_tenant() {
    use sitekit_embed_server::usage::UsageSubject;
    let dir = TempDir::new();
    for (name, url) in database_urls(&dir) {
        let db = open_db(&url).await;
        let tenant = db.create_tenant("Scope test").await.unwrap();
        let agent = create_agent(&db, &tenant.id, "http://127.0.0.1:1", "f", "k").await;
        let (widget, _) = create_widget(
            &db,
            &agent,
            &widget_request(&agent.id, &["https://scope.example"]),
        )
        .await;
        // An empty id (what a missing tenant once turned into) is no tenant's.
        for scope in [TenantScope::one(""), TenantScope::one("ten_other")] {
            assert!(
                db.agents(&scope).await.unwrap().is_empty(),
                "{name} {scope:?}"
            );
            assert!(
                db.widgets(&scope).await.unwrap().is_empty(),
                "{name} {scope:?}"
            );
            assert!(
                db.list_keys(&scope, None).await.unwrap().is_empty(),
                "{name} {scope:?}"
            );
            assert!(
                !db.usage_subject_exists(&scope, UsageSubject::Agent, &agent.id)
                    .await
                    .unwrap(),
                "{name} {scope:?}"
            );
        }
        let own = TenantScope::one(tenant.id.clone());
        assert_eq!(db.agents(&own).await.unwrap().len(), 1, "{name}");
        assert_eq!(db.widgets(&own).await.unwrap()[0].id, widget.id, "{name}");
        let everyone = db.agents(&TenantScope::Operator).await.unwrap();
        assert!(everyone.iter().any(|a| a.id == agent.id), "{name}");
    }
}

fn daily(messages: i64) -> MessageBudgets {
    MessageBudgets {
        daily: messages,
        monthly: 0,
    }
}

/// A monthly budget of three over three days of a month: the messages of
/// the earlier days count, a refused one renews on the 1st, and the daily
/// budget still holds on its own.
async fn monthly_budget_counts_the_whole_month(db: &Db, widget: &str, name: &str) {
    // 2026-12-01 00:00 UTC; the widget has never chatted.
    const DECEMBER_FIRST: i64 = 20_788 * 86_400;
    let budgets = MessageBudgets {
        daily: 2,
        monthly: 3,
    };
    let at = |day: i64| DECEMBER_FIRST + day * 86_400 + 3_600;
    // The 1st: two, then the day's budget is used up (renews the next midnight).
    for _ in 0..2 {
        assert_eq!(
            db.count_message_at(widget, budgets, at(0)).await.unwrap(),
            BudgetOutcome::Counted,
            "{name}"
        );
    }
    assert_eq!(
        db.count_message_at(widget, budgets, at(0)).await.unwrap(),
        BudgetOutcome::Exhausted {
            renews_in_secs: 86_400 - 3_600
        },
        "{name}"
    );
    // The 5th: one more, then the month's is used up: it renews on January 1st.
    assert_eq!(
        db.count_message_at(widget, budgets, at(4)).await.unwrap(),
        BudgetOutcome::Counted,
        "{name}"
    );
    for day in [4, 30] {
        assert_eq!(
            db.count_message_at(widget, budgets, at(day)).await.unwrap(),
            BudgetOutcome::Exhausted {
                renews_in_secs: (31 - day as u64) * 86_400 - 3_600
            },
            "{name}: day {day}"
        );
    }
    // January starts afresh.
    assert_eq!(
        db.count_message_at(widget, budgets, at(31)).await.unwrap(),
        BudgetOutcome::Counted,
        "{name}"
    );
}
