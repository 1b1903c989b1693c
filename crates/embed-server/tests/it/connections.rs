//! Connections as a client at the socket sees them: HTTP/1.1 with
//! keep-alive, and a request head that never ends is cut off rather than
//! holding the connection (and its buffers) for ever.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::TestServer;

/// What the server sends on `stream` until it has sent `answers` whole
/// answers to `GET /healthz` (or closes the connection).
async fn read_answers(stream: &mut TcpStream, answers: usize) -> String {
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    while String::from_utf8_lossy(&received).matches("\"ok\"").count() < answers {
        let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .expect("the server answers within 10 s")
            .unwrap();
        if read == 0 {
            break;
        }
        received.extend_from_slice(&chunk[..read]);
    }
    String::from_utf8_lossy(&received).into_owned()
}

fn address(server: &TestServer) -> String {
    server.url.trim_start_matches("http://").to_owned()
}

#[tokio::test]
async fn one_connection_carries_one_request_after_another() {
    let server = TestServer::in_process().await;
    let mut stream = TcpStream::connect(address(&server)).await.unwrap();
    let request = "GET /healthz HTTP/1.1\r\nHost: sitekit.test\r\n\r\n";
    stream.write_all(request.as_bytes()).await.unwrap();
    let first = read_answers(&mut stream, 1).await;
    assert!(first.starts_with("HTTP/1.1 200 OK\r\n"), "{first}");
    stream.write_all(request.as_bytes()).await.unwrap();
    let second = read_answers(&mut stream, 1).await;
    assert!(second.starts_with("HTTP/1.1 200 OK\r\n"), "{second}");
}

#[tokio::test]
async fn a_request_head_that_never_ends_is_cut_off_and_others_are_served_meanwhile() {
    let server = TestServer::in_process().await;
    let mut slow = TcpStream::connect(address(&server)).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: sitekit.test\r\nX-Slow: ")
        .await
        .unwrap();
    let mut byte = [0u8; 1];
    // Still open a few seconds later: a slow network is not cut off at once.
    let early = tokio::time::timeout(Duration::from_secs(3), slow.read(&mut byte)).await;
    assert!(early.is_err(), "closed or answered early: {early:?}");
    // Others are served meanwhile.
    let health = server
        .client()
        .get(format!("{}/healthz", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    // Cut off once the 30 s for a request's head are over, unanswered (a
    // reset is a cut too).
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(45), async {
        let _ = slow.read_to_end(&mut rest).await;
    })
    .await
    .expect("the connection is closed within 45 s");
    let rest = String::from_utf8_lossy(&rest);
    assert!(!rest.contains(" 200 "), "{rest}");
}
