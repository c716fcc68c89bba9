//! Broadcasts: by API (zone, roles, languages, segment limit) and by SMS from a
//! coordinator's phone (`DIFF <PIN> <ZONE> <TEXT>`, confirmed by `OUI <code>`, wrong PINs
//! locking after three), each reaching exactly the matching contacts.

use reqwest::Method;
use serde_json::json;
use vigie::access::Role;

use crate::helpers::{TestApp, spawn_app};

const MONITOR: &str = "+22376123456";
const COORDINATOR: &str = "+22370000009";

/// A monitor living in Koro, responders in Bondo (in Koro), Bankass and Koro (opted out),
/// a coordinator attached to Koro who reads English.
async fn with_contacts() -> TestApp {
    let app = spawn_app().await;
    app.register(MONITOR, Some("wof:421184495"), false);
    let contacts = [
        json!({ "phone": "+22370000001", "roles": ["responder"], "zones": ["Bondo"] }),
        json!({ "phone": "+22370000002", "roles": ["responder"], "zones": ["Bankass"] }),
        json!({ "phone": "+22370000003", "roles": ["coordinator"], "zones": ["Koro"],
                "language": "en" }),
        json!({ "phone": "+22370000004", "roles": ["responder"], "zones": ["Koro"] }),
    ];
    for contact in contacts {
        let (status, body) = app.api(Method::POST, "/api/contacts", Some(contact)).await;
        assert_eq!(status, 201, "{body}");
    }
    app.sms("70000004", "STOP", "s1").await;
    app.replies("+22370000004", 1).await;
    app
}

