//! What the queue sends first and how many at once: alerts before replies before
//! broadcasts, also when a channel the provider paused resumes; never more requests in
//! flight than the channel allows.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::doubles::{Double, Kind, Step};
use crate::outbound::{WAIT, channel, gateway, route};

/// The channel `id` of `kind` at `double`, with at most `n` requests in flight.
fn channel_in_flight(id: &str, kind: Kind, double: &Double, n: u32) -> String {
    channel(id, kind, &double.base_url()).replace(
        "send_per_second = 0",
        &format!("send_per_second = 0\nmax_in_flight = {n}"),
    )
}

#[tokio::test]
async fn a_paused_channel_resumes_with_the_alert_then_the_reply_then_the_broadcast() {
    let double = Double::start(Kind::AfricasTalking).await;
    // Long enough for the three messages below to be queued during it on a loaded machine.
    double.script([Step::Throttle(5)]);
    let channels = channel_in_flight("at", Kind::AfricasTalking, &double, 1);
    let app = gateway(&route("+223", "at", ""), &channels).await;
    let first = app.queue_for("+22376000000", "Avant", "system").await;
    // Throttled: the provider asks the channel to hold off for 5 s.
    app.wait_for_rows(&format!(
        "outbound_messages WHERE id = {first} AND attempts = 1 AND status = 'queued'"
    ))
    .await;
    // Queued least urgent first, during the pause. The sleep only gives a sender that
    // claims while paused the time to take the broadcast, which it would then send first.
    app.queue_for("+22376000001", "Diffusion", "broadcast")
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.queue_for("+22376000002", "Reponse", "reply").await;
    app.queue_for("+22376000003", "Alerte", "alert").await;

    let sent = double.wait_for(5, WAIT).await;
    let texts: Vec<String> = sent[1..]
        .iter()
        .map(|r| r.form_value("message").unwrap())
        .collect();
    let at = |text: &str| texts.iter().position(|t| t == text).unwrap();
    assert!(
        at("Alerte") < at("Reponse") && at("Reponse") < at("Diffusion"),
        "sent in this order after the pause: {texts:?}"
    );
}

#[tokio::test]
async fn a_batch_claimed_before_a_pause_goes_back_behind_an_alert() {
    let double = Double::start(Kind::AfricasTalking).await;
    double.script([Step::Throttle(5)]);
    let channels = channel_in_flight("at", Kind::AfricasTalking, &double, 1);
    let app = gateway(&route("+223", "at", ""), &channels).await;
    for phone in ["+22376000001", "+22376000002"] {
        let responder = json!({ "phone": phone, "roles": ["responder"], "zones": ["Koro"] });
        let (status, _) = app
            .api(Method::POST, "/api/contacts", Some(responder))
            .await;
        assert_eq!(status, 201);
    }
    // Both broadcast messages are queued in one transaction and claimed in one batch; the
    // first is throttled, and the second must not wait out the pause at the head of the line.
    let broadcast = json!({ "zone": "Koro", "text": "Diffusion", "roles": ["responder"] });
    let (status, body) = app
        .api(Method::POST, "/api/broadcasts", Some(broadcast))
        .await;
    assert_eq!(status, 201, "{body}");
    app.wait_for_rows("outbound_messages WHERE attempts = 1 AND status = 'queued'")
        .await;
    app.queue_for("+22376000003", "Alerte", "alert").await;

    let sent = double.wait_for(4, WAIT).await;
    let texts: Vec<String> = sent[1..]
        .iter()
        .map(|r| r.form_value("message").unwrap())
        .collect();
    assert_eq!(texts[0], "Alerte", "after the pause: {texts:?}");
}

#[tokio::test]
async fn no_more_requests_in_flight_than_the_channel_allows() {
    let double = Double::start(Kind::Infobip).await;
    double.script(vec![Step::Delay(Duration::from_millis(300)); 6]);
    let channels = channel_in_flight("ib", Kind::Infobip, &double, 2);
    let app = gateway(&route("+223", "ib", ""), &channels).await;
    let mut ids = Vec::new();
    for i in 0..6 {
        ids.push(
            app.queue_for(&format!("+2237600000{i}"), "Alerte", "alert")
                .await,
        );
    }
    for id in ids {
        app.wait_status(id, "sent", WAIT).await;
    }
    assert_eq!(double.most_in_flight(), 2, "two at once, never more");
}

#[tokio::test]
async fn a_reply_handed_to_a_sender_busy_with_broadcasts_goes_out_before_them() {
    let double = Double::start(Kind::AfricasTalking).await;
    // Two a second: the broadcasts below fill five seconds of sending.
    let channels = channel("at", Kind::AfricasTalking, &double.base_url())
        .replace("send_per_second = 0", "send_per_second = 2");
    let app = gateway(&route("+223", "at", ""), &channels).await;
    for n in 0..10 {
        app.queue_for(&format!("+223760001{n:02}"), "Diffusion", "broadcast")
            .await;
    }
    // A report: its receipt is queued claimed and handed to the busy sender.
    let body = "from=%2B22376000099&text=ATT+Koro";
    assert_eq!(app.post_form("/webhooks/sim/sms", body).await.status(), 200);
    let sent = double.wait_for(11, WAIT).await;
    let to: Vec<String> = sent
        .iter()
        .map(|r| r.form_value("to").unwrap_or_default())
        .collect();
    let at = to.iter().position(|t| t == "+22376000099");
    assert!(
        at.is_some_and(|at| at < 7),
        "the reply waited behind the broadcasts: {to:?}"
    );
    // A broadcast claimed with the reply and left out of its batch went back to the queue
    // untried: each went out on its first attempt.
    let deadline = tokio::time::Instant::now() + WAIT;
    let sent = "outbound_messages WHERE purpose = 'broadcast' AND status IN ('sent', 'delivered')";
    while app.count(sent) < 10 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "broadcasts not all sent"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let most = "SELECT max(attempts) FROM outbound_messages WHERE purpose = 'broadcast'";
    assert_eq!(
        app.one::<i64>(most),
        1,
        "an attempt counted that was never made"
    );
}
