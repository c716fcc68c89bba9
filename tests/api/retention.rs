//! Retention: past `storage.retention_days`, no number is left anywhere in the database
//! but in the contacts people manage; incidents and their counts stay, and a STOP holds.

use reqwest::Method;
use serde_json::json;
use vigie::store::db::ToArg;

use crate::access::{MONITOR, RESPONDER, with_an_incident};
use crate::helpers::{TestApp, assert_no_number};

const STOPPED: &str = "+22370000077";

impl TestApp {
    /// Every value of every row of `table`, as text.
    pub(crate) fn dump(&self, table: &str) -> String {
        self.database.dump(table)
    }

    /// Moves every time of the gateway's records back by `ms`.
    fn age(&self, ms: i64) {
        let aged = [
            ("inbound_messages", "received_at"),
            ("reports", "created_at"),
            ("outbound_messages", "created_at"),
            ("ussd_sessions", "updated_at"),
            ("delivery_reports", "received_at"),
            ("alerts", "created_at"),
            ("acknowledgements", "at"),
            ("contacts", "updated_at"),
            ("incidents", "updated_at"),
            ("checkins", "at"),
        ];
        for (table, column) in aged {
            let sql = format!("UPDATE {table} SET {column} = {column} - ?1");
            self.database
                .with(|db| db.execute(&sql, &[&ms as &dyn ToArg]).unwrap());
        }
    }
}

#[tokio::test]
async fn a_purge_leaves_no_number_and_keeps_the_incidents_and_stops() {
    let app = with_an_incident().await;
    app.ussd("old", MONITOR, "").await;
    app.sms("70000001", "OK 1", "k1").await;
    app.replies(RESPONDER, 2).await;
    app.sms("76123456", "RAS calme ici", "c1").await;
    app.replies(MONITOR, 2).await;
    app.sms("70000077", "STOP", "s1").await;
    app.replies(STOPPED, 1).await;
    let report =
        "id=ATXid_9&status=Failed&phoneNumber=%2B22376123456&failureReason=UserInBlacklist";
    app.post_form("/webhooks/at/status?token=s3cret", report)
        .await;
    // The sim outbox shows a reply while it is still being sent: a message in flight keeps
    // its number until it is sent, so the purge waits for the queue to be empty.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while app.count("outbound_messages WHERE status IN ('queued', 'sending')") > 0 {
        assert!(tokio::time::Instant::now() < deadline, "replies not sent");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    app.age(3 * 86_400_000);
    let cli = app.cli();
    let config = app.dir.path().join("cli.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replace("[storage]\n", "[storage]\nretention_days = 1\n"),
    )
    .unwrap();
    let output = cli(&["purge"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let tables: Vec<String> = app
        .database
        .tables()
        .into_iter()
        .filter(|t| t != "contacts")
        .collect();
    for table in tables {
        assert_no_number(&app.dump(&table), &[MONITOR, RESPONDER, STOPPED], &table);
    }
    assert_no_number(&app.dump("contacts"), &[STOPPED], "contacts");
    // A pseudonym's key is kept outside the database: a copy of it cannot be searched for
    // a number by hashing every number of a country.
    assert_eq!(app.count("settings WHERE name = 'pseudonym_key'"), 0);
    let key_file = app.dir.path().join("vigie.db.pseudonym-key");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&key_file).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(app.count("ussd_sessions") + app.count("ussd_steps"), 0);
    assert_eq!(app.one::<i64>("SELECT sources FROM incidents"), 1);
    assert_eq!(
        app.one::<String>("SELECT counts FROM incidents"),
        r#"{"abducted":null,"displaced":null,"households":null,"injured":null,"killed":3,"livestock":null}"#
    );
    // The STOP holds for the number it no longer names.
    let alert = json!({ "to": STOPPED, "text": "Alerte", "purpose": "alert" });
    app.api(Method::POST, "/api/messages", Some(alert)).await;
    assert_eq!(
        app.count("outbound_messages WHERE recipient = '+22370000077' AND purpose = 'alert'"),
        0
    );
    // Until they send START.
    app.sms("70000077", "START", "s2").await;
    app.replies(STOPPED, 1).await;
    let alert = json!({ "to": STOPPED, "text": "Alerte", "purpose": "alert" });
    app.api(Method::POST, "/api/messages", Some(alert)).await;
    assert_eq!(
        app.count("outbound_messages WHERE recipient = '+22370000077' AND purpose = 'alert'"),
        1
    );
}
