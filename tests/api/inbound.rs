//! Every provider's documented inbound payload is stored once, however often it is posted.

use crate::helpers::{TestApp, channels, spawn_app, spawn_app_with, spawn_gateway};

/// Posts `send` twice; both answers are 2xx and exactly one message is stored.
async fn stored_once<F, Fut>(app: &TestApp, send: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = reqwest::Response>,
{
    for attempt in 1..=2 {
        let response = send().await;
        assert!(
            response.status().is_success(),
            "attempt {attempt}: {}",
            response.status()
        );
    }
    assert_eq!(app.count("inbound_messages"), 1);
}

#[tokio::test]
async fn a_provider_retry_gets_the_first_answer_marked_duplicate() {
    let app = spawn_app().await;
    let answer = || async {
        let response = app
            .post_form("/webhooks/at/sms?token=s3cret", AT_INBOUND)
            .await;
        assert_eq!(response.status(), 200);
        response.json::<serde_json::Value>().await.unwrap()
    };
    let first = answer().await;
    let retry = answer().await;
    let id = app.one::<i64>("SELECT id FROM inbound_messages");
    assert_eq!(
        first,
        serde_json::json!({"status": "accepted", "rejected": [],
                           "messages": [{"id": id, "duplicate": false}]})
    );
    assert_eq!(
        retry,
        serde_json::json!({"status": "accepted", "rejected": [],
                           "messages": [{"id": id, "duplicate": true}]})
    );
}

const AT_INBOUND: &str = "linkId=03090445075804249226&text=Msg&to=21512&id=ec9adc86-51d5-4bc8-8eb0-d8ab0bb53dc3&date=2017-05-03T06%3A04%3A45Z&from=%2B254791541111";

#[tokio::test]
async fn africastalking_inbound_is_stored_once() {
    let app = spawn_app().await;
    stored_once(&app, || {
        app.post_form("/webhooks/at/sms?token=s3cret", AT_INBOUND)
    })
    .await;
    assert_eq!(
        app.one::<String>("SELECT sender FROM inbound_messages"),
        "+254791541111"
    );
    assert_eq!(
        app.one::<String>("SELECT provider_message_id FROM inbound_messages"),
        "ec9adc86-51d5-4bc8-8eb0-d8ab0bb53dc3"
    );
    assert_eq!(
        app.one::<i64>("SELECT provider_ts FROM inbound_messages"),
        1_493_791_485_000
    );
    assert_eq!(
        app.one::<String>("SELECT text FROM inbound_messages"),
        "Msg"
    );
}

const TWILIO_INBOUND: &str = "ToCountry=US&ToState=District+Of+Columbia&SmsMessageSid=SMe287d7109a5a925f182f0e07fe5b223b&NumMedia=0&ToCity=&FromZip=01022&SmsSid=SMe287d7109a5a925f182f0e07fe5b223b&FromState=MA&SmsStatus=received&FromCity=CHICOPEE&Body=Msg&FromCountry=US&To=%2B12028831111&ToZip=&NumSegments=1&MessageSid=SMe287d7109a5a925f182f0e07fe5b223b&AccountSid=acctid&From=%2B14133881111&ApiVersion=2010-04-01";

#[tokio::test]
async fn twilio_inbound_is_stored_once_and_answered_with_twiml() {
    let app = spawn_app().await;
    stored_once(&app, || {
        app.post_twilio("/webhooks/tw/sms?token=s3cret", TWILIO_INBOUND)
    })
    .await;
    let response = app
        .post_twilio("/webhooks/tw/sms?token=s3cret", TWILIO_INBOUND)
        .await;
    assert_eq!(response.headers()["content-type"], "text/xml");
    assert!(response.text().await.unwrap().contains("<Response/>"));
    assert_eq!(
        app.one::<String>("SELECT sender FROM inbound_messages"),
        "+14133881111"
    );
}

const INFOBIP_INBOUND: &str = r#"{"results":[{"messageId":"0191e180-7d60-7000-aded-7d8b151cbd5b","from":"385916242494",
 "to":"385921004027","text":"This is an SMS message","receivedAt":"2016-10-06T09:28:40.000+0000",
 "smsCount":1,"price":{"pricePerMessage":0,"currency":"EUR"}}],"messageCount":1,"pendingMessageCount":0}"#;

