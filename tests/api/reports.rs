//! Reports end to end: a monitor's SMS in, a report stored, a reply in the sim outbox.

use std::time::Duration;

use vigie::store::db::ToArg;

use crate::helpers::{TestApp, spawn_app};

const MONITOR: &str = "+22376123456";

impl TestApp {
    /// Registers a monitor directly in the database, now.
    pub(crate) fn register(&self, phone: &str, home: Option<&str>, discreet: bool) {
        let now = self.clock.now_ms();
        self.database.with(|db| {
            db.execute(
                "INSERT INTO contacts (phone, name, roles, home, discreet, created_at, updated_at)
                 VALUES (?1, 'Moussa', 'monitor', ?2, ?3, ?4, ?4)",
                &[&phone as &dyn ToArg, &home, &discreet, &now],
            )
            .unwrap()
        });
    }

    /// Sends an SMS from the sim phone `from`.
    pub(crate) async fn sms(&self, from: &str, text: &str, id: &str) {
        let body = serde_urlencoded_pairs(&[("from", from), ("text", text), ("id", id)]);
        let response = self.post_form("/webhooks/sim/sms", &body).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }

    /// Waits for the `n`-th reply to `to` in the sim outbox; returns the replies, oldest first.
    pub(crate) async fn replies(&self, to: &str, n: usize) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let url = format!("/sim/outbox?to={}", to.replace('+', "%2B"));
            let body: serde_json::Value = self.get(&url).await.json().await.unwrap();
            let mut texts: Vec<String> = body["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["text"].as_str().unwrap().to_owned())
                .collect();
            texts.reverse();
            if texts.len() >= n {
                return texts;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no reply {n} to {to}: {texts:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn serde_urlencoded_pairs(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

#[tokio::test]
async fn a_monitors_report_is_stored_once_and_acknowledged() {
    let app = spawn_app().await;
    app.register(MONITOR, None, false);
    app.sms("76123456", "ATT Koro 3 morts 2 blesses", "m1")
        .await;
    app.sms("76123456", "ATT Koro 3 morts 2 blesses", "m1")
        .await;
    let replies = app.replies(MONITOR, 1).await;
    let id: i64 = app.one("SELECT id FROM reports");
    assert_eq!(
        replies,
        [format!(
            "Recu {id}: ATTAQUE Koro (Mopti), 3 morts 2 blesses"
        )]
    );
    assert_eq!(
        app.count("reports"),
        1,
        "a provider's retry makes no second report"
    );
    let row: (String, String, String, i64) = app.database.with(|db| {
        db.query_one(
            "SELECT category, admin1, found_by, unverified FROM reports",
            &[],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap()
    });
    assert_eq!(row, ("ATT".into(), "Mopti".into(), "text".into(), 0));
    assert_eq!(app.count("inbound_messages WHERE state = 'done'"), 1);
}

#[tokio::test]
async fn errors_get_a_reply_and_no_report() {
    let app = spawn_app().await;
    app.register(MONITOR, None, false);
    app.sms("76123456", "XYZ Koro 3 morts", "e1").await;
    let replies = app.replies(MONITOR, 1).await;
    assert!(
        replies[0].starts_with("Categorie inconnue: XYZ."),
        "{replies:?}"
    );
    assert_eq!(app.count("reports"), 0);
}

/// A provider's date is believed only within bounds: one before 1970 (a date the parser
/// cannot read "hier" against) or in 2099 dates the report from when the SMS reached us.
#[tokio::test]
async fn a_providers_date_out_of_bounds_dates_the_report_from_its_arrival() {
    let app = spawn_app().await;
    app.register(MONITOR, None, false);
    let sent = [
        ("d1", "ATT Koro hier", "-262143-01-01 00:00:00"),
        ("d2", "MEN Koro hier", "2099-01-01T00:00:00Z"),
    ];
    for (i, (id, text, date)) in sent.into_iter().enumerate() {
        let pairs = [
            ("from", "76123456"),
            ("text", text),
            ("id", id),
            ("date", date),
        ];
        let response = app
            .post_form("/webhooks/sim/sms", &serde_urlencoded_pairs(&pairs))
            .await;
        assert_eq!(response.status(), 200, "{date}");
        let replies = app.replies(MONITOR, i + 1).await;
        assert!(replies[i].starts_with("Recu "), "{replies:?}");
    }
    assert_eq!(app.count("reports"), 2);
    let latest: i64 = app.one("SELECT max(event_time) FROM reports");
    assert!(
        latest <= app.clock.now_ms(),
        "no report dated in the future"
    );
}

#[tokio::test]
async fn unknown_senders_are_filed_unverified_and_discreet_ones_get_the_reference_only() {
    let app = spawn_app().await;
    app.register("+22376000001", Some("wof:421184495"), true);
    app.sms("76000001", "ATT 2 morts", "d1").await;
    let replies = app.replies("+22376000001", 1).await;
    let id: i64 = app.one("SELECT id FROM reports");
    assert_eq!(replies, [format!("Recu {id}")], "discreet: no echo");
    app.sms("76000002", "MEN Konna", "u1").await;
    app.replies("+22376000002", 1).await;
    assert_eq!(app.count("reports WHERE unverified = 1"), 1);
    assert_eq!(app.count("reports WHERE found_by = 'reporter_home'"), 1);
}

#[tokio::test]
async fn a_place_choice_is_answered_with_a_digit() {
    let app = spawn_app().await;
    app.register(MONITOR, None, false);
    // Two villages called Gouloumbo in the Mopti region, far apart.
    app.sms("76123456", "ATT Gouloumbo 2 morts", "c1").await;
    let replies = app.replies(MONITOR, 1).await;
    let choice = "Plusieurs lieux Gouloumbo. Repondez par le chiffre: 1=";
    assert!(replies[0].starts_with(choice), "{replies:?}");
    assert_eq!(app.count("reports WHERE status = 'pending'"), 1);
    app.sms("76123456", "1", "c2").await;
    let replies = app.replies(MONITOR, 2).await;
    let id: i64 = app.one("SELECT id FROM reports");
    assert!(
        replies[1].starts_with(&format!("Recu {id}: ATTAQUE Gouloumbo (Mopti)")),
        "{replies:?}"
    );
    assert_eq!(
        app.count("reports WHERE status = 'filed' AND place_name IS NOT NULL"),
        1
    );
    app.sms("76123456", "2", "c3").await;
    let replies = app.replies(MONITOR, 3).await;
    assert!(
        replies[2].starts_with("Pas de choix en attente"),
        "{replies:?}"
    );
}

#[tokio::test]
async fn stop_ends_alerts_and_reprise_resumes_them() {
    let app = spawn_app().await;
    app.sms("76123456", "STOP", "s1").await;
    let replies = app.replies(MONITOR, 1).await;
    assert!(
        replies[0].starts_with("Vous ne recevrez plus"),
        "{replies:?}"
    );
    let alert = app.send_sms(MONITOR, "Alerte ATT Koro", "alert").await;
    let body: serde_json::Value = alert.json().await.unwrap();
    assert!(body["messages"][0]["id"].is_null(), "not queued: {body}");
    app.sms("76123456", "REPRISE", "s2").await;
    app.replies(MONITOR, 2).await;
    let alert = app.send_sms(MONITOR, "Alerte ATT Koro", "alert").await;
    let body: serde_json::Value = alert.json().await.unwrap();
    assert!(body["messages"][0]["id"].is_i64(), "queued again: {body}");
    // Sending STOP registered nobody: a report from that number is still unverified.
    app.sms("76123456", "MEN Konna", "s3").await;
    let replies = app.replies(MONITOR, 4).await;
    assert!(replies[3].starts_with("Recu "), "{replies:?}");
    assert_eq!(app.count("reports WHERE unverified = 1"), 1);
}

#[tokio::test]
async fn a_contact_with_reports_can_be_deleted_and_the_reports_stay() {
    let app = spawn_app().await;
    app.register(MONITOR, None, false);
    app.sms("76123456", "MEN Konna", "k1").await;
    app.replies(MONITOR, 1).await;
    let id: i64 = app.one("SELECT id FROM contacts");
    let response = app
        .client
        .delete(app.url(&format!("/api/contacts/{id}")))
        .bearer_auth(crate::helpers::ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(app.count("reports WHERE contact_id IS NULL"), 1);
}

#[tokio::test]
async fn a_choice_not_made_in_time_expires_with_a_notice() {
    let rest = format!(
        "[inbound]\nconcat_timeout_secs = 2\n{}",
        crate::helpers::channels()
    );
    let app = crate::helpers::spawn_gateway_reporting(
        "choice_timeout_secs = 1\n",
        &rest,
        tempfile::tempdir().unwrap(),
    )
    .await;
    app.register(MONITOR, None, false);
    app.sms("76123456", "ATT Gouloumbo 2 morts", "x1").await;
    let replies = app.replies(MONITOR, 2).await;
    assert!(
        replies[1].starts_with("Choix expire: le rapport ATT Gouloumbo"),
        "{replies:?}"
    );
    assert_eq!(app.count("reports WHERE status = 'expired'"), 1);
}

#[tokio::test]
async fn reports_of_one_attack_by_three_monitors_make_one_incident_with_three_sources() {
    let app = spawn_app().await;
    let monitors = ["+22376000011", "+22376000012", "+22376000013"];
    for (i, m) in monitors.iter().enumerate() {
        app.register(m, None, false);
        let from = m.trim_start_matches("+223");
        app.sms(from, &format!("ATT Koro {} morts", 3 + i), &format!("f{i}"))
            .await;
        app.replies(m, 1).await;
    }
    // The first monitor again: a repeat, not a fourth source.
    app.sms("76000011", "ATT Koro 5 morts", "f3").await;
    app.replies("+22376000011", 2).await;
    // Elsewhere: another incident.
    app.sms("76000012", "ATT Douentza 1 mort", "f4").await;
    let replies = app.replies("+22376000012", 2).await;
    assert!(
        replies[1].starts_with("Recu 2: ATTAQUE Douentza"),
        "{replies:?}"
    );

    assert_eq!(app.count("incidents"), 2);
    let (sources, counts): (i64, String) = app.database.with(|db| {
        db.query_one(
            "SELECT sources, counts FROM incidents WHERE id = 1",
            &[],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    });
    assert_eq!(sources, 3);
    assert!(
        counts.contains("\"killed\":5"),
        "the highest count: {counts}"
    );
    let (_, body) = app
        .api(reqwest::Method::GET, "/api/incidents/1", None)
        .await;
    assert_eq!(
        body["incident"]["counts_range"]["killed"], "3–5",
        "the reports disagreed: {body}"
    );
    for m in monitors {
        let replies = app.replies(m, 1).await;
        assert!(
            replies[0].starts_with("Recu 1: ATTAQUE Koro"),
            "one reference for one incident: {replies:?}"
        );
    }

    // ANNULE: the sender's own report leaves; the last one out withdraws the incident.
    app.sms("76000013", "ANNULE 1", "w1").await;
    let replies = app.replies("+22376000013", 2).await;
    assert_eq!(replies[1], "Rapport retire de l incident 1. Merci.");
    assert_eq!(
        app.one::<i64>("SELECT sources FROM incidents WHERE id = 1"),
        2
    );
    app.sms("76000013", "ANNULE 2", "w2").await;
    let replies = app.replies("+22376000013", 3).await;
    assert!(
        replies[2].starts_with("Aucun rapport de vous dans l incident 2"),
        "{replies:?}"
    );
    app.sms("76000012", "ANNULE 2", "w3").await;
    app.replies("+22376000012", 3).await;
    assert_eq!(
        app.one::<String>("SELECT status FROM incidents WHERE id = 2"),
        "withdrawn"
    );
}

#[tokio::test]
async fn a_message_that_cannot_be_carried_out_is_set_aside_with_why() {
    let app = spawn_app().await;
    app.register(MONITOR, None, false);
    // A fault that strikes this one message only, every time it is tried.
    app.database.fault(
        "refuse_first",
        "INSERT ON reports",
        "NEW.inbound_id = 1",
        "cannot file this one",
    );
    app.sms("76123456", "ATT Koro 3 morts", "f1").await;
    app.sms("76123456", "ENL Bankass 2 enleves", "f2").await;
    let replies = app.replies(MONITOR, 1).await;
    assert!(
        replies[0].starts_with("Recu 1: ENLEVEMENT Bankass"),
        "{replies:?}"
    );
    app.wait_for_rows("inbound_messages WHERE id = 1 AND state = 'error'")
        .await;
    let error: String = app.one("SELECT error FROM inbound_messages WHERE id = 1");
    assert!(error.contains("cannot file this one"), "{error}");
    assert_eq!(app.count("reports"), 1);
    assert_eq!(app.get("/readyz").await.status(), 200, "the writer goes on");
}

#[tokio::test]
async fn a_sentence_is_filed_by_its_act_and_the_receipt_says_which() {
    let app = spawn_app().await;
    app.register(MONITOR, None, false);
    app.sms(
        "76123456",
        "des bandits armes ont enleve 2 commercants pres de Tenenkou",
        "s1",
    )
    .await;
    let replies = app.replies(MONITOR, 1).await;
    assert_eq!(replies[0], "Recu 1: ENLEVEMENT Tenenkou (Mopti), 2 enleves");
}

/// A place named alike in Mali and in Niger is the one in the channel's country; a channel
/// that sets none keeps to `reports.countries` (Mali, the default country).
#[tokio::test]
async fn a_place_is_looked_for_in_the_channels_country_first() {
    let dir = tempfile::tempdir().unwrap();
    let niger = dir.path().join("niger.csv");
    std::fs::write(
        &niger,
        "id,name,alt_names,kind,lat,lon,country,admin1,admin2,admin3,source\n\
         ne:1,Bankass,,locality,14.20,1.45,NE,Tillaberi,Tera,Tera,t\n",
    )
    .unwrap();
    let reports = format!("extra_gazetteers = [{niger:?}]\n");
    let rest = "[inbound]\n[[channels]]\nid = \"sim\"\nkind = \"sim\"\n\
                [[channels]]\nid = \"ne\"\nkind = \"sim\"\ncountry = \"NE\"\n";
    let app = crate::helpers::spawn_gateway_reporting(&reports, rest, dir).await;
    let body = serde_urlencoded_pairs(&[
        ("from", "+22790000001"),
        ("text", "ATT Bankass 2 morts"),
        ("id", "n1"),
    ]);
    let response = app.post_form("/webhooks/ne/sms", &body).await;
    assert_eq!(response.status(), 200);
    app.sms("+22376000009", "ATT Bankass 3 morts", "m1").await;
    app.wait_for_rows("incidents WHERE id = 2").await;
    assert_eq!(
        app.column("SELECT commune FROM incidents ORDER BY id"),
        [
            Some("Tillaberi/Tera/Tera".to_owned()),
            Some("Mopti/Bankass/Bankass".to_owned())
        ]
    );
}