#[tokio::test]
async fn a_broadcast_reaches_exactly_the_matching_contacts_of_its_zone() {
    let app = with_contacts().await;

    let mopti = app.token(Role::Coordinator, &["Mopti"]);
    let bankass = app.token(Role::Coordinator, &["Bankass"]);
    let broadcast = |token: String, text: String| {
        let app = &app;
        async move {
            let body = json!({ "zone": "Koro", "text": text, "roles": ["monitor", "responder"] });
            let response = app
                .client
                .post(app.url("/api/broadcasts"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let (status, _) = broadcast(bankass, "Reunion demain".into()).await;
    assert_eq!(status, 403, "Koro is outside Bankass");
    let (status, body) = broadcast(mopti.clone(), "x".repeat(500)).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("4 SMS segments"), "{body}");
    let (status, body) = broadcast(mopti.clone(), "Reunion demain a Koro, 10h".into()).await;
    assert_eq!(status, 201, "{body}");
    assert!(body.contains("\"recipients\":2"), "{body}");
    app.replies(MONITOR, 1).await;
    app.replies("+22370000001", 1).await;
    assert_eq!(
        app.column(
            "SELECT recipient FROM outbound_messages WHERE purpose = 'broadcast' ORDER BY recipient"
        ),
        [Some("+22370000001".to_owned()), Some(MONITOR.to_owned())]
    );
    let (status, standing) = app
        .call(Some(&mopti), Method::GET, "/api/broadcasts/1")
        .await;
    assert_eq!(status, 200, "{standing}");
    assert!(standing.contains("\"recipients\":2"), "{standing}");
    let tombouctou = app.token(Role::Coordinator, &["Tombouctou"]);
    let (status, _) = app
        .call(Some(&tombouctou), Method::GET, "/api/broadcasts/1")
        .await;
    assert_eq!(status, 403);
}

impl TestApp {
    /// The coordinator texts `text` and gets the `n`-th reply.
    async fn coordinator_says(&self, text: &str, n: usize) -> String {
        self.sms("70000009", text, &format!("c{n}")).await;
        self.replies(COORDINATOR, n).await.remove(n - 1)
    }

    fn broadcast_recipients(&self) -> Vec<Option<String>> {
        self.column(
            "SELECT recipient FROM outbound_messages WHERE purpose = 'broadcast' ORDER BY recipient",
        )
    }
}

/// The code in `... repondez OUI 7 ...`.
fn code_in(reply: &str) -> String {
    let after = reply.split("OUI ").nth(1).expect(reply);
    after.chars().take_while(char::is_ascii_digit).collect()
}

#[tokio::test]
async fn a_coordinator_broadcasts_from_a_phone_only_after_confirming() {
    let app = with_contacts().await;
    let coordinator = json!({ "phone": COORDINATOR, "roles": ["coordinator"],
                              "zones": ["Koro"], "pin": "2468" });
    let (status, body) = app
        .api(Method::POST, "/api/contacts", Some(coordinator))
        .await;
    assert_eq!(status, 201, "{body}");

    app.sms("76123456", "DIFF 2468 Koro Reunion demain", "m1")
        .await;
    assert!(app.replies(MONITOR, 1).await[0].contains("non autorisee"));
    let reply = app.coordinator_says("DIFF 2468 Zzyzx Reunion", 1).await;
    assert!(reply.starts_with("Zone Zzyzx inconnue"), "{reply}");
    let reply = app
        .coordinator_says("DIFF 2468 Dimbal Habe Reunion", 2)
        .await;
    assert!(
        reply.starts_with("Vous ne pouvez pas diffuser a Dimbal Habe: hors de vos zones"),
        "a zone of two words: {reply}"
    );
    let long = format!("DIFF 2468 Koro {}", "x".repeat(462));
    let reply = app.coordinator_says(&long, 3).await;
    assert!(reply.contains("4 SMS, maximum 3"), "{reply}");
    let reply = app.coordinator_says("DIFF", 4).await;
    assert!(
        reply.starts_with("Pour diffuser: DIFF PIN ZONE TEXTE"),
        "{reply}"
    );

    let reply = app
        .coordinator_says("diff 2468 koro Réunion demain à Koro, 10h", 5)
        .await;
    assert!(
        reply.starts_with("Diffusion a 4 contacts (koro)"),
        "{reply}"
    );
    assert!(app.broadcast_recipients().is_empty(), "nothing before OUI");
    let code = code_in(&reply);
    let wrong = if code == "1" { "2" } else { "1" };
    let reply = app.coordinator_says(&format!("OUI {wrong}"), 6).await;
    assert!(reply.starts_with("Aucune diffusion a confirmer"), "{reply}");
    app.sms("70000009", &format!("oui {code}"), "c7").await;
    // The coordinator, attached to Koro, gets the broadcast too.
    let mut last = app.replies(COORDINATOR, 8).await.split_off(6);
    last.sort();
    assert!(
        last[0].starts_with("Diffusion 1 envoyee a 4 contacts"),
        "{last:?}"
    );
    assert_eq!(last[1], "Réunion demain à Koro, 10h", "as typed");
    assert_eq!(
        app.broadcast_recipients(),
        ["+22370000001", "+22370000003", COORDINATOR, MONITOR].map(|p| Some(p.to_owned()))
    );
    let sent = app.replies("+22370000001", 1).await;
    assert_eq!(sent[0], "Réunion demain à Koro, 10h");
    let reply = app.coordinator_says(&format!("OUI {code}"), 9).await;
    assert!(reply.starts_with("Aucune diffusion"), "sent once: {reply}");
    assert_eq!(app.broadcast_recipients().len(), 4);
    let (status, standing) = app.api(Method::GET, "/api/broadcasts/1", None).await;
    assert_eq!(status, 200, "{standing}");
    assert_eq!(standing["recipients"], 4, "{standing}");
    assert_eq!(standing["status"], "sent", "{standing}");
}

#[tokio::test]
async fn three_wrong_pins_lock_a_coordinator_out_until_a_new_pin() {
    let app = with_contacts().await;
    let coordinator = json!({ "phone": COORDINATOR, "roles": ["coordinator"], "pin": "2468" });
    let (status, body) = app
        .api(Method::POST, "/api/contacts", Some(coordinator))
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["contact"]["id"].as_i64().unwrap();

    let mut n = 0;
    let mut says = |text: String| {
        n += 1;
        let app = &app;
        async move { app.coordinator_says(&text, n).await }
    };
    let reply = says("DIFF Koro Reunion demain".into()).await;
    assert!(
        reply.starts_with("Pour diffuser"),
        "no PIN, no try: {reply}"
    );
    let reply = says("DIFF 1111 Koro Reunion".into()).await;
    assert_eq!(reply, "PIN incorrect. Encore 2 essai(s) avant blocage.");
    let pending = says("DIFF 2468 Koro Reunion".into()).await;
    assert!(
        pending.starts_with("Diffusion a"),
        "a right PIN starts the count again: {pending}"
    );
    for left in ["2", "1"] {
        let reply = says("DIFF 1111 Koro Reunion".into()).await;
        assert!(reply.contains(&format!("Encore {left} essai")), "{reply}");
    }
    let reply = says("DIFF 1111 Koro Reunion".into()).await;
    assert!(reply.starts_with("PIN bloque"), "{reply}");
    let reply = says("DIFF 2468 Koro Reunion".into()).await;
    assert!(
        reply.starts_with("PIN bloque"),
        "locked even for the right PIN: {reply}"
    );
    let reply = says(format!("OUI {}", code_in(&pending))).await;
    assert!(
        reply.starts_with("PIN bloque"),
        "nothing asked before the lock is sent: {reply}"
    );
    assert!(app.broadcast_recipients().is_empty());
    let stored = app.column("SELECT text FROM inbound_messages WHERE text LIKE 'DIFF%'");
    assert!(
        stored.iter().flatten().all(|t| !t.contains("2468")),
        "no PIN kept: {stored:?}"
    );

    let path = format!("/api/contacts/{id}");
    let (status, body) = app
        .api(Method::PATCH, &path, Some(json!({ "pin": "1357" })))
        .await;
    assert_eq!(status, 200, "{body}");
    let reply = says("BC 1357 Koro Meeting tomorrow".into()).await;
    assert!(reply.starts_with("Diffusion a 3 contacts"), "{reply}");
    let reply = says(format!("YES {}", code_in(&reply))).await;
    assert!(reply.starts_with("Diffusion 2 envoyee a 3"), "{reply}");
    assert_eq!(app.broadcast_recipients().len(), 3);

    let actions = app.column("SELECT action FROM audit_log ORDER BY id");
    let count = |a: &str| actions.iter().filter(|x| x.as_deref() == Some(a)).count();
    assert_eq!(count("contact.pin_wrong"), 3);
    assert_eq!(count("contact.pin_locked"), 1);
    assert_eq!(count("broadcast.create"), 1);
    let details = app.column("SELECT subject || ' ' || actor || ' ' || detail FROM audit_log");
    assert!(
        details.iter().flatten().all(|d| !d.contains("70000009")),
        "no number in the audit log: {details:?}"
    );
}

#[tokio::test]
async fn a_template_broadcast_reaches_each_contact_in_their_language() {
    let app = with_contacts().await;
    let curfew = |values: serde_json::Value| json!({ "zone": "Koro", "template": "curfew", "values": values });
    for (body, named) in [
        (
            curfew(json!({ "zone": "Koro", "from": "20h" })),
            "undefined",
        ),
        (
            json!({ "zone": "Koro", "template": "nope" }),
            "curfew, meeting",
        ),
        (
            json!({ "zone": "Koro", "template": "curfew", "text": "x" }),
            "not both",
        ),
        (json!({ "zone": "Atlantis", "text": "x" }), "no zone"),
    ] {
        let (status, answer) = app.api(Method::POST, "/api/broadcasts", Some(body)).await;
        assert_eq!(status, 422, "{answer}");
        assert!(
            answer["message"].as_str().unwrap().contains(named),
            "{answer}"
        );
    }
    let values = json!({ "zone": "Koro", "from": "20h", "to": "6h" });
    let (status, answer) = app
        .api(Method::POST, "/api/broadcasts", Some(curfew(values)))
        .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["recipients"], 3);
    let french = app.replies("+22370000001", 1).await;
    assert!(
        french[0].starts_with("Couvre-feu a Koro de 20h a 6h."),
        "{french:?}"
    );
    let english = app.replies("+22370000003", 1).await;
    assert!(
        english[0].starts_with("Curfew in Koro from 20h to 6h."),
        "{english:?}"
    );
    assert!(app.replies(MONITOR, 1).await[0].starts_with("Couvre-feu"));
}
