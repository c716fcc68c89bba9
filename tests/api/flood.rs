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

    // The alert is timed from the webhook, to its queueing and to the provider's
    // acceptance (the sim's delivery), and the backlog is on /metrics.
    let mut metrics = String::new();
    for _ in 0..200 {
        metrics = app.get("/metrics").await.text().await.unwrap();
        if metrics.contains("vigie_alert_latency_seconds_count{until=\"accepted\"} 1") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    for line in [
        "vigie_alert_latency_seconds_count{until=\"queued\"} 1",
        "vigie_alert_latency_seconds_count{until=\"accepted\"} 1",
        "vigie_intake_backlog ",
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }
}

/// Unread messages delivered `minutes_ago`, in one statement either database runs: more
/// than the intake reads while a test looks at a few pages.
pub(crate) fn flood_delivered(app: &crate::helpers::TestApp, count: u32, minutes_ago: i64) {
    let at = app.clock.now_ms() - minutes_ago * 60_000;
    app.execute(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count})
         INSERT INTO inbound_messages (channel, sender, text, received_at, content_hash, raw)
         SELECT 'sim', '+22377' || (100000 + i), 'AIDE', {at}, i, '' FROM n"
    ));
}

/// While a flood waits to be read, every console page tells coordinators, and for how long
/// the oldest message has waited; the notice goes once everything is read.
#[tokio::test]
async fn the_console_says_when_reading_is_behind() {
    let app = spawn_app().await;
    let (_, session) = app.login(crate::helpers::ADMIN).await;
    let session = session.expect("a console session");
    let notice = "<strong>Lecture en retard :</strong>";

    // Messages a provider just delivered: read within the minute, nothing to say.
    flood_delivered(&app, 20_000, 0);
    let board = app.page(&session, "/console/board").await;
    assert!(!board.body.contains(notice), "{}", board.body);

    app.clock.advance(std::time::Duration::from_secs(5 * 60));
    for path in ["/console/board", "/console/incidents", "/console/backlog"] {
        let page = app.page(&session, path).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains(notice), "{path}: {}", page.body);
        assert!(
            page.body
                .contains(" message(s) en attente de lecture, le plus ancien depuis 5 min."),
            "{path}: {}",
            page.body
        );
    }

    // Once all is read (marked here rather than waited for), the notice goes.
    app.execute("UPDATE inbound_messages SET state = 'done' WHERE state = 'new'");
    let page = app.page(&session, "/console/backlog").await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains(notice), "{}", page.body);
}
