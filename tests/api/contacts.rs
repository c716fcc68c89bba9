//! `/api/contacts` and `vigie import contacts`.

use serde_json::{Value, json};

use crate::helpers::{ADMIN, spawn_app};

#[tokio::test]
async fn contacts_are_created_changed_listed_and_deleted() {
    let app = spawn_app().await;
    let monitor = json!({"phone": "76 12 34 56", "name": "Awa", "roles": ["monitor"], "language": "fr", "home": "Koro", "discreet": true, "pin": "1234"});
    let (status, body) = app
        .api(
            reqwest::Method::POST,
            "/api/contacts",
            Some(monitor.clone()),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let contact = &body["contact"];
    assert_eq!(contact["phone"], "+22376123456");
    assert_eq!(
        contact["home"], "wof:1343561773;gn:2454674",
        "the name resolved to one place"
    );
    assert!(
        contact.get("pin_hash").is_none(),
        "the PIN hash never leaves"
    );
    let stored: String = app.one("SELECT pin_hash FROM contacts");
    assert!(stored.starts_with("$argon2"), "{stored}");
    let id = contact["id"].as_i64().unwrap();

    let (status, _) = app
        .api(reqwest::Method::POST, "/api/contacts", Some(monitor))
        .await;
    assert_eq!(status, 409, "the same number twice");
    let (status, body) = app
        .api(
            reqwest::Method::PATCH,
            &format!("/api/contacts/{id}"),
            Some(json!({"roles": ["monitor", "responder"], "language": "en"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["contact"]["roles"], json!(["monitor", "responder"]));
    assert_eq!(body["contact"]["name"], "Awa", "untouched fields stay");
    let (_, list) = app.api(reqwest::Method::GET, "/api/contacts", None).await;
    assert_eq!(list["contacts"].as_array().unwrap().len(), 1);
    let stored = &list["contacts"][0];
    assert_eq!(
        (&stored["roles"], &stored["language"], &stored["name"]),
        (
            &json!(["monitor", "responder"]),
            &json!("en"),
            &json!("Awa")
        ),
        "the change is stored, not only echoed: {stored}"
    );

    // A zone deleted since stops no other change; a new unknown one is refused.
    app.execute(&format!(
        "UPDATE contacts SET zones = 'Gone' WHERE id = {id}"
    ));
    let path = format!("/api/contacts/{id}");
    let (status, body) = app
        .api(
            reqwest::Method::PATCH,
            &path,
            Some(json!({"name": "Awa T."})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .api(
            reqwest::Method::PATCH,
            &path,
            Some(json!({"zones": ["Gone", "Atlantis"]})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("`Atlantis`"),
        "{body}"
    );
    let (status, _) = app
        .api(
            reqwest::Method::DELETE,
            &format!("/api/contacts/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = app
        .api(
            reqwest::Method::DELETE,
            &format!("/api/contacts/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn bad_contacts_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let cases = [
        (json!({"phone": "12"}), "phone"),
        (
            json!({"phone": "76123456", "roles": ["boss"]}),
            "roles: `boss`",
        ),
        (json!({"phone": "76123456", "language": "xx"}), "language"),
        (
            json!({"phone": "76123456", "home": "Atlantis"}),
            "home: no place `Atlantis`",
        ),
        (json!({"phone": "76123456", "pin": "12"}), "pin"),
        (
            json!({"phone": "76123456", "roles": ["responder"], "zones": ["Koro", "Moptii"]}),
            "zones: `Moptii` is no zone and no admin unit",
        ),
        (
            json!({"phone": "76123456", "roles": ["responder"], "zones": ["Mopti Region"]}),
            "zones: `Mopti Region`",
        ),
    ];
    for (body, needle) in cases {
        let (status, answer) = app
            .api(reqwest::Method::POST, "/api/contacts", Some(body.clone()))
            .await;
        assert_eq!(status, 400, "{body}");
        assert!(
            answer["message"].as_str().unwrap().contains(needle),
            "{body}: {answer}"
        );
    }
    assert_eq!(app.count("contacts"), 0);
}

#[tokio::test]
async fn an_import_takes_the_good_rows_and_names_the_bad_ones() {
    let app = spawn_app().await;
    let csv = "phone,name,roles,language,home,zones,discreet\n\
               76123456,Awa,monitor,fr,Koro,,oui\n\
               +22366000000,Issa,responder;coordinator,en,,MOPTI;KORO,non\n\
               123,Nobody,monitor,fr,,,\n\
               76000000,Ali,chief,fr,,,\n\
               76000001,Oumar,responder,fr,,Kro,\n";
    let response = app
        .client
        .post(app.url("/api/contacts/import"))
        .bearer_auth(ADMIN)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["imported"], 2, "{body}");
    let rejected = body["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 3);
    assert_eq!(
        (rejected[0]["line"].as_i64(), rejected[1]["line"].as_i64()),
        (Some(4), Some(5))
    );
    assert!(rejected[1]["reason"].as_str().unwrap().contains("chief"));
    assert!(rejected[2]["reason"].as_str().unwrap().contains("`Kro`"));
    assert_eq!(app.count("contacts WHERE discreet = 1"), 1);
    assert_eq!(app.count("contacts WHERE zones = 'MOPTI;KORO'"), 1);
}

#[tokio::test]
async fn the_import_command_reads_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigie.db");
    let config = dir.path().join("vigie.toml");
    let root = env!("CARGO_MANIFEST_DIR");
    std::fs::write(
        &config,
        format!("[storage]\npath = {db:?}\n[reports]\ngazetteers = [\"{root}/tests/fixtures/gazetteer_mopti.csv\"]\nkeywords_dir = \"{root}/keywords\"\ntemplates_dir = \"{root}/templates/sms\"\nboundaries = \"{root}/data/sahel_admin_boundaries.geojson\"\n"),
    )
    .unwrap();
    let file = dir.path().join("contacts.csv");
    std::fs::write(&file, "phone,name,roles,language,home,zones,discreet\n76123456,Awa,monitor,fr,Koro,,\nbad,X,monitor,fr,,,\n76000002,Sira,responder,fr,,Nowhere,\n76000003,Moussa,responder,fr,,Koro,\n").unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args(["import", "contacts"])
        .arg(&file)
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("imported 2 contact(s)")
            && stdout.contains("line 3: phone")
            && stdout.contains("line 4: zones: `Nowhere`"),
        "{stdout}"
    );
    let conn = rusqlite::Connection::open(&db).unwrap();
    let count: i64 = conn
        .query_row("SELECT count(*) FROM contacts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 2);
    let audited: (String, String) = conn
        .query_row(
            "SELECT actor, detail FROM audit_log WHERE action = 'contact.import'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        audited,
        ("cli".into(), r#"{"imported":2}"#.into()),
        "the CLI's import audited as the API's"
    );
}
