//! Kannel as its own software behaves: `post-url` posts the SMS body as it came (UTF-16BE
//! once a handset switched to UCS-2), gets an empty answer it cannot turn into an SMS, and
//! reports delivery with the SMSC's id and answer.

use crate::helpers::{TestApp, spawn_app};

/// The query our README's `post-url` asks Kannel for (`%p %P %I %T`).
const QUERY: &str = "token=s3cret&sender=%2B22376123456&to=21512&id=kn-1&ts=1764756000";

impl TestApp {
    /// A `post-url` request as Kannel 1.4 sends it: the body raw, its coding in a header.
    async fn kannel_post(
        &self,
        query: &str,
        content_type: &str,
        coding: &str,
        body: Vec<u8>,
    ) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/webhooks/kn/sms?{query}")))
            .header("content-type", content_type)
            .header("user-agent", "Kannel/1.4.5")
            .header("x-kannel-from", "+22376123456")
            .header("x-kannel-to", "21512")
            .header("x-kannel-time", "2026-12-03 09:20:00")
            .header("x-kannel-smsc", "orange-ml")
            .header("x-kannel-coding", coding)
            .body(body)
            .send()
            .await
            .unwrap()
    }
}

impl TestApp {
    /// A message queued, then marked sent on the Kannel channel as if Kannel took it.
    async fn sent_on_kannel(&self, to: &str) -> i64 {
        let id = self.queue_sms(to, "x").await;
        self.execute(&format!(
            "UPDATE outbound_messages SET channel = 'kn', status = 'sent' WHERE id = {id}"
        ));
        id
    }
}

fn utf16be(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

#[tokio::test]
async fn a_ucs2_message_is_read_from_its_raw_bytes_and_answered_with_nothing() {
    let app = spawn_app().await;
    let body = utf16be("ATT Mɔpti 2 morts ɲɛ");
    let response = app
        .kannel_post(QUERY, "text/plain; charset=\"UTF-16BE\"", "2", body)
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/plain");
    assert_eq!(
        response.text().await.unwrap(),
        "",
        "nothing Kannel could send back"
    );
    assert_eq!(
        app.one::<String>("SELECT text FROM inbound_messages"),
        "ATT Mɔpti 2 morts ɲɛ"
    );
    app.wait_for_rows("reports WHERE category = 'ATT'").await;
}

#[tokio::test]
async fn seven_bit_text_and_the_body_in_the_query_are_read_too() {
    let app = spawn_app().await;
    let latin1 = b"ENL S\xe9var\xe9 2 enleves".to_vec();
    let response = app
        .kannel_post(QUERY, "text/plain; charset=ISO-8859-1", "0", latin1)
        .await;
    assert_eq!(response.status(), 200);
    // `%b` and `%c` in the URL instead: the body percent-encoded as its bytes.
    let query = "token=s3cret&sender=%2B22376123457&id=kn-2&ts=1764756000&coding=2\
                 &message=%00A%00T%00T%00+%00K%00o%00r%00o%02T";
    let response = app
        .client
        .get(app.url(&format!("/webhooks/kn/sms?{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        app.column("SELECT text FROM inbound_messages ORDER BY id"),
        [
            Some("ENL Sévaré 2 enleves".to_owned()),
            Some("ATT Koroɔ".to_owned())
        ]
    );
    let unknown = app
        .kannel_post(QUERY, "text/plain; charset=KOI8-R", "0", b"x".to_vec())
        .await;
    assert_eq!(unknown.status(), 400);
    let answer = unknown.text().await.unwrap();
    assert!(
        answer.contains("`charset`") && !answer.contains("KOI8"),
        "{answer}"
    );
    assert_eq!(app.count("inbound_messages"), 2);
}

#[tokio::test]
async fn a_delivery_report_keeps_the_smsc_id_and_its_answer_only_as_a_failure() {
    let app = spawn_app().await;
    let id = app.sent_on_kannel("+22376123456").await;
    let answer = "id%3A0123+sub%3A001+dlvrd%3A001+stat%3ADELIVRD+err%3A000";
    let path = format!("/webhooks/kn/status?token=s3cret&id={id}&status=1&fid=0123&reply={answer}");
    assert_eq!(app.get(&path).await.status(), 200);
    let message = app.outbound(id).await;
    assert_eq!(message["status"], "delivered");
    assert_eq!(message["provider_message_id"], "0123");
    assert_eq!(message["error_code"], serde_json::Value::Null, "{message}");

    let failed = app.sent_on_kannel("+22376123457").await;
    let path = format!(
        "/webhooks/kn/status?token=s3cret&id={failed}&status=16&fid=0124&reply=NACK%2F0x0000000b"
    );
    assert_eq!(app.get(&path).await.status(), 200);
    let message = app.outbound(failed).await;
    assert_eq!(
        (&message["status"], &message["error_code"]),
        (&"failed".into(), &"NACK/0x0000000b".into())
    );
}
