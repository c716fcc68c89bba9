//! The baseline of the ingest benchmark: an axum handler that reads the webhook body and
//! stores nothing. `bench/ingest.sh` measures it beside Vigie in the same run.
//!
//! Usage: `cargo run --release --example minimal_sink -- 127.0.0.1:0`

use axum::Router;
use axum::body::Bytes;
use axum::routing::post;

async fn accept(body: Bytes) -> String {
    format!("{{\"status\":\"accepted\",\"bytes\":{}}}", body.len())
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".into());
    let listener = tokio::net::TcpListener::bind(addr).await?;
    eprintln!("listening on http://{}", listener.local_addr()?);
    let app = Router::new().route("/webhooks/{channel}/sms", post(accept));
    axum::serve(listener, app).await
}
