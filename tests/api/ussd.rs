//! The USSD menu walked as Africa's Talking would (a POST per step, `text` growing), in
//! French and English: a complete report creates exactly one report with the chosen
//! values and an SMS receipt; wrong answers show the screen again; a replayed step
//! answers the same and creates nothing; a dropped session is taken up again, or finished
//! by SMS with the code its caller is sent once the provider has ended it.

use std::time::Duration;

use crate::helpers::{TestApp, spawn_app};

const MONITOR: &str = "+22376123456";
const OTHER: &str = "+22376000002";
const STRANGER: &str = "+22376999999";

impl TestApp {
    /// One step of session `session` from `phone`, answered `CON ...` or `END ...`.
    pub(crate) async fn ussd(&self, session: &str, phone: &str, text: &str) -> String {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("sessionId", session),
                ("serviceCode", "*123#"),
                ("phoneNumber", phone),
                ("networkCode", "61001"),
                ("text", text),
            ])
            .finish();
        let response = self.post_form("/webhooks/sim/ussd", &body).await;
        assert_eq!(response.status(), 200);
        let kind = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(kind.starts_with("text/plain"), "{kind}");
        response.text().await.unwrap()
    }

    /// Walks `answers` in one session; returns each screen.
    async fn walk(&self, session: &str, phone: &str, answers: &[&str]) -> Vec<String> {
        let mut screens = vec![self.ussd(session, phone, "").await];
        let mut text = String::new();
        for answer in answers {
            if !text.is_empty() {
                text.push('*');
            }
            text.push_str(answer);
            screens.push(self.ussd(session, phone, &text).await);
        }
        screens
    }
}

#[tokio::test]
async fn a_french_monitor_reports_through_the_menu_and_gets_the_sms_receipt() {
    let app = spawn_app().await;
    app.register(MONITOR, Some("wof:421184495"), false);
    app.execute("UPDATE contacts SET language = 'fr'");
    let answers = [
        "1", "1", "Zzyzx", "Bondo", "trois", "3", "x", "0", "9", "4", "1",
    ];
    let screens = app.walk("s1", MONITOR, &answers).await;
    assert!(
        screens[0].starts_with("CON Vigie - alerte precoce\n1 Signaler"),
        "{}",
        screens[0]
    );
    assert!(
        screens[1].starts_with("CON Type d'incident:\n1 Attaque"),
        "{}",
        screens[1]
    );
    assert!(
        screens[2].contains("1 Mon lieu: Koro (Mopti)"),
        "{}",
        screens[2]
    );
    assert!(
        screens[3].starts_with("CON Lieu inconnu: Zzyzx."),
        "{}",
        screens[3]
    );
    assert!(screens[4].contains("Nombre de morts?"), "{}", screens[4]);
    assert!(
        screens[5].starts_with("CON Tapez un nombre, ou X.\nNombre de morts?"),
        "{}",
        screens[5]
    );
    assert!(screens[6].contains("Nombre de blesses?"), "{}", screens[6]);
    assert!(screens[7].contains("Nombre d'enleves?"), "{}", screens[7]);
    assert!(screens[8].starts_with("CON Quand?"), "{}", screens[8]);
    assert!(
        screens[9].starts_with("CON Choix invalide.\nQuand?"),
        "{}",
        screens[9]
    );
    assert_eq!(
        screens[10],
        "CON Attaque, Bondo (Mopti, Koro)\n3 morts 0 enleve\nHier\n1 Envoyer\n2 Annuler"
    );
    assert!(
        screens[11].starts_with("END Rapport envoye."),
        "{}",
        screens[11]
    );

    let receipt = app.replies(MONITOR, 1).await;
    assert!(
        receipt[0].starts_with("Recu 1: ATTAQUE Bondo"),
        "{receipt:?}"
    );
    assert_eq!(app.count("reports"), 1);
    assert_eq!(app.one::<String>("SELECT category FROM reports"), "ATT");
    let place: String = app.one("SELECT place_name FROM reports");
    assert!(place.starts_with("Bondo"), "{place}");
    let counts: String = app.one("SELECT counts FROM reports");
    let counts: serde_json::Value = serde_json::from_str(&counts).unwrap();
    assert_eq!(
        (counts["killed"].as_u64(), counts["abducted"].as_u64()),
        (Some(3), Some(0))
    );
    assert_eq!(counts["injured"], serde_json::Value::Null);

    // The provider sends the last step again: the same screen, nothing new.
    let text = answers.join("*");
    assert_eq!(app.ussd("s1", MONITOR, &text).await, screens[11]);
    let middle = answers[..4].join("*");
    assert_eq!(app.ussd("s1", MONITOR, &middle).await, screens[4]);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.count("reports"), 1);
    assert_eq!(app.count("inbound_messages"), 1);
}

