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
