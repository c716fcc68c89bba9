//! The console's simulator, which plays a phone by SMS and USSD, and the demo it is part
//! of (`vigie serve --demo`).

use vigie::access::Role;

use crate::access::with_an_incident;
use crate::helpers::ADMIN;

#[tokio::test]
async fn the_simulator_plays_a_phone_by_sms_and_ussd_for_admins_only() {
    let app = with_an_incident().await;
    let viewer = app.token(Role::Viewer, &[]);
    let (_, session) = app.login(&viewer).await;
    let page = app.page(&session.unwrap(), "/console/simulator").await;
    assert_eq!(page.status, 403);

    let (_, session) = app.login(ADMIN).await;
    let session = session.unwrap();
    let page = app
        .page(&session, "/console/simulator?phone=76999001")
        .await;
    assert_eq!(page.status, 200);
    // Refused before anything is done: nothing is audited.
    for (phone, via) in [("", "sms"), ("76999001", "fax")] {
        let refused = app
            .submit(
                &session,
                "/console/simulator",
                &[
                    ("_csrf", &session.csrf),
                    ("phone", phone),
                    ("via", via),
                    ("text", "RAS"),
                ],
            )
            .await;
        assert!(
            (400..500).contains(&refused.status),
            "{phone} {via}: {}",
            refused.status
        );
        if phone.is_empty() {
            // The refusal's page names the field, and shows no empty status strip.
            assert!(
                refused.body.contains("<h1>Demande incorrecte</h1>"),
                "{}",
                refused.body
            );
            assert!(refused.body.contains("`from`"), "{}", refused.body);
            assert!(
                !refused.body.contains("class=\"strip\""),
                "{}",
                refused.body
            );
        }
    }
    assert_eq!(app.count("audit_log WHERE action LIKE 'simulator.%'"), 0);
    let sent = app
        .submit(
            &session,
            "/console/simulator",
            &[
                ("_csrf", &session.csrf),
                ("phone", "76999001"),
                ("via", "sms"),
                ("text", "ATT Bankass 2 morts"),
            ],
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert_eq!(app.count("audit_log WHERE action = 'simulator.sms'"), 1);
    app.replies("+22376999001", 1).await;
    let inbox = app
        .page(&session, "/console/simulator/inbox?phone=76999001")
        .await;
    assert!(
        inbox.body.contains("Bankass"),
        "the receipt: {}",
        inbox.body
    );

    let dialled = app
        .submit(
            &session,
            "/console/simulator",
            &[
                ("_csrf", &session.csrf),
                ("phone", "76999001"),
                ("via", "ussd"),
                ("text", ""),
            ],
        )
        .await;
    assert!(
        dialled.body.contains("class=\"screen\">CON"),
        "{}",
        dialled.body
    );
    assert!(
        dialled.body.contains("name=\"session\""),
        "the session goes on"
    );
}

/// What the simulator sends is taken with its audit entry or not at all: an entry that
/// cannot be written leaves no message, no USSD session and no admin told of a failure for
/// something done.
#[tokio::test]
async fn a_simulated_message_is_never_taken_without_its_audit_entry() {
    let app = with_an_incident().await;
    app.database.fault(
        "audit_refused",
        "INSERT ON audit_log",
        "NEW.action LIKE 'simulator.%'",
        "audit full",
    );
    let (messages, sessions) = (app.count("inbound_messages"), app.count("ussd_sessions"));
    let (_, session) = app.login(ADMIN).await;
    let session = session.unwrap();
    for (via, text) in [("sms", "ATT Bankass 2 morts"), ("ussd", "")] {
        let refused = app
            .submit(
                &session,
                "/console/simulator",
                &[
                    ("_csrf", &session.csrf),
                    ("phone", "76999001"),
                    ("via", via),
                    ("text", text),
                ],
            )
            .await;
        assert!(refused.status >= 500, "{via}: {}", refused.status);
    }
    assert_eq!(app.count("inbound_messages"), messages);
    assert_eq!(app.count("ussd_sessions"), sessions);
}

/// `vigie serve --demo`: the demo contacts are there, the newcomer is told what to try,
/// and one SMS alerts the zone's responders.
#[tokio::test]
async fn the_demo_shows_the_whole_loop() {
    use crate::process::{start_logged_process_with, wait_for_line};
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("demo.toml");
    let text = std::fs::read_to_string("config/demo.toml").unwrap();
    let db = dir.path().join("demo.db");
    let text = text
        .replace("path = \"demo.db\"", &format!("path = {db:?}"))
        .replace("127.0.0.1:8080", "127.0.0.1:0");
    std::fs::write(&config, text).unwrap();
    let (_child, addr, log) = start_logged_process_with(&config, &["--demo"]).await;
    wait_for_line(&log, "log in with the token `demo`").await;
    let client = reqwest::Client::new();
    let sms = client
        .post(format!("http://{addr}/webhooks/sim/sms"))
        .form(&[("from", "76000001"), ("text", "ATT Koro 3 morts")])
        .send()
        .await
        .unwrap();
    assert_eq!(sms.status(), 200);
    let outbox = format!("http://{addr}/sim/outbox?to=70000001");
    for _ in 0..300 {
        let body = client
            .get(&outbox)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if body.contains("ALERTE 1") {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("responder 70000001 was not alerted within 30 s");
}