#[tokio::test]
async fn infobip_inbound_is_stored_once() {
    let app = spawn_app().await;
    stored_once(&app, || {
        app.post_json("/webhooks/ib/sms?token=s3cret", INFOBIP_INBOUND)
    })
    .await;
    assert_eq!(
        app.one::<String>("SELECT sender FROM inbound_messages"),
        "+385916242494"
    );
    assert_eq!(
        app.one::<i64>("SELECT provider_ts FROM inbound_messages"),
        1_475_746_120_000
    );
}

#[tokio::test]
async fn an_infobip_batch_stores_every_readable_entry() {
    let app = spawn_app().await;
    let batch = r#"{"results":[
        {"messageId":"m1","from":"22376000001","to":"2020","text":"ATT Koro"},
        {"messageId":"m2","to":"2020","text":"no sender"},
        {"messageId":"m3","from":"22376000003","to":"2020","text":"ENL Douentza"}],"messageCount":3}"#;
    let response = app.post_json("/webhooks/ib/sms?token=s3cret", batch).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["rejected"][0], "missing field `results[1].from`");
    assert_eq!(app.count("inbound_messages"), 2);
}

const VONAGE_INBOUND: &str = "keyword=HELLO!&message-timestamp=2016-08-14+10:13:54&messageId=030000000926C4C2&msisdn=447700900001&text=Hello!&to=447700900000&type=text";

#[tokio::test]
async fn vonage_inbound_by_get_is_stored_once() {
    let app = spawn_app().await;
    let path = format!("/webhooks/vn/sms?token=s3cret&{VONAGE_INBOUND}");
    stored_once(&app, || app.get(&path)).await;
    assert_eq!(
        app.one::<String>("SELECT sender FROM inbound_messages"),
        "+447700900001"
    );
    assert_eq!(
        app.one::<i64>("SELECT provider_ts FROM inbound_messages"),
        1_471_169_634_000
    );
}

#[tokio::test]
async fn vonage_url_check_without_to_is_answered_and_stores_nothing() {
    let app = spawn_app().await;
    assert_eq!(app.get("/webhooks/vn/sms?token=s3cret").await.status(), 200);
    assert_eq!(app.count("inbound_messages"), 0);
}

fn vonage_part(id: &str, part: u32, text: &str) -> String {
    format!(
        "msisdn=22376123456&to=22370000000&messageId={id}&text={text}&type=text&concat=true&concat-ref=42&concat-total=2&concat-part={part}"
    )
}

#[tokio::test]
async fn vonage_concatenated_parts_are_reassembled_in_order() {
    let app = spawn_app().await;
    let second = vonage_part("B2", 2, "morts+2+blesses");
    let first = vonage_part("B1", 1, "ATT+Koro+3+");
    assert_eq!(
        app.post_form("/webhooks/vn/sms?token=s3cret", &second)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.count("inbound_messages"),
        0,
        "a lone part waits for the others"
    );
    assert_eq!(
        app.post_form("/webhooks/vn/sms?token=s3cret", &first)
            .await
            .status(),
        200
    );
    // A provider retry of either part after assembly creates nothing.
    assert_eq!(
        app.post_form("/webhooks/vn/sms?token=s3cret", &second)
            .await
            .status(),
        200
    );
    assert_eq!(app.count("inbound_messages"), 1);
    assert_eq!(
        app.one::<String>("SELECT text FROM inbound_messages"),
        "ATT Koro 3 morts 2 blesses"
    );
    assert_eq!(app.one::<i64>("SELECT parts FROM inbound_messages"), 2);
}

