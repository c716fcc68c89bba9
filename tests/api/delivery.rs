//! Every provider's delivery reports map onto one normalised status, and are stored once.

use crate::helpers::spawn_app;

/// (path, json?, body, provider message id or our reference, normalised status or None)
type Case = (
    &'static str,
    bool,
    &'static str,
    &'static str,
    Option<&'static str>,
);

const CASES: &[Case] = &[
    (
        "/webhooks/at/status?token=s3cret",
        false,
        "id=ATXid_1&status=Success",
        "ATXid_1",
        Some("delivered"),
    ),
    (
        "/webhooks/at/status?token=s3cret",
        false,
        "id=ATXid_2&status=Submitted",
        "ATXid_2",
        Some("sent"),
    ),
    (
        "/webhooks/at/status?token=s3cret",
        false,
        "id=ATXid_3&status=Buffered",
        "ATXid_3",
        Some("sent"),
    ),
    (
        "/webhooks/at/status?token=s3cret",
        false,
        "id=ATXid_4&status=Failed&failureReason=UserInBlackList",
        "ATXid_4",
        Some("failed"),
    ),
    (
        "/webhooks/at/status?token=s3cret",
        false,
        "id=ATXid_5&status=Expired",
        "ATXid_5",
        Some("expired"),
    ),
    (
        "/webhooks/at/status?token=s3cret",
        false,
        "id=ATXid_6&status=Teleported",
        "ATXid_6",
        None,
    ),
    (
        "/webhooks/vn/status?token=s3cret",
        false,
        "msisdn=4527631111&to=Tak&network-code=23820&messageId=0C0000002EEBDA56&price=0.01820000&status=delivered&scts=1705021324&err-code=0&message-timestamp=2017-05-02+11%3A24%3A03",
        "0C0000002EEBDA56",
        Some("delivered"),
    ),
    (
        "/webhooks/vn/status?token=s3cret",
        false,
        "messageId=V2&status=expired&err-code=2",
        "V2",
        Some("expired"),
    ),
    (
        "/webhooks/vn/status?token=s3cret",
        false,
        "messageId=V3&status=rejected&err-code=6",
        "V3",
        Some("failed"),
    ),
    (
        "/webhooks/vn/status?token=s3cret",
        false,
        "messageId=V4&status=accepted",
        "V4",
        Some("sent"),
    ),
    (
        "/webhooks/or/status?token=s3cret",
        true,
        r#"{"deliveryInfoNotification":{"deliveryInfo":{"address":"tel:+22507099573","deliveryStatus":"DeliveredToTerminal"},"callbackData":"1"}}"#,
        "1",
        Some("delivered"),
    ),
    (
        "/webhooks/or/status?token=s3cret",
        true,
        r#"{"deliveryInfoNotification":{"deliveryInfo":{"address":"tel:+22507099573","deliveryStatus":"DeliveryImpossible"},"callbackData":"2"}}"#,
        "2",
        Some("failed"),
    ),
    (
        "/webhooks/kn/status?token=s3cret&id=41&status=1",
        false,
        "",
        "41",
        Some("delivered"),
    ),
    (
        "/webhooks/kn/status?token=s3cret&id=42&status=8",
        false,
        "",
        "42",
        Some("sent"),
    ),
    (
        "/webhooks/kn/status?token=s3cret&id=43&status=16",
        false,
        "",
        "43",
        Some("failed"),
    ),
    (
        "/webhooks/kn/status?token=s3cret&id=44&status=2",
        false,
        "",
        "44",
        Some("failed"),
    ),
    (
        "/webhooks/kn/status?token=s3cret&id=45&status=64",
        false,
        "",
        "45",
        None,
    ),
    (
        "/webhooks/sim/status",
        false,
        "id=7&status=delivered",
        "7",
        Some("delivered"),
    ),
];

async fn status_of(app: &crate::helpers::TestApp, id: &str) -> Option<String> {
    let sql = format!(
        "SELECT status FROM delivery_reports WHERE provider_message_id = '{id}' OR reference = '{id}'"
    );
    app.column(&sql).into_iter().next().flatten()
}

#[tokio::test]
async fn delivery_reports_map_to_the_normalised_status() {
    let app = spawn_app().await;
    for (path, json, body, id, expected) in CASES {
        let response = if *json {
            app.post_json(path, body).await
        } else {
            app.post_form(path, body).await
        };
        assert_eq!(response.status(), 200, "{path} {body}");
        assert_eq!(
            status_of(&app, id).await.as_deref(),
            *expected,
            "{path} {body}"
        );
    }
    assert_eq!(app.count("delivery_reports"), CASES.len() as i64);
}

