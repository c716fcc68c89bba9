//! Serving connections, with what `axum::serve` leaves out and an exposed gateway needs: a
//! cap on open connections and a time limit for a request's headers, so a few slow or
//! half-sent requests cannot take every connection and starve the providers' webhooks.
//! Shutdown is graceful: no new connection, idle ones closed, requests in flight finished.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// What one client may hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Longest a client may take to send a request's headers.
    pub header_read_timeout: Duration,
    /// Most connections open at once; past it, new ones wait in the listen backlog.
    pub max_connections: usize,
}

/// Serves `router` on `listener` until `shutdown` resolves, then waits for the requests in
/// flight.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    // HTTP/1 only: no provider speaks h2c, and an HTTP/2 connection has no header timeout.
    let mut builder = Builder::new(TokioExecutor::new()).http1_only();
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = accept(&listener, &slots) => accepted,
            () = &mut shutdown => break,
        };
        let (stream, peer, slot) = accepted;
        let (builder, router) = (builder.clone(), router.clone());
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            // A client that sends nothing would hold its slot forever: the header timeout
            // only starts with the first byte.
            if let Some(stream) = first_byte_within(stream, limits.header_read_timeout).await {
                // The client's address, for limits per client (console logins).
                let router = router.map_request(move |mut request: http::Request<_>| {
                    request.extensions_mut().insert(ConnectInfo(peer));
                    request
                });
                let service = TowerToHyperService::new(router);
                let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                // A connection's errors (a client gone, headers too slow) are its own.
                let _ = watcher.watch(conn.into_owned()).await;
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// The stream once its client has sent something, or `None` if it sent nothing in `limit`.
async fn first_byte_within(
    stream: tokio::net::TcpStream,
    limit: Duration,
) -> Option<tokio::net::TcpStream> {
    let mut byte = [0u8; 1];
    match tokio::time::timeout(limit, stream.peek(&mut byte)).await {
        Ok(Ok(n)) if n > 0 => Some(stream),
        _ => None,
    }
}

/// The next connection, once a slot is free; accept errors (out of file descriptors) are
/// waited out rather than ending the server.
async fn accept(
    listener: &TcpListener,
    slots: &Arc<Semaphore>,
) -> (
    tokio::net::TcpStream,
    SocketAddr,
    tokio::sync::OwnedSemaphorePermit,
) {
    let Ok(slot) = Arc::clone(slots).acquire_owned().await else {
        unreachable!("the connection semaphore is never closed")
    };
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                return (stream, peer, slot);
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}
