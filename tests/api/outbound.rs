//! The outbound queue against provider doubles: real HTTP both ways.

use std::time::Duration;

use crate::doubles::{Double, Kind, Step};
use crate::helpers::{ADMIN, PUBLIC_URL, TestApp, spawn_gateway};

pub(crate) const WAIT: Duration = Duration::from_secs(20);

/// One channel of `kind` named `id`, with credentials, sending to `base_url`.
pub(crate) fn channel(id: &str, kind: Kind, base_url: &str) -> String {
    let (kind, creds) = match kind {
        Kind::AfricasTalking => (
            "africastalking",
            "username = \"vigie\"\napi_key = \"at-key\"\nsender = \"21512\"",
        ),
        Kind::Twilio => (
            "twilio",
            "account_sid = \"AC123\"\nauth_token = \"12345\"\nsender = \"+15005550006\"",
        ),
        Kind::Infobip => ("infobip", "api_key = \"ib-key\"\nsender = \"Vigie\""),
        Kind::Vonage => (
            "vonage",
            "api_key = \"vn-key\"\napi_secret = \"vn-secret\"\nsender = \"+22370000001\"",
        ),
        Kind::Orange => (
            "orange",
            "client_id = \"or-id\"\nclient_secret = \"or-secret\"\nsender = \"+22370000002\"",
        ),
        Kind::Kannel => ("kannel", "username = \"kn-user\"\npassword = \"kn-pass\""),
    };
    format!(
        "[[channels]]\nid = \"{id}\"\nkind = \"{kind}\"\nsecret = \"s3cret\"\nbase_url = \"{base_url}\"\n\
         send_per_second = 0\n{creds}\n"
    )
}

/// The gateway with `channels` and `[outbound]` settings; three attempts one second apart.
pub(crate) async fn gateway(outbound: &str, channels: &str) -> TestApp {
    gateway_in(tempfile::tempdir().unwrap(), outbound, channels).await
}

/// The same, on the database in `dir` (a restart).
pub(crate) async fn gateway_in(dir: tempfile::TempDir, outbound: &str, channels: &str) -> TestApp {
    gateway_retrying(dir, outbound, "", channels).await
}

/// The same, with `[outbound.retry]` settings (`key = value` lines) over the defaults above.
pub(crate) async fn gateway_retrying(
    dir: tempfile::TempDir,
    outbound: &str,
    retry: &str,
    channels: &str,
) -> TestApp {
    let rest = format!(
        "[inbound]\nconcat_timeout_secs = 2\n[outbound]\n{outbound}\n[outbound.retry]\n{}\n\
         [[channels]]\nid = \"sim\"\nkind = \"sim\"\n{channels}",
        retry_settings(retry)
    );
    spawn_gateway(&rest, dir).await
}

/// Three attempts one second apart, without jitter, with `overrides` replacing what they name.
fn retry_settings(overrides: &str) -> String {
    let mut settings = vec![
        ("base_secs", "1"),
        ("max_delay_secs", "2"),
        ("max_attempts", "3"),
        ("jitter", "0.0"),
    ];
    for (key, value) in overrides.lines().filter_map(|l| l.split_once('=')) {
        let (key, value) = (key.trim(), value.trim());
        settings.retain(|(k, _)| *k != key);
        settings.push((key, value));
    }
    let lines: Vec<String> = settings.iter().map(|(k, v)| format!("{k} = {v}")).collect();
    lines.join("\n")
}

/// A route per prefix: `+2237N` numbers to channel `id`.
pub(crate) fn route(prefix: &str, id: &str, fallbacks: &str) -> String {
    format!(
        "[[outbound.routes]]\nprefix = \"{prefix}\"\nchannel = \"{id}\"\nfallbacks = [{fallbacks}]\n"
    )
}

