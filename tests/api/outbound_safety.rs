//! The outbound queue when things go wrong: early reports, shutdowns, crashes, rate limits,
//! a provider that goes away and comes back.

use std::time::Duration;

use crate::doubles::{Double, Kind, Step};
use crate::helpers::{ADMIN, PUBLIC_URL};
use crate::outbound::{WAIT, channel, gateway, gateway_in, gateway_retrying, route};
use crate::process::start_process;

#[tokio::test]
async fn a_delivery_report_before_the_send_answer_is_applied_when_the_id_is_known() {
    let double = Double::start(Kind::Twilio).await;
    double.script([Step::Delay(Duration::from_secs(2))]);
    let app = gateway(
        &route("+223", "tw", ""),
        &channel("tw", Kind::Twilio, &double.base_url()),
    )
    .await;
    let id = app.queue_sms("+22376123456", "Alerte").await;
    double.wait_for(1, WAIT).await;
    // Twilio may call back before its API call has answered us.
    let path = format!("/webhooks/tw/status?token=s3cret&ref={id}");
    let report = "MessageSid=SM1&MessageStatus=delivered&AccountSid=AC123";
    assert_eq!(app.post_twilio(&path, report).await.status(), 200);
    assert_eq!(app.outbound(id).await["status"], "sending");
    assert_eq!(
        app.one::<i64>("SELECT applied FROM delivery_reports"),
        0,
        "kept for later"
    );

    let message = app.wait_status(id, "delivered", WAIT).await;
    assert_eq!(message["provider_message_id"], "SM1");
    assert_eq!(message["provider_status"], "delivered");
    assert_eq!(app.one::<i64>("SELECT applied FROM delivery_reports"), 1);

    // A report after the answer applies at once; a later `sent` never undoes `delivered`.
    let second = app.queue_sms("+22376123456", "Alerte 2").await;
    app.wait_status(second, "sent", WAIT).await;
    let path = format!("/webhooks/tw/status?token=s3cret&ref={second}");
    for status in ["delivered", "sent"] {
        let report = format!("MessageSid=SM2&MessageStatus={status}&AccountSid=AC123");
        assert_eq!(app.post_twilio(&path, &report).await.status(), 200);
    }
    app.wait_status(second, "delivered", WAIT).await;
}

#[tokio::test]
async fn an_outcome_the_database_refuses_for_a_while_is_recorded_once_it_takes_it() {
    let double = Double::start(Kind::Twilio).await;
    let app = gateway(
        &route("+223", "tw", ""),
        &channel("tw", Kind::Twilio, &double.base_url()),
    )
    .await;
    // Message 1's outcome, longer than the recorder's tries at one batch (about 12 s).
    app.database.fault(
        "hold_outcomes",
        "UPDATE OF status ON outbound_messages",
        "NEW.status = 'sent' AND NEW.id = 1",
        "outcomes held",
    );
    let id = app.queue_sms("+22376123456", "Alerte").await;
    double.wait_for(1, WAIT).await;
    tokio::time::sleep(Duration::from_secs(16)).await;
    assert_eq!(app.outbound(id).await["status"], "sending");
    // The outcome kept holds up no other.
    let next = app.queue_sms("+22376123456", "Alerte 2").await;
    app.wait_status(next, "sent", WAIT).await;
    assert_eq!(app.outbound(id).await["status"], "sending");

    let taken_again = chrono::Utc::now();
    app.database.mend("hold_outcomes", "outbound_messages");
    let message = app.wait_status(id, "sent", WAIT).await;
    assert!(message["provider_message_id"].is_string(), "{message}");
    let sent_at = message["sent_at"].as_str().unwrap();
    let sent_at = chrono::DateTime::parse_from_rfc3339(sent_at).unwrap();
    assert!(
        sent_at < taken_again,
        "dated when the provider answered: {message}"
    );
    assert_eq!(double.requests().len(), 2, "each sent once");
}

