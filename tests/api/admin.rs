//! Operations endpoints and the admin API.

use crate::helpers::{ADMIN, spawn_app};

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(app.get("/readyz").await.status(), 200);
    app.post_form("/webhooks/sim/sms", "from=76123456&text=RAS")
        .await;
    app.post_form("/webhooks/sim/sms", "text=RAS").await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    for needle in [
        r#"vigie_inbound_messages_total{channel="sim",outcome="stored"} 1"#,
        r#"vigie_inbound_messages_total{channel="sim",outcome="malformed"} 1"#,
        "vigie_webhook_duration_seconds_bucket",
        "vigie_writer_batch_size_count",
        "vigie_database_size_bytes",
    ] {
        assert!(
            metrics.contains(needle),
            "metrics lack {needle}:\n{metrics}"
        );
    }
}

#[tokio::test]
async fn metrics_come_in_the_format_the_scraper_asks_for() {
    let app = spawn_app().await;
    app.post_form("/webhooks/sim/sms", "from=76123456&text=AIDE")
        .await;
    let scrape = |accept: Option<&'static str>| {
        let mut request = app.client.get(app.url("/metrics"));
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        async move {
            let response = request.send().await.unwrap();
            let kind = response.headers()["content-type"]
                .to_str()
                .unwrap()
                .to_owned();
            (kind, response.text().await.unwrap())
        }
    };
    let (kind, text) = scrape(None).await;
    assert_eq!(kind, "text/plain; version=0.0.4; charset=utf-8");
    assert!(!text.contains("# EOF"), "{text}");
    assert!(
        text.contains("# TYPE vigie_inbound_messages_total counter"),
        "{text}"
    );
    let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;\
                      version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    let (kind, text) = scrape(Some(prometheus)).await;
    assert!(
        kind.starts_with("application/openmetrics-text; version=1.0.0"),
        "{kind}"
    );
    assert!(text.ends_with("# EOF\n"), "{text}");
    let (kind, _) = scrape(Some("text/plain;version=0.0.4")).await;
    assert!(kind.starts_with("text/plain"), "{kind}");
    check_with_promtool(&scrape(None).await.1);
}

