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
    for i in 0..3 {
        app.post_form("/webhooks/sim/sms", &format!("from=76123456&text=RAS+{i}"))
            .await;
    }
    let get = |query: &'static str| {
        app.client
            .get(app.url(&format!("/api/messages?{query}")))
            .bearer_auth(ADMIN)
            .send()
    };
    let page: serde_json::Value = get("limit=2").await.unwrap().json().await.unwrap();
    assert_eq!(page["messages"].as_array().unwrap().len(), 2);
    assert_eq!(page["next_before"], 2);
    let rest: serde_json::Value = get("limit=2&before=2").await.unwrap().json().await.unwrap();
    assert_eq!(rest["messages"][0]["text"], "RAS 0");
    let out: serde_json::Value = get("direction=out").await.unwrap().json().await.unwrap();
    // Replies to the three messages, as the intake gets to them.
    assert!(out["messages"].as_array().unwrap().len() <= 3);
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
async fn the_sim_outbox_answers() {
    let app = spawn_app().await;
    let body: serde_json::Value = app.get("/sim/outbox").await.json().await.unwrap();
    assert_eq!(body["messages"].as_array().unwrap().len(), 0);
}
