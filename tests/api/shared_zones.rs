//! A zone named by a name several admin units bear (`Bamba`, a commune of Koro in Mopti
//! and of Bourem in Gao) is refused with its candidates by id; named by its id, a zone's
//! scope and recipients follow its place in the tree, never its name.

use reqwest::Method;
use serde_json::json;
use vigie::access::Role;

use crate::helpers::{TestApp, channels, spawn_gateway_reporting};

const KORO_BAMBA: &str = "gb:61693064B15532739326764";
const GAO_BAMBA: &str = "gb:61693064B87604266217182";

/// The Mopti gazetteer with Gao's Bamba added; a monitor living in each Bamba.
async fn two_bambas() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let gao = dir.path().join("gao.csv");
    std::fs::write(
        &gao,
        format!(
            "id,name,alt_names,kind,lat,lon,country,admin1,admin2,admin3,source\n\
             {GAO_BAMBA},Bamba,,commune,17.40078,-1.33253,ML,Gao,Bourem,Bamba,t\n"
        ),
    )
    .unwrap();
    let reports = format!("extra_gazetteers = [{gao:?}]\n");
    let rest = format!("[inbound]\n{}", channels());
    let app = spawn_gateway_reporting(&reports, &rest, dir).await;
    for (phone, home) in [("+22376000001", KORO_BAMBA), ("+22376000002", GAO_BAMBA)] {
        let contact = json!({ "phone": phone, "roles": ["monitor"], "home": home });
        let (status, body) = app.api(Method::POST, "/api/contacts", Some(contact)).await;
        assert_eq!(status, 201, "{body}");
    }
    // Attached rather than living there: to Gao's Bamba by its id, and to the shared name.
    for (phone, zone) in [("+22370000001", GAO_BAMBA), ("+22370000002", "Bamba")] {
        let contact = json!({ "phone": phone, "roles": ["responder"], "zones": [zone] });
        let (status, body) = app.api(Method::POST, "/api/contacts", Some(contact)).await;
        assert_eq!(status, 201, "{body}");
    }
    app
}

impl TestApp {
    async fn broadcast_as(&self, token: &str, zone: &str) -> (u16, serde_json::Value) {
        let body = json!({ "zone": zone, "text": "Reunion demain" });
        let response = self
            .client
            .post(self.url("/api/broadcasts"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }
}

#[tokio::test]
async fn a_shared_name_is_refused_with_its_candidates_and_an_id_keeps_to_its_place() {
    let app = two_bambas().await;
    let mopti = app.token(Role::Coordinator, &["Mopti"]);
    let (status, body) = app.broadcast_as(&mopti, "Bamba").await;
    assert_eq!(status, 422, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains(KORO_BAMBA) && message.contains(GAO_BAMBA),
        "{message}"
    );
    assert_eq!(
        app.count("outbound_messages WHERE purpose = 'broadcast'"),
        0
    );

    let (status, body) = app.broadcast_as(&mopti, GAO_BAMBA).await;
    assert_eq!(status, 403, "Gao's Bamba is outside Mopti: {body}");
    let (status, body) = app.broadcast_as(&mopti, KORO_BAMBA).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["recipients"], 2, "{body}");
    assert_eq!(
        app.column(
            "SELECT recipient FROM outbound_messages WHERE purpose = 'broadcast' ORDER BY recipient"
        ),
        [
            Some("+22370000002".to_owned()),
            Some("+22376000001".to_owned())
        ],
        "Koro's Bamba, and whoever is attached to the shared name; not Gao's"
    );
    // A name only one unit bears still works: Koro (a cercle, and its seat's commune).
    let (status, body) = app.broadcast_as(&mopti, "Koro").await;
    assert_eq!(status, 201, "{body}");
}

/// An attack reported in each Bamba, qualified by the cercle above it.
async fn an_attack_in_each_bamba(app: &TestApp) {
    app.sms("+22376000001", "ATT Bamba Koro 2 tues", "b1").await;
    app.sms("+22376000002", "ATT Bamba Bourem 2 tues", "b2")
        .await;
    // Numbered by the database (PostgreSQL may skip numbers): both, whatever their ids.
    app.wait_for_rows("incidents WHERE commune LIKE 'Gao/%'")
        .await;
    app.wait_for_rows("incidents WHERE commune NOT LIKE 'Gao/%'")
        .await;
}

impl TestApp {
    /// The ids and communes of the incidents a token sees at `path`.
    async fn seen_as(&self, token: &str, path: &str) -> (u16, String) {
        let response = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }
}

#[tokio::test]
async fn reads_keep_a_zone_limited_token_in_its_units_and_refuse_a_shared_filter() {
    let app = two_bambas().await;
    an_attack_in_each_bamba(&app).await;
    let koro: i64 = app.one("SELECT id FROM incidents WHERE commune = 'Mopti/Koro/Bamba'");
    let gao: i64 = app.one("SELECT id FROM incidents WHERE commune LIKE 'Gao/%'");

    let mopti = app.token(Role::Viewer, &["Mopti"]);
    let (_, body) = app.seen_as(&mopti, "/api/incidents").await;
    assert!(body.contains(&format!("\"id\":{koro}")), "{body}");
    assert!(
        !body.contains(&format!("\"id\":{gao}")),
        "Gao's Bamba: {body}"
    );
    let (status, _) = app.seen_as(&mopti, &format!("/api/incidents/{gao}")).await;
    assert_eq!(status, 403);

    // A filter by the shared name is refused with both units' ids; by an id, it is exact.
    let admin = app.token(Role::Admin, &[]);
    let (status, body) = app.seen_as(&admin, "/api/incidents?zone=Bamba").await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains(KORO_BAMBA) && body.contains(GAO_BAMBA),
        "{body}"
    );
    let path = format!("/api/incidents?zone={GAO_BAMBA}");
    let (_, body) = app.seen_as(&admin, &path).await;
    assert!(body.contains(&format!("\"id\":{gao}")), "{body}");
    assert!(!body.contains(&format!("\"id\":{koro}")), "{body}");
    let (status, body) = app
        .seen_as(&admin, "/api/incidents.geojson?zone=Bamba")
        .await;
    assert_eq!(status, 422, "exports filter alike: {body}");

