//! Alerts first under a flood: a provider that delivers hours of stored messages at once
//! (a network back after a cut) does not hold up a known monitor's attack report.

use serde_json::{Value, json};

use crate::access::{MONITOR, RESPONDER};
use crate::helpers::spawn_app;

/// Routine messages in the provider's batch, ahead of the attack.
const BACKLOG: usize = 300;

#[tokio::test]
async fn an_attack_is_alerted_before_a_backlog_delivered_ahead_of_it_is_read() {
    let app = spawn_app().await;
    app.register(MONITOR, None, false);
    let responder = json!({ "phone": RESPONDER, "roles": ["responder"], "zones": ["Koro"] });
    let (status, _) = app
        .api(reqwest::Method::POST, "/api/contacts", Some(responder))
        .await;
    assert_eq!(status, 201);

    // One Infobip request, committed whole: the intake sees the backlog and the attack at
    // once, the attack last.
    let mut results: Vec<Value> = (0..BACKLOG)
        .map(|i| {
            let from = format!("2237700{i:04}");
            json!({ "messageId": format!("r{i}"), "from": from, "to": "2020", "text": "AIDE" })
        })
        .collect();
    let monitor = MONITOR.trim_start_matches('+');
    results.push(json!({
        "messageId": "attack", "from": monitor, "to": "2020", "text": "ATT Koro 3 morts",
    }));
    let batch = json!({ "results": results, "messageCount": BACKLOG + 1 }).to_string();
    let response = app.post_json("/webhooks/ib/sms?token=s3cret", &batch).await;
    assert_eq!(response.status(), 200);

    app.wait_for_rows("outbound_messages WHERE purpose = 'alert'")
        .await;
    app.wait_for_rows(
        "(SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM inbound_messages WHERE state = 'new')) AS read",
    )
    .await;
    let alert: i64 = app.one("SELECT min(id) FROM outbound_messages WHERE purpose = 'alert'");
    let attack: i64 =
        app.one("SELECT id FROM inbound_messages WHERE provider_message_id = 'attack'");
    let answered_first = app.count(&format!(
        "outbound_messages WHERE purpose = 'reply' AND id < {alert} AND inbound_id != {attack}"
    ));
    assert!(
        answered_first < 32,
        "the attack is read in the first round, not after the backlog: \
         {answered_first} of {BACKLOG} routine messages answered before its alert"
    );

    // The alert is timed from the webhook, and the backlog is on /metrics.
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("vigie_alert_latency_seconds_count{until=\"queued\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("vigie_intake_backlog "), "{metrics}");
}
