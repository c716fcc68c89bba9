//! What coordinators and admins manage from the console: broadcasts, tokens, contacts and
//! zones (the simulator and the demo: `simulator`).

use vigie::access::Role;

use super::location;
use crate::access::{RESPONDER, with_an_incident};
use crate::helpers::{ADMIN, assert_no_number};

#[tokio::test]
async fn a_broadcast_is_counted_as_typed_confirmed_with_its_recipients_then_followed() {
    let app = with_an_incident().await;
    let viewer = app.token(Role::Viewer, &[]);
    let (_, session) = app.login(&viewer).await;
    let page = app.page(&session.unwrap(), "/console/broadcasts").await;
    assert_eq!(page.status, 403, "broadcasting is a coordinator's");

    let koro = app.token(Role::Coordinator, &["Koro"]);
    let (_, session) = app.login(&koro).await;
    let session = session.unwrap();
    let page = app.page(&session, "/console/broadcasts").await;
    assert_eq!(page.status, 200);
    let count = app
        .page(
            &session,
            "/console/broadcasts/count?text=R%C3%A9union%20%C3%A0%2010h",
        )
        .await;
    assert!(count.body.starts_with("1 SMS · GSM-7"), "{}", count.body);
    // Arabic script has no GSM-7 form: UCS-2, 70 characters an SMS.
    let long = "%D8%A8".repeat(80);
    let count = app
        .page(&session, &format!("/console/broadcasts/count?text={long}"))
        .await;
    assert!(count.body.starts_with("2 SMS · UCS-2"), "{}", count.body);

    let outside = app
        .submit(
            &session,
            "/console/broadcasts/preview",
            &[
                ("_csrf", &session.csrf),
                ("zone", "Bankass"),
                ("text", "Reunion"),
            ],
        )
        .await;
    assert_eq!(outside.status, 403, "Bankass is outside Koro");
    let form = [
        ("_csrf", session.csrf.as_str()),
        ("zone", "Koro"),
        ("text", "Reunion a 10h"),
        ("role", ""),
    ];
    let confirm = app
        .submit(&session, "/console/broadcasts/preview", &form)
        .await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    assert!(
        confirm.body.contains("<strong>1</strong>"),
        "one responder in Koro: {}",
        confirm.body
    );
    assert_eq!(app.count("broadcasts"), 0, "nothing sent before confirming");

    let sent = app.submit(&session, "/console/broadcasts", &form).await;
    assert_eq!(
        (sent.status, location(&sent)),
        (303, "/console/broadcasts/1")
    );
    let progress = app.page(&session, "/console/broadcasts/1").await;
    assert_eq!(progress.status, 200);
    assert!(progress.body.contains("Reunion a 10h"), "{}", progress.body);
    assert_no_number(&progress.body, &[RESPONDER], "broadcast page");
    assert_eq!(
        app.count("outbound_messages WHERE purpose = 'broadcast'"),
        1
    );
}