#[tokio::test]
async fn shutdown_releases_sends_that_do_not_finish_and_a_restart_sends_them() {
    let double = Double::start(Kind::Kannel).await;
    double.script([Step::Hang, Step::Hang, Step::Hang]);
    let (outbound, channels) = (
        route("+223", "kn", ""),
        channel("kn", Kind::Kannel, &double.base_url()),
    );
    let app = gateway(&outbound, &channels).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(app.queue_sms("+22376123456", &format!("Alerte {i}")).await);
    }
    double.wait_for(3, WAIT).await;
    let dir = app.stop().await;

    let database = crate::database::Database::for_dir(dir.path());
    let left: Vec<(String, i64)> = database.with(|db| {
        let sql = "SELECT status, attempts FROM outbound_messages ORDER BY id";
        db.query_map(sql, &[], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
    });
    assert_eq!(
        left,
        vec![("queued".to_owned(), 1); 3],
        "released; the attempt counts, as it may have reached the provider"
    );

    let app = gateway_in(dir, &outbound, &channels).await;
    for id in ids {
        app.wait_status(id, "sent", WAIT).await;
    }
    assert_eq!(app.count("outbound_messages WHERE status = 'sending'"), 0);
}

#[tokio::test]
async fn a_crash_in_the_middle_of_sending_loses_nothing_and_leaves_nothing_claimed() {
    let double = Double::start(Kind::Twilio).await;
    double.script(vec![Step::Delay(Duration::from_secs(30)); 5]);
    let dir = tempfile::tempdir().unwrap();
    let (config, db) = (dir.path().join("vigie.toml"), dir.path().join("vigie.db"));
    let text = format!(
        "admin_token = \"{ADMIN}\"\n[server]\nlisten = \"127.0.0.1:0\"\npublic_url = \"{PUBLIC_URL}\"\n\
         [storage]\npath = {db:?}\n[outbound]\n{}{}",
        route("+223", "tw", ""),
        channel("tw", Kind::Twilio, &double.base_url()),
    );
    std::fs::write(&config, text).unwrap();
    let (mut child, addr) = start_process(&config).await;
    let client = reqwest::Client::new();
    let mut ids = Vec::new();
    for i in 0..5 {
        let response = client
            .post(format!("http://{addr}/api/messages"))
            .bearer_auth(ADMIN)
            .json(&serde_json::json!({ "to": "+22376123456", "text": format!("Alerte {i}") }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202);
        let body: serde_json::Value = response.json().await.unwrap();
        ids.push(body["messages"][0]["id"].as_i64().unwrap());
    }
    double.wait_for(5, WAIT).await;
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let count = |sql: &str| -> i64 {
        let db = rusqlite::Connection::open(&db).unwrap();
        db.query_row(sql, [], |r| r.get(0)).unwrap()
    };
    assert_eq!(
        count("SELECT count(*) FROM outbound_messages WHERE status = 'sending'"),
        5
    );

    let (_child, _) = start_process(&config).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while count("SELECT count(*) FROM outbound_messages WHERE status = 'sent'") < 5 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not every message was sent again"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        count("SELECT count(*) FROM outbound_messages WHERE status != 'sent'"),
        0
    );
    // At least once: each message went out again, carrying its id for recognition.
    let refs: Vec<String> = double.requests()[5..]
        .iter()
        .filter_map(|r| r.form_value("StatusCallback"))
        .collect();
    for id in ids {
        assert!(
            refs.iter().any(|r| r.ends_with(&format!("ref={id}"))),
            "message {id} resent: {refs:?}"
        );
    }
}

