//! CAP 1.2 documents and their Atom feed, read back by independent implementations
//! (`oasiscap`, `atom_syndication`): the fields partners rely on, the message type as the
//! incident evolves, zone limits and a viewer's precision.

use oasiscap::v1dot2::{Alert, MessageType, Scope};
use reqwest::Method;
use vigie::access::Role;

use crate::helpers::{TestApp, spawn_app, spawn_configured};

const MONITOR: &str = "+22376123456";
const SECOND: &str = "+22376123457";

impl TestApp {
    async fn cap(&self, token: &str, id: i64) -> Alert {
        let path = format!("/api/incidents/{id}/cap");
        let (status, body) = self.call(Some(token), Method::GET, &path).await;
        assert_eq!(status, 200, "{body}");
        assert!(!body.contains("76123456"), "no number: {body}");
        let alert: oasiscap::Alert = body.parse().unwrap_or_else(|e| panic!("{e}: {body}"));
        assert!(matches!(alert, oasiscap::Alert::V1dot2(_)), "{body}");
        alert.into_latest()
    }

    async fn feed(&self, token: &str) -> atom_syndication::Feed {
        let (status, body) = self.call(Some(token), Method::GET, "/api/cap.atom").await;
        assert_eq!(status, 200, "{body}");
        body.parse().unwrap_or_else(|e| panic!("{e}: {body}"))
    }
}

#[tokio::test]
async fn an_incident_is_a_cap_alert_then_an_update_then_a_cancel() {
    let app = spawn_app().await;
    app.register(MONITOR, None, false);
    app.register(SECOND, None, false);
    app.sms("76123456", "ATT Koro 3 morts 2 blesses", "c1")
        .await;
    app.replies(MONITOR, 1).await;
    let admin = app.token(Role::Admin, &[]);

    let alert = app.cap(&admin, 1).await;
    assert_eq!(alert.message_type, MessageType::Alert);
    assert_eq!(alert.scope, Scope::Restricted);
    assert!(alert.restriction.is_some());
    assert!(alert.references.is_none());
    let languages: Vec<String> = alert
        .info
        .iter()
        .map(|i| i.language.clone().into_inner().unwrap_or_default())
        .collect();
    assert_eq!(languages.len(), 2, "{languages:?}");
    let fr = alert
        .info
        .iter()
        .find(|i| i.language.clone().into_inner().unwrap_or_default() == "fr")
        .unwrap();
    assert_eq!(fr.event, "Attaque armée");
    assert_eq!(
        format!("{:?}", fr.categories),
        "[Security]",
        "category Security"
    );
    assert!(
        fr.description
            .as_deref()
            .unwrap()
            .contains("3 morts 2 blesses")
    );
    let area = &fr.areas[0];
    assert!(area.description.contains("Koro"), "{}", area.description);
    assert_eq!(area.circles.len(), 1);
    let geocodes: Vec<(String, String)> = area.geocode.clone().into_iter().collect();
    assert!(
        geocodes.contains(&("cercle".into(), "Koro".into())),
        "{geocodes:?}"
    );
    assert!(
        geocodes.contains(&("region".into(), "Mopti".into())),
        "{geocodes:?}"
    );

    app.sms("76123457", "ATT Koro 4 morts", "c2").await;
    app.replies(SECOND, 1).await;
    let update = app.cap(&admin, 1).await;
    assert_eq!(update.message_type, MessageType::Update);
    let references = update.references.as_ref().unwrap().to_string();
    assert!(
        references.contains(&alert.identifier.to_string()),
        "{references}"
    );
    assert_ne!(update.identifier, alert.identifier);

    let (status, _) = app
        .call(Some(&admin), Method::POST, "/api/incidents/1/dismiss")
        .await;
    assert_eq!(status, 200);
    let cancel = app.cap(&admin, 1).await;
    assert_eq!(cancel.message_type, MessageType::Cancel);
    assert!(
        cancel
            .references
            .unwrap()
            .to_string()
            .contains(&alert.identifier.to_string())
    );
}

#[tokio::test]
async fn the_atom_feed_lists_verified_incidents_within_the_tokens_zones() {
    let app = spawn_app().await;
    app.register(MONITOR, None, false);
    app.sms("76123456", "ATT Abdou-Habe 2 morts", "v1").await;
    app.replies(MONITOR, 1).await;
    let viewer = app.token(Role::Viewer, &[]);
    let elsewhere = app.token(Role::Viewer, &["Tombouctou"]);
    assert!(
        app.feed(&viewer).await.entries().is_empty(),
        "not verified yet"
    );

    let coordinator = app.token(Role::Coordinator, &["Mopti"]);
    let (status, _) = app
        .call(Some(&coordinator), Method::POST, "/api/incidents/1/verify")
        .await;
    assert_eq!(status, 200);
    let feed = app.feed(&viewer).await;
    assert_eq!(feed.entries().len(), 1);
    let link = &feed.entries()[0].links()[0];
    assert!(
        link.href().ends_with("/api/incidents/1/cap"),
        "{}",
        link.href()
    );
    assert_eq!(link.mime_type(), Some("application/cap+xml"));
    assert!(app.feed(&elsewhere).await.entries().is_empty());
    let (status, _) = app
        .call(Some(&elsewhere), Method::GET, "/api/incidents/1/cap")
        .await;
    assert_eq!(status, 403);
    let (status, _) = app.call(None, Method::GET, "/api/cap.atom").await;
    assert_eq!(status, 401);

    // A viewer gets the commune (Bara Sara), an admin the village.
    let seen = app.cap(&viewer, 1).await;
    let area = &seen.info[0].areas[0];
    assert!(
        area.description.starts_with("Bara Sara"),
        "{}",
        area.description
    );
    assert!(!format!("{seen:?}").contains("Abdou"), "{seen:?}");
    let circle = area.circles[0].center.to_string();
    assert!(circle.starts_with("14.14109,-3.81819"), "{circle}");
    let admin = app.token(Role::Admin, &[]);
    let exact = app.cap(&admin, 1).await;
    assert!(format!("{exact:?}").contains("Abdou"));
    assert!(exact.info[0].certainty == oasiscap::v1dot2::Certainty::Observed);

    // Dismissed after it was published: partners read the Cancel in the feed.
    let (status, _) = app
        .call(Some(&coordinator), Method::POST, "/api/incidents/1/dismiss")
        .await;
    assert_eq!(status, 200);
    let feed = app.feed(&viewer).await;
    assert_eq!(feed.entries().len(), 1);
    assert!(feed.entries()[0].title().starts_with("Cancel"), "{feed:?}");
}

#[tokio::test]
async fn links_never_come_from_the_host_the_caller_wrote() {
    // No public URL: links are relative, never built from the `Host` header.
    let sim = "[[channels]]\nid = \"sim\"\nkind = \"sim\"\n";
    let app = spawn_configured("", "", sim, tempfile::tempdir().unwrap()).await;
    app.register(MONITOR, None, false);
    app.sms("76123456", "ATT Koro 3 morts", "h1").await;
    app.replies(MONITOR, 1).await;
    app.api(
        Method::POST,
        "/api/incidents/1/verify",
        Some(serde_json::json!({})),
    )
    .await;
    let admin = app.token(Role::Admin, &[]);
    for path in ["/api/cap.atom", "/api/incidents/1/cap"] {
        let response = app
            .client
            .get(app.url(path))
            .bearer_auth(&admin)
            .header("host", "attacker.example")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body = response.text().await.unwrap();
        assert!(!body.contains("attacker.example"), "{path}: {body}");
    }
}
