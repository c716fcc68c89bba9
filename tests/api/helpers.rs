//! `spawn_app()`: the whole gateway on 127.0.0.1:0 with a temporary database.

use std::net::SocketAddr;

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;
use vigie::app::Application;
use vigie::clock::Clock;
use vigie::config::Config;
use vigie::store::db::FromCol;

use crate::database::Database;

pub const ADMIN: &str = "admin-secret";
pub const TWILIO_TOKEN: &str = "12345";
pub const PUBLIC_URL: &str = "https://gateway.example.org";

/// One channel of each kind; all but `sim` take `?token=s3cret`.
pub(crate) const CHANNELS: &str = r#"
[[channels]]
id = "sim"
kind = "sim"

[[channels]]
id = "at"
kind = "africastalking"
secret = "s3cret"
sender = "21512"

[[channels]]
id = "tw"
kind = "twilio"
secret = "s3cret"
auth_token = "12345"

[[channels]]
id = "ib"
kind = "infobip"
secret = "s3cret"

[[channels]]
id = "vn"
kind = "vonage"
secret = "s3cret"

[[channels]]
id = "vs"
kind = "vonage"
secret = "s3cret"
signature_secret = "sigsecret"

[[channels]]
id = "or"
kind = "orange"
secret = "s3cret"
country = "CI"

[[channels]]
id = "kn"
kind = "kannel"
secret = "s3cret"
"#;

/// A small gazetteer (the Mopti region) keeps start-up quick in debug builds.
const REPORTS: &str = "[reports]\ngazetteers = [\"tests/fixtures/gazetteer_mopti.csv\"]\n";

/// One channel of each kind, for tests that build their own configuration.
pub fn channels() -> &'static str {
    CHANNELS
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub dir: TempDir,
    /// The gateway's clock: `advance` it to pass a deadline without waiting.
    pub clock: Clock,
    /// The gateway's database (SQLite in `dir`, or PostgreSQL: see `database.rs`).
    pub database: Database,
    shutdown: CancellationToken,
    running: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// The gateways' warnings and errors, in the output of the test whose gateway logged them:
/// shown when it fails (the harness keeps what a passing test printed to itself).
/// `RUST_LOG` chooses other levels.
fn show_logs_of_failures() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    });
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with("").await
}

/// Starts the gateway; `inbound_extra` is TOML added to the `[inbound]` table.
pub async fn spawn_app_with(inbound_extra: &str) -> TestApp {
    spawn_gateway(
        &format!("[inbound]\n{inbound_extra}\n{CHANNELS}"),
        tempfile::tempdir().unwrap(),
    )
    .await
}

/// Starts the gateway in `dir` with `rest` (tables and channels) after the server and
/// storage settings every test shares.
pub async fn spawn_gateway(rest: &str, dir: TempDir) -> TestApp {
    spawn_gateway_reporting("", rest, dir).await
}

/// The same, with more `[reports]` settings.
pub async fn spawn_gateway_reporting(reports: &str, rest: &str, dir: TempDir) -> TestApp {
    let public_url = format!("public_url = \"{PUBLIC_URL}\"\n");
    spawn_configured(&public_url, reports, rest, dir).await
}

/// The same, with `server` settings (a public URL or none) after the listening address.
pub async fn spawn_configured(server: &str, reports: &str, rest: &str, dir: TempDir) -> TestApp {
    show_logs_of_failures();
    let database = Database::for_dir(dir.path());
    let db = dir.path().join("vigie.db");
    let storage = database.storage();
    let text = format!(
        "admin_token = \"{ADMIN}\"\n[server]\nlisten = \"127.0.0.1:0\"\n{server}\
         shutdown_grace_secs = 1\n[storage]\npath = {db:?}\n{storage}\n{REPORTS}{reports}\n\
         {rest}"
    );
    let config = Config::from_toml(&text).unwrap();
    let clock = Clock::system();
    let build = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        Application::build_with_clock(config, clock.clone()),
    );
    let app = build
        .await
        .expect("the gateway did not start within 30 s")
        .unwrap();
    let addr = app.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(app.run(shutdown.clone()));
    TestApp {
        addr,
        client: reqwest::Client::new(),
        dir,
        clock,
        database,
        shutdown,
        running: Some(running),
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
        // A gateway stopped for a restart keeps its database; one dropped is done with it.
        if self.running.is_some() {
            self.database.drop_it();
        }
    }
}