#[tokio::test]
async fn every_kind_sends_the_documented_request() {
    let kinds = [
        ("at", Kind::AfricasTalking, "+22370"),
        ("tw", Kind::Twilio, "+22371"),
        ("ib", Kind::Infobip, "+22372"),
        ("vn", Kind::Vonage, "+22373"),
        ("or", Kind::Orange, "+22374"),
        ("kn", Kind::Kannel, "+22375"),
    ];
    let mut doubles = Vec::new();
    let (mut routes, mut channels) = (String::new(), String::new());
    for (id, kind, prefix) in kinds {
        let double = Double::start(kind).await;
        routes.push_str(&route(prefix, id, ""));
        channels.push_str(&channel(id, kind, &double.base_url()));
        doubles.push(double);
    }
    let app = gateway(&routes, &channels).await;
    let mut ids = Vec::new();
    for (_, _, prefix) in kinds {
        ids.push(
            app.queue_sms(
                &format!("{prefix}123456"),
                "Alerte: hôpital touché à Sévaré",
            )
            .await,
        );
    }
    let sim_id = app.queue_sms("+22676123456", "Reçu 1042").await;

    let expected_ids = ["ATXid_1", "SM1", "ib-1", "vn-1", "or-1"];
    for (i, double) in doubles.iter().enumerate() {
        let request = double.wait_for(1, WAIT).await.remove(0);
        let (to, id) = (format!("{}123456", kinds[i].2), ids[i]);
        check_request(kinds[i].1, &request, &to, id);
        let message = app.wait_status(id, "sent", WAIT).await;
        assert_eq!(
            message["provider_message_id"].as_str(),
            expected_ids.get(i).copied(),
            "{}",
            kinds[i].0
        );
        assert_eq!(
            message["text"], "Alerte: hopital touché à Sévaré",
            "ô folded; é and à are GSM-7"
        );
        assert_eq!(
            (message["encoding"].as_str(), message["attempts"].as_i64()),
            (Some("gsm7"), Some(1))
        );
    }
    app.wait_status(sim_id, "delivered", WAIT).await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(r#"vigie_sends_total{channel="tw",outcome="sent",code=""} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"vigie_channel_up{channel="or"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains("vigie_send_duration_seconds_count{channel=\"kn\"} 1"),
        "{metrics}"
    );
    // The depth gauge is refreshed by the periodic upkeep (every second here).
    let depth = r#"vigie_outbound_queue_depth{channel="at",status="queued"} 0"#;
    let deadline = tokio::time::Instant::now() + WAIT;
    while !app
        .get("/metrics")
        .await
        .text()
        .await
        .unwrap()
        .contains(depth)
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no queue depth gauge"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What each provider's documentation asks for, checked on the request the double got.
fn check_request(kind: Kind, r: &crate::doubles::Recorded, to: &str, id: i64) {
    let status_url = format!("{PUBLIC_URL}/webhooks/");
    let digits = to.trim_start_matches('+');
    match kind {
        Kind::AfricasTalking => {
            assert_eq!(r.path, "/version1/messaging");
            assert_eq!(r.header("apikey"), Some("at-key"));
            assert_eq!(r.form_value("username").as_deref(), Some("vigie"));
            assert_eq!(r.form_value("to").as_deref(), Some(to));
            assert_eq!(r.form_value("from").as_deref(), Some("21512"));
        }
        Kind::Twilio => {
            assert_eq!(r.path, "/2010-04-01/Accounts/AC123/Messages.json");
            assert_eq!(r.basic_auth(), Some(("AC123".into(), "12345".into())));
            assert_eq!(r.form_value("To").as_deref(), Some(to));
            assert_eq!(r.form_value("From").as_deref(), Some("+15005550006"));
            let callback = r.form_value("StatusCallback").unwrap();
            assert_eq!(
                callback,
                format!("{status_url}tw/status?token=s3cret&ref={id}")
            );
        }
        Kind::Infobip => {
            assert_eq!(r.path, "/sms/3/messages");
            assert_eq!(r.header("authorization"), Some("App ib-key"));
            let message = &r.json()["messages"][0];
            assert_eq!(message["destinations"][0]["to"], digits);
            assert_eq!(message["sender"], "Vigie");
            assert_eq!(message["webhooks"]["callbackData"], id.to_string());
            assert_eq!(
                message["webhooks"]["delivery"]["url"],
                format!("{status_url}ib/status?token=s3cret")
            );
        }
        Kind::Vonage => {
            assert_eq!(r.path, "/sms/json");
            assert_eq!(r.form_value("api_key").as_deref(), Some("vn-key"));
            assert_eq!(r.form_value("api_secret").as_deref(), Some("vn-secret"));
            assert_eq!(r.form_value("to").as_deref(), Some(digits));
            assert_eq!(r.form_value("type").as_deref(), Some("text"));
            assert_eq!(r.form_value("client-ref"), Some(id.to_string()));
            assert_eq!(r.form_value("status-report-req").as_deref(), Some("1"));
        }
        Kind::Orange => {
            assert_eq!(
                r.path,
                "/smsmessaging/v1/outbound/tel%3A%2B22370000002/requests"
            );
            assert_eq!(r.header("authorization"), Some("Bearer tok-1"));
            let request = &r.json()["outboundSMSMessageRequest"];
            assert_eq!(request["address"], format!("tel:{to}"));
            assert_eq!(request["senderAddress"], "tel:+22370000002");
            assert_eq!(request["clientCorrelator"], id.to_string());
            assert_eq!(request["receiptRequest"]["callbackData"], id.to_string());
        }
        Kind::Kannel => {
            assert_eq!(
                (r.method.as_str(), r.path.as_str()),
                ("GET", "/cgi-bin/sendsms")
            );
            assert_eq!(r.form_value("username").as_deref(), Some("kn-user"));
            assert_eq!(r.form_value("password").as_deref(), Some("kn-pass"));
            assert_eq!(r.form_value("to").as_deref(), Some(to));
            let dlr = r.form_value("dlr-url").unwrap();
            assert_eq!(
                dlr,
                format!("{status_url}kn/status?token=s3cret&id={id}&status=%d&fid=%F&reply=%A")
            );
        }
    }
}

#[tokio::test]
async fn transient_failures_are_retried_with_backoff_and_retry_after() {
    let double = Double::start(Kind::Twilio).await;
    double.script([Step::Fail(503), Step::Throttle(3), Step::Ok]);
    let channels = channel("tw", Kind::Twilio, &double.base_url());
    // Backoff 10 s, then 20 s; the provider asks for 3 s instead. Time is moved, not waited.
    let retry = "base_secs = 10\nmax_delay_secs = 60";
    let dir = tempfile::tempdir().unwrap();
    let app = gateway_retrying(dir, &route("+223", "tw", ""), retry, &channels).await;
    let id = app.queue_sms("+22376123456", "Alerte").await;
    assert_eq!(
        retry_scheduled_after(&app, id, 1).await,
        10_000,
        "backoff base"
    );
    app.clock.advance(Duration::from_secs(10));
    assert_eq!(
        retry_scheduled_after(&app, id, 2).await,
        3_000,
        "Retry-After 3 honoured over the 20 s backoff"
    );
    let message = app.wait_status(id, "sent", WAIT).await;
    assert_eq!(message["attempts"], 3);
    assert_eq!(double.requests().len(), 3);
}

/// Waits until message `id` failed its attempt number `attempt` and is queued again; how
/// long after that failure the next attempt is scheduled, in ms, as stored.
async fn retry_scheduled_after(app: &TestApp, id: i64, attempt: i64) -> i64 {
    let rows =
        format!("outbound_messages WHERE id = {id} AND attempts = {attempt} AND status = 'queued'");
    app.wait_for_rows(&rows).await;
    app.one(&format!("SELECT next_attempt_at - updated_at FROM {rows}"))
}

#[tokio::test]
async fn attempts_run_out_and_the_message_fails_with_the_last_reason() {
    // Three 500s in a row: retried, never enough to mark the channel down.
    let double = Double::start(Kind::Infobip).await;
    double.script([Step::Fail(500), Step::Fail(500), Step::Fail(500)]);
    let channels = channel("ib", Kind::Infobip, &double.base_url());
    let outbound = format!("down_after_failures = 10\n{}", route("+223", "ib", ""));
    let app = gateway(&outbound, &channels).await;
    let id = app.queue_sms("+22376123456", "Alerte").await;
    let message = app.wait_status(id, "failed", Duration::from_secs(60)).await;
    assert_eq!(double.requests().len(), 3);
    assert_eq!(message["attempts"], 3);
    let error = message["last_error"].as_str().unwrap();
    assert!(error.contains("gave up after 3 attempts"), "{error}");
}

#[tokio::test]
async fn a_rejected_number_fails_at_once() {
    let double = Double::start(Kind::AfricasTalking).await;
    double.script([Step::RejectNumber]);
    let channels = channel("at", Kind::AfricasTalking, &double.base_url());
    let app = gateway(&route("+223", "at", "\"sim\""), &channels).await;
    let id = app.queue_sms("+22376123456", "Alerte").await;
    let message = app.wait_status(id, "failed", WAIT).await;
    assert_eq!(
        (message["attempts"].as_i64(), message["channel"].as_str()),
        (Some(1), Some("at"))
    );
    assert_eq!(message["error_code"], "403");
    assert_eq!(message["last_error"], "InvalidPhoneNumber");
    assert_eq!(
        double.requests().len(),
        1,
        "no retry, no fallback: the number is the problem"
    );
    for (filter, expected) in [("failed", 1), ("sent", 0)] {
        let url = app.url(&format!("/api/messages?direction=out&status={filter}"));
        let response = app.client.get(url).bearer_auth(ADMIN).send().await.unwrap();
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(
            body["messages"].as_array().unwrap().len(),
            expected,
            "{filter}"
        );
    }
    let url = app.url("/api/messages?direction=out&status=lost");
    let response = app.client.get(url).bearer_auth(ADMIN).send().await.unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn a_channel_fault_moves_the_message_to_the_next_channel() {
    let orange = Double::start(Kind::Orange).await;
    let at = Double::start(Kind::AfricasTalking).await;
    orange.script([Step::ChannelFault]);
    let channels = channel("or", Kind::Orange, &orange.base_url())
        + &channel("at", Kind::AfricasTalking, &at.base_url());
    let app = gateway(&route("+22376", "or", "\"at\""), &channels).await;
    let id = app.queue_sms("+22376123456", "Alerte").await;
    let message = app.wait_status(id, "sent", WAIT).await;
    assert_eq!(
        (message["channel"].as_str(), message["attempts"].as_i64()),
        (Some("at"), Some(2))
    );
    assert_eq!(orange.requests().len(), 1);
    assert_eq!(at.requests().len(), 1);
}

#[tokio::test]
async fn orange_fetches_a_new_token_after_a_401() {
    let orange = Double::start(Kind::Orange).await;
    let channels = channel("or", Kind::Orange, &orange.base_url());
    let app = gateway(&route("+223", "or", ""), &channels).await;
    let first = app.queue_sms("+22376123456", "Alerte 1").await;
    app.wait_status(first, "sent", WAIT).await;
    orange.revoke_tokens();
    let second = app.queue_sms("+22376123456", "Alerte 2").await;
    let message = app.wait_status(second, "sent", WAIT).await;
    assert_eq!(
        message["attempts"], 1,
        "the refresh is part of the same attempt"
    );
    let tokens = orange.token_requests();
    assert_eq!(tokens.len(), 2);
    assert_eq!(
        tokens[0].basic_auth(),
        Some(("or-id".into(), "or-secret".into()))
    );
    let bearer: Vec<_> = orange
        .requests()
        .iter()
        .map(|r| r.header("authorization").map(str::to_owned))
        .collect();
    assert_eq!(
        bearer,
        [
            Some("Bearer tok-1".into()),
            Some("Bearer tok-1".into()),
            Some("Bearer tok-2".into())
        ]
    );
}