#[tokio::test]
async fn vonage_reports_come_by_get_too() {
    let app = spawn_app().await;
    let response = app
        .get("/webhooks/vn/status?token=s3cret&messageId=V9&status=delivered&client-ref=77")
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        app.one::<String>("SELECT reference FROM delivery_reports"),
        "77"
    );
}

#[tokio::test]
async fn twilio_status_callbacks_map_and_keep_the_error_code() {
    let app = spawn_app().await;
    let cases = [
        (
            "MessageSid=SM1&MessageStatus=delivered&To=%2B22376123456",
            "SM1",
            "delivered",
            None,
        ),
        (
            "MessageSid=SM2&MessageStatus=undelivered&ErrorCode=30003",
            "SM2",
            "failed",
            Some("30003"),
        ),
        (
            "MessageSid=SM3&MessageStatus=failed&ErrorCode=30036",
            "SM3",
            "expired",
            Some("30036"),
        ),
        ("MessageSid=SM4&MessageStatus=sent", "SM4", "sent", None),
        ("MessageSid=SM5&MessageStatus=queued", "SM5", "queued", None),
    ];
    for (body, sid, status, code) in cases {
        assert_eq!(
            app.post_twilio("/webhooks/tw/status?token=s3cret", body)
                .await
                .status(),
            200
        );
        assert_eq!(
            status_of(&app, sid).await.as_deref(),
            Some(status),
            "{body}"
        );
        let sql =
            format!("SELECT error_code FROM delivery_reports WHERE provider_message_id = '{sid}'");
        assert_eq!(app.column(&sql)[0].as_deref(), code, "{body}");
    }
}

const INFOBIP_REPORTS: &str = r#"{"results":[
  {"bulkId":"b","messageId":"IB1","to":"22376123456","status":{"groupId":3,"groupName":"DELIVERED","id":5,"name":"DELIVERED_TO_HANDSET"},"error":{"groupId":0,"id":0,"name":"NO_ERROR","permanent":false}},
  {"messageId":"IB2","status":{"groupId":3,"groupName":"DELIVERED","id":2,"name":"DELIVERED_TO_OPERATOR"}},
  {"messageId":"IB3","status":{"groupId":4,"groupName":"EXPIRED","id":15,"name":"EXPIRED_EXPIRED"}},
  {"messageId":"IB4","status":{"groupId":5,"groupName":"REJECTED","id":6,"name":"REJECTED_NETWORK"},"error":{"groupId":2,"id":9,"name":"EC_ABSENT_SUBSCRIBER","permanent":true}},
  {"messageId":"IB5","status":{"groupId":1,"groupName":"PENDING","id":7,"name":"PENDING_ENROUTE"}},
  {"messageId":"IB6","status":{"groupId":99,"groupName":"MYSTERY","id":999,"name":"MYSTERY"}},
  {"messageId":"IB7"}
]}"#;

#[tokio::test]
async fn infobip_reports_map_by_group_and_one_odd_entry_never_fails_the_batch() {
    let app = spawn_app().await;
    let response = app
        .post_json("/webhooks/ib/status?token=s3cret", INFOBIP_REPORTS)
        .await;
    assert_eq!(response.status(), 200);
    let expected = [
        ("IB1", Some("delivered")),
        ("IB2", Some("sent")),
        ("IB3", Some("failed")),
        ("IB4", Some("failed")),
        ("IB5", Some("sent")),
        ("IB6", None),
    ];
    for (id, status) in expected {
        assert_eq!(status_of(&app, id).await.as_deref(), status, "{id}");
    }
    assert_eq!(
        app.count("delivery_reports"),
        6,
        "IB7 has no status and is skipped alone"
    );
    let code = app
        .one::<String>("SELECT error_code FROM delivery_reports WHERE provider_message_id = 'IB4'");
    assert_eq!(code, "EC_ABSENT_SUBSCRIBER");
}

#[tokio::test]
async fn the_same_report_received_twice_is_stored_once() {
    let app = spawn_app().await;
    for _ in 0..2 {
        let response = app
            .post_form(
                "/webhooks/at/status?token=s3cret",
                "id=ATXid_1&status=Success",
            )
            .await;
        assert_eq!(response.status(), 200);
    }
    assert_eq!(app.count("delivery_reports"), 1);
}