#[tokio::test]
async fn vonage_parts_still_incomplete_after_the_timeout_are_stored_as_they_are() {
    let app = spawn_app_with("concat_timeout_secs = 0").await;
    let first = vonage_part("C1", 1, "ATT+Koro+3+");
    assert_eq!(
        app.post_form("/webhooks/vn/sms?token=s3cret", &first)
            .await
            .status(),
        200
    );
    // Housekeeping runs every second with this timeout; wait for it rather than reaching inside.
    for _ in 0..150 {
        if app.count("inbound_messages") == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(app.count("inbound_messages"), 1);
    assert_eq!(app.one::<i64>("SELECT incomplete FROM inbound_messages"), 1);
    assert_eq!(
        app.one::<String>("SELECT text FROM inbound_messages"),
        "ATT Koro 3 "
    );
}

/// Lone parts whose others never come count against their sender's limit once stored, as
/// whole messages do: sending half messages is no way around it.
#[tokio::test]
async fn lone_parts_of_a_flooding_sender_are_flagged_throttled_once_stored() {
    let app =
        spawn_app_with("concat_timeout_secs = 0\n[inbound.rate_limit]\nper_minute = 1\nburst = 1")
            .await;
    for i in 0..3 {
        let part = format!(
            "msisdn=22376123456&to=22370000000&messageId=L{i}&text=ATT+Koro+{i}&type=text\
             &concat=true&concat-ref={i}&concat-total=2&concat-part=1"
        );
        let response = app.post_form("/webhooks/vn/sms?token=s3cret", &part).await;
        assert_eq!(response.status(), 200);
    }
    // Housekeeping runs every second with this timeout; wait for it rather than reaching inside.
    for _ in 0..150 {
        if app.count("inbound_messages") == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(app.count("inbound_messages WHERE incomplete = 1"), 3);
    assert_eq!(
        app.one::<i64>("SELECT count(*) FROM inbound_messages WHERE throttled = 1"),
        2
    );
}

const ORANGE_INBOUND: &str = r#"{"inboundSMSMessageNotification":{"inboundSMSMessage":{"senderAddress":"tel:+26772333490",
   "destinationAddress":"+26716968","message":"BEGIN Test éèà@ END","dateTime":"2014-04-15T07:40:13Z"}}}"#;

#[tokio::test]
async fn orange_inbound_without_id_is_stored_once_by_content() {
    let app = spawn_app().await;
    stored_once(&app, || {
        app.post_json("/webhooks/or/sms?token=s3cret", ORANGE_INBOUND)
    })
    .await;
    assert_eq!(
        app.one::<String>("SELECT text FROM inbound_messages"),
        "BEGIN Test éèà@ END"
    );
    assert_eq!(
        app.one::<String>("SELECT sender FROM inbound_messages"),
        "+26772333490"
    );
}

#[tokio::test]
async fn kannel_inbound_is_stored_once() {
    let app = spawn_app().await;
    let path = "/webhooks/kn/sms?token=s3cret&backend=NIG_MTN&sender=%2B2349067554729&message=Join&ts=1493735509&id=asdf-asdf&to=24453";
    stored_once(&app, || app.post_form(path, "")).await;
    assert_eq!(
        app.one::<String>("SELECT sender FROM inbound_messages"),
        "+2349067554729"
    );
    assert_eq!(
        app.one::<i64>("SELECT provider_ts FROM inbound_messages"),
        1_493_735_509_000
    );
}

#[tokio::test]
async fn sim_messages_dedupe_by_content_but_a_replayed_day_keeps_them_apart() {
    let app = spawn_app().await;
    stored_once(&app, || {
        app.post_form("/webhooks/sim/sms", "from=76123456&text=RAS")
    })
    .await;
    for date in ["2026-11-02T08:00:00Z", "2026-11-02T09:00:00Z"] {
        let body = format!("from=76123456&text=RAS&date={date}");
        assert_eq!(
            app.post_form("/webhooks/sim/sms", &body).await.status(),
            200
        );
    }
    assert_eq!(app.count("inbound_messages"), 3);
    assert_eq!(
        app.one::<String>("SELECT sender FROM inbound_messages LIMIT 1"),
        "+22376123456"
    );
}

#[tokio::test]
async fn long_texts_are_stored_truncated_and_flagged() {
    let app = spawn_app().await;
    let body = format!("from=76123456&text={}", "a".repeat(2000));
    assert_eq!(
        app.post_form("/webhooks/sim/sms", &body).await.status(),
        200
    );
    assert_eq!(
        app.one::<i64>("SELECT length(text) FROM inbound_messages"),
        1600
    );
    assert_eq!(app.one::<i64>("SELECT truncated FROM inbound_messages"), 1);
}

