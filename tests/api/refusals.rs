//! Bad credentials, bad signatures and malformed bodies are refused and store nothing.

use crate::helpers::{TestApp, spawn_app};

async fn refused(app: &TestApp, response: reqwest::Response, status: u16, needle: &str) {
    assert_eq!(response.status(), status);
    let body = response.text().await.unwrap();
    assert!(body.contains(needle), "{body:?} should mention {needle:?}");
    assert_eq!(
        app.count("inbound_messages") + app.count("delivery_reports") + app.count("inbound_parts"),
        0
    );
}

/// A well-formed inbound body for each token-protected channel.
fn valid_inbound(channel: &str) -> (&'static str, &'static str) {
    match channel {
        "at" => ("form", "id=1&from=%2B22376123456&to=21512&text=RAS"),
        "ib" => (
            "json",
            r#"{"results":[{"messageId":"1","from":"22376123456","text":"RAS"}]}"#,
        ),
        "vn" => (
            "form",
            "messageId=1&msisdn=22376123456&to=22370000000&text=RAS&type=text",
        ),
        "or" => (
            "json",
            r#"{"inboundSMSMessageNotification":{"inboundSMSMessage":{"senderAddress":"tel:+22376123456","message":"RAS"}}}"#,
        ),
        "kn" => ("form", "id=1&sender=%2B22376123456&message=RAS"),
        other => unreachable!("{other}"),
    }
}

async fn post(app: &TestApp, path: &str, (format, body): (&str, &str)) -> reqwest::Response {
    if format == "json" {
        app.post_json(path, body).await
    } else {
        app.post_form(path, body).await
    }
}

#[tokio::test]
async fn a_missing_token_is_401_and_a_wrong_one_403_on_every_channel() {
    let app = spawn_app().await;
    for channel in ["at", "ib", "vn", "or", "kn"] {
        let missing = post(
            &app,
            &format!("/webhooks/{channel}/sms"),
            valid_inbound(channel),
        )
        .await;
        refused(&app, missing, 401, "missing channel secret").await;
        let wrong = post(
            &app,
            &format!("/webhooks/{channel}/sms?token=nope"),
            valid_inbound(channel),
        )
        .await;
        refused(&app, wrong, 403, "wrong channel secret").await;
        let status = app
            .post_form(
                &format!("/webhooks/{channel}/status?token=nope"),
                "id=1&status=1",
            )
            .await;
        refused(&app, status, 403, "wrong channel secret").await;
    }
}

#[tokio::test]
async fn the_secret_may_come_as_the_basic_auth_password() {
    let app = spawn_app().await;
    let (_, body) = valid_inbound("at");
    let send = |password: &'static str| {
        app.client
            .post(app.url("/webhooks/at/sms"))
            .basic_auth("africastalking", Some(password))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    assert_eq!(send("nope").await.unwrap().status(), 403);
    assert_eq!(send("s3cret").await.unwrap().status(), 200);
    assert_eq!(app.count("inbound_messages"), 1);
}