#[tokio::test]
async fn an_english_caller_picks_a_language_and_one_of_several_places() {
    let app = spawn_app().await;
    let screens = app
        .walk(
            "e1",
            STRANGER,
            &[
                "2", "1", "8", "2", "Daga", "7", "2", "5", "x", "x", "2", "1",
            ],
        )
        .await;
    assert!(
        screens[0].contains("1 Francais\n2 English"),
        "{}",
        screens[0]
    );
    assert!(
        screens[1].starts_with("CON Vigie - early warning"),
        "{}",
        screens[1]
    );
    assert!(screens[2].contains("8 More"), "{}", screens[2]);
    assert!(
        screens[3].starts_with("CON What happened?\n1 Theft"),
        "{}",
        screens[3]
    );
    assert!(screens[4].starts_with("CON Where?"), "{}", screens[4]);
    assert!(
        screens[5].starts_with("CON Which one?\n1 Daga (Mopti, "),
        "{}",
        screens[5]
    );
    assert!(
        screens[6].starts_with("CON Invalid choice.\nWhich one?"),
        "{}",
        screens[6]
    );
    assert!(screens[7].contains("How many killed?"), "{}", screens[7]);
    assert!(
        screens[11].starts_with("CON Threat, Daga (Mopti, "),
        "{}",
        screens[11]
    );
    assert!(
        screens[11].contains("\n5 killed\nEarlier today\n1 Send"),
        "{}",
        screens[11]
    );
    assert!(
        screens[12].starts_with("END Report sent."),
        "{}",
        screens[12]
    );
    let receipt = app.replies(STRANGER, 1).await;
    assert!(receipt[0].starts_with("Got 1"), "in English: {receipt:?}");
    let category: String = app.one("SELECT category FROM reports");
    assert_eq!(category, "MEN");
}

#[tokio::test]
async fn a_dropped_session_is_taken_up_by_dialing_again() {
    let app = spawn_app().await;
    app.register(MONITOR, Some("wof:421184495"), false);
    app.execute("UPDATE contacts SET language = 'fr'");
    let cut = app.walk("d1", MONITOR, &["1", "1", "1", "2"]).await;
    assert!(cut[4].contains("Nombre de blesses?"), "{}", cut[4]);

    let again = app
        .walk("d2", MONITOR, &["7", "1", "1", "1", "1", "1"])
        .await;
    assert!(
        again[0].starts_with("CON Vous avez un rapport commence (Attaque)."),
        "{}",
        again[0]
    );
    assert!(again[1].starts_with("CON Choix invalide."), "{}", again[1]);
    assert!(
        again[2].contains("Nombre de blesses?"),
        "taken up where it stopped: {}",
        again[2]
    );
    assert!(
        again[5].starts_with("CON Attaque, Koro (Mopti)\n2 morts 1 blesse 1 enleve"),
        "{}",
        again[5]
    );
    assert!(again[6].starts_with("END Rapport envoye."), "{}", again[6]);
    app.replies(MONITOR, 1).await;
    assert_eq!(app.count("reports"), 1);

    // Taken up once: a third session starts afresh.
    let third = app.ussd("d3", MONITOR, "").await;
    assert!(third.starts_with("CON Vigie - alerte precoce"), "{third}");
}