#[tokio::test]
async fn a_flooding_sender_is_stored_but_flagged_throttled() {
    let app = spawn_app_with("[inbound.rate_limit]\nper_minute = 2\nburst = 2").await;
    for i in 0..4 {
        let body = format!("from=76123456&text=flood+{i}");
        assert_eq!(
            app.post_form("/webhooks/sim/sms", &body).await.status(),
            200
        );
    }
    let other = app
        .post_form("/webhooks/sim/sms", "from=76999999&text=hello")
        .await;
    assert_eq!(other.status(), 200);
    assert_eq!(app.count("inbound_messages"), 5);
    assert_eq!(
        app.one::<i64>("SELECT count(*) FROM inbound_messages WHERE throttled = 1"),
        2
    );
    assert_eq!(
        app.one::<i64>("SELECT throttled FROM inbound_messages WHERE sender = '+22376999999'"),
        0
    );
    // Once read, the flood gets one notice; the rest of it is dropped silently.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while app.count("inbound_messages WHERE state = 'new'") > 0 {
        assert!(tokio::time::Instant::now() < deadline, "messages not read");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let notices =
        "outbound_messages WHERE recipient = '+22376123456' AND text LIKE 'Trop de messages%'";
    assert_eq!(app.count(notices), 1);
    assert_eq!(app.count("inbound_messages WHERE state = 'skipped'"), 2);
}

#[tokio::test]
async fn provider_retries_do_not_use_up_the_senders_limit() {
    let app = spawn_app_with("[inbound.rate_limit]\nper_minute = 2\nburst = 2").await;
    for _ in 0..4 {
        let retry = "id=R1&from=76123456&text=ATT+Koro";
        assert_eq!(
            app.post_form("/webhooks/sim/sms", retry).await.status(),
            200
        );
    }
    let next = "id=R2&from=76123456&text=ATT+Koro+2+morts";
    assert_eq!(app.post_form("/webhooks/sim/sms", next).await.status(), 200);
    assert_eq!(app.count("inbound_messages"), 2);
    assert_eq!(
        app.one::<i64>("SELECT count(*) FROM inbound_messages WHERE throttled = 1"),
        0
    );
}

#[tokio::test]
async fn a_reassembled_message_over_the_limit_is_cut_and_flagged() {
    let app = spawn_app_with("max_text_chars = 8").await;
    for (id, part, text) in [("L1", 1, "ATT+Koro+"), ("L2", 2, "3+morts")] {
        let body = vonage_part(id, part, text);
        assert_eq!(
            app.post_form("/webhooks/vn/sms?token=s3cret", &body)
                .await
                .status(),
            200
        );
    }
    assert_eq!(
        app.one::<String>("SELECT text FROM inbound_messages"),
        "ATT Koro"
    );
    assert_eq!(app.one::<i64>("SELECT truncated FROM inbound_messages"), 1);
}

#[tokio::test]
async fn messages_from_our_own_numbers_are_flagged_as_loops_and_get_no_reply() {
    // A channel whose own number is a phone: a report from it would be filed and answered.
    let own = "[[channels]]\nid = \"at2\"\nkind = \"africastalking\"\nsecret = \"s3cret\"\n\
               sender = \"+22370000900\"\n";
    let app = spawn_gateway(
        &format!("{}{own}", channels()),
        tempfile::tempdir().unwrap(),
    )
    .await;
    for (i, from) in ["21512", "%2B22370000900"].iter().enumerate() {
        let body = format!("id=loop-{i}&from={from}&to=21512&text=ATT+Koro+3+morts");
        let response = app.post_form("/webhooks/at/sms?token=s3cret", &body).await;
        assert_eq!(response.status(), 200);
    }
    assert_eq!(app.count("inbound_messages WHERE is_loop = 1"), 2);
    // Read, and answered by nothing: a reply would start a loop between two gateways.
    app.wait_for_rows(
        "inbound_messages WHERE state <> 'new' AND id = (SELECT max(id) FROM inbound_messages)",
    )
    .await;
    assert_eq!(app.count("outbound_messages"), 0);
    assert_eq!(app.count("reports"), 0);
}
