//! The SDK's usage reporter against the real server: batches go by count and by
//! time, a dropped reporter sends what waits, and a batch whose answer was lost
//! is sent again and still counted once.

use std::time::Duration;

use sitekit_sdk::UsageReporter;
use sitekit_sdk::usage::FlushSummary;
use sitekit_sdk::wire::usage_types::{TRACK, WIDGET_OPENED};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::{SITE, TestServer};

/// How many client usage events the server has stored.
async fn stored_events(db_url: &str) -> i64 {
    let pool = sqlx::AnyPool::connect(db_url).await.unwrap();
    sqlx::query_scalar("SELECT COUNT(*) FROM usage_events")
        .fetch_one(&pool)
        .await
        .unwrap()
}

/// Waits until the server holds `count` events (the reporter sends on its own
/// schedule); fails after 15 s.
async fn wait_for_events(db_url: &str, count: i64) {
    let mut stored = 0;
    for _ in 0..150 {
        stored = stored_events(db_url).await;
        if stored == count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server holds {stored} events, not {count}");
}

/// Waits up to 5 s for the reporter to have no event in flight or waiting.
async fn settled(reporter: &UsageReporter) {
    for _ in 0..50 {
        if reporter.pending() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn track(reporter: &UsageReporter, name: &str) -> String {
    reporter
        .track(TRACK, Some(serde_json::json!({ "name": name })))
        .unwrap()
}

#[tokio::test]
async fn a_full_batch_goes_at_once_and_a_lone_event_within_seconds() {
    let server = TestServer::spawn().await;
    let client = server.sdk(&server.faq_key);
    client.session().await.unwrap();
    let reporter = UsageReporter::new(&client);
    for n in 0..20 {
        track(&reporter, &format!("event {n}"));
    }
    wait_for_events(&server.db_url, 20).await;
    // The server commits a batch before it answers, so the reporter may read
    // the answer a moment after the events can be seen stored.
    settled(&reporter).await;
    assert_eq!(reporter.pending(), 0);

    reporter.track(WIDGET_OPENED, None).unwrap();
    assert_eq!(reporter.pending(), 1);
    wait_for_events(&server.db_url, 21).await;
}

#[tokio::test]
async fn a_dropped_reporter_sends_what_waits_before_it_goes() {
    let server = TestServer::spawn().await;
    let client = server.sdk(&server.faq_key);
    let reporter = UsageReporter::new(&client);
    for name in ["a", "b", "c"] {
        track(&reporter, name);
    }
    drop(reporter);
    assert_eq!(stored_events(&server.db_url).await, 3);
}

/// A proxy that passes one request per connection (asking the server to close
/// it, so the client opens a new one each time) and loses the server's answer to
/// the first usage batch, like a network failing at the worst moment.
async fn proxy_losing_the_first_usage_answer(upstream: &str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let upstream = upstream.trim_start_matches("http://").to_owned();
    let lost = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let (upstream, lost) = (upstream.clone(), lost.clone());
            tokio::spawn(async move {
                let request = read_request(&mut client).await;
                let head_end = request.iter().position(|&b| b == b'\n').unwrap() + 1;
                let mut server = TcpStream::connect(&upstream).await.unwrap();
                server.write_all(&request[..head_end]).await.unwrap();
                server.write_all(b"Connection: close\r\n").await.unwrap();
                server.write_all(&request[head_end..]).await.unwrap();
                let mut answer = Vec::new();
                server.read_to_end(&mut answer).await.unwrap();
                let usage = request.starts_with(b"POST /v1/usage/events");
                if usage && !lost.swap(true, std::sync::atomic::Ordering::SeqCst) {
                    return; // hang up without the answer
                }
                client.write_all(&answer).await.unwrap();
            });
        }
    });
    format!("http://{address}")
}

/// One HTTP/1.1 request: its head and a `Content-Length` body.
async fn read_request(stream: &mut TcpStream) -> Vec<u8> {
    let mut request = Vec::new();
    let mut buffer = [0; 8192];
    loop {
        let read = stream.read(&mut buffer).await.unwrap();
        assert!(read > 0, "the client closed mid-request");
        request.extend_from_slice(&buffer[..read]);
        let Some(head) = request.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head_text = String::from_utf8_lossy(&request[..head]).to_ascii_lowercase();
        let length: usize = head_text
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .map_or(0, |value| value.trim().parse().unwrap());
        if request.len() >= head + 4 + length {
            return request;
        }
    }
}

#[tokio::test]
async fn a_batch_whose_answer_was_lost_is_sent_again_and_counted_once() {
    let server = TestServer::spawn().await;
    let proxy = proxy_losing_the_first_usage_answer(&server.url).await;
    let client = sitekit_sdk::Client::new(&proxy, &server.faq_key).with_origin(SITE);
    let reporter = UsageReporter::new(&client);
    for name in ["x", "y", "z"] {
        track(&reporter, name);
    }
    let summary = reporter.flush().await.unwrap();
    // The server stored the first delivery; the retry found all three there.
    assert_eq!(
        summary,
        FlushSummary {
            duplicate: 3,
            ..FlushSummary::default()
        }
    );
    assert_eq!(stored_events(&server.db_url).await, 3);
    assert_eq!(reporter.pending(), 0);
}