#[tokio::test]
async fn a_channel_never_exceeds_its_burst_plus_its_rate() {
    let (rate, burst, total) = (5.0, 2.0, 16);
    let double = Double::start(Kind::AfricasTalking).await;
    let channels = channel("at", Kind::AfricasTalking, &double.base_url())
        .replace("send_per_second = 0", "send_per_second = 5\nsend_burst = 2");
    let app = gateway(&route("+223", "at", ""), &channels).await;
    for i in 0..total {
        app.queue_sms("+22376123456", &format!("Alerte {i}")).await;
    }
    let requests = double.wait_for(total, Duration::from_secs(30)).await;
    // Counted per window from the first request; one of slack for arrival jitter. A slow
    // machine only lowers the counts.
    let first = requests[0].at;
    for (k, request) in requests.iter().enumerate() {
        let window = (request.at - first).as_secs_f64();
        let allowed = burst + rate * window + 1.0;
        assert!(
            ((k + 1) as f64) <= allowed,
            "{} requests within {window:.2} s, allowed {allowed:.1}",
            k + 1
        );
    }
}

#[tokio::test]
async fn a_channel_that_stops_answering_is_marked_down_then_up_after_a_probe() {
    // A port that refuses connections: bound, then let go.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = free.local_addr().unwrap();
    drop(free);
    let base = format!("http://{addr}/cgi-bin/sendsms");
    let outbound = format!(
        "down_after_failures = 2\nprobe_every_secs = 1\n{}{}",
        route("+22375", "kn", ""),
        route("+223", "kn", "\"sim\""),
    );
    let app = gateway(&outbound, &channel("kn", Kind::Kannel, &base)).await;
    let moved = app.queue_sms("+22376123456", "Alerte").await;
    let message = app.wait_status(moved, "delivered", WAIT).await;
    assert_eq!(
        (message["channel"].as_str(), message["attempts"].as_i64()),
        (Some("sim"), Some(3))
    );
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(r#"vigie_channel_up{channel="kn"} 0"#),
        "{metrics}"
    );

    // Kannel comes back; a message with no fallback waits for the probe, which finds it up.
    let kannel = Double::start_at(Kind::Kannel, &addr.to_string()).await;
    let waiting = app.queue_sms("+22375123456", "Alerte").await;
    app.wait_status(waiting, "sent", WAIT).await;
    assert_eq!(kannel.requests().len(), 1);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(r#"vigie_channel_up{channel="kn"} 1"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_report_for_an_attempt_we_thought_lost_stops_its_retry() {
    let double = Double::start(Kind::Twilio).await;
    double.script([Step::Hang]);
    let outbound = format!("send_timeout_secs = 2\n{}", route("+223", "tw", ""));
    let channels = channel("tw", Kind::Twilio, &double.base_url());
    let retry = "base_secs = 60\nmax_delay_secs = 60";
    let dir = tempfile::tempdir().unwrap();
    let app = gateway_retrying(dir, &outbound, retry, &channels).await;
    let id = app.queue_sms("+22376123456", "Alerte").await;
    // Twilio took it, but its answer never comes: the attempt times out and is given up
    // for lost, the message queued again for a minute later.
    app.wait_for_rows(&format!(
        "outbound_messages WHERE id = {id} AND attempts = 1 AND status = 'queued'"
    ))
    .await;
    let message = app.outbound(id).await;
    assert!(
        message["last_error"]
            .as_str()
            .unwrap()
            .contains("timed out"),
        "{message}"
    );
    let path = format!("/webhooks/tw/status?token=s3cret&ref={id}");
    let report = "MessageSid=SM1&MessageStatus=delivered&AccountSid=AC123";
    assert_eq!(app.post_twilio(&path, report).await.status(), 200);
    let message = app.wait_status(id, "delivered", WAIT).await;
    assert_eq!(message["provider_message_id"], "SM1");
    // Past the retry time, the sender sends what is due: a later message, not this one.
    app.clock.advance(Duration::from_secs(61));
    let later = app.queue_sms("+22376123456", "Plus tard").await;
    app.wait_status(later, "sent", WAIT).await;
    let bodies: Vec<_> = double
        .requests()
        .iter()
        .map(|r| r.form_value("Body"))
        .collect();
    assert_eq!(bodies, [Some("Alerte".into()), Some("Plus tard".into())]);
    assert_eq!(app.outbound(id).await["status"], "delivered");
}

#[tokio::test]
async fn messages_not_sent_within_the_maximum_age_expire() {
    let double = Double::start(Kind::AfricasTalking).await;
    let channels = channel("at", Kind::AfricasTalking, &double.base_url())
        .replace("send_per_second = 0", "send_per_second = 1\nsend_burst = 1");
    let dir = tempfile::tempdir().unwrap();
    let app = gateway_retrying(dir, &route("+223", "at", ""), "max_age_secs = 2", &channels).await;
    let mut ids = Vec::new();
    for i in 0..10 {
        ids.push(app.queue_sms("+22376123456", &format!("Alerte {i}")).await);
    }
    // At one a second the last cannot go before 9 s; it expires at about 3.
    let last = app.wait_status(ids[9], "expired", WAIT).await;
    let error = last["last_error"].as_str().unwrap();
    assert!(error.contains("not sent within the maximum age"), "{error}");
    let deadline = tokio::time::Instant::now() + WAIT;
    while app.count("outbound_messages WHERE status IN ('queued', 'sending')") > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "messages still waiting"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let sent = app.count("outbound_messages WHERE status = 'sent'");
    assert_eq!(
        sent as usize,
        double.requests().len(),
        "expired messages were never sent"
    );
    assert!(sent < 10);
}

#[tokio::test]
async fn a_send_error_never_carries_the_channels_credentials() {
    // Kannel takes its username and password in the URL, which transport errors quote.
    // Port 1 (tcpmux) is served by nothing here: the connection is refused.
    let refused = "http://127.0.0.1:1/cgi-bin/sendsms";
    let hanging = Double::start(Kind::Kannel).await;
    hanging.script([Step::Hang]);
    let channels =
        channel("kr", Kind::Kannel, refused) + &channel("kh", Kind::Kannel, &hanging.base_url());
    let outbound = format!(
        "send_timeout_secs = 1\n{}{}",
        route("+22376", "kr", ""),
        route("+22377", "kh", "")
    );
    let dir = tempfile::tempdir().unwrap();
    let app = gateway_retrying(dir, &outbound, "max_attempts = 1", &channels).await;
    for (to, cause) in [
        ("+22376123456", "cannot connect"),
        ("+22377123456", "timed out"),
    ] {
        let id = app.queue_sms(to, "Alerte").await;
        let message = app.wait_status(id, "failed", WAIT).await;
        let error = message["last_error"].as_str().unwrap();
        assert!(error.starts_with(cause), "{error}");
        assert!(
            !error.contains("kn-pass") && !error.contains("kn-user"),
            "{error}"
        );
    }
}

#[tokio::test]
async fn replies_waiting_for_a_channel_that_goes_down_move_on_to_its_fallback() {
    // Kannel refuses connections; it sends one message a second, so the replies it was
    // handed as they were queued wait for it, until two failures mark it down.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/cgi-bin/sendsms", free.local_addr().unwrap());
    drop(free);
    let outbound = format!(
        "down_after_failures = 2\nprobe_every_secs = 600\n{}",
        route("+223", "kn", "\"sim\""),
    );
    let kannel =
        channel("kn", Kind::Kannel, &base).replace("send_per_second = 0", "send_per_second = 1");
    let app = gateway(&outbound, &kannel).await;
    for n in 0..6 {
        let body = format!("from=7612345{n}&text=ATT+Koro");
        assert_eq!(
            app.post_form("/webhooks/sim/sms", &body).await.status(),
            200
        );
    }
    let deadline = tokio::time::Instant::now() + WAIT;
    let delivered = "SELECT count(*) FROM outbound_messages WHERE purpose = 'reply'
                     AND status = 'delivered' AND channel = 'sim'";
    while app.one::<i64>(delivered) < 6 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "replies left behind: {:?}",
            app.column("SELECT status || ' ' || channel FROM outbound_messages")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