#[tokio::test]
async fn twilio_requests_need_a_valid_signature() {
    let app = spawn_app().await;
    let body = "MessageSid=SM1&AccountSid=AC1&From=%2B14133881111&To=%2B12028831111&Body=RAS";
    let unsigned = app.post_form("/webhooks/tw/sms?token=s3cret", body).await;
    refused(&app, unsigned, 401, "missing X-Twilio-Signature signature").await;
    let forged = app
        .client
        .post(app.url("/webhooks/tw/sms?token=s3cret"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("X-Twilio-Signature", "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
        .body(body)
        .send()
        .await
        .unwrap();
    refused(&app, forged, 403, "invalid X-Twilio-Signature signature").await;
    // Signed for another URL (the query string is part of what Twilio signs).
    let sig = crate::helpers::twilio_signature("https://gateway.example.org/webhooks/tw/sms", body);
    let moved = app
        .client
        .post(app.url("/webhooks/tw/sms?token=s3cret"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("X-Twilio-Signature", sig)
        .body(body)
        .send()
        .await
        .unwrap();
    refused(&app, moved, 403, "invalid X-Twilio-Signature signature").await;
    assert_eq!(
        app.post_twilio("/webhooks/tw/sms?token=s3cret", body)
            .await
            .status(),
        200
    );
    // Signed with the scheme's default port in the URL, as Twilio may: its own validator
    // accepts it, and so do we.
    let body = body.replace("SM1", "SM2");
    let url = "https://gateway.example.org:443/webhooks/tw/sms?token=s3cret";
    let with_port = app
        .client
        .post(app.url("/webhooks/tw/sms?token=s3cret"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header(
            "X-Twilio-Signature",
            crate::helpers::twilio_signature(url, &body),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(with_port.status(), 200);
    assert_eq!(app.count("inbound_messages"), 2);
}

#[tokio::test]
async fn signed_vonage_channels_check_the_signature() {
    let app = spawn_app().await;
    let params =
        "messageId=V1&msisdn=22376123456&to=22370000000&text=RAS&type=text&timestamp=1461605396";
    let unsigned = app
        .get(&format!("/webhooks/vs/sms?token=s3cret&{params}"))
        .await;
    refused(&app, unsigned, 401, "missing Vonage signature").await;
    let forged = app
        .get(&format!(
            "/webhooks/vs/sms?token=s3cret&{params}&sig=00112233445566778899aabbccddeeff"
        ))
        .await;
    refused(&app, forged, 403, "invalid Vonage signature").await;
    let sig = vonage_md5(params, "sigsecret");
    let signed = app
        .get(&format!("/webhooks/vs/sms?token=s3cret&{params}&sig={sig}"))
        .await;
    assert_eq!(signed.status(), 200);
    assert_eq!(app.count("inbound_messages"), 1);
}

fn vonage_md5(params: &str, secret: &str) -> String {
    use md5::{Digest, Md5};
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(params.as_bytes())
        .into_owned()
        .collect();
    pairs.sort();
    let text: String = pairs.iter().map(|(k, v)| format!("&{k}={v}")).collect();
    let digest = Md5::new()
        .chain_update(text)
        .chain_update(secret)
        .finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn malformed_bodies_are_400_naming_the_field() {
    let app = spawn_app().await;
    let cases = [
        (
            "/webhooks/at/sms?token=s3cret",
            "form",
            "id=1&to=21512&text=x",
            "`from`",
        ),
        (
            "/webhooks/at/sms?token=s3cret",
            "form",
            "id=1&from=%2B22376123456&text=x&date=yesterday",
            "`date`",
        ),
        (
            "/webhooks/at/sms?token=s3cret",
            "form",
            "id=1&from=hello+world+again&text=x",
            "`from`",
        ),
        (
            "/webhooks/ib/sms?token=s3cret",
            "json",
            "{not json",
            "not valid JSON",
        ),
        (
            "/webhooks/ib/sms?token=s3cret",
            "json",
            r#"{"messageCount":1}"#,
            "`results`",
        ),
        (
            "/webhooks/ib/sms?token=s3cret",
            "json",
            r#"{"results":[{"messageId":"1","from":"22376123456"}]}"#,
            "results[0].text",
        ),
        (
            "/webhooks/vn/sms?token=s3cret",
            "form",
            "messageId=1&to=22370000000&text=x",
            "`msisdn`",
        ),
        (
            "/webhooks/vn/sms?token=s3cret",
            "form",
            "messageId=1&msisdn=22376123456&to=1&text=x&concat=true&concat-ref=1&concat-total=2&concat-part=3",
            "`concat-part`",
        ),
        (
            "/webhooks/or/sms?token=s3cret",
            "json",
            r#"{"inboundSMSMessageNotification":{"inboundSMSMessage":{"message":"x"}}}"#,
            "senderAddress",
        ),
        (
            "/webhooks/kn/sms?token=s3cret",
            "form",
            "id=1&message=x",
            "`sender`",
        ),
        ("/webhooks/sim/sms", "form", "text=x", "`from`"),
        (
            "/webhooks/sim/status",
            "form",
            "id=1&status=lost",
            "`status`",
        ),
        (
            "/webhooks/at/status?token=s3cret",
            "form",
            "status=Success",
            "`id`",
        ),
    ];
    for (path, format, body, needle) in cases {
        let response = post(&app, path, (format, body)).await;
        refused(&app, response, 400, needle).await;
    }
    let twilio = app
        .post_twilio(
            "/webhooks/tw/sms?token=s3cret",
            "From=%2B14133881111&Body=x",
        )
        .await;
    refused(&app, twilio, 400, "`MessageSid`").await;
}

#[tokio::test]
async fn oversized_bodies_unknown_channels_and_wrong_methods_are_refused() {
    let app = spawn_app().await;
    // One byte over: the server reads it all before refusing, so the client sees the 413
    // rather than a connection reset.
    let prefix = "from=76123456&text=";
    let huge = format!("{prefix}{}", "a".repeat(64 * 1024 + 1 - prefix.len()));
    assert_eq!(
        app.post_form("/webhooks/sim/sms", &huge).await.status(),
        413
    );
    let unknown = app.post_form("/webhooks/nope/sms", "from=1&text=x").await;
    refused(&app, unknown, 404, "no channel `nope`").await;
    let get = app
        .get("/webhooks/at/sms?token=s3cret&from=%2B22376123456&text=x")
        .await;
    refused(&app, get, 405, "POST only").await;
    let status = app
        .get("/webhooks/at/status?token=s3cret&id=ATXid_9&status=Success")
        .await;
    assert_eq!(status.status(), 200, "delivery reports may come by GET");
}