    // A token limited by the shared name (stored before names were checked) sees neither.
    let bamba = app.token(Role::Viewer, &["Bamba"]);
    let (_, body) = app.seen_as(&bamba, "/api/incidents").await;
    assert!(body.contains("\"incidents\":[]"), "{body}");
    let (status, _) = app.seen_as(&bamba, &format!("/api/incidents/{koro}")).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn the_cli_refuses_a_token_limited_by_a_shared_name_and_stores_a_units_id() {
    let app = two_bambas().await;
    let gao = app.dir.path().join("gao.csv");
    let cli = app.cli_reporting(&format!("extra_gazetteers = [{gao:?}]\n"));
    let output = cli(&["token", "create", "--role", "viewer", "--zone", "Bamba"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("zone") && stderr.contains(KORO_BAMBA) && stderr.contains(GAO_BAMBA),
        "{stderr}"
    );
    let output = cli(&["token", "create", "--role", "viewer", "--zone", GAO_BAMBA]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let listed = String::from_utf8_lossy(&cli(&["token", "list"]).stdout).into_owned();
    assert!(listed.contains(GAO_BAMBA), "{listed}");

    an_attack_in_each_bamba(&app).await;
    let (_, body) = app.seen_as(&token, "/api/incidents").await;
    let gao: i64 = app.one("SELECT id FROM incidents WHERE commune LIKE 'Gao/%'");
    assert!(body.contains(&format!("\"id\":{gao}")), "{body}");
    assert!(!body.contains("Koro"), "{body}");
}

/// A defined zone whose code is a unit's name (`mopti`, made of Bankass only) is that zone:
/// a token limited to it does not cover the rest of the Mopti region.
#[tokio::test]
async fn a_defined_zone_named_like_a_region_covers_only_itself() {
    let zone = "[[zones]]\ncode = \"mopti\"\nunits = [\"Bankass\"]\n";
    let app = crate::helpers::spawn_gateway(
        &format!("{zone}\n{}", channels()),
        tempfile::tempdir().unwrap(),
    )
    .await;
    let limited = app.token(Role::Coordinator, &["mopti"]);
    let (status, body) = app.broadcast_as(&limited, "Koro").await;
    assert_eq!(status, 403, "Koro is not in the zone `mopti`: {body}");
}
