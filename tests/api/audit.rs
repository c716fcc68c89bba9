//! The audit log: every change is an entry in a chain keyed with a file beside the
//! database; `vigie audit verify` names an edit, and with the head an operator kept
//! (`vigie audit head`), a removed tail or a chain recomputed.

use reqwest::Method;
use serde_json::json;
use vigie::access::Role;

use crate::access::RESPONDER;
use crate::helpers::spawn_app;

#[tokio::test]
async fn changes_are_audited_in_a_chain_that_detects_an_edit() {
    let app = spawn_app().await;
    let vigie = app.cli();
    assert!(
        vigie(&["token", "create", "--role", "viewer"])
            .status
            .success()
    );
    let contact = json!({ "phone": RESPONDER, "roles": ["responder"], "zones": ["Koro"] });
    app.api(Method::POST, "/api/contacts", Some(contact)).await;
    let zone = json!({ "code": "nord", "units": ["Koro"], "escalation": ["+22370000099"] });
    app.api(Method::POST, "/api/zones", Some(zone)).await;
    app.api(Method::DELETE, "/api/contacts/1", None).await;
    assert_eq!(
        app.column("SELECT actor || ' ' || action || ' ' || subject FROM audit_log ORDER BY id"),
        [
            "cli token.create token 1",
            "admin token contact.create contact 1",
            "admin token zone.create zone nord",
            "admin token contact.delete contact 1",
        ]
        .map(|s| Some(s.to_owned()))
    );
    let viewer = app.token(Role::Viewer, &[]);
    let (status, zones) = app.call(Some(&viewer), Method::GET, "/api/zones").await;
    assert_eq!(status, 200);
    assert!(
        zones.contains("nord") && !zones.contains("70000099"),
        "{zones}"
    );
    let all: String = app
        .column("SELECT detail FROM audit_log")
        .into_iter()
        .flatten()
        .collect();
    assert!(
        !all.contains("70000001") && !all.contains("70000099"),
        "{all:?}"
    );
    let intact = vigie(&["audit", "verify"]);
    assert!(intact.status.success());
    assert!(String::from_utf8_lossy(&intact.stdout).contains("4 entries"));

    let edit = "UPDATE audit_log SET subject = 'zone sud' WHERE id = 3";
    let refused = app.database.with(|db| db.execute(edit, &[]).is_err());
    assert!(refused, "append-only");
    app.database.unguard_audit_log();
    app.execute(edit);
    let broken = vigie(&["audit", "verify"]);
    assert!(!broken.status.success());
    let said = String::from_utf8_lossy(&broken.stderr);
    assert!(said.contains("entry 3"), "{said}");
}

#[tokio::test]
async fn the_head_kept_names_a_removed_tail_and_a_recomputed_chain() {
    let app = spawn_app().await;
    let vigie = app.cli();
    let run = |args: &[&str]| {
        let output = vigie(args);
        let said = String::from_utf8_lossy(&output.stdout).trim().to_owned()
            + &String::from_utf8_lossy(&output.stderr);
        (output.status.success(), said)
    };
    for i in 1..=3 {
        let contact = json!({ "phone": format!("+2237000000{i}"), "roles": ["responder"] });
        app.api(Method::POST, "/api/contacts", Some(contact)).await;
    }
    let (ok, head) = run(&["audit", "head"]);
    assert!(ok && head.starts_with("3:"), "{head}");
    let contact = json!({ "phone": "+22370000009", "roles": ["responder"] });
    app.api(Method::POST, "/api/contacts", Some(contact)).await;
    assert!(run(&["audit", "verify", "--head", &head]).0, "grown since");

    app.database.unguard_audit_log();
    app.execute("DELETE FROM audit_log WHERE id >= 3");
    let (ok, said) = run(&["audit", "verify"]);
    assert!(ok, "a shorter chain still holds: {said}");
    let (ok, said) = run(&["audit", "verify", "--head", &head]);
    assert!(
        !ok && said.contains("has 2 entries, the head kept had 3"),
        "{said}"
    );

    // Whoever can write the database edits an entry and recomputes the whole chain, but
    // under a key of their own: they do not have the one beside the database.
    let their_key = vigie::audit::AuditKey::generate();
    let mut prev = String::new();
    let entries = app
        .database
        .with(|db| vigie::store::audit::all(db).unwrap());
    for mut entry in entries {
        if entry.id == 1 {
            entry.subject = "contact 7".into();
        }
        let fields = [
            entry.actor.as_str(),
            &entry.action,
            &entry.subject,
            &entry.detail,
        ];
        let hash = vigie::audit::hash_of(&their_key, &prev, entry.at, fields);
        app.database.with(|db| {
            let sql = "UPDATE audit_log SET subject = ?2, prev = ?3, hash = ?4 WHERE id = ?1";
            db.execute(
                sql,
                &[
                    &entry.id as &dyn vigie::store::db::ToArg,
                    &entry.subject,
                    &prev,
                    &hash,
                ],
            )
            .unwrap()
        });
        prev = hash;
    }
    let (ok, said) = run(&["audit", "verify"]);
    assert!(
        !ok && said.contains("entry 1") && said.contains("recomputed"),
        "{said}"
    );

    let key = app.dir.path().join("vigie.db.audit-key");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600, "readable by its owner only");
    std::fs::remove_file(&key).unwrap();
    let (ok, said) = run(&["audit", "verify"]);
    assert!(
        !ok && said.contains("storage.audit_key_file") && said.contains("is missing"),
        "{said}"
    );
}
