//! The queue's outcomes and the reports that follow them, on a real database.

use super::*;
use crate::config::StorageConfig;
use crate::store::outbound::{NewOutbound, insert as queue, reroute_queued};
use rusqlite::Connection;

fn report(channel: &str, reference: &str, status: &'static str) -> NewReport {
    NewReport {
        channel: channel.into(),
        provider_message_id: None,
        reference: Some(reference.into()),
        status: Some(status),
        provider_status: status.into(),
        error_code: None,
        raw: String::new(),
        received_at: 2,
    }
}

/// A migrated database in `dir`.
fn database(dir: &tempfile::TempDir) -> Connection {
    let config = StorageConfig {
        path: dir.path().join("t.db"),
        ..StorageConfig::default()
    };
    crate::store::migrate(&config).unwrap()
}

/// An SMS on channel `kn`, falling back to `fallbacks`.
fn message(purpose: &'static str, fallbacks: &[&str]) -> NewOutbound {
    NewOutbound {
        channel: "kn".into(),
        fallbacks: fallbacks.iter().map(|&f| f.to_owned()).collect(),
        recipient: "+22376123456".into(),
        text: "Alerte".into(),
        purpose,
        priority: 0,
        inbound_id: None,
        incident_id: None,
        broadcast_id: None,
        segments: 1,
        encoding: "gsm7",
    }
}

#[test]
fn a_report_from_a_channel_the_message_left_still_finds_it() {
    let dir = tempfile::tempdir().unwrap();
    let conn = database(&dir);
    let db = Db::sqlite(&conn);
    let id = queue(&db, &[message("alert", &["at"])], 0).unwrap()[0].unwrap();
    reroute_queued(&db, "kn", 1, 10).unwrap();
    let status = |conn: &Connection| -> String {
        conn.query_row(
            "SELECT status FROM outbound_messages WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap()
    };
    insert(&db, &report("vn", &id.to_string(), "delivered")).unwrap();
    assert_eq!(
        status(&conn),
        "queued",
        "a channel it never used matches nothing"
    );
    insert(&db, &report("kn", &id.to_string(), "delivered")).unwrap();
    assert_eq!(status(&conn), "delivered", "the attempt on kn got through");
}

#[test]
fn reports_move_statuses_forward_only() {
    let cases = [
        ("sent", "delivered", Some("delivered")),
        ("sent", "failed", Some("failed")),
        ("sent", "expired", Some("expired")),
        ("sent", "sent", None),
        ("sent", "queued", None),
        ("delivered", "failed", None),
        ("delivered", "sent", None),
        ("failed", "delivered", Some("delivered")),
        ("expired", "delivered", Some("delivered")),
        ("failed", "sent", None),
        ("queued", "sent", Some("sent")),
        ("queued", "delivered", Some("delivered")),
        ("queued", "failed", None),
    ];
    for (current, reported, expected) in cases {
        assert_eq!(
            after_report(current, reported),
            expected,
            "{current} + {reported}"
        );
    }
}

/// An outcome recorded under a claim that was released and taken again meanwhile
/// changes nothing; under the current claim it is recorded.
#[test]
fn an_outcome_under_a_released_claim_changes_nothing() {
    use crate::store::outbound::{Transition, claim, finish, unclaim};
    let dir = tempfile::tempdir().unwrap();
    let conn = database(&dir);
    let db = Db::sqlite(&conn);
    queue(&db, &[message("reply", &[])], 0).unwrap();
    let first = claim(&db, "kn", 10, 1).unwrap().remove(0);
    assert!(unclaim(&db, first.id, first.claimed_at, false, 20).unwrap());
    let second = claim(&db, "kn", 30, 1).unwrap().remove(0);
    let sent = Transition::Sent {
        provider_message_id: Some("p-1".into()),
        provider_status: None,
    };
    assert!(!finish(&db, &first, &Transition::Delivered, 40).unwrap());
    let status: String = db
        .value("SELECT status FROM outbound_messages", args![])
        .unwrap();
    assert_eq!(
        status, "sending",
        "the stale claim's outcome was not recorded"
    );
    assert!(finish(&db, &second, &sent, 50).unwrap());
    let status: String = db
        .value("SELECT status FROM outbound_messages", args![])
        .unwrap();
    assert_eq!(status, "sent");
}
