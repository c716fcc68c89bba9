//! The incidents pages as each role sees them, reviews and corrections, the live stream,
//! the board, and the map's points.

use reqwest::header;
use vigie::access::Role;

use super::location;
use crate::access::{MONITOR, RESPONDER, with_an_incident};
use crate::helpers::{ADMIN, assert_no_number};

#[tokio::test]
async fn a_viewer_sees_no_number_and_cannot_review() {
    let app = with_an_incident().await;
    let viewer = app.token(Role::Viewer, &[]);
    let (_, session) = app.login(&viewer).await;
    let session = session.unwrap();
    for path in [
        "/console/incidents",
        "/console/incidents/1",
        "/console/incidents/rows",
    ] {
        let page = app.page(&session, path).await;
        assert_eq!(page.status, 200, "{path}");
        assert_no_number(&page.body, &[MONITOR, RESPONDER], path);
    }
    let incident = app.page(&session, "/console/incidents/1").await;
    assert!(
        incident.body.contains("R-"),
        "a pseudonym: {}",
        incident.body
    );
    assert!(
        !incident
            .body
            .contains("action=\"/console/incidents/1/review\"")
    );
    let refused = app
        .submit(
            &session,
            "/console/incidents/1/review",
            &[("_csrf", &session.csrf), ("action", "verify")],
        )
        .await;
    assert_eq!(refused.status, 403);
    assert!(
        refused.body.contains("<html"),
        "a page, not JSON: {}",
        refused.body
    );
    assert_eq!(
        app.one::<String>("SELECT review FROM incidents WHERE id = 1"),
        "new"
    );
}

#[tokio::test]
async fn a_review_needs_the_forms_csrf_token_and_stays_in_the_tokens_zones() {
    let app = with_an_incident().await;
    let bankass = app.token(Role::Coordinator, &["Bankass"]);
    let (_, session) = app.login(&bankass).await;
    let session = session.unwrap();
    let outside = app.page(&session, "/console/incidents/1").await;
    assert_eq!(outside.status, 403);
    let list = app.page(&session, "/console/incidents").await;
    assert!(
        !list.body.contains("/console/incidents/1\""),
        "{}",
        list.body
    );

    let koro = app.token(Role::Coordinator, &["Koro"]);
    let (_, session) = app.login(&koro).await;
    let session = session.unwrap();
    let forged = app
        .submit(
            &session,
            "/console/incidents/1/review",
            &[("action", "verify")],
        )
        .await;
    assert_eq!(forged.status, 403, "no CSRF token");
    let forged = app
        .submit(
            &session,
            "/console/incidents/1/review",
            &[("_csrf", &"0".repeat(64)), ("action", "verify")],
        )
        .await;
    assert_eq!(forged.status, 403, "another CSRF token");
    assert_eq!(
        app.one::<String>("SELECT review FROM incidents WHERE id = 1"),
        "new"
    );

    let done = app
        .submit(
            &session,
            "/console/incidents/1/review",
            &[
                ("_csrf", &session.csrf),
                ("action", "verify"),
                ("note", "confirmé par le maire"),
            ],
        )
        .await;
    assert_eq!(
        (done.status, location(&done)),
        (303, "/console/incidents/1")
    );
    assert_eq!(
        app.one::<String>("SELECT review FROM incidents WHERE id = 1"),
        "verified"
    );
    let page = app.page(&session, "/console/incidents/1").await;
    assert!(
        page.body.contains("vérifié : confirmé par le maire"),
        "the review in the timeline: {}",
        page.body
    );
    assert_eq!(app.count("audit_log WHERE action = 'incident.verify'"), 1);
}

#[tokio::test]
async fn the_live_stream_names_changed_incidents_and_resumes_after_a_cut() {
    let app = with_an_incident().await;
    let (_, session) = app.login(ADMIN).await;
    let session = session.unwrap();
    let mut stream = app
        .browser()
        .get(app.url("/console/events"))
        .header(header::COOKIE, &session.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.headers()[header::CONTENT_TYPE], "text/event-stream");
    app.sms("76123456", "ENL Douentza 2 enleves", "l1").await;
    let mut seen = String::new();
    while !seen.contains("data: {\"id\":2}") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), stream.chunk())
            .await
            .expect("an event within 10 s")
            .unwrap()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("event: incident"), "{seen}");
    assert_no_number(&seen, &[MONITOR], "events");
    assert!(!seen.contains("Douentza"), "ids only: {seen}");

    // After a cut, what came after the last id seen is sent first.
    let resumed = app
        .browser()
        .get(app.url("/console/events"))
        .header(header::COOKIE, &session.cookie)
        .header("Last-Event-ID", "1")
        .send()
        .await
        .unwrap();
    let mut resumed = resumed;
    let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), resumed.chunk())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&chunk);
    assert!(has_event_id(&text, 2), "{text}");

    // A page just loaded starts its stream where its data was read (`?after=`).
    let page = app.page(&session, "/console/incidents").await;
    assert!(
        page.body.contains("/console/events?after="),
        "{}",
        page.body
    );
    let mut fresh = app
        .browser()
        .get(app.url("/console/events?after=1"))
        .header(header::COOKIE, &session.cookie)
        .send()
        .await
        .unwrap();
    let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), fresh.chunk())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&chunk);
    assert!(has_event_id(&text, 2), "{text}");
}

