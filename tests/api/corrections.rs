//! Corrections: a coordinator sets an incident's category, place or counts within their
//! zones; the reports stay as sent, the correction stands over later reports, and the
//! change is audited with the values before and after.

use reqwest::Method;
use serde_json::{Value, json};
use vigie::access::Role;

use crate::helpers::spawn_app;

const MONITOR: &str = "+22376123456";
const SECOND: &str = "+22376123457";
const RESPONDER: &str = "+22370000001";

#[tokio::test]
async fn a_coordinator_corrects_an_incident_and_the_reports_stay_as_sent() {
    let app = spawn_app().await;
    app.register(MONITOR, None, false);
    app.register(SECOND, None, false);
    let responder = json!({ "phone": RESPONDER, "roles": ["responder"], "zones": ["Mopti"] });
    let (status, _) = app
        .api(Method::POST, "/api/contacts", Some(responder))
        .await;
    assert_eq!(status, 201);
    app.sms("76123456", "ATT Koro 3 morts", "r1").await;
    app.replies(MONITOR, 1).await;
    let alert = app.replies(RESPONDER, 1).await;
    assert!(alert[0].starts_with("ALERTE 1 ATT Koro"), "{alert:?}");
    let patch = |token: Option<String>, body: Value| {
        let app = &app;
        async move {
            let mut request = app.client.patch(app.url("/api/incidents/1")).json(&body);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap_or_default())
        }
    };
    let fix = json!({ "category": "ENL", "place": "Bondo",
                      "counts": { "killed": 4, "abducted": 2 }, "note": "vu par la mairie" });
    let bankass = app.token(Role::Coordinator, &["Bankass"]);
    let viewer = app.token(Role::Viewer, &[]);
    assert_eq!(patch(None, fix.clone()).await.0, 401);
    assert_eq!(patch(Some(viewer), fix.clone()).await.0, 403);
    assert_eq!(patch(Some(bankass), fix.clone()).await.0, 403);

    let mopti = app.token(Role::Coordinator, &["Mopti"]);
    for (bad, named) in [
        (json!({ "category": "XYZ" }), "category"),
        (json!({ "place": "Nulle Part" }), "place"),
        (json!({ "counts": { "dead": 1 } }), "dead"),
        (json!({ "counts": { "killed": -1 } }), "counts.killed"),
        (json!({}), "nothing to correct"),
    ] {
        let (status, body) = patch(Some(mopti.clone()), bad).await;
        assert_eq!(status, 422, "{body}");
        assert!(body["message"].as_str().unwrap().contains(named), "{body}");
    }
    assert_eq!(
        app.count("audit_log WHERE action = 'incident.correct'"),
        0,
        "a refused correction changes nothing"
    );

    let (status, body) = patch(Some(mopti.clone()), fix).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["corrected"]["category"], "ENL");
    // Responders are told at once: what they were sent is wrong.
    let told = app.replies(RESPONDER, 2).await;
    assert!(
        told[1].starts_with("MAJ 1 ENL Bondo (Mopti) 4 morts 2 enleves"),
        "{told:?}"
    );
    let incident = app.api(Method::GET, "/api/incidents/1", None).await.1["incident"].take();
    assert_eq!(incident["category"], "ENL", "{incident}");
    assert!(
        incident["place"].as_str().unwrap().starts_with("Bondo"),
        "{incident}"
    );
    assert_eq!(incident["admin"][2], "Bondo", "{incident}");
    assert_eq!(incident["counts"]["killed"], 4);
    assert_eq!(incident["counts"]["abducted"], 2);
    let report = &incident["reports"][0];
    assert_eq!(report["category"], "ATT", "the report as sent: {report}");
    assert_eq!(report["counts"]["killed"], 3);
    assert!(
        report["place"].as_str().unwrap().starts_with("Koro"),
        "{report}"
    );

    // A later report joins the corrected incident; the correction stands.
    app.sms("76123457", "ENL Bondo 10 morts", "r2").await;
    app.replies(SECOND, 1).await;
    let incident = app.api(Method::GET, "/api/incidents/1", None).await.1["incident"].take();
    assert_eq!(incident["sources"], 2, "{incident}");
    assert_eq!(incident["counts"]["killed"], 4, "{incident}");

    let detail: String = app.one("SELECT detail FROM audit_log WHERE action = 'incident.correct'");
    let detail: Value = serde_json::from_str(&detail).unwrap();
    assert_eq!(detail["before"]["category"], "ATT");
    assert_eq!(detail["after"]["category"], "ENL");
    assert_eq!(detail["note"], "vu par la mairie");
}
