//! A duress word: set by a coordinator, said by a monitor under threat. The monitor's phone
//! shows nothing different; only the safety contacts of their zones are alerted; the word
//! is stored nowhere; the monitor's reports are marked until an admin clears it.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{ADMIN, TestApp, spawn_gateway};

const CONFIG: &str = "[[channels]]\nid = \"sim\"\nkind = \"sim\"\n";
const WATCHED: &str = "+22376000001";
const TWIN: &str = "+22376000002";
const SAFETY: &str = "+22390000201";

impl TestApp {
    /// A coordinator sets `word` as the watched monitor's duress word; the answer's status.
    async fn set_duress_word(&self, word: &str) -> u16 {
        let id: i64 = self.one(&format!(
            "SELECT id FROM contacts WHERE phone = '{WATCHED}'"
        ));
        let coordinator = self.token(vigie::access::Role::Coordinator, &[]);
        let path = format!("/api/contacts/{id}/duress");
        self.as_token(&coordinator, Method::PUT, &path, json!({ "word": word }))
            .await
    }

    async fn as_token(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: serde_json::Value,
    ) -> u16 {
        let response = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        response.status().as_u16()
    }
}

#[tokio::test]
async fn a_duress_word_is_answered_as_usual_and_alerts_only_the_safety_contacts() {
    let app = spawn_gateway(CONFIG, tempfile::tempdir().unwrap()).await;
    let csv = format!(
        "phone,name,roles,language,home,zones,discreet\n\
         {WATCHED},Awa,monitor,fr,,Koro,no\n{TWIN},Issa,monitor,fr,,Koro,no\n\
         {SAFETY},Securite,safety,fr,,Koro,no\n+22390000202,Autre,safety,fr,,Bankass,no\n\
         +22390000101,Coord,coordinator,fr,,Koro,no\n+22390000301,Resp,responder,fr,,Koro,no\n"
    );
    app.import(&csv).await;
    let id: i64 = app.one(&format!(
        "SELECT id FROM contacts WHERE phone = '{WATCHED}'"
    ));

    // A coordinator sets it; a bad word is refused, naming the field.
    let coordinator = app.token(vigie::access::Role::Coordinator, &[]);
    assert_eq!(app.set_duress_word("a1").await, 400);
    assert_eq!(app.set_duress_word("Soleil").await, 204);

    // Said in a check-in and in a report: the replies are the twin's, byte for byte.
    app.sms(TWIN, "RAS", "t1").await;
    app.sms(WATCHED, "RAS soleil", "w1").await;
    let (twin, watched) = (app.replies(TWIN, 1).await, app.replies(WATCHED, 1).await);
    assert_eq!(watched, twin);
    app.sms(TWIN, "ATT Bankass 3 blesses", "t2").await;
    app.replies(TWIN, 2).await;
    app.sms(WATCHED, "ATT Bankass 3 blesses SOLEIL.", "w2")
        .await;
    let (twin, watched) = (app.replies(TWIN, 2).await, app.replies(WATCHED, 2).await);
    assert_eq!(watched[1], twin[1]);

    // Only the safety contact of Koro hears, by pseudonym.
    let alert = app.replies(SAFETY, 2).await;
    assert!(alert[0].starts_with("DETRESSE moniteur R-"), "{alert:?}");
    assert!(alert[0].contains(", Koro, "), "{alert:?}");
    assert!(!alert[0].contains(WATCHED), "{alert:?}");
    let detresse = |to: &str| {
        app.count(&format!(
            "outbound_messages WHERE recipient = '{to}' AND text LIKE 'DETRESSE%'"
        ))
    };
    assert_eq!(detresse(SAFETY), 2, "an alert each time the word is said");
    for other in [
        "+22390000202",
        "+22390000101",
        "+22390000301",
        TWIN,
        WATCHED,
    ] {
        assert_eq!(detresse(other), 0, "{other} was told");
    }

    // The word is stored nowhere; the event is audited; the reports are marked.
    for table in [
        "inbound_messages",
        "inbound_parts",
        "reports",
        "checkins",
        "outbound_messages",
    ] {
        let column = match table {
            "reports" => "description",
            "checkins" => "comment",
            _ => "text",
        };
        let sql = format!("{table} WHERE lower({column}) LIKE '%soleil%'");
        assert_eq!(app.count(&sql), 0, "the word is in {table}");
    }
    assert_eq!(
        app.count("audit_log WHERE action = 'contact.duress'"),
        2,
        "each time said"
    );
    assert_eq!(
        app.count("audit_log WHERE action = 'contact.duress_word'"),
        1
    );
    let marked = format!("reports WHERE duress = 1 AND reporter = '{WATCHED}'");
    assert_eq!(app.count(&marked), 1);
    let csv = app
        .client
        .get(app.url("/api/incidents.csv"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!csv.to_lowercase().contains("soleil"), "{csv}");

    // Marked until an admin clears it: a coordinator cannot.
    app.sms(WATCHED, "ATT Koro 1 mort", "w3").await;
    app.replies(WATCHED, 3).await;
    assert_eq!(app.count(&marked), 2, "reports after the word are marked");
    let clear = format!("/api/contacts/{id}/duress/clear");
    let refused = app
        .as_token(&coordinator, Method::POST, &clear, json!({}))
        .await;
    assert_eq!(refused, 403);
    let (status, _) = app.api(Method::POST, &clear, None).await;
    assert_eq!(status, 204);
    app.sms(WATCHED, "ATT Koro 2 morts", "w4").await;
    app.replies(WATCHED, 4).await;
    assert_eq!(app.count(&marked), 2, "cleared");
    assert_eq!(
        app.count("audit_log WHERE action = 'contact.duress_clear'"),
        1
    );
}

#[tokio::test]
async fn a_safety_contact_who_sent_stop_is_not_alerted() {
    let app = spawn_gateway(CONFIG, tempfile::tempdir().unwrap()).await;
    let quit = "+22390000203";
    let csv = format!(
        "phone,name,roles,language,home,zones,discreet\n\
         {WATCHED},Awa,monitor,fr,,Koro,no\n{SAFETY},Securite,safety,fr,,Koro,no\n\
         {quit},Parti,safety,fr,,Koro,no\n"
    );
    app.import(&csv).await;
    app.sms(quit, "STOP", "q1").await;
    app.replies(quit, 1).await;
    assert_eq!(app.set_duress_word("Soleil").await, 204);

    app.sms(WATCHED, "RAS soleil", "w1").await;
    let alert = app.replies(SAFETY, 1).await;
    assert!(alert[0].starts_with("DETRESSE"), "{alert:?}");
    let to_quit = format!("outbound_messages WHERE recipient = '{quit}' AND text LIKE 'DETRESSE%'");
    assert_eq!(
        app.count(&to_quit),
        0,
        "a number that sent STOP was alerted"
    );
}
