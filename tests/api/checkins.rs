//! `RAS` is a check-in: stored with its place (said, else the sender's home) and comment,
//! acknowledged without an incident number, never an incident, never an alert; the contacts
//! API shows each contact's last report and last check-in.

use reqwest::Method;
use serde_json::json;

use crate::helpers::spawn_app;

const MONITOR: &str = "+22376123456";
const RESPONDER: &str = "+22370000001";

#[tokio::test]
async fn ras_is_noted_as_a_check_in_and_opens_no_incident() {
    let app = spawn_app().await;
    app.register(MONITOR, Some("wof:1343561773;gn:2454674"), false);
    let responder = json!({ "phone": RESPONDER, "roles": ["responder"], "zones": ["Mopti"] });
    let (status, _) = app
        .api(Method::POST, "/api/contacts", Some(responder))
        .await;
    assert_eq!(status, 201);

    app.sms("76123456", "RAS calme ici", "r1").await;
    app.sms("76123456", "rien Douentza", "r2").await;
    let replies = app.replies(MONITOR, 2).await;
    assert_eq!(replies, ["Bien recu, merci. RAS note."; 2]);
    assert_eq!(app.count("incidents"), 0);
    assert_eq!(app.count("reports"), 0);
    assert_eq!(
        app.column("SELECT place_name || ' / ' || comment FROM checkins ORDER BY id"),
        [
            Some("Koro / calme ici".to_owned()),
            Some("Douentza / ".to_owned())
        ]
    );
    app.sms("76123456", "ATT Koro 2 morts", "a1").await;
    app.replies(MONITOR, 3).await;
    let alerts = app.replies(RESPONDER, 1).await;
    assert!(
        alerts[0].starts_with("ALERTE 1 ATT Koro"),
        "only the attack: {alerts:?}"
    );
    assert_eq!(app.count("incidents"), 1);

    let (_, list) = app.api(Method::GET, "/api/contacts", None).await;
    let monitor = list["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["phone"] == MONITOR)
        .unwrap()
        .clone();
    assert_eq!(monitor["last_checkin_place"], "Douentza", "{monitor}");
    assert!(monitor["last_checkin_at"].is_string(), "{monitor}");
    assert!(monitor["last_report_at"].is_string(), "{monitor}");
    let responder = list["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["phone"] == RESPONDER)
        .unwrap()
        .clone();
    assert!(responder["last_checkin_at"].is_null(), "{responder}");
}
