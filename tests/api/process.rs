//! The real `vigie serve` binary as a child process: started on a config, its log kept,
//! stopped with SIGTERM as a service manager would.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Writes a config with only the sim channel (no rate limit to speak of) into `dir`;
/// returns its path and the database's.
pub fn sim_only_config(dir: &Path) -> (PathBuf, PathBuf) {
    let db = dir.join("vigie.db");
    let config = dir.join("vigie.toml");
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[storage]\npath = {db:?}\nsynchronous = \"full\"\n\
         [inbound.rate_limit]\nper_minute = 100000\nburst = 100000\n[[channels]]\nid = \"sim\"\nkind = \"sim\"\n"
    );
    std::fs::write(&config, text).unwrap();
    (config, db)
}

/// Runs the real `vigie serve` binary; returns once it logged the address it listens on.
pub async fn start_process(config: &Path) -> (Child, SocketAddr) {
    let (child, addr, _) = start_logged_process(config).await;
    (child, addr)
}

/// Sends SIGTERM to the process, as a service manager stopping it would.
pub async fn sigterm(child: &Child) {
    let pid = child.id().expect("the process is running").to_string();
    let sent = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(sent.success());
}

/// Every line the process writes to stderr, as it comes.
pub type Log = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// Waits until the process logged a line holding `needle`; panics after 20 s.
pub async fn wait_for_line(log: &Log, needle: &str) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while !log.lock().unwrap().iter().any(|l| l.contains(needle)) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no `{needle}` logged"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The same, keeping what it logs (at `info`).
pub async fn start_logged_process(config: &Path) -> (Child, SocketAddr, Log) {
    start_logged_process_with(config, &[]).await
}

/// The same, with more arguments to `serve` (`--demo`).
pub async fn start_logged_process_with(config: &Path, args: &[&str]) -> (Child, SocketAddr, Log) {
    let started = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        spawn_process(config, args),
    );
    started
        .await
        .expect("vigie did not start listening within 60 s")
}

async fn spawn_process(config: &Path, args: &[&str]) -> (Child, SocketAddr, Log) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args(["serve", "--config"])
        .arg(config)
        .args(args)
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let log = Log::default();
    while let Some(line) = lines.next_line().await.unwrap() {
        let addr = line.split("listening on http://").nth(1).map(str::to_owned);
        log.lock().unwrap().push(line);
        if let Some(addr) = addr {
            let addr = addr.trim().parse().unwrap();
            // Keep draining the log so the child never blocks on a full pipe.
            let kept = log.clone();
            tokio::spawn(async move {
                while let Ok(Some(line)) = lines.next_line().await {
                    kept.lock().unwrap().push(line);
                }
            });
            return (child, addr, log);
        }
    }
    panic!("vigie exited before listening");
}
