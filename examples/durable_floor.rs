//! A floor for `bench/ingest.sh`: the least any gateway keeping Vigie's promises must do
//! per message, with nothing else. Each webhook's message is parsed at the door (Vigie's
//! parser, gazetteer loaded), stored by one writer thread in a group commit at
//! `synchronous=FULL`, and answered only once committed. In the same transactions, the
//! messages stored are read: a report row, the message marked read, a reply row queued;
//! the replies queued in the last transaction are claimed and recorded as sent. No
//! fusion, no fan-out, no triage, no metrics, no logs, three indexes.
//!
//! It is not a design: it shows how far the machine itself lets a durable, answering
//! gateway go beside the minimal handler.
//!
//! Usage: `cargo run --release --example durable_floor -- 127.0.0.1:0 /tmp/floor.db`
#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use axum::extract::{Form, State};
use axum::routing::post;
use axum::{Router, http::StatusCode};
use chrono::Utc;
use rusqlite::{Connection, params};
use tokio::sync::oneshot;
use vigie::config::ReportsConfig;
use vigie::parse::{Input, Parsed, parse};
use vigie::reports::Reports;

#[derive(serde::Deserialize)]
struct Sms {
    id: String,
    from: String,
    text: String,
}

struct Job {
    sms: Sms,
    category: String,
    done: oneshot::Sender<()>,
}

struct App {
    reports: Reports,
    writer: Sender<Job>,
}

async fn accept(State(app): State<Arc<App>>, Form(sms): Form<Sms>) -> (StatusCode, &'static str) {
    let parsed = parse(
        &Input {
            text: &sms.text,
            language: None,
            home: None,
            country: None,
            received: Utc::now(),
        },
        &app.reports.context(),
    );
    let category = match parsed {
        Parsed::Report(r) | Parsed::Ambiguous { report: r, .. } => r.category.code().to_owned(),
        _ => "none".to_owned(),
    };
    let (done, committed) = oneshot::channel();
    let job = Job {
        sms,
        category,
        done,
    };
    if app.writer.send(job).is_err() {
        return (StatusCode::SERVICE_UNAVAILABLE, "writer gone");
    }
    match committed.await {
        Ok(()) => (StatusCode::OK, "{\"status\":\"accepted\"}"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "not stored"),
    }
}

const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
CREATE TABLE IF NOT EXISTS inbound (id INTEGER PRIMARY KEY, channel TEXT NOT NULL,
    provider_id TEXT NOT NULL, sender TEXT NOT NULL, text TEXT NOT NULL,
    category TEXT NOT NULL, received_at INTEGER NOT NULL, state INTEGER NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX IF NOT EXISTS inbound_once ON inbound (channel, provider_id);
CREATE INDEX IF NOT EXISTS inbound_unread ON inbound (id) WHERE state = 0;
CREATE TABLE IF NOT EXISTS reports (id INTEGER PRIMARY KEY, inbound_id INTEGER NOT NULL,
    category TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS outbound (id INTEGER PRIMARY KEY, recipient TEXT NOT NULL,
    text TEXT NOT NULL, status INTEGER NOT NULL DEFAULT 0, updated_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS outbound_queued ON outbound (id) WHERE status = 0;
";

/// One transaction: the jobs waiting are stored, up to 64 unread messages are read and
/// answered, and the replies queued before are claimed and sent.
fn transaction(db: &mut Connection, jobs: &[Job]) -> rusqlite::Result<()> {
    let now = Utc::now().timestamp_millis();
    let tx = db.transaction()?;
    {
        let mut store = tx.prepare_cached(
            "INSERT INTO inbound (channel, provider_id, sender, text, category, received_at)
             VALUES ('sim', ?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
        )?;
        for job in jobs {
            store.execute(params![
                job.sms.id,
                job.sms.from,
                job.sms.text,
                job.category,
                now
            ])?;
        }
        let mut queued =
            tx.prepare_cached("SELECT id FROM outbound WHERE status = 0 ORDER BY id LIMIT 128")?;
        let replies: Vec<i64> = queued
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut claim = tx.prepare_cached("UPDATE outbound SET status = 1 WHERE id = ?1")?;
        let mut sent =
            tx.prepare_cached("UPDATE outbound SET status = 2, updated_at = ?2 WHERE id = ?1")?;
        for id in replies {
            claim.execute([id])?;
            sent.execute(params![id, now])?;
        }
        let mut unread = tx.prepare_cached(
            "SELECT id, sender, category FROM inbound WHERE state = 0 ORDER BY id LIMIT 64",
        )?;
        let round: Vec<(i64, String, String)> = unread
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        let mut report = tx.prepare_cached(
            "INSERT INTO reports (inbound_id, category, created_at) VALUES (?1, ?2, ?3)",
        )?;
        let mut read = tx.prepare_cached("UPDATE inbound SET state = 1 WHERE id = ?1")?;
        let mut reply = tx.prepare_cached(
            "INSERT INTO outbound (recipient, text, updated_at) VALUES (?1, ?2, ?3)",
        )?;
        for (id, sender, category) in round {
            let report_id = report.insert(params![id, category, now])?;
            read.execute([id])?;
            let text = format!("Recu {category} ref {report_id}. Merci.");
            reply.execute(params![sender, text, now])?;
        }
    }
    tx.commit()
}

fn writer(mut db: Connection, jobs: &Receiver<Job>) {
    loop {
        let mut batch = Vec::new();
        match jobs.recv_timeout(Duration::from_millis(2)) {
            Ok(job) => batch.push(job),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        batch.extend(jobs.try_iter());
        transaction(&mut db, &batch).expect("the floor's transaction failed");
        for job in batch {
            let _ = job.done.send(());
        }
    }
}

fn reports() -> Reports {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let defaults = ReportsConfig::default();
    let config = ReportsConfig {
        keywords_dir: root.join(&defaults.keywords_dir),
        templates_dir: root.join(&defaults.templates_dir),
        ussd_templates_dir: root.join(&defaults.ussd_templates_dir),
        gazetteers: defaults.gazetteers.iter().map(|p| root.join(p)).collect(),
        boundaries: defaults.boundaries.as_ref().map(|p| root.join(p)),
        ..defaults
    };
    Reports::load(&config).expect("the parser's resources")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:0".into());
    let path = args.next().unwrap_or_else(|| "floor.db".into());
    let db = Connection::open(path)?;
    db.execute_batch(SCHEMA)?;
    let (send, jobs) = std::sync::mpsc::channel();
    std::thread::spawn(move || writer(db, &jobs));
    let app = Arc::new(App {
        reports: reports(),
        writer: send,
    });
    let listener = tokio::net::TcpListener::bind(addr).await?;
    eprintln!("listening on http://{}", listener.local_addr()?);
    let router = Router::new()
        .route("/webhooks/{channel}/sms", post(accept))
        .with_state(app);
    axum::serve(listener, router).await?;
    Ok(())
}
