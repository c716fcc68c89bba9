//! The console in a real browser: Debian's headless Chromium driven through chromedriver.
//! Log in, watch an SMS report appear on the list and the map without a reload, verify it.
//! Screenshots are saved under `target/screenshots/` to be looked at. Without chromedriver
//! (`CHROMEDRIVER`, else `/usr/bin/chromedriver`) the test says why and passes; `.ci/run`
//! installs it, so in CI it runs.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::access::with_an_incident;
use crate::helpers::ADMIN;

/// chromedriver on a free loopback port, stopped when dropped.
struct Driver {
    child: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn chromedriver() -> Option<PathBuf> {
    let path = std::env::var_os("CHROMEDRIVER")
        .map_or_else(|| PathBuf::from("/usr/bin/chromedriver"), PathBuf::from);
    path.exists().then_some(path)
}

async fn start_driver(path: PathBuf) -> Driver {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Driver {
        child,
        port,
        _profile: tempfile::tempdir().unwrap(),
    }
}

async fn browser(driver: &Driver) -> Client {
    let profile = driver._profile.path().display().to_string();
    let args = [
        "--headless=new".to_owned(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-dev-shm-usage".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--no-first-run".into(),
        "--window-size=1280,900".into(),
        format!("--user-data-dir={profile}"),
    ];
    let mut capabilities = serde_json::Map::new();
    let binary = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({ "binary": binary, "args": args }),
    );
    ClientBuilder::rustls()
        .expect("a TLS configuration")
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a browser session")
}

/// Waits until `check` holds of the page's HTML: a bound for the test (the other tests
/// run beside it on two cores), not a speed target.
async fn until(client: &Client, what: &str, check: impl Fn(&str) -> bool) -> String {
    for _ in 0..300 {
        let html = client.source().await.unwrap();
        if check(&html) {
            return html;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    screenshot(client, "failure").await;
    panic!("{what}: not seen within 30 s (target/screenshots/failure.png)");
}

async fn screenshot(client: &Client, name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = client.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coordinator_sees_a_report_arrive_live_and_verifies_it() {
    let Some(path) = chromedriver() else {
        eprintln!("skipped: no chromedriver (apt-get install chromium chromium-driver)");
        return;
    };
    let app = with_an_incident().await;
    let driver = start_driver(path).await;
    let client = browser(&driver).await;

    client.goto(&app.url("/console")).await.unwrap();
    let token = client.find(Locator::Id("token")).await.unwrap();
    token.send_keys(ADMIN).await.unwrap();
    client
        .find(Locator::Css("form[action='/console/login'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(&client, "the incidents page", |html| {
        html.contains("/console/incidents/1\"")
    })
    .await;
    until(&client, "incident 1 on the map", |html| {
        html.contains("leaflet-interactive")
    })
    .await;

    // A new report, and the list and the map show it without a reload.
    let before = client
        .execute("return performance.timeOrigin", vec![])
        .await
        .unwrap();
    app.sms("76123456", "ENL Douentza 2 enleves", "b1").await;
    until(&client, "incident 2 on the list", |html| {
        html.contains("/console/incidents/2\"")
    })
    .await;
    // Incidents on the map: lone markers, and the numbers the clusters show.
    let markers = "var n = document.querySelectorAll('#map .incident').length; \
        document.querySelectorAll('#map .marker-cluster span').forEach(function (s) { \
        n += parseInt(s.textContent, 10) || 0; }); return n;";
    let mut shown = 0;
    for _ in 0..300 {
        shown = client
            .execute(markers, vec![])
            .await
            .unwrap()
            .as_u64()
            .unwrap_or(0);
        if shown >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(shown, 2, "both incidents on the map");
    let after = client
        .execute("return performance.timeOrigin", vec![])
        .await
        .unwrap();
    assert_eq!(before, after, "the page was not reloaded");
    screenshot(&client, "console-incidents").await;

    client.goto(&app.url("/console/incidents/2")).await.unwrap();
    client
        .find(Locator::Css("button[value='verify']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(&client, "the review", |html| {
        html.contains("vérifié") || html.contains("verified")
    })
    .await;
    screenshot(&client, "console-incident").await;
    assert_eq!(
        app.one::<String>("SELECT review FROM incidents WHERE id = 2"),
        "verified"
    );

    // A broadcast: its size shown as it is typed, confirmed with its recipients, followed.
    client.goto(&app.url("/console/broadcasts")).await.unwrap();
    let zone = client.find(Locator::Id("zone")).await.unwrap();
    zone.send_keys("Koro").await.unwrap();
    let text = client.find(Locator::Id("text")).await.unwrap();
    text.send_keys("Reunion de securite demain 10h")
        .await
        .unwrap();
    until(&client, "the live SMS count", |html| {
        html.contains("1 SMS · GSM-7")
    })
    .await;
    click(&client, "form.compose button").await;
    until(&client, "the confirm step", |html| {
        html.contains("<strong>1</strong>")
    })
    .await;
    click(&client, "form[action='/console/broadcasts'] button").await;
    // Sent first, then shown: a failure says which of the two did not happen.
    app.wait_for_rows("outbound_messages WHERE broadcast_id = 1 AND status = 'delivered'")
        .await;
    until(&client, "the broadcast delivered", |html| {
        html.contains("class=\"delivered\">1<")
    })
    .await;
    screenshot(&client, "console-broadcast").await;

    // The simulator: a phone's SMS, and the receipt it gets back.
    let phone = app.url("/console/simulator?phone=76999002");
    client.goto(&phone).await.unwrap();
    let sms = client.find(Locator::Id("sms-text")).await.unwrap();
    sms.send_keys("ATT Bankass 2 morts").await.unwrap();
    click(&client, "form.compose button").await;
    until(&client, "the receipt in the inbox", |html| {
        html.contains("Recu ")
    })
    .await;
    screenshot(&client, "console-simulator").await;

    // The zones page draws a zone made of the cercle of Koro.
    let zone = json!({ "code": "koro-z", "units": ["Koro"], "circles": [
        { "lat": 14.5, "lon": -4.2, "radius_km": 20.0 }] });
    let (status, _) = app
        .api(reqwest::Method::POST, "/api/zones", Some(zone))
        .await;
    assert_eq!(status, 201);
    client.goto(&app.url("/console/zones")).await.unwrap();
    until(&client, "the zone on the map", |html| {
        html.contains("leaflet-interactive")
    })
    .await;
    screenshot(&client, "console-zones").await;

    // An admin imports contacts by choosing a CSV file, as from a laptop's disk.
    let csv = app.dir.path().join("contacts.csv");
    std::fs::write(
        &csv,
        "phone,name,roles\n76555010,Fanta,monitor\nbad,Nobody,monitor\n",
    )
    .unwrap();
    client.goto(&app.url("/console/contacts")).await.unwrap();
    let file = client.find(Locator::Id("file")).await.unwrap();
    file.send_keys(csv.to_str().unwrap()).await.unwrap();
    click(&client, "form[action='/console/contacts/import'] button").await;
    until(&client, "the import's outcome", |html| {
        html.contains("1 contact(s)") && (html.contains("line 3") || html.contains("ligne 3"))
    })
    .await;
    screenshot(&client, "console-contacts").await;

    // A zone gone quiet: on the board's list, and a dashed ring on the map.
    app.execute(
        "INSERT INTO silences (zone, name, state, since, monitors, usual_per_day, cause, opened_at)
         VALUES ('koro', 'Koro', 'open', 0, 5, 4.2, 'Orange', 0)",
    );
    // And a flood delivered three minutes ago, waiting to be read: the board says so.
    crate::flood::flood_delivered(&app, 20_000, 3);
    client.goto(&app.url("/console/board")).await.unwrap();
    until(
        &client,
        "the silence and the backlog on the board",
        |html| {
            html.contains("<strong>Koro</strong>")
                && html.contains("Orange</strong>")
                && (html.contains("Reading is behind") || html.contains("Lecture en retard"))
        },
    )
    .await;
    screenshot(&client, "console-board").await;
    client.goto(&app.url("/console/incidents")).await.unwrap();
    until(&client, "the silence on the map", |html| {
        html.contains("silence leaflet-interactive") || html.contains("leaflet-interactive silence")
    })
    .await;
    screenshot(&client, "console-silence-map").await;

    // On a phone's 360 px screen the list stays usable: nothing wider than the screen.
    client.set_window_size(360, 740).await.unwrap();
    client.goto(&app.url("/console/incidents")).await.unwrap();
    let width = client
        .execute("return document.documentElement.scrollWidth", vec![])
        .await
        .unwrap();
    screenshot(&client, "console-phone").await;
    assert!(width.as_u64().unwrap_or(0) <= 360, "page {width} px wide");
    client.close().await.unwrap();
}

async fn click(client: &Client, css: &str) {
    let button = client.find(Locator::Css(css)).await.unwrap();
    button.click().await.unwrap();
}
