//! The real binary as a child process under load: killed in the middle of its write batches
//! it loses nothing it acknowledged, and reads every stored message exactly once after the
//! restart; stopped with SIGTERM it finishes what is in flight and exits 0.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Mutex;

use crate::process::{
    sigterm, sim_only_config, start_logged_process, start_process, wait_for_line,
};

const WORKERS: usize = 32;
/// Kill once this many messages were acknowledged: well inside the run.
const KILL_AFTER_ACKS: usize = 300;

#[derive(Default)]
struct Outcomes {
    acked: HashSet<String>,
    refused: HashSet<String>,
}

/// Sends until the server dies, or is known to be stopped (another test's server may get
/// its port then); every fifth message is malformed (no sender).
async fn load(
    addr: SocketAddr,
    worker: usize,
    outcomes: Arc<Mutex<Outcomes>>,
    acks: Arc<AtomicUsize>,
    stopped: Arc<std::sync::atomic::AtomicBool>,
) {
    let client = reqwest::Client::new();
    for i in 0.. {
        if stopped.load(Ordering::Relaxed) {
            return;
        }
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

/// Loads `addr` until `acks` messages were acknowledged, then runs `stop` and waits for every
/// worker to see the server gone.
async fn load_until_stopped<F: std::future::Future>(
    addr: SocketAddr,
    acks_wanted: usize,
    stop: F,
) -> (F::Output, Outcomes) {
    let outcomes = Arc::new(Mutex::new(Outcomes::default()));
    let acks = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let (outcomes, acks, done) =
                (Arc::clone(&outcomes), Arc::clone(&acks), Arc::clone(&done));
            tokio::spawn(load(addr, w, outcomes, acks, done))
        })
        .collect();
    // Bounded: a server that died early fails the test instead of hanging it.
    let enough = async {
        while acks.load(Ordering::Relaxed) < acks_wanted {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(120), enough)
        .await
        .expect("the server never acknowledged enough messages");
    let stopped = stop.await;
    done.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await.unwrap();
    }
    let outcomes = std::mem::take(&mut *outcomes.lock().await);
    (stopped, outcomes)
}

fn stored_ids(db: &std::path::Path) -> HashSet<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT provider_message_id FROM inbound_messages")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_message_survives_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let (config, db) = sim_only_config(dir.path());

    let (mut child, addr) = start_process(&config).await;
    let kill = async {
        child.start_kill().unwrap(); // SIGKILL: no shutdown path runs
        child.wait().await.unwrap()
    };
    let (_, outcomes) = load_until_stopped(addr, KILL_AFTER_ACKS, kill).await;

    // Restart on the same database: recovery and migrations run as in production.
    let (_restarted, _) = start_process(&config).await;
    let stored = stored_ids(&db);
    assert!(outcomes.acked.len() >= KILL_AFTER_ACKS);
    assert!(!outcomes.refused.is_empty());
    let lost: Vec<_> = outcomes.acked.difference(&stored).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    let leaked: Vec<_> = outcomes.refused.intersection(&stored).collect();
    assert!(leaked.is_empty(), "refused but stored: {leaked:?}");
    every_message_read_once(&db).await;
}

