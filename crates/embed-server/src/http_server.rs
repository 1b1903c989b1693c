//! Serves the app over HTTP/1.1 on a listener until shut down, then lets the
//! open connections finish.
//!
//! Not `axum::serve`: its connections start by reading the first 24 bytes
//! alone (to tell HTTP/2's preface from HTTP/1), so hyper's next read of the
//! request finds 24 bytes waiting and doubles each connection's read buffer
//! to 16 KB, which an open chat stream keeps for its whole life. Browsers speak
//! HTTP/2 only over TLS, which ends before the server (at the balancer), so
//! cleartext HTTP/2 served no one.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// How long to wait before accepting again after `accept` failed (out of
/// file descriptors, say), so a full table is not a busy loop.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// Serves `app` on `listener` until `shutdown` completes, then waits for the
/// open connections to finish (each ends once its request is answered).
/// Each request carries its peer's address as [`ConnectInfo`].
pub async fn serve(listener: TcpListener, app: Router, shutdown: impl Future<Output = ()>) {
    let connections = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(hyper_util::rt::TokioTimer::new());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(ACCEPT_RETRY).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let app = app.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let mut request = request.map(axum::body::Body::new);
            request
                .extensions_mut()
                .insert(ConnectInfo::<SocketAddr>(peer));
            app.clone().oneshot(request)
        });
        let connection = connections.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::trace!(%error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    connections.shutdown().await;
}
