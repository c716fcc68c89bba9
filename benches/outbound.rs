//! End-to-end outbound throughput: queue N messages (100,000 by default), then let the
//! gateway send them all, through the `sim` channel and through an unlimited Africa's
//! Talking double on a loopback port. Every status update is committed with
//! `synchronous=FULL`. Prints the raw enqueue rate and the send rate of the same run.
//!
//! `cargo bench --bench outbound` (`VIGIE_BENCH_MESSAGES=20000` for a shorter run).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::post;
use tokio_util::sync::CancellationToken;
use vigie::app::Application;
use vigie::config::Config;
use vigie::outbound::{NewMessage, Purpose};
use vigie::phone::Address;

/// Messages queued per `enqueue` call (one transaction each).
const BATCH: usize = 1000;

fn main() -> anyhow::Result<()> {
    let n: usize = std::env::var("VIGIE_BENCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let double = provider_double().await;
        let runs = [
            ("sim", "[[channels]]\nid = \"sim\"\nkind = \"sim\"\n".to_owned()),
            ("africastalking double", format!(
                "[[channels]]\nid = \"at\"\nkind = \"africastalking\"\nsecret = \"s\"\nusername = \"u\"\n\
                 api_key = \"k\"\nbase_url = \"http://{double}\"\nsend_per_second = 0\nmax_in_flight = 32\n"
            )),
        ];
        println!("{n} messages, synchronous=full");
        for (name, channels) in runs {
            let (enqueue, send) = run(n, &channels).await?;
            println!("{name:>22}: enqueue {enqueue:>8.0} msg/s   send, statuses committed {send:>7.0} msg/s");
        }
        Ok(())
    })
}

async fn run(n: usize, channels: &str) -> anyhow::Result<(f64, f64)> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("bench.db");
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[storage]\npath = {db:?}\nsynchronous = \"full\"\n{channels}"
    );
    let app = Application::build(Config::from_toml(&text)?).await?;
    let outbound = app.outbound();
    let to = outbound.address("+22376123456")?;
    let started = Instant::now();
    for _ in 0..n / BATCH {
        let batch = vec![alert(&to); BATCH];
        outbound.enqueue(batch).await?;
    }
    let enqueue = n as f64 / started.elapsed().as_secs_f64();

    let shutdown = CancellationToken::new();
    let started = Instant::now();
    let running = tokio::spawn(app.run(shutdown.clone()));
    while remaining(&db).await? > 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let send = n as f64 / started.elapsed().as_secs_f64();
    shutdown.cancel();
    running.await??;
    Ok((enqueue, send))
}

fn alert(to: &Address) -> NewMessage {
    NewMessage::new(
        to.clone(),
        "ALERTE 1042: attaque a Koro, 3 morts. Repondez OK 1042",
        Purpose::Alert,
    )
}

/// Messages not yet sent (both counts use the queue's partial indexes).
async fn remaining(db: &Path) -> anyhow::Result<i64> {
    let db = db.to_owned();
    Ok(tokio::task::spawn_blocking(move || {
        let conn =
            rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        conn.query_row(
            "SELECT (SELECT count(*) FROM outbound_messages WHERE status = 'queued')
                  + (SELECT count(*) FROM outbound_messages WHERE status = 'sending')",
            [],
            |r| r.get(0),
        )
    })
    .await??)
}

/// Africa's Talking's send API answering success at once, as fast as it can.
async fn provider_double() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let body = r#"{"SMSMessageData":{"Message":"Sent to 1/1","Recipients":[{"statusCode":101,"number":"+22376123456","status":"Success","cost":"XOF 10","messageId":"ATXid_1"}]}}"#;
    let app = Router::new().route(
        "/version1/messaging",
        post(move || async move { (axum::http::StatusCode::CREATED, body) }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}
