//! API tokens: each role on each route (allowed, 401, 403), zone limits, revocation, and
//! a viewer never shown a phone number.

use reqwest::Method;
use serde_json::json;
use vigie::access::{Caller, Role, digest, new_token};

use crate::helpers::{TestApp, spawn_app};

pub(crate) const MONITOR: &str = "+22376123456";
pub(crate) const RESPONDER: &str = "+22370000001";

impl TestApp {
    /// Runs `vigie ARGS --config` on this gateway's database.
    pub(crate) fn cli(&self) -> impl Fn(&[&str]) -> std::process::Output + use<> {
        self.cli_reporting("")
    }

    /// The same, with more `[reports]` settings.
    pub(crate) fn cli_reporting(
        &self,
        reports: &str,
    ) -> impl Fn(&[&str]) -> std::process::Output + use<> {
        let root = env!("CARGO_MANIFEST_DIR");
        let db = self.dir.path().join("vigie.db");
        let config = self.dir.path().join("cli.toml");
        let gazetteer = format!("{root}/tests/fixtures/gazetteer_mopti.csv");
        let storage = self.database.storage();
        let text = format!(
            "[storage]\npath = {db:?}\n{storage}\n[reports]\ngazetteers = [{gazetteer:?}]\n{reports}"
        );
        std::fs::write(&config, text).unwrap();
        move |args| {
            std::process::Command::new(env!("CARGO_BIN_EXE_vigie"))
                .args(args)
                .arg("--config")
                .arg(&config)
                .output()
                .unwrap()
        }
    }

    /// A token stored in the database, as `vigie token create` makes them.
    pub(crate) fn token(&self, role: Role, zones: &[&str]) -> String {
        let token = new_token();
        let caller = Caller {
            who: String::new(),
            role,
            zones: zones.iter().map(|z| vigie::text::fold(z)).collect(),
        };
        self.database.with(|db| {
            vigie::store::tokens::create(db, "test", &caller, &digest(&token), 0).unwrap()
        });
        token
    }