/// After a kill mid-reading, every stored message ends up read exactly once: one report
/// and one reply each, none lost, none doubled.
async fn every_message_read_once(db: &std::path::Path) {
    let count = |sql: &str| -> i64 {
        let conn = rusqlite::Connection::open(db).unwrap();
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    };
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    while count("SELECT count(*) FROM inbound_messages WHERE state = 'new'") > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "stored messages left unread"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let messages = count("SELECT count(*) FROM inbound_messages");
    assert_eq!(
        count("SELECT count(*) FROM reports"),
        messages,
        "one report per message"
    );
    let replies =
        "SELECT count(DISTINCT inbound_id) FROM outbound_messages WHERE inbound_id IS NOT NULL";
    assert_eq!(count(replies), messages, "one reply per message");
    let doubled = "SELECT count(*) FROM (SELECT inbound_id FROM outbound_messages
                   WHERE inbound_id IS NOT NULL GROUP BY inbound_id HAVING count(*) > 1) AS doubled";
    assert_eq!(count(doubled), 0, "no message answered twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_in_flight_requests_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let (config, db) = sim_only_config(dir.path());
    let (mut child, addr, log) = start_logged_process(&config).await;
    // Requests the server has begun (it asked for their bodies) when the signal comes.
    let mut held = Vec::new();
    for i in 0..HELD {
        held.push(HeldRequest::begin(addr, &format!("held-{i}")).await);
    }
    let terminate = async {
        sigterm(&child).await;
        // The bodies go only once the server is shutting down.
        wait_for_line(&log, "shutdown requested").await;
        let mut answers = Vec::new();
        for request in held {
            answers.push(request.finish().await);
        }
        (child.wait().await.unwrap(), answers)
    };
    let ((status, answers), outcomes) = load_until_stopped(addr, 100, terminate).await;
    assert!(status.success(), "vigie exited with {status}");
    let stored = stored_ids(&db);
    for (i, answer) in answers.iter().enumerate() {
        assert!(
            answer.starts_with("HTTP/1.1 200"),
            "held request {i} answered: {answer:?}"
        );
        assert!(
            stored.contains(&format!("held-{i}")),
            "held request {i} not stored"
        );
    }
    let lost: Vec<_> = outcomes.acked.difference(&stored).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
}

/// Requests held open across the signal.
const HELD: usize = 4;

/// A webhook request whose body is sent only when asked: the server has read its headers
/// and is waiting for the body (it answered `100 Continue`).
struct HeldRequest {
    stream: tokio::net::TcpStream,
    body: String,
}

impl HeldRequest {
    async fn begin(addr: SocketAddr, id: &str) -> Self {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let body = format!("id={id}&from=%2B22376999999&text=ATT+Koro");
        let head = format!(
            "POST /webhooks/sim/sms HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nExpect: 100-continue\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        while !answer.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8; 1];
            let read = stream.read(&mut byte).await.unwrap();
            assert_eq!(read, 1, "closed before 100 Continue: {answer:?}");
            answer.push(byte[0]);
        }
        assert!(answer.starts_with(b"HTTP/1.1 100"), "{answer:?}");
        Self { stream, body }
    }

    /// Sends the body; the server's whole answer.
    async fn finish(mut self) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        // The server may have closed the connection: the answer read below tells.
        let _ = self.stream.write_all(self.body.as_bytes()).await;
        let mut answer = Vec::new();
        let _ = self.stream.read_to_end(&mut answer).await;
        String::from_utf8_lossy(&answer).into_owned()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_requests_are_cut_off_and_webhooks_keep_answering() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = "header_read_timeout_secs = 1\nmax_connections = 40\n";
    let sim = "[[channels]]\nid = \"sim\"\nkind = \"sim\"\n";
    let app = crate::helpers::spawn_configured(server, "", sim, tempfile::tempdir().unwrap()).await;
    // 50 clients that start a request and never finish its headers.
    let mut slow = Vec::new();
    for _ in 0..50 {
        let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        stream
            .write_all(b"POST /webhooks/sim/sms HTTP/1.1\r\nHost: vigie\r\nContent-Type: appl")
            .await
            .unwrap();
        slow.push(stream);
    }
    // A provider's webhook gets through all the same.
    let response = app
        .post_form("/webhooks/sim/sms", "from=76123456&text=ATT+Koro&id=p1")
        .await;
    assert_eq!(response.status(), 200);
    // Each slow client is disconnected (a bound for the test, not a speed target).
    let closed = async {
        for mut stream in slow {
            let mut rest = Vec::new();
            let _ = stream.read_to_end(&mut rest).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), closed)
        .await
        .expect("half-sent requests still open after 30 s");
    assert_eq!(app.count("inbound_messages"), 1);

    // A kept-alive connection left idle after its answer is closed too: idle connections
    // would otherwise fill `max_connections`.
    let mut idle = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: vigie\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let read = idle.read_to_end(&mut answer);
    tokio::time::timeout(std::time::Duration::from_secs(30), read)
        .await
        .expect("an idle kept-alive connection still open after 30 s")
        .unwrap();
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{answer:?}");
}