impl TestApp {
    /// Shuts the gateway down as SIGTERM would and waits until it has stopped; hands back
    /// its directory (and database) for a restart.
    pub async fn stop(mut self) -> TempDir {
        self.shutdown.cancel();
        if let Some(running) = self.running.take() {
            let stopped = tokio::time::timeout(std::time::Duration::from_secs(30), running);
            stopped
                .await
                .expect("the gateway did not stop within 30 s")
                .unwrap()
                .unwrap();
        }
        let placeholder = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self.dir, placeholder)
    }

    /// Queues an SMS through the admin API; returns the response.
    pub async fn send_sms(&self, to: &str, text: &str, purpose: &str) -> reqwest::Response {
        self.client
            .post(self.url("/api/messages"))
            .bearer_auth(ADMIN)
            .json(&serde_json::json!({ "to": to, "text": text, "purpose": purpose }))
            .send()
            .await
            .unwrap()
    }

    /// Imports contacts (`phone,name,roles,language,home,zones,discreet,...`); none refused.
    pub(crate) async fn import(&self, csv: &str) {
        let response = self
            .client
            .post(self.url("/api/contacts/import"))
            .bearer_auth(ADMIN)
            .body(csv.to_owned())
            .send()
            .await
            .unwrap();
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["rejected"], serde_json::json!([]), "{body}");
    }

    /// Queues an SMS and returns its outbound id.
    pub async fn queue_sms(&self, to: &str, text: &str) -> i64 {
        self.queue_for(to, text, "system").await
    }

    /// Queues an SMS of `purpose` through the admin API and returns its outbound id.
    pub async fn queue_for(&self, to: &str, text: &str, purpose: &str) -> i64 {
        let response = self.send_sms(to, text, purpose).await;
        assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
        let body: serde_json::Value = response.json().await.unwrap();
        body["messages"][0]["id"].as_i64().unwrap()
    }

    /// The outbound message `id` as the admin API shows it.
    pub async fn outbound(&self, id: i64) -> serde_json::Value {
        let url = format!("/api/messages?direction=out&limit=1&before={}", id + 1);
        let response = self
            .client
            .get(self.url(&url))
            .bearer_auth(ADMIN)
            .send()
            .await
            .unwrap();
        let body: serde_json::Value = response.json().await.unwrap();
        body["messages"][0].clone()
    }

    /// Waits until message `id` has `status`; panics with the message after `within`.
    pub async fn wait_status(
        &self,
        id: i64,
        status: &str,
        within: std::time::Duration,
    ) -> serde_json::Value {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let message = self.outbound(id).await;
            if message["status"] == status {
                return message;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "message {id} not {status} within {within:?}: {message}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Waits until `SELECT count(*) FROM {rows}` finds one; panics after 20 s.
    pub async fn wait_for_rows(&self, rows: &str) {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
        while self.count(rows) == 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no row within 20 s: {rows}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// An admin API call; the JSON answer (`null` when none).
    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(ADMIN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (
            status,
            response.json().await.unwrap_or(serde_json::Value::Null),
        )
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn post_form(&self, path: &str, body: &str) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &str) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// POSTs a Twilio form signed as Twilio would sign it for our public URL.
    pub async fn post_twilio(&self, path: &str, body: &str) -> reqwest::Response {
        let signature = twilio_signature(&format!("{PUBLIC_URL}{path}"), body);
        self.client
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("X-Twilio-Signature", signature)
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }

    pub fn count(&self, table: &str) -> i64 {
        self.one(&format!("SELECT count(*) FROM {table}"))
    }

    /// Runs one statement on the database, as an operator might.
    pub fn execute(&self, sql: &str) {
        self.database.with(|db| db.execute(sql, &[]).unwrap());
    }

    pub fn one<T: FromCol + Send>(&self, sql: &str) -> T {
        self.database.one(sql)
    }

    /// Rows of one text column.
    pub fn column(&self, sql: &str) -> Vec<Option<String>> {
        self.database
            .with(|db| db.query_map(sql, &[], |r| r.get(0)).unwrap())
    }
}

pub fn twilio_signature(url: &str, body: &str) -> String {
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    pairs.sort();
    let mut mac = Hmac::<Sha1>::new_from_slice(TWILIO_TOKEN.as_bytes()).unwrap();
    mac.update(url.as_bytes());
    for (k, v) in pairs {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Fails naming `what` if `text` holds one of `numbers` (E.164), in any usual writing:
/// with or without the country code, spaces, dots or dashes.
pub fn assert_no_number(text: &str, numbers: &[&str], what: &str) {
    let squeezed: String = text.chars().filter(|c| !" .-".contains(*c)).collect();
    for number in numbers {
        let national = number.get(4..).unwrap_or(number);
        assert!(
            !squeezed.contains(national),
            "{what} shows {number}: {text}"
        );
    }
}
