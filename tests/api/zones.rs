//! Zones through the API and the configuration: created, changed (and read back), refused
//! naming the field that does not hold.

use serde_json::json;

use crate::alerts::{ZONES, spawn_quick};

#[tokio::test]
async fn zones_are_managed_through_the_api_and_checked() {
    let app = spawn_quick(ZONES).await;
    let (status, body) = app.api(reqwest::Method::GET, "/api/zones", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["zones"][0]["code"], "koro-zone", "the configured zone");
    let circle =
        json!({ "code": "Konna", "circles": [{ "lat": 14.94, "lon": -3.89, "radius_km": 10 }] });
    let (status, _) = app
        .api(reqwest::Method::POST, "/api/zones", Some(circle.clone()))
        .await;
    assert_eq!(status, 201);
    let (status, _) = app
        .api(reqwest::Method::POST, "/api/zones", Some(circle))
        .await;
    assert_eq!(status, 409);
    let bad = json!({ "code": "x", "units": ["Atlantis"] });
    let (status, body) = app
        .api(reqwest::Method::POST, "/api/zones", Some(bad))
        .await;
    assert_eq!(status, 422);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("units: `Atlantis`"),
        "{body}"
    );
    let (status, body) = app
        .api(
            reqwest::Method::PATCH,
            "/api/zones/konna",
            Some(json!({ "name": "Konna et environs" })),
        )
        .await;
    assert_eq!(
        (status, &body["zone"]["name"]),
        (200, &json!("Konna et environs"))
    );
    let (status, body) = app
        .api(reqwest::Method::GET, "/api/zones/konna", None)
        .await;
    assert_eq!(status, 200);
    let zone = &body["zone"];
    assert_eq!(zone["name"], "Konna et environs", "stored: {body}");
    assert_eq!(
        zone["circles"][0]["radius_km"], 10.0,
        "the rest kept: {body}"
    );
    let polygon = json!({ "polygons": [{ "type": "Point", "coordinates": [0, 0] }] });
    let (status, body) = app
        .api(reqwest::Method::PATCH, "/api/zones/konna", Some(polygon))
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["message"].as_str().unwrap().starts_with("polygons[0]"),
        "{body}"
    );
    let (status, _) = app
        .api(reqwest::Method::DELETE, "/api/zones/Konna", None)
        .await;
    assert_eq!(status, 204);
    let (status, _) = app
        .api(reqwest::Method::GET, "/api/zones/konna", None)
        .await;
    assert_eq!(status, 404);
    let response = app.get("/api/zones").await;
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn a_zone_naming_no_admin_unit_stops_start_up_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[storage]\npath = {:?}\n\
         [reports]\ngazetteers = [\"tests/fixtures/gazetteer_mopti.csv\"]\n\
         [[zones]]\ncode = \"nord\"\nunits = [\"Atlantis\"]\n",
        dir.path().join("vigie.db")
    );
    let config = vigie::config::Config::from_toml(&text).unwrap();
    let error = vigie::app::Application::build(config).await.unwrap_err();
    assert!(
        format!("{error:#}").contains("zones[0].units: `Atlantis`"),
        "{error:#}"
    );
}
