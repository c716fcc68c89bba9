//! Queueing: segment limits, and many messages in one transaction.

use crate::outbound::gateway;

#[tokio::test]
async fn texts_over_their_segment_limit_are_refused_at_enqueue() {
    let app = gateway("", "").await;
    let cases = [
        (
            "a reply of 161 characters",
            "x".repeat(161),
            "reply",
            422,
            "2 SMS segments (gsm7); reply messages may take 1",
        ),
        (
            "an alert in an unfoldable script",
            "ߒߞߏ ".repeat(18),
            "alert",
            422,
            "(ucs2); alert messages may take 1",
        ),
        (
            "a broadcast may take three",
            "y".repeat(459),
            "broadcast",
            202,
            "",
        ),
        ("a reply of 160", "z".repeat(160), "reply", 202, ""),
        (
            "an empty text",
            " ".into(),
            "reply",
            422,
            "the text is empty",
        ),
        (
            "an unknown purpose",
            "hello".into(),
            "gossip",
            400,
            "purpose must be",
        ),
    ];
    for (name, text, purpose, status, needle) in cases {
        let response = app.send_sms("+22376123456", &text, purpose).await;
        assert_eq!(response.status(), status, "{name}");
        let body = response.text().await.unwrap();
        assert!(body.contains(needle), "{name}: {body}");
    }
    assert_eq!(
        app.count("outbound_messages"),
        2,
        "refused texts leave nothing queued"
    );
}

#[tokio::test]
async fn many_messages_are_queued_in_one_transaction_all_or_none() {
    use vigie::outbound::{NewMessage, OutboundError, Purpose};
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[storage]\npath = {:?}\n[[channels]]\nid = \"sim\"\nkind = \"sim\"\n",
        dir.path().join("vigie.db")
    );
    let app = vigie::app::Application::build(vigie::config::Config::from_toml(&text).unwrap())
        .await
        .unwrap();
    let outbound = app.outbound();
    let to = outbound.address("76123456").unwrap();
    let alert = |text: &str| NewMessage::new(to.clone(), text, Purpose::Alert);
    let refused = outbound
        .enqueue(vec![
            alert("Alerte 1"),
            alert(&"x".repeat(200)),
            alert("Alerte 3"),
        ])
        .await;
    match refused {
        Err(OutboundError::Compose { index, .. }) => assert_eq!(index, 1),
        other => panic!("expected the second message refused: {other:?}"),
    }
    let queued = outbound
        .enqueue((0..500).map(|i| alert(&format!("Alerte {i}"))).collect())
        .await
        .unwrap();
    assert_eq!(queued.len(), 500);
    assert!(
        queued
            .windows(2)
            .all(|w| w[1].id == w[0].id.map(|id| id + 1))
    );
    let db = rusqlite::Connection::open(dir.path().join("vigie.db")).unwrap();
    let count: i64 = db
        .query_row("SELECT count(*) FROM outbound_messages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 500, "nothing of the refused batch was queued");
}
