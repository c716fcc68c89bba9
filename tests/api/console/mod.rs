//! The console over HTTP: login and its cookie, the security headers, CSRF, session expiry
//! and revocation, assets at hashed paths (here); the incidents pages and the live stream
//! (`incidents`); what admins and coordinators manage (`manage`); the simulator and the demo
//! (`simulator`).

mod incidents;
mod manage;
mod simulator;

use reqwest::header::{self, HeaderMap};
use reqwest::redirect::Policy;
use vigie::access::Role;

use crate::access::with_an_incident;
use crate::helpers::{ADMIN, TestApp};

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

    // Sessions past their lifetime (7 days) are forgotten at the next login.
    app.clock
        .advance(std::time::Duration::from_secs(8 * 86_400));
    app.login(ADMIN).await;
    assert_eq!(app.count("console_sessions"), 1);
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
async fn behind_a_trusted_proxy_each_forwarded_client_is_limited_alone() {
    // Behind a proxy, the sim channel needs its secret, and its outbox the admin token.
    let app = crate::helpers::spawn_configured(
        "trusted_proxies = [\"127.0.0.0/8\"]\n",
        "",
        "[[channels]]\nid = \"sim\"\nkind = \"sim\"\nsecret = \"s3cret\"\n",
        tempfile::tempdir().unwrap(),
    )
    .await;
    let outbox = app.get("/sim/outbox?token=s3cret").await;
    assert_eq!(outbox.status(), 401, "not this machine's alone");
    let outbox = app
        .client
        .get(app.url("/sim/outbox?token=s3cret"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(outbox.status(), 200);
    let login = |client: &'static str, token: &'static str| {
        app.browser()
            .post(app.url("/console/login"))
            .header("x-forwarded-for", format!("{client}, 127.0.0.1"))
            .form(&[("token", token)])
            .send()
    };
    for _ in 0..10 {
        assert_eq!(
            login("198.51.100.7", "vt_wrong").await.unwrap().status(),
            401
        );
    }
    let limited = login("198.51.100.7", ADMIN).await.unwrap();
    assert_eq!(limited.status(), 429, "the guesser waits");
    let other = login("203.0.113.20", ADMIN).await.unwrap();
    assert_eq!(
        other.status(),
        303,
        "a colleague behind the same proxy logs in"
    );

    let bad = vigie::config::Config::from_toml(
        "[server]\ntrusted_proxies = [\"10.0.0.1\", \"proxy.local\"]\n",
    );
    let message = bad.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains("server.trusted_proxies[1]"),
        "the entry named: {message}"
    );
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
