//! Exports (GeoJSON, CSV, the CAP Atom feed) and a broadcast's standing: read back by
//! independent readers, at the precision a viewer may see, and never with a number.

use reqwest::Method;
use serde_json::json;
use vigie::access::Role;

use crate::access::{MONITOR, RESPONDER, with_an_incident};
use crate::helpers::{assert_no_number, spawn_app};

#[tokio::test]
async fn exports_parse_back_and_hold_no_number() {
    let app = with_an_incident().await;
    let (status, body) = app
        .api(Method::POST, "/api/incidents/1/verify", Some(json!({})))
        .await;
    assert_eq!(status, 200, "verified, so the Atom feed lists it: {body}");
    let coordinator = app.token(Role::Coordinator, &[]);
    let broadcast =
        json!({ "zone": "Koro", "text": "Reunion demain", "roles": ["monitor", "responder"] });
    let response = app
        .client
        .post(app.url("/api/broadcasts"))
        .bearer_auth(&coordinator)
        .json(&broadcast)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let viewer = app.token(Role::Viewer, &[]);
    for (token, who) in [(&viewer, "viewer"), (&coordinator, "coordinator")] {
        let get = |path: &'static str| app.call(Some(token), Method::GET, path);
        let (status, body) = get("/api/incidents.geojson?category=ATT").await;
        assert_eq!(status, 200, "{body}");
        check_geojson(&body);
        assert_no_number(&body, &[MONITOR, RESPONDER], &format!("GeoJSON to a {who}"));
        let (status, body) = get("/api/incidents.csv").await;
        assert_eq!(status, 200, "{body}");
        check_csv(&body);
        assert_no_number(&body, &[MONITOR, RESPONDER], &format!("CSV to a {who}"));
        let (status, body) = get("/api/cap.atom").await;
        assert_eq!(status, 200, "{body}");
        let feed: atom_syndication::Feed = body.parse().unwrap();
        assert_eq!(feed.entries().len(), 1, "{body}");
        assert_no_number(&body, &[MONITOR, RESPONDER], &format!("Atom to a {who}"));
        let (status, body) = get("/api/broadcasts/1").await;
        if token == &viewer {
            assert_eq!(status, 403, "{body}");
        } else {
            assert_eq!(status, 200, "{body}");
            assert!(body.contains("\"recipients\":1"), "the responder: {body}");
        }
        assert_no_number(
            &body,
            &[MONITOR, RESPONDER],
            &format!("the broadcast to a {who}"),
        );
    }
    let (status, _) = app.call(None, Method::GET, "/api/incidents.csv").await;
    assert_eq!(status, 401);
}

fn check_geojson(body: &str) {
    let collection: geojson::FeatureCollection = body
        .parse::<geojson::GeoJson>()
        .unwrap()
        .try_into()
        .unwrap();
    assert_eq!(collection.features.len(), 1);
    let properties = collection.features[0].properties.as_ref().unwrap();
    assert_eq!(properties["category"], "ATT");
    assert_eq!(properties["cercle"], "Koro");
}

fn check_csv(body: &str) {
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    let killed = headers.iter().position(|h| h == "killed").unwrap();
    assert_eq!(&rows[0][killed], "3");
}

#[tokio::test]
async fn a_viewer_gets_a_village_report_at_its_commune_and_an_admin_at_the_village() {
    let app = spawn_app().await;
    app.register(MONITOR, None, false);
    app.sms("76123456", "ATT Abdou-Habe 2 morts", "v1").await;
    app.replies(MONITOR, 1).await;
    let point = |body: &str| {
        let collection: geojson::FeatureCollection = body
            .parse::<geojson::GeoJson>()
            .unwrap()
            .try_into()
            .unwrap();
        let feature = &collection.features[0];
        let place = feature.properties.as_ref().unwrap()["place"].clone();
        (feature.geometry.as_ref().unwrap().value.clone(), place)
    };
    let viewer = app.token(Role::Viewer, &[]);
    let (_, body) = app
        .call(Some(&viewer), Method::GET, "/api/incidents.geojson")
        .await;
    let (at, place) = point(&body);
    assert_eq!(
        at,
        geojson::Value::Point(vec![-3.81819, 14.14109]),
        "Bara Sara"
    );
    assert_eq!(place, "Bara Sara (Mopti)");
    let (_, body) = app
        .call(Some(&viewer), Method::GET, "/api/incidents/1")
        .await;
    assert!(
        body.contains("Bara Sara") && !body.contains("Abdou"),
        "the API shows a viewer the commune too: {body}"
    );
    let admin = app.token(Role::Admin, &[]);
    let (_, body) = app
        .call(Some(&admin), Method::GET, "/api/incidents.geojson")
        .await;
    assert_eq!(point(&body).0, geojson::Value::Point(vec![-3.9453, 14.12]));
}