#[tokio::test]
async fn nothing_to_report_my_reports_language_and_help() {
    let app = spawn_app().await;
    app.register(MONITOR, Some("wof:421184495"), false);
    app.execute("UPDATE contacts SET language = 'fr'");
    let screens = app.walk("n1", MONITOR, &["2"]).await;
    assert!(
        screens[1].starts_with("END Merci. Rien a signaler"),
        "{}",
        screens[1]
    );
    let noted = app.replies(MONITOR, 1).await;
    assert_eq!(
        noted[0], "Bien recu, merci. RAS note.",
        "a check-in, not a report"
    );
    assert_eq!(app.count("checkins WHERE place_id = 'wof:421184495'"), 1);
    app.sms("76123456", "MEN Konna", "m1").await;
    app.replies(MONITOR, 2).await;
    let screens = app
        .walk("n2", MONITOR, &["3", "0", "5", "0", "4", "2"])
        .await;
    assert!(
        screens[1].starts_with("CON Vos rapports:\n1 MEN: recu"),
        "{}",
        screens[1]
    );
    assert!(
        screens[3].starts_with("CON Signalez un incident"),
        "{}",
        screens[3]
    );
    assert!(
        screens[5].starts_with("CON Vigie. Choisissez"),
        "{}",
        screens[5]
    );
    assert!(
        screens[6].starts_with("CON Vigie - early warning"),
        "{}",
        screens[6]
    );
    let language: String = app.one("SELECT language FROM contacts");
    assert_eq!(language, "en", "the choice is kept for SMS too");
}

#[tokio::test]
async fn a_session_the_provider_ended_is_finished_by_sms_with_its_code() {
    let app = spawn_app().await;
    app.register(MONITOR, None, false);
    app.register(OTHER, None, false);
    app.execute("UPDATE contacts SET language = 'fr'");
    let cut = app.walk("e1", MONITOR, &["1", "1"]).await;
    assert!(cut[2].starts_with("CON Lieu"), "{}", cut[2]);
    // Cut before choosing a category: nothing worth keeping.
    app.walk("e2", OTHER, &["1"]).await;
    app.clock.advance(Duration::from_secs(181));

    let code = app.one::<i64>("SELECT id FROM ussd_sessions WHERE session_id = 'e1'");
    // A place the SUITE below does not name, so a step that changed the draft would show.
    let late = app.ussd("e1", MONITOR, "1*1*Bondo").await;
    assert!(
        late.starts_with("END Session expiree.") && late.contains(&format!("SUITE {code} ")),
        "a step after the provider's timeout: {late}"
    );
    let notice = app.replies(MONITOR, 1).await;
    assert_eq!(
        notice[0],
        format!(
            "Rapport USSD non envoye: ATT. Pour l envoyer, repondez SUITE {code} et ce qui \
             manque (lieu, morts...), ou rappelez sous 30 min."
        )
    );
    assert_eq!(
        app.count("outbound_messages WHERE recipient = '+22376000002'"),
        0
    );

    app.sms("76123456", "SUITE 999", "x1").await;
    let replies = app.replies(MONITOR, 2).await;
    assert!(
        replies[1].starts_with("Aucun rapport USSD en attente"),
        "{replies:?}"
    );
    assert_eq!(app.count("reports"), 0, "a wrong code files nothing");

    app.sms("76123456", &format!("suite {code} Koro 2 morts"), "x2")
        .await;
    let replies = app.replies(MONITOR, 3).await;
    assert!(
        replies[2].starts_with("Recu 1: ATTAQUE Koro") && replies[2].contains("2 morts"),
        "{replies:?}"
    );
    let (category, counts) = (
        app.one::<String>("SELECT category FROM reports"),
        app.one::<String>("SELECT counts FROM reports"),
    );
    assert_eq!(category, "ATT");
    assert!(counts.contains("\"killed\":2"), "{counts}");

    // Finished once: the code is spent, and dialling again starts afresh.
    app.sms("76123456", &format!("SUITE {code}"), "x3").await;
    let replies = app.replies(MONITOR, 4).await;
    assert!(replies[3].starts_with("Aucun rapport USSD"), "{replies:?}");
    assert_eq!(app.count("reports"), 1);
    let again = app.ussd("e3", MONITOR, "").await;
    assert!(again.starts_with("CON Vigie - alerte precoce"), "{again}");
    let late = app.ussd("e1", MONITOR, "1*1*Bondo").await;
    assert!(
        late.starts_with("END Session expiree. Rappelez"),
        "a finished draft offers no code: {late}"
    );

    // Words that start like the command, from someone with no such draft: a report.
    app.sms("76000002", "Suite 2 morts a Koro ATT", "x4").await;
    let replies = app.replies(OTHER, 1).await;
    assert!(
        replies[0].starts_with("Recu 1: ATTAQUE Koro"),
        "{replies:?}"
    );
    assert_eq!(app.count("reports"), 2);
}
