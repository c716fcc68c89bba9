//! A crash at any instant loses nothing that was acknowledged.
//!
//! The real binary runs as a child process under load and is killed with SIGKILL in the
//! middle of its write batches. After a restart, every message that got a 2xx is in the
//! database, and none that got an error is.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::Mutex;

const WORKERS: usize = 32;
/// Kill once this many messages were acknowledged: well inside the run.
const KILL_AFTER_ACKS: usize = 300;

async fn start(config: &Path) -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args(["serve", "--config"])
        .arg(config)
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    while let Some(line) = lines.next_line().await.unwrap() {
        if let Some(addr) = line.split("listening on http://").nth(1) {
            let addr = addr.trim().parse().unwrap();
            // Keep draining the log so the child never blocks on a full pipe.
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return (child, addr);
        }
    }
    panic!("vigie exited before listening");
}

#[derive(Default)]
struct Outcomes {
    acked: HashSet<String>,
    refused: HashSet<String>,
}

/// Sends until the server dies; every fifth message is malformed (no sender).
async fn load(
    addr: SocketAddr,
    worker: usize,
    outcomes: Arc<Mutex<Outcomes>>,
    acks: Arc<AtomicUsize>,
) {
    let client = reqwest::Client::new();
    for i in 0.. {
        let id = format!("w{worker}-{i}");
        let body = if i % 5 == 4 {
            format!("id={id}&text=RAS")
        } else {
            format!("id={id}&from=%2B2237600{worker:04}&text=ATT+Koro+{i}")
        };
        let sent = client
            .post(format!("http://{addr}/webhooks/sim/sms"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await;
        let Ok(response) = sent else { return };
        let mut outcomes = outcomes.lock().await;
        if response.status().is_success() {
            outcomes.acked.insert(id);
            acks.fetch_add(1, Ordering::Relaxed);
        } else {
            outcomes.refused.insert(id);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_message_survives_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigie.db");
    let config = dir.path().join("vigie.toml");
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[storage]\npath = {db:?}\nsynchronous = \"full\"\n\
         [inbound.rate_limit]\nper_minute = 100000\nburst = 100000\n[[channels]]\nid = \"sim\"\nkind = \"sim\"\n"
    );
    std::fs::write(&config, text).unwrap();

    let (mut child, addr) = start(&config).await;
    let outcomes = Arc::new(Mutex::new(Outcomes::default()));
    let acks = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| tokio::spawn(load(addr, w, Arc::clone(&outcomes), Arc::clone(&acks))))
        .collect();
    while acks.load(Ordering::Relaxed) < KILL_AFTER_ACKS {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    child.start_kill().unwrap(); // SIGKILL: no shutdown path runs
    child.wait().await.unwrap();
    for worker in workers {
        worker.await.unwrap();
    }

    // Restart on the same database: recovery and migrations run as in production.
    let (_restarted, _) = start(&config).await;
    let conn = rusqlite::Connection::open(&db).unwrap();
    let stored: HashSet<String> = conn
        .prepare("SELECT provider_message_id FROM inbound_messages")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let outcomes = outcomes.lock().await;
    assert!(outcomes.acked.len() >= KILL_AFTER_ACKS);
    assert!(!outcomes.refused.is_empty());
    let lost: Vec<_> = outcomes.acked.difference(&stored).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    let leaked: Vec<_> = outcomes.refused.intersection(&stored).collect();
    assert!(leaked.is_empty(), "refused but stored: {leaked:?}");
}
