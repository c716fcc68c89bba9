//! Reporters are protected in the logs too: the real binary at `info`, driven through every
//! path a number or a text can take (reports, replies, alerts, acknowledgements, USSD,
//! broadcasts, the admin API, refusals), never writes one of them to a log line.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{ADMIN, assert_no_number};
use crate::process::{sigterm, start_logged_process, wait_for_line};

const MONITOR: &str = "+22376123456";
const RESPONDER: &str = "+22370000001";
const STRANGER: &str = "+22376555555";
const CALLER: &str = "+22376444444";
const RECIPIENT: &str = "+22376333333";

/// Words a caller sent; none may reach a log line.
const TEXTS: [&str; 8] = [
    "Dioura-zebu",
    "Tessit-inconnu",
    "Texte-sans-numero",
    "Reunion-confidentielle",
    "Message-admin-prive",
    "Awa Traore",
    "Fatoumata Keita",
    "vt_jeton-devine",
];

struct Running {
    client: reqwest::Client,
    addr: SocketAddr,
}

impl Running {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn form(&self, path: &str, pairs: &[(&str, &str)]) -> u16 {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        let response = self
            .client
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        response.status().as_u16()
    }

    async fn api(&self, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .client
            .request(method, self.url(path))
            .bearer_auth(ADMIN)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Waits until `to` was sent `n` messages.
    async fn sent_to(&self, to: &str, n: usize) {
        let url = self.url(&format!("/sim/outbox?to={}", to.replace('+', "%2B")));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let body: Value = self
                .client
                .get(&url)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if body["messages"].as_array().unwrap().len() >= n {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "nothing sent to {to}: {body}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn config(dir: &std::path::Path) -> std::path::PathBuf {
    let root = env!("CARGO_MANIFEST_DIR");
    let text = format!(
        "admin_token = \"{ADMIN}\"\n[server]\nlisten = \"127.0.0.1:0\"\n[storage]\npath = {:?}\n\
         [reports]\ngazetteers = [\"{root}/tests/fixtures/gazetteer_mopti.csv\"]\n\
         [[channels]]\nid = \"sim\"\nkind = \"sim\"\n",
        dir.join("vigie.db")
    );
    let path = dir.join("vigie.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_number_and_no_text_reaches_a_log_line_at_info() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, addr, log) = start_logged_process(&config(dir.path())).await;
    let app = Running {
        client: reqwest::Client::new(),
        addr,
    };
    drive_every_path(&app).await;

    sigterm(&child).await;
    assert!(child.wait().await.unwrap().success());
    // The last line; every line before it has been read.
    wait_for_line(&log, "stopped").await;
    let lines = log.lock().unwrap().clone();
    let numbers = [MONITOR, RESPONDER, STRANGER, CALLER, RECIPIENT];
    for line in &lines {
        assert_no_number(line, &numbers, "a log line");
        assert!(!line.contains("forged"), "a forged line: {line}");
        for text in TEXTS {
            assert!(!line.contains(text), "`{text}` logged: {line}");
        }
    }
}

async fn drive_every_path(app: &Running) {
    use reqwest::Method;
    let contacts = [
        json!({ "phone": MONITOR, "name": "Awa Traore", "roles": ["monitor"], "home": "Koro" }),
        json!({ "phone": RESPONDER, "name": "Fatoumata Keita", "roles": ["responder"],
                "zones": ["Koro"] }),
    ];
    for contact in contacts {
        let (status, body) = app.api(Method::POST, "/api/contacts", contact).await;
        assert_eq!(status, 201, "{body}");
    }
    let sms = |from: &'static str, text: &'static str, id: &'static str| async move {
        app.form(
            "/webhooks/sim/sms",
            &[("from", from), ("text", text), ("id", id)],
        )
        .await
    };
    assert_eq!(
        sms(MONITOR, "ATT Koro 3 morts pres de Dioura-zebu", "m1").await,
        200
    );
    app.sent_to(MONITOR, 1).await;
    app.sent_to(RESPONDER, 1).await;
    assert_eq!(sms(RESPONDER, "OK 1", "r1").await, 200);
    assert_eq!(sms(STRANGER, "ATT Tessit-inconnu 2 morts", "s1").await, 200);
    app.sent_to(STRANGER, 1).await;
    // Refused: no sender, an unknown channel; stored unanswered: a sender that is no number.
    assert_eq!(
        app.form("/webhooks/sim/sms", &[("text", "Texte-sans-numero")])
            .await,
        400
    );
    let named = [("from", "Awa Traore"), ("text", "Texte-sans-numero")];
    assert_eq!(app.form("/webhooks/sim/sms", &named).await, 200);
    // Caller values in fields that do not read, one with a line break to forge a line.
    let bad_date = [
        ("from", STRANGER),
        ("text", "ATT Koro"),
        ("date", "Dioura-zebu\nINFO forged"),
    ];
    assert_eq!(app.form("/webhooks/sim/sms", &bad_date).await, 400);
    let bad_status = [("id", "1"), ("status", "Texte-sans-numero")];
    assert_eq!(app.form("/webhooks/sim/status", &bad_status).await, 400);
    let path = format!("/webhooks/{}/sms", &STRANGER[1..]);
    assert!(
        app.form(&path, &[("from", STRANGER), ("text", "Tessit-inconnu")])
            .await
            >= 400
    );
    let ussd = [
        ("sessionId", "u1"),
        ("serviceCode", "*123#"),
        ("phoneNumber", CALLER),
    ];
    assert_eq!(
        app.form(
            "/webhooks/sim/ussd",
            &[ussd[0], ussd[1], ussd[2], ("text", "")]
        )
        .await,
        200
    );
    let step = [ussd[0], ussd[1], ussd[2], ("text", "1*1*Dioura-zebu")];
    assert_eq!(app.form("/webhooks/sim/ussd", &step).await, 200);
    let broadcast = json!({ "zone": "Koro", "text": "Reunion-confidentielle demain" });
    let (status, body) = app.api(Method::POST, "/api/broadcasts", broadcast).await;
    assert_eq!(status, 201, "{body}");
    let message = json!({ "to": RECIPIENT, "text": "Message-admin-prive", "purpose": "system" });
    let (status, body) = app.api(Method::POST, "/api/messages", message).await;
    assert_eq!(status, 202, "{body}");
    app.sent_to(RECIPIENT, 1).await;
    let guess = app
        .client
        .get(app.url("/api/incidents"))
        .bearer_auth("vt_jeton-devine")
        .send()
        .await
        .unwrap();
    assert_eq!(guess.status(), 401);
    let url = app.url(&format!(
        "/api/messages?direction=in&limit=5&sender={STRANGER}"
    ));
    app.client.get(url).bearer_auth(ADMIN).send().await.unwrap();
}
