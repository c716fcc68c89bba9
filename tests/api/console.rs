//! The console over HTTP: login and its cookie, the security headers, what each role sees
//! (no number for a viewer, nothing outside a token's zones), CSRF, session expiry and
//! revocation, the live stream, and assets at hashed paths.

use reqwest::header::{self, HeaderMap};
use reqwest::redirect::Policy;
use vigie::access::Role;

use crate::access::{MONITOR, RESPONDER, with_an_incident};
use crate::helpers::{ADMIN, TestApp, assert_no_number};

/// A browser's session: its cookie and the CSRF token of its forms.
pub(crate) struct Session {
    cookie: String,
    pub(crate) csrf: String,
}

/// A page: status, headers, body.
pub(crate) struct Page {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
}

impl TestApp {
    fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .unwrap()
    }

    /// Logs in with `token`; the answer to the login form.
    pub(crate) async fn login(&self, token: &str) -> (Page, Option<Session>) {
        let response = self
            .browser()
            .post(self.url("/console/login"))
            .form(&[("token", token)])
            .send()
            .await
            .unwrap();
        let page = page(response).await;
        let Some(set) = page.headers.get(header::SET_COOKIE) else {
            return (page, None);
        };
        let cookie = set.to_str().unwrap().split(';').next().unwrap().to_owned();
        let mut session = Session {
            cookie,
            csrf: String::new(),
        };
        let incidents = self.page(&session, "/console/incidents").await;
        session.csrf = csrf_of(&incidents.body);
        (page, Some(session))
    }

    pub(crate) async fn page(&self, session: &Session, path: &str) -> Page {
        let response = self
            .browser()
            .get(self.url(path))
            .header(header::COOKIE, &session.cookie)
            .send()
            .await
            .unwrap();
        page(response).await
    }

    pub(crate) async fn submit(
        &self,
        session: &Session,
        path: &str,
        form: &[(&str, &str)],
    ) -> Page {
        let response = self
            .browser()
            .post(self.url(path))
            .header(header::COOKIE, &session.cookie)
            .form(form)
            .send()
            .await
            .unwrap();
        page(response).await
    }
}

async fn page(response: reqwest::Response) -> Page {
    Page {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.text().await.unwrap(),
    }
}

fn csrf_of(body: &str) -> String {
    let start = body
        .find("name=\"_csrf\" value=\"")
        .expect("a form with a CSRF token")
        + 20;
    body[start..start + 64].to_owned()
}

fn location(page: &Page) -> &str {
    page.headers
        .get(header::LOCATION)
        .map_or("", |v| v.to_str().unwrap())
}

#[tokio::test]
async fn a_token_opens_a_session_with_a_safe_cookie_and_pages_carry_the_csp() {
    let app = with_an_incident().await;
    let anonymous = app.browser().get(app.url("/")).send().await.unwrap();
    assert_eq!(anonymous.status(), 303);
    let none = Session {
        cookie: String::new(),
        csrf: String::new(),
    };
    let page = app.page(&none, "/console/incidents").await;
    assert_eq!((page.status, location(&page)), (303, "/console/login"));

    let (refused, session) = app.login("vt_not_a_token").await;
    assert_eq!(refused.status, 401);
    assert!(
        session.is_none() && refused.body.contains("révoqué"),
        "{}",
        refused.body
    );
    assert_eq!(
        app.count("audit_log WHERE action = 'console.login_failed'"),
        1
    );
    assert!(!app.dump("audit_log").contains("vt_not_a_token"));

    let (welcome, session) = app.login(ADMIN).await;
    assert_eq!(
        (welcome.status, location(&welcome)),
        (303, "/console/incidents")
    );
    let cookie = welcome.headers[header::SET_COOKIE].to_str().unwrap();
    for part in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/console"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    let session = session.unwrap();
    assert_eq!(app.count("console_sessions"), 1);
    let stored: String = app.one("SELECT digest FROM console_sessions");
    assert!(
        !session.cookie.contains(&stored),
        "only the cookie's hash is stored"
    );

    let page = app.page(&session, "/console/incidents").await;
    assert_eq!(page.status, 200);
    let csp = page.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(
        csp.starts_with("default-src 'self'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert!(
        !page.body.contains("<script>") && !page.body.contains(" style="),
        "no inline script or style"
    );
    assert!(page.body.contains("/console/incidents/1"), "{}", page.body);
}

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
    assert_eq!(app.count("audit_log WHERE action = 'incident.verify'"), 1);
}