/// Whether a stream sent an event of change `id`: on PostgreSQL its id also says what the
/// hub's read could see (`2/xmin:xmax:...`).
fn has_event_id(stream: &str, id: i64) -> bool {
    stream.contains(&format!("id: {id}\n")) || stream.contains(&format!("id: {id}/"))
}

#[tokio::test]
async fn the_board_puts_unanswered_alerts_first_with_the_time_left_and_the_strip_shows_channels() {
    let app = with_an_incident().await;
    let (_, session) = app.login(ADMIN).await;
    let session = session.unwrap();
    let board = app.page(&session, "/console/board").await;
    assert_eq!(board.status, 200);
    let row = &board.body[board.body.find("<tbody id=\"board\"").unwrap()..];
    assert!(row.contains("/console/incidents/1\""), "{row}");
    assert!(
        row.contains("escalade dans 29 min") || row.contains("escalade dans 30 min"),
        "{row}"
    );
    assert!(
        board.body.contains("class=\"channel up\""),
        "{}",
        board.body
    );

    // Escalated as far as it goes: nothing left to count down, the level said in words.
    app.execute("UPDATE incidents SET escalation = 2, escalate_at = NULL WHERE id = 1");
    let board = app.page(&session, "/console/board/rows").await;
    assert!(board.body.contains("escaladé (niveau 2)"), "{}", board.body);

    app.sms("70000001", "OK 1", "k1").await;
    app.replies(RESPONDER, 2).await;
    let board = app.page(&session, "/console/board/rows").await;
    assert!(board.body.contains("accusé"), "{}", board.body);
    assert!(!board.body.contains("escalade dans"), "{}", board.body);
}

#[tokio::test]
async fn the_maps_points_are_a_304_until_something_changes() {
    let app = with_an_incident().await;
    let (_, session) = app.login(ADMIN).await;
    let session = session.unwrap();
    let path = "/console/map/incidents.geojson?zone=&category=&status=&review=&window=";
    let first = app.page(&session, path).await;
    assert!(first.body.contains("\"id\":1"), "{}", first.body);
    let tag = first.headers[header::ETAG].to_str().unwrap().to_owned();
    let again = app
        .browser()
        .get(app.url(path))
        .header(header::COOKIE, &session.cookie)
        .header(header::IF_NONE_MATCH, &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    app.sms("76123456", "ENL Douentza 2 enleves", "p1").await;
    app.wait_for_rows("incidents WHERE id = 2").await;
    let changed = app
        .browser()
        .get(app.url(path))
        .header(header::COOKIE, &session.cookie)
        .header(header::IF_NONE_MATCH, &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200, "a new incident: the points again");
}

#[tokio::test]
async fn a_coordinator_corrects_an_incident_from_its_page() {
    let app = with_an_incident().await;
    let koro = app.token(Role::Coordinator, &["Koro"]);
    let (_, session) = app.login(&koro).await;
    let session = session.unwrap();
    let page = app.page(&session, "/console/incidents/1").await;
    assert!(
        page.body.contains("/console/incidents/1/correct"),
        "{}",
        page.body
    );
    let done = app
        .submit(
            &session,
            "/console/incidents/1/correct",
            &[
                ("_csrf", &session.csrf),
                ("category", "ENL"),
                ("abducted", "4"),
                ("note", "appel du maire"),
            ],
        )
        .await;
    assert_eq!(
        (done.status, location(&done)),
        (303, "/console/incidents/1")
    );
    assert_eq!(
        app.one::<String>("SELECT category FROM incidents WHERE id = 1"),
        "ENL"
    );
    assert_eq!(app.count("audit_log WHERE action = 'incident.correct'"), 1);
}

#[tokio::test]
async fn a_repeat_that_changes_nothing_tells_no_console_and_a_new_count_does() {
    let app = with_an_incident().await;
    let report = "ATT Bankass 3 morts hier 14h00";
    app.sms("76123456", report, "first").await;
    app.replies(MONITOR, 2).await;
    let incident: i64 = app.one("SELECT max(id) FROM incidents");
    let changes = || app.count(&format!("changes WHERE subject = {incident}"));
    let before = changes();

    app.sms("76123456", report, "again").await;
    app.replies(MONITOR, 3).await;
    assert_eq!(
        changes(),
        before,
        "the same monitor, the same account: no change"
    );
    let filed = format!("reports WHERE incident_id = {incident}");
    assert_eq!(app.count(&filed), 2, "the repeat is filed");

    app.sms("76123456", "ATT Bankass 5 morts hier 14h00", "more")
        .await;
    app.replies(MONITOR, 4).await;
    assert!(changes() > before, "a new count is a change");
}