#[tokio::test]
async fn an_admin_makes_a_token_shown_once_and_revokes_it_from_the_console() {
    let app = with_an_incident().await;
    let (_, session) = app.login(ADMIN).await;
    let session = session.unwrap();
    let refused = app
        .submit(
            &session,
            "/console/tokens",
            &[
                ("_csrf", &session.csrf),
                ("role", "viewer"),
                ("zones", "Atlantis"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    let made = app
        .submit(
            &session,
            "/console/tokens",
            &[
                ("_csrf", &session.csrf),
                ("role", "viewer"),
                ("zones", "Koro"),
                ("name", "partner"),
            ],
        )
        .await;
    assert_eq!(made.status, 200, "{}", made.body);
    let start = made.body.find("<code>").unwrap() + 6;
    let token = &made.body[start..start + 67];
    assert!(token.starts_with("vt_"), "{token}");
    let listed = app.page(&session, "/console/tokens").await;
    assert!(!listed.body.contains(token), "shown once");
    let (_, theirs) = app.login(token).await;
    let theirs = theirs.unwrap();

    let revoked = app
        .submit(
            &session,
            "/console/tokens/1/revoke",
            &[("_csrf", &session.csrf)],
        )
        .await;
    assert_eq!(revoked.status, 303);
    let page = app.page(&theirs, "/console/incidents").await;
    assert_eq!((page.status, location(&page)), (303, "/console/login"));
    assert_eq!(app.count("audit_log WHERE action = 'token.revoke'"), 1);
}

#[tokio::test]
async fn contacts_are_searched_added_edited_and_imported_by_admins_only() {
    let app = with_an_incident().await;
    let koro = app.token(Role::Coordinator, &[]);
    let (_, session) = app.login(&koro).await;
    let page = app.page(&session.unwrap(), "/console/contacts").await;
    assert_eq!(page.status, 403, "numbers are an admin's");

    let (_, session) = app.login(ADMIN).await;
    let session = session.unwrap();
    let added = app
        .submit(
            &session,
            "/console/contacts",
            &[
                ("_csrf", &session.csrf),
                ("phone", "76555001"),
                ("name", "Fatoumata"),
                ("roles", "monitor"),
                ("home", "Bankass"),
            ],
        )
        .await;
    assert_eq!(added.status, 200, "{}", added.body);
    let found = app.page(&session, "/console/contacts?q=fatou").await;
    assert!(found.body.contains("+22376555001"), "{}", found.body);
    assert!(
        !found.body.contains(RESPONDER),
        "the search keeps to its words"
    );
    let id: i64 = app.one("SELECT id FROM contacts WHERE phone = '+22376555001'");

    let edited = app
        .submit(
            &session,
            &format!("/console/contacts/{id}"),
            &[
                ("_csrf", &session.csrf),
                ("name", "Fatoumata D."),
                ("roles", "monitor, responder"),
                ("zones", "Bankass"),
            ],
        )
        .await;
    assert_eq!(edited.status, 303, "{}", edited.body);
    assert_eq!(
        app.one::<String>(&format!("SELECT roles FROM contacts WHERE id = {id}")),
        "monitor;responder"
    );
    assert_eq!(
        app.one::<i64>(&format!("SELECT active FROM contacts WHERE id = {id}")),
        0,
        "unchecked: inactive"
    );

    let csv = "phone,name,roles,language,home,zones,discreet\n76555002,Ali,monitor,fr,Koro,,false\nnot-a-number,Bad,monitor,,,,false\n";
    let imported = app
        .submit(
            &session,
            "/console/contacts/import",
            &[("_csrf", &session.csrf), ("csv", csv)],
        )
        .await;
    assert_eq!(imported.status, 200);
    assert!(
        imported.body.contains("1 contact(s) importé(s)"),
        "{}",
        imported.body
    );
    assert!(
        imported.body.contains("ligne 3"),
        "the bad line named: {}",
        imported.body
    );

    // A file chosen in the form, sent as a browser sends it.
    // Saved as "CSV UTF-8" by a spreadsheet: a byte-order mark first.
    let file =
        reqwest::multipart::Part::text("\u{feff}phone,name,roles\n76555003,Oumou,responder\n")
            .file_name("contacts.csv")
            .mime_str("text/csv")
            .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("_csrf", session.csrf.clone())
        .text("csv", "phone,name,roles,language,home,zones,discreet\n")
        .part("file", file);
    let uploaded = app
        .browser()
        .post(app.url("/console/contacts/import"))
        .header(reqwest::header::COOKIE, &session.cookie)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), 200);
    let body = uploaded.text().await.unwrap();
    assert!(body.contains("1 contact(s) importé(s)"), "{body}");
    assert_eq!(app.count("contacts WHERE name = 'Oumou'"), 1);
    assert_eq!(
        app.count("audit_log WHERE action = 'contact.import'"),
        2,
        "each import audited"
    );
}

#[tokio::test]
async fn zones_are_listed_with_their_rules_and_an_admin_changes_them() {
    let zone = "[[zones]]\ncode = \"koro-z\"\nunits = [\"Koro\"]\n";
    let app = crate::helpers::spawn_gateway(
        &format!("{zone}\n{}", crate::helpers::channels()),
        tempfile::tempdir().unwrap(),
    )
    .await;
    let viewer = app.token(Role::Viewer, &[]);
    let (_, session) = app.login(&viewer).await;
    let page = app.page(&session.unwrap(), "/console/zones").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("koro-z") && !page.body.contains("class=\"rules\""),
        "read only"
    );

    let (_, session) = app.login(ADMIN).await;
    let session = session.unwrap();
    let bad = app
        .submit(
            &session,
            "/console/zones/koro-z",
            &[("_csrf", &session.csrf), ("sources", "deux")],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    let saved = app
        .submit(
            &session,
            "/console/zones/koro-z",
            &[
                ("_csrf", &session.csrf),
                ("sources", "1"),
                ("deadline_mins", "10"),
            ],
        )
        .await;
    assert_eq!((saved.status, location(&saved)), (303, "/console/zones"));
    let stored: String = app.one("SELECT definition FROM zones");
    assert!(
        stored.contains("\"sources\":1") && stored.contains("\"deadline_mins\":10"),
        "{stored}"
    );
    assert_eq!(app.count("audit_log WHERE action LIKE 'zone.%'"), 1);

    // On the map: the outline of the cercle of Koro the zone is made of.
    let shapes = app.page(&session, "/console/map/zones.geojson").await;
    let shapes: serde_json::Value = serde_json::from_str(&shapes.body).unwrap();
    let feature = &shapes["features"][0];
    assert_eq!(feature["properties"]["zone"], "koro-z", "{shapes}");
    assert_eq!(feature["geometry"]["type"], "MultiPolygon", "{shapes}");
}