#[tokio::test]
async fn a_session_ends_when_idle_too_long_at_logout_and_when_its_token_is_revoked() {
    let app = with_an_incident().await;
    let viewer = app.token(Role::Viewer, &[]);
    let (_, session) = app.login(&viewer).await;
    let session = session.unwrap();
    app.clock.advance(std::time::Duration::from_secs(13 * 3600));
    let page = app.page(&session, "/console/incidents").await;
    assert_eq!(
        (page.status, location(&page)),
        (303, "/console/login"),
        "idle 13 h"
    );

    let (_, session) = app.login(&viewer).await;
    let session = session.unwrap();
    let cli = app.cli();
    let output = cli(&["token", "revoke", "1"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let page = app.page(&session, "/console/incidents").await;
    assert_eq!(
        (page.status, location(&page)),
        (303, "/console/login"),
        "revoked"
    );
    assert_eq!(
        app.count("console_sessions WHERE ended_at IS NULL"),
        0,
        "revoking a token ends each of its sessions"
    );

    let (_, session) = app.login(ADMIN).await;
    let session = session.unwrap();
    let out = app
        .submit(&session, "/console/logout", &[("_csrf", &session.csrf)])
        .await;
    assert_eq!((out.status, location(&out)), (303, "/console/login"));
    let page = app.page(&session, "/console/incidents").await;
    assert_eq!(page.status, 303, "logged out");
    assert_eq!(app.count("audit_log WHERE action = 'console.logout'"), 1);
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
    assert!(text.contains("id: 2\n"), "{text}");

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
    assert!(String::from_utf8_lossy(&chunk).contains("id: 2\n"));
}

#[tokio::test]
async fn assets_are_served_at_hashed_paths_for_a_year_and_pages_gzipped() {
    let app = with_an_incident().await;
    let (_, session) = app.login(ADMIN).await;
    let page = app.page(&session.unwrap(), "/console/incidents").await;
    let start = page.body.find("/console/assets/").unwrap();
    let end = start + page.body[start..].find('"').unwrap();
    let path = page.body[start..end].replace("&#x2f;", "/");
    let asset = app.browser().get(app.url(&path)).send().await.unwrap();
    assert_eq!(asset.status(), 200, "{path}");
    assert_eq!(
        asset.headers()[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    let stale = path.replacen("/console/assets/", "/console/assets/0000000000000000", 1);
    let stale = stale.replacen("0000000000000000/", "0000000000000000", 1);
    let old = app.browser().get(app.url(&stale)).send().await.unwrap();
    assert_ne!(
        old.headers()
            .get(header::CACHE_CONTROL)
            .map(|v| v.to_str().unwrap()),
        Some("public, max-age=31536000, immutable")
    );

    let zipped = app
        .browser()
        .get(app.url("/console/login"))
        .header(header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(zipped.headers()[header::CONTENT_ENCODING], "gzip");
}

#[tokio::test]
async fn login_attempts_are_limited_per_client() {
    let app = with_an_incident().await;
    for _ in 0..10 {
        let (page, _) = app.login("vt_wrong").await;
        assert_eq!(page.status, 401);
    }
    let (page, session) = app.login(ADMIN).await;
    assert_eq!(
        page.status, 429,
        "even the right token waits: {}",
        page.body
    );
    assert!(session.is_none());
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

    app.sms("70000001", "OK 1", "k1").await;
    app.replies(RESPONDER, 2).await;
    let board = app.page(&session, "/console/board/rows").await;
    assert!(board.body.contains("accusé"), "{}", board.body);
    assert!(!board.body.contains("escalade dans"), "{}", board.body);
}

#[tokio::test]
async fn a_form_from_another_site_is_refused_and_the_api_takes_no_session() {
    let app = with_an_incident().await;
    let forged = app
        .browser()
        .post(app.url("/console/login"))
        .header(header::ORIGIN, "https://evil.example")
        .form(&[("token", ADMIN)])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403, "login CSRF");
    assert!(forged.headers().get(header::SET_COOKIE).is_none());
    let cross = app
        .browser()
        .post(app.url("/console/login"))
        .header("Sec-Fetch-Site", "cross-site")
        .form(&[("token", ADMIN)])
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);

    let (_, session) = app.login(ADMIN).await;
    let session = session.unwrap();
    let api = app
        .browser()
        .get(app.url("/api/incidents"))
        .header(header::COOKIE, &session.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 401, "a session cookie is no API credential");

    // A live refresh after logout sends the whole page to the login.
    app.submit(&session, "/console/logout", &[("_csrf", &session.csrf)])
        .await;
    let refresh = app
        .browser()
        .get(app.url("/console/incidents/rows"))
        .header(header::COOKIE, &session.cookie)
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(refresh.status(), 401);
    assert_eq!(refresh.headers()["hx-redirect"], "/console/login");
}

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
async fn the_simulator_plays_a_phone_by_sms_and_ussd_for_admins_only() {
    let app = with_an_incident().await;
    let viewer = app.token(Role::Viewer, &[]);
    let (_, session) = app.login(&viewer).await;
    let page = app.page(&session.unwrap(), "/console/simulator").await;
    assert_eq!(page.status, 403);

    let (_, session) = app.login(ADMIN).await;
    let session = session.unwrap();
    let page = app
        .page(&session, "/console/simulator?phone=76999001")
        .await;
    assert_eq!(page.status, 200);
    let sent = app
        .submit(
            &session,
            "/console/simulator",
            &[
                ("_csrf", &session.csrf),
                ("phone", "76999001"),
                ("via", "sms"),
                ("text", "ATT Bankass 2 morts"),
            ],
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    app.replies("+22376999001", 1).await;
    let inbox = app
        .page(&session, "/console/simulator/inbox?phone=76999001")
        .await;
    assert!(
        inbox.body.contains("Bankass"),
        "the receipt: {}",
        inbox.body
    );

    let dialled = app
        .submit(
            &session,
            "/console/simulator",
            &[
                ("_csrf", &session.csrf),
                ("phone", "76999001"),
                ("via", "ussd"),
                ("text", ""),
            ],
        )
        .await;
    assert!(
        dialled.body.contains("class=\"screen\">CON"),
        "{}",
        dialled.body
    );
    assert!(
        dialled.body.contains("name=\"session\""),
        "the session goes on"
    );
}

/// `vigie serve --demo`: the demo contacts are there, the newcomer is told what to try,
/// and one SMS alerts the zone's responders.
#[tokio::test]
async fn the_demo_shows_the_whole_loop() {
    use crate::process::{start_logged_process_with, wait_for_line};
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("demo.toml");
    let text = std::fs::read_to_string("config/demo.toml").unwrap();
    let db = dir.path().join("demo.db");
    let text = text
        .replace("path = \"demo.db\"", &format!("path = {db:?}"))
        .replace("127.0.0.1:8080", "127.0.0.1:0");
    std::fs::write(&config, text).unwrap();
    let (_child, addr, log) = start_logged_process_with(&config, &["--demo"]).await;
    wait_for_line(&log, "log in with the token `demo`").await;
    let client = reqwest::Client::new();
    let sms = client
        .post(format!("http://{addr}/webhooks/sim/sms"))
        .form(&[("from", "76000001"), ("text", "ATT Koro 3 morts")])
        .send()
        .await
        .unwrap();
    assert_eq!(sms.status(), 200);
    let outbox = format!("http://{addr}/sim/outbox?to=70000001");
    for _ in 0..300 {
        let body = client
            .get(&outbox)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if body.contains("ALERTE 1") {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("responder 70000001 was not alerted within 30 s");
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