/// `promtool check metrics`, where Prometheus is installed (`.ci/run` installs it).
fn check_with_promtool(text: &str) {
    use std::io::Write;
    let Ok(mut child) = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    else {
        assert!(
            std::env::var_os("CI").is_none(),
            "promtool is missing in CI"
        );
        return;
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "promtool: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn the_messages_api_needs_the_admin_token() {
    let app = spawn_app().await;
    app.post_form("/webhooks/sim/sms", "from=76123456&text=ATT+Koro")
        .await;
    assert_eq!(app.get("/api/messages?direction=in").await.status(), 401);
    let wrong = app
        .client
        .get(app.url("/api/messages"))
        .bearer_auth("guess")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let response = app
        .client
        .get(app.url("/api/messages?direction=in&limit=10"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    let message = &body["messages"][0];
    assert_eq!(
        message["sender"], "+22376123456",
        "admins see numbers in full"
    );
    assert_eq!(message["text"], "ATT Koro");
    assert_eq!(message["channel"], "sim");
}

#[tokio::test]
async fn the_messages_api_pages_and_names_bad_parameters() {
    let app = spawn_app().await;
    for i in 1..=3 {
        app.post_form(
            "/webhooks/sim/sms",
            &format!("from=76123456&text=ATT+Koro+{i}+blesses"),
        )
        .await;
    }
    let get = |query: &str| {
        app.client
            .get(app.url(&format!("/api/messages?{query}")))
            .bearer_auth(ADMIN)
            .send()
    };
    let page: serde_json::Value = get("limit=2").await.unwrap().json().await.unwrap();
    assert_eq!(page["messages"].as_array().unwrap().len(), 2);
    // The last shown, whatever its number: PostgreSQL's ids have gaps (a serializable
    // write retried after a conflict takes a new one).
    let last = page["messages"][1]["id"].as_i64().unwrap();
    assert_eq!(page["next_before"], last);
    let rest = format!("limit=2&before={last}");
    let rest: serde_json::Value = get(&rest).await.unwrap().json().await.unwrap();
    assert_eq!(rest["messages"][0]["text"], "ATT Koro 1 blesses");
    app.replies("+22376123456", 3).await;
    let out: serde_json::Value = get("direction=out").await.unwrap().json().await.unwrap();
    let listed: Vec<_> = out["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let field = |k: &str| m[k].as_str().unwrap_or_default().to_owned();
            (field("recipient"), field("purpose"), field("text"))
        })
        .collect();
    let reply = |text: &str| {
        (
            "+22376123456".to_owned(),
            "reply".to_owned(),
            text.to_owned(),
        )
    };
    assert_eq!(
        listed,
        [
            reply("Recu 1: ATTAQUE Koro (Mopti), 3 blesses"),
            reply("Recu 1: ATTAQUE Koro (Mopti), 2 blesses"),
            reply("Recu 1: ATTAQUE Koro (Mopti), 1 blesse"),
        ],
        "newest first, one reply each"
    );
    for (query, needle) in [
        ("limit=0", "limit"),
        ("direction=sideways", "direction"),
        ("before=x", "before"),
    ] {
        let response = get(query).await.unwrap();
        assert_eq!(response.status(), 400);
        assert!(response.text().await.unwrap().contains(needle));
    }
}

#[tokio::test]
async fn the_sim_outbox_shows_what_was_sent_to_each_phone() {
    let app = spawn_app().await;
    let outbox = |query: &'static str| {
        let app = &app;
        async move {
            let url = format!("/sim/outbox{query}");
            let body: serde_json::Value = app.get(&url).await.json().await.unwrap();
            body["messages"].as_array().unwrap().clone()
        }
    };
    assert_eq!(outbox("").await.len(), 0);
    app.post_form("/webhooks/sim/sms", "from=76123456&text=AIDE")
        .await;
    app.queue_sms("+22370000001", "Reunion demain").await;
    app.replies("+22376123456", 1).await;
    app.replies("+22370000001", 1).await;
    let all = outbox("").await;
    assert_eq!(all.len(), 2, "{all:?}");
    let mine = outbox("?to=76123456").await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["recipient"], "+22376123456");
    assert_eq!(mine[0]["purpose"], "reply");
    assert!(
        mine[0]["text"].as_str().unwrap().starts_with("Format:"),
        "{mine:?}"
    );
    let theirs = outbox("?to=%2B22370000001").await;
    assert_eq!(theirs.len(), 1, "{theirs:?}");
    assert_eq!(theirs[0]["text"], "Reunion demain");
    assert_eq!(outbox("?to=76000000").await.len(), 0);
}

#[tokio::test]
async fn readiness_fails_while_the_database_takes_no_write() {
    let app = spawn_app().await;
    assert_eq!(app.get("/readyz").await.status(), 200);
    // Another process holds the database's write lock past the writer's patience.
    let lock = app.database.lock_writes();
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 503);
    assert_eq!(response.text().await.unwrap(), "database not writable");
    drop(lock);
    assert_eq!(app.get("/readyz").await.status(), 200);
}

#[tokio::test]
async fn the_sim_outbox_needs_the_admin_token_on_a_listener_others_reach() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "admin_token = \"{ADMIN}\"\n[server]\nlisten = \"0.0.0.0:0\"\n[storage]\npath = {:?}\n\
         [reports]\ngazetteers = [\"tests/fixtures/gazetteer_mopti.csv\"]\n\
         [[channels]]\nid = \"sim\"\nkind = \"sim\"\nsecret = \"sim-secret\"\n",
        dir.path().join("vigie.db")
    );
    let config = vigie::config::Config::from_toml(&text).unwrap();
    let app = vigie::app::Application::build(config).await.unwrap();
    let port = app.local_addr().unwrap().port();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let running = tokio::spawn(app.run(shutdown.clone()));
    // Reached over loopback all the same: tests talk to this machine only.
    let url = format!("http://127.0.0.1:{port}/sim/outbox?token=sim-secret");
    let client = reqwest::Client::new();
    let without = client.get(&url).send().await.unwrap();
    assert_eq!(without.status(), 401, "the sim secret alone is not enough");
    let with = client.get(&url).bearer_auth(ADMIN).send().await.unwrap();
    assert_eq!(with.status(), 200);
    shutdown.cancel();
    running.await.unwrap().unwrap();
}