    pub(crate) async fn call(
        &self,
        token: Option<&str>,
        method: Method,
        path: &str,
    ) -> (u16, String) {
        let mut request = self.client.request(method.clone(), self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if method == Method::POST {
            request = request.json(&json!({}));
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }
}

/// An alerted attack in Koro (incident 1), reported by `MONITOR`.
pub(crate) async fn with_an_incident() -> TestApp {
    let app = spawn_app().await;
    app.register(MONITOR, None, false);
    let responder = json!({ "phone": RESPONDER, "roles": ["responder"], "zones": ["Koro"] });
    let (status, _) = app
        .api(Method::POST, "/api/contacts", Some(responder))
        .await;
    assert_eq!(status, 201);
    app.sms("76123456", "ATT Koro 3 morts", "a1").await;
    app.replies(RESPONDER, 1).await;
    app
}

#[tokio::test]
async fn each_role_reaches_what_it_may_and_no_more() {
    let app = with_an_incident().await;
    let viewer = app.token(Role::Viewer, &[]);
    let coordinator = app.token(Role::Coordinator, &[]);
    let admin = app.token(Role::Admin, &[]);
    let routes = [
        (Method::GET, "/api/incidents", Role::Viewer),
        (Method::GET, "/api/incidents/1", Role::Viewer),
        (Method::GET, "/api/zones", Role::Viewer),
        (Method::GET, "/api/incidents.geojson", Role::Viewer),
        (Method::GET, "/api/incidents.csv", Role::Viewer),
        (Method::GET, "/api/incidents/1/cap", Role::Viewer),
        (Method::GET, "/api/cap.atom", Role::Viewer),
        (Method::POST, "/api/incidents/1/verify", Role::Coordinator),
        (Method::PATCH, "/api/incidents/1", Role::Coordinator),
        (Method::POST, "/api/broadcasts", Role::Coordinator),
        (Method::GET, "/api/broadcasts/1", Role::Coordinator),
        (Method::GET, "/api/messages", Role::Admin),
        (Method::POST, "/api/messages", Role::Admin),
        (Method::GET, "/api/contacts", Role::Admin),
        (Method::POST, "/api/contacts", Role::Admin),
        (Method::POST, "/api/zones", Role::Admin),
        (Method::DELETE, "/api/zones/x", Role::Admin),
    ];
    for (method, path, need) in routes {
        let (status, body) = app.call(None, method.clone(), path).await;
        assert_eq!(status, 401, "{method} {path} without a token: {body}");
        let (status, _) = app.call(Some("vt_guess"), method.clone(), path).await;
        assert_eq!(status, 401, "{method} {path} with an unknown token");
        for (token, role) in [
            (&viewer, Role::Viewer),
            (&coordinator, Role::Coordinator),
            (&admin, Role::Admin),
        ] {
            let (status, body) = app.call(Some(token), method.clone(), path).await;
            if role >= need {
                assert!(
                    ![401, 403, 500].contains(&status),
                    "{method} {path} as {role:?}: {status} {body}"
                );
            } else {
                assert_eq!(status, 403, "{method} {path} as {role:?}: {body}");
            }
        }
    }
}

#[tokio::test]
async fn a_viewer_sees_no_number_and_a_zone_limited_token_only_its_zones() {
    let app = with_an_incident().await;
    let viewer = app.token(Role::Viewer, &[]);
    for path in ["/api/incidents", "/api/incidents/1"] {
        let (status, body) = app.call(Some(&viewer), Method::GET, path).await;
        assert_eq!(status, 200, "{body}");
        assert!(
            !body.contains("76123456") && !body.contains("70000001"),
            "{path}: {body}"
        );
    }
    let (_, body) = app
        .call(Some(&viewer), Method::GET, "/api/incidents/1")
        .await;
    assert!(body.contains("\"reporter\":\"R-"), "a pseudonym: {body}");

    let mopti = app.token(Role::Coordinator, &["Mopti"]);
    let (_, body) = app.call(Some(&mopti), Method::GET, "/api/incidents").await;
    assert!(body.contains("\"id\":1"), "{body}");
    let bankass = app.token(Role::Viewer, &["Bankass"]);
    let (_, body) = app
        .call(Some(&bankass), Method::GET, "/api/incidents")
        .await;
    assert!(body.contains("\"incidents\":[]"), "{body}");
    let (status, _) = app
        .call(Some(&bankass), Method::GET, "/api/incidents/1")
        .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn tokens_are_made_once_by_the_cli_and_revoked() {
    let app = spawn_app().await;
    let cli = app.cli();
    let vigie = |args: &[&str]| {
        let output = cli(args);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "{args:?}: {stderr}");
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    };
    let token = vigie(&["token", "create", "--role", "viewer", "--name", "partner"]);
    assert!(token.starts_with("vt_"), "{token}");
    let listed = vigie(&["token", "list"]);
    assert!(listed.contains("\"role\":\"viewer\"") && !listed.contains(&token));
    let (status, _) = app.call(Some(&token), Method::GET, "/api/zones").await;
    assert_eq!(status, 200);
    vigie(&["token", "revoke", "1"]);
    let (status, _) = app.call(Some(&token), Method::GET, "/api/zones").await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_coordinator_verifies_or_dismisses_incidents_in_their_zones() {
    let zone = "[[zones]]\ncode = \"koro-v\"\nunits = [\"Koro\"]\nverify_low_severity = true\n";
    let app = crate::helpers::spawn_gateway(
        &format!("{zone}\n{}", crate::helpers::channels()),
        tempfile::tempdir().unwrap(),
    )
    .await;
    app.register(MONITOR, None, false);
    app.register("+22376000002", None, false);
    let responder = json!({ "phone": RESPONDER, "roles": ["responder"], "zones": ["koro-v"] });
    app.api(Method::POST, "/api/contacts", Some(responder))
        .await;
    app.sms("76123456", "MEN Koro", "m1").await;
    app.sms("76000002", "MEN Koro", "m2").await;
    app.replies("+22376000002", 1).await;
    assert_eq!(
        app.count("alerts"),
        0,
        "two sources, but the zone waits for verification"
    );

    let viewer = app.token(Role::Viewer, &[]);
    let elsewhere = app.token(Role::Coordinator, &["Bankass"]);
    let mopti = app.token(Role::Coordinator, &["Mopti"]);
    let (status, _) = app
        .call(Some(&viewer), Method::POST, "/api/incidents/1/verify")
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .call(Some(&elsewhere), Method::POST, "/api/incidents/1/verify")
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .call(Some(&mopti), Method::POST, "/api/incidents/1/bless")
        .await;
    assert_eq!(status, 404);
    let (status, body) = app
        .call(Some(&mopti), Method::POST, "/api/incidents/1/verify")
        .await;
    assert_eq!(status, 200, "{body}");
    let alert = app.replies(RESPONDER, 1).await;
    assert!(
        alert[0].starts_with("ALERTE 1 MEN Koro (Mopti), 2 sources"),
        "{alert:?}"
    );

    let (status, _) = app
        .call(Some(&mopti), Method::POST, "/api/incidents/1/dismiss")
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        app.one::<String>(
            "SELECT review || ' ' || coalesce(CAST(escalate_at AS TEXT), 'none') FROM incidents"
        ),
        "dismissed none"
    );
    let (_, listed) = app
        .call(Some(&mopti), Method::GET, "/api/incidents?review=dismissed")
        .await;
    assert!(listed.contains("\"review\":\"dismissed\""), "{listed}");
    assert_eq!(
        app.column("SELECT action FROM audit_log WHERE subject = 'incident 1' ORDER BY id"),
        [
            Some("incident.verify".to_owned()),
            Some("incident.dismiss".to_owned())
        ]
    );
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let app = spawn_app().await;
    let viewer = app.token(Role::Viewer, &[]);
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let response = app
            .client
            .get(app.url("/api/zones"))
            .header("authorization", format!("{scheme} {viewer}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{scheme}");
    }
    for refused in [
        format!("Basic {viewer}"),
        format!("Bearer{viewer}"),
        "Bearer ".into(),
    ] {
        let response = app
            .client
            .get(app.url("/api/zones"))
            .header("authorization", refused.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{refused}");
    }
}
