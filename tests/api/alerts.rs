//! Incidents and alerts end to end, through sim SMS: monitors report, responders of the
//! incident's zones are alerted (nobody else), updates follow the rules, `OK` stops
//! escalation, silence escalates once the deadline passes (the gateway's clock is moved).

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{TestApp, channels, spawn_app, spawn_gateway};

const MONITOR: &str = "+22376123456";

impl TestApp {
    /// Adds a contact through the admin API.
    async fn contact(&self, fields: Value) {
        let (status, body) = self
            .api(reqwest::Method::POST, "/api/contacts", Some(fields))
            .await;
        assert_eq!(status, 201, "{body}");
    }

    async fn responder(&self, phone: &str, zones: &[&str], language: &str) {
        let fields = json!({ "phone": phone, "roles": ["responder"], "zones": zones,
                             "language": language });
        self.contact(fields).await;
    }

    fn alert_recipients(&self) -> Vec<Option<String>> {
        self.column(
            "SELECT recipient FROM outbound_messages WHERE purpose = 'alert' ORDER BY recipient",
        )
    }

    /// Waits until `n` more sweeps for due updates and escalations have completed.
    async fn sweeps_pass(&self, n: u64) {
        let done = || async {
            let metrics = self.get("/metrics").await.text().await.unwrap();
            let line = metrics
                .lines()
                .find(|l| l.starts_with("vigie_alert_sweeps_total "));
            line.and_then(|l| l.split(' ').nth(1)?.parse::<u64>().ok())
                .unwrap_or(0)
        };
        let until = done().await + n;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while done().await < until {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no sweep within 20 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn some(phones: &[&str]) -> Vec<Option<String>> {
    phones.iter().map(|p| Some((*p).to_owned())).collect()
}

/// Housekeeping (and the alert sweep) every second.
pub(crate) async fn spawn_quick(rest: &str) -> TestApp {
    let config = format!("[inbound]\nconcat_timeout_secs = 2\n{rest}\n{}", channels());
    spawn_gateway(&config, tempfile::tempdir().unwrap()).await
}

#[tokio::test]
async fn an_incident_alerts_each_matching_responder_once_and_nobody_else() {
    let app = spawn_app().await;
    app.register(MONITOR, None, false);
    app.responder("+22370000001", &["Koro"], "fr").await;
    app.responder("+22370000002", &["Mopti"], "en").await;
    app.responder("+22370000003", &["Bankass"], "fr").await;
    app.responder("+22370000004", &["Koro"], "fr").await;
    app.contact(
        json!({ "phone": "+22370000005", "roles": ["responder"], "zones": ["Koro"],
                        "categories": ["ENL"] }),
    )
    .await;
    app.contact(json!({ "phone": "+22370000006", "roles": ["monitor"], "zones": ["Koro"] }))
        .await;
    app.sms("70000004", "STOP", "s1").await;
    app.replies("+22370000004", 1).await;

    app.sms("76123456", "ATT Koro 3 morts 2 blesses", "a1")
        .await;
    let fr = app.replies("+22370000001", 1).await;
    let en = app.replies("+22370000002", 1).await;
    assert!(
        fr[0].starts_with("ALERTE 1 ATT Koro (Mopti) 3 morts 2 blesses, 1 source, ")
            && fr[0].ends_with(". Repondez OK 1"),
        "{fr:?}"
    );
    assert!(
        en[0].starts_with("ALERT 1 ATT Koro (Mopti) 3 killed 2 injured, 1 source, "),
        "{en:?}"
    );
    // A provider's retry, then a repeat by the same monitor: nothing new for responders.
    app.sms("76123456", "ATT Koro 3 morts 2 blesses", "a1")
        .await;
    app.sms("76123456", "ATT Koro 3 morts 2 blesses", "a2")
        .await;
    app.replies(MONITOR, 2).await;
    assert_eq!(
        app.alert_recipients(),
        some(&["+22370000001", "+22370000002"])
    );
    let texts = app.column("SELECT text FROM outbound_messages WHERE purpose = 'alert'");
    assert!(texts.iter().flatten().all(|t| !t.contains("76123456")));
    assert_eq!(app.one::<i64>("SELECT sources FROM incidents"), 1);

    let (status, list) = app
        .api(
            reqwest::Method::GET,
            "/api/incidents?zone=Koro&category=ATT",
            None,
        )
        .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["incidents"].as_array().unwrap().len(), 1, "{list}");
    for empty in [
        "zone=Bankass",
        "category=MEN",
        "since=2099-01-01T00:00:00Z",
        "status=withdrawn",
    ] {
        let (_, list) = app
            .api(
                reqwest::Method::GET,
                &format!("/api/incidents?{empty}"),
                None,
            )
            .await;
        assert_eq!(list["incidents"], json!([]), "{empty}");
    }
    let (status, one) = app
        .api(reqwest::Method::GET, "/api/incidents/1", None)
        .await;
    assert_eq!(status, 200);
    let incident = &one["incident"];
    assert_eq!(incident["severity"], 5);
    assert_eq!(
        incident["reports"][0]["reporter"], MONITOR,
        "admins see numbers"
    );
    assert_eq!(incident["alerts"].as_array().unwrap().len(), 2);
    assert!(incident["alerts"][0]["delivery"].is_string(), "{incident}");
    let (status, _) = app
        .api(reqwest::Method::GET, "/api/incidents/99", None)
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .api(reqwest::Method::GET, "/api/incidents?min_severity=9", None)
        .await;
    assert_eq!(status, 400);
    let (status, body) = app
        .api(
            reqwest::Method::GET,
            "/api/incidents.csv?category=ATTACK",
            None,
        )
        .await;
    assert_eq!(
        status, 400,
        "an unknown category is refused, not an empty list"
    );
    assert!(
        body.to_string().contains("category must be one of ATT,"),
        "{body}"
    );
    let (status, _) = app
        .api(reqwest::Method::GET, "/api/incidents?category=att", None)
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn corroboration_alerts_low_severity_and_updates_follow_the_rules() {
    let app = spawn_quick("").await;
    for (i, phone) in ["+22376000001", "+22376000002", "+22376000003"]
        .iter()
        .enumerate()
    {
        app.register(phone, None, i == 2);
    }
    app.responder("+22370000001", &["Koro"], "fr").await;
    app.sms("76000001", "MEN Koro", "m1").await;
    app.replies("+22376000001", 1).await;
    assert_eq!(
        app.alert_recipients(),
        some(&[]),
        "one source, low severity: no alert"
    );

    app.sms("76000002", "MEN Koro", "m2").await;
    let alert = app.replies("+22370000001", 1).await;
    assert!(
        alert[0].starts_with("ALERTE 1 MEN Koro (Mopti), 2 sources, "),
        "{alert:?}"
    );
    app.responder("+22370000002", &["Mopti"], "fr").await;
    app.sms("76000002", "MEN Koro", "m3").await;
    let late = app.replies("+22370000002", 1).await;
    assert!(
        late[0].starts_with("ALERTE 1 MEN Koro (Mopti), 2 sources"),
        "a responder matching only now gets the alert: {late:?}"
    );
    app.sms("76000003", "MEN Koro", "m4").await;
    app.replies("+22376000003", 1).await;
    assert_eq!(app.one::<i64>("SELECT sources FROM incidents"), 3);
    assert_eq!(
        app.count("alerts"),
        2,
        "a third source, but the interval is not over"
    );

    app.clock.advance(Duration::from_secs(31 * 60));
    let texts = app.replies("+22370000001", 2).await;
    assert!(
        texts[1].starts_with("MAJ 1 MEN Koro (Mopti), 3 sources, "),
        "{texts:?}"
    );
    app.replies("+22370000002", 2).await;
    assert_eq!(
        app.column(
            "SELECT kind || ' ' || version || ' ' || phone || ' ' || level FROM alerts ORDER BY id"
        ),
        some(&[
            "alert 1 +22370000001 0",
            "alert 1 +22370000002 0",
            "update 2 +22370000001 0",
            "update 2 +22370000002 0",
            // Nobody answered within the deadline either: the units above the commune of
            // Koro are told (its cercle, also Koro; the cercle's region, Mopti).
            "escalation 2 +22370000001 1",
            "escalation 2 +22370000002 1"
        ])
    );
}

pub(crate) const ZONES: &str = r#"
[[zones]]
code = "koro-zone"
units = ["Koro"]
escalation = ["+22370000099"]
subscribers = [{ phone = "+22370000050", categories = ["ATT"] }]
"#;

#[tokio::test]
async fn ok_stops_escalation_and_silence_escalates_after_the_deadline() {
    let app = spawn_quick(ZONES).await;
    let region = json!({ "code": "mopti-region", "units": ["Mopti"], "severity_threshold": 5,
                         "sources": 9 });
    let south = json!({ "code": "bankass-sud", "units": ["Bankass"], "parent": "mopti-region" });
    for zone in [region, south] {
        let (status, body) = app
            .api(reqwest::Method::POST, "/api/zones", Some(zone))
            .await;
        assert_eq!(status, 201, "{body}");
    }
    app.register(MONITOR, None, false);
    app.register("+22376000002", None, true);
    app.responder("+22370000001", &["koro-zone"], "fr").await;
    app.responder("+22370000003", &["bankass-sud"], "fr").await;
    app.responder("+22370000007", &["mopti-region"], "fr").await;

    app.sms("76123456", "ATT Koro", "a1").await;
    app.sms("76000002", "ATT Koro", "a2").await;
    app.replies("+22370000001", 1).await;
    app.sms("76123456", "ATT Bankass", "b1").await;
    app.replies("+22370000003", 1).await;
    assert_eq!(
        app.alert_recipients(),
        some(&["+22370000001", "+22370000003", "+22370000050"]),
        "the zone's subscriber too; the region's threshold is not reached"
    );

    // Incidents are numbered by the database: PostgreSQL may skip numbers.
    let koro: i64 = app.one("SELECT min(incident_id) FROM reports WHERE admin2 = 'Koro'");
    let bankass: i64 = app.one("SELECT min(incident_id) FROM reports WHERE admin2 = 'Bankass'");
    app.sms("70000001", &format!("OK {koro}"), "k1").await;
    let answers = app.replies("+22370000001", 2).await;
    assert_eq!(
        answers[1],
        format!("Merci. Prise en charge de l alerte {koro} enregistree.")
    );
    let told = app.replies(MONITOR, 3).await;
    assert_eq!(
        told[2],
        format!("Votre alerte {koro} a ete prise en charge. Merci.")
    );
    app.sms("70000001", &format!("INFO {koro}"), "i1").await;
    let info = app.replies("+22370000001", 3).await;
    assert!(info[2].ends_with(": pris en charge."), "{info:?}");
    app.sms("76123456", &format!("OK {bankass}"), "k2").await;
    let refused = app.replies(MONITOR, 4).await;
    assert_eq!(
        refused[3],
        format!("Aucune alerte {bankass} pour ce numero.")
    );

    // The deadline is 30 minutes: at 29, sweeps come and go and nobody is told.
    app.clock.advance(Duration::from_secs(29 * 60));
    app.sweeps_pass(2).await;
    assert_eq!(
        app.count("outbound_messages WHERE recipient = '+22370000007'"),
        0,
        "escalated before its deadline"
    );
    app.clock.advance(Duration::from_secs(2 * 60));
    let escalated = app.replies("+22370000007", 1).await;
    assert!(
        escalated[0].starts_with(&format!(
            "ALERTE {bankass} SANS REPONSE: ATT Bankass (Mopti)"
        )),
        "{escalated:?}"
    );
    assert_eq!(
        app.count("outbound_messages WHERE recipient = '+22370000099'"),
        0
    );
    assert_eq!(
        app.count("outbound_messages WHERE recipient = '+22376000002'"),
        1,
        "discreet"
    );
    assert_eq!(
        app.one::<i64>(&format!(
            "SELECT escalation FROM incidents WHERE id = {bankass}"
        )),
        1
    );
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("vigie_escalations_total 1"), "{metrics}");
    assert!(
        metrics.contains("vigie_acknowledgement_seconds_count 1"),
        "{metrics}"
    );
    for line in [
        r#"vigie_incidents_total{kind="fused"} 1"#,
        r#"vigie_incidents_total{kind="opened"} 2"#,
        "vigie_first_alert_seconds_count 2",
        r#"vigie_alerts_enqueued_total{kind="escalation"} 1"#,
    ] {
        assert!(metrics.contains(line), "{line}: {metrics}");
    }
}

#[tokio::test]
async fn an_incident_with_nobody_to_alert_goes_straight_to_escalation() {
    let zone =
        "[[zones]]\ncode = \"bankass\"\nunits = [\"Bankass\"]\nescalation = [\"+22370000077\"]\n";
    let app = spawn_quick(zone).await;
    app.register(MONITOR, None, false);
    app.sms("76123456", "ATT Bankass 2 morts", "b1").await;
    let told = app.replies("+22370000077", 1).await;
    assert!(
        told[0].starts_with("ALERTE 1 SANS REPONSE: ATT Bankass (Mopti) 2 morts"),
        "{told:?}"
    );
    app.sms("70000077", "OK 1", "k1").await;
    let thanks = app.replies("+22370000077", 2).await;
    assert_eq!(
        thanks[1],
        "Merci. Prise en charge de l alerte 1 enregistree."
    );
}
