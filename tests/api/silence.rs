//! Silence as a signal, end to end: signs of life from messages and deliveries, overdue
//! monitors reminded and their coordinators told (the clock moved), and a replayed
//! fortnight in which one zone goes quiet while SMS to its Orange numbers expire.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use reqwest::Method;
use serde_json::Value;

use crate::doubles::{Double, Kind};
use crate::helpers::{TestApp, assert_no_number, spawn_gateway};
use crate::outbound::{channel, route};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// Sweeps every second; no per-sender flood limit, so a fortnight can be replayed at once.
const CONFIG: &str = r#"
[inbound.rate_limit]
per_minute = 1000000
burst = 1000000

[silence]
sweep_every_secs = 1

[[channels]]
id = "sim"
kind = "sim"
"#;

impl TestApp {
    /// Waits for `n` more silence sweeps to finish.
    async fn silence_sweeps(&self, n: u64) {
        let done = || async { self.metric("vigie_silence_sweeps_total").await as u64 };
        let until = done().await + n;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while done().await < until {
            assert!(tokio::time::Instant::now() < deadline, "no sweep in 20 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A metric's value on `/metrics` (0 when absent).
    async fn metric(&self, name: &str) -> f64 {
        let text = self.get("/metrics").await.text().await.unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or(0.0)
    }

    /// An SMS from `from` dated `at` (unix ms) by the provider.
    async fn sms_at(&self, from: &str, text: &str, at: i64, id: &str) {
        let date = Utc.timestamp_millis_opt(at).unwrap().to_rfc3339();
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs([("from", from), ("text", text), ("id", id), ("date", &date)])
            .finish();
        let response = self.post_form("/webhooks/sim/sms", &body).await;
        assert_eq!(response.status(), 200);
    }

    /// Waits until the intake has read every stored message.
    async fn all_read(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while self.count("inbound_messages WHERE state = 'new'") > 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "messages left unread"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// An SMS to `to`, accepted by Africa's Talking, then reported `status` by it.
    async fn reported(&self, to: &str, status: &str) {
        let id = self.queue_sms(to, "Vigie: test").await;
        let sent = self.wait_status(id, "sent", Duration::from_secs(10)).await;
        let provider_id = sent["provider_message_id"].as_str().unwrap().to_owned();
        let body = format!("id={provider_id}&status={status}");
        let response = self
            .post_form("/webhooks/at/status?token=s3cret", &body)
            .await;
        assert_eq!(response.status(), 200);
    }
}

#[tokio::test]
async fn an_overdue_monitor_is_reminded_once_then_their_coordinator_told_once() {
    let app = spawn_gateway(CONFIG, tempfile::tempdir().unwrap()).await;
    app.import(
        "phone,name,roles,language,home,zones,discreet,categories,min_severity,checkin_every_hours\n\
         +22376000001,Awa,monitor,fr,,Koro,no,,,24\n\
         +22376000002,Issa,monitor,fr,,Koro,yes,,,24\n\
         +22370000101,Coord,coordinator,fr,,Koro,no,,,\n",
    )
    .await;
    app.sms("+22376000001", "RAS", "r1").await;
    app.sms("+22376000002", "RAS", "r2").await;
    app.replies("+22376000002", 1).await;

    // A day's cadence and six hours' grace: at 29 hours, nothing; at 31, a reminder to the
    // monitor who may be reminded, none to the discreet one.
    app.clock.advance(Duration::from_secs(29 * 3600));
    app.silence_sweeps(2).await;
    assert_eq!(
        app.count("outbound_messages WHERE text LIKE 'Vigie: pas de%'"),
        0
    );
    app.clock.advance(Duration::from_secs(2 * 3600));
    let reminded = app.replies("+22376000001", 2).await;
    assert_eq!(
        reminded[1],
        "Vigie: pas de nouvelles depuis 31h. Repondez RAS si tout va bien."
    );
    app.silence_sweeps(2).await;
    assert_eq!(
        app.replies("+22376000001", 2).await.len(),
        2,
        "reminded twice"
    );
    assert_eq!(
        app.replies("+22376000002", 1).await.len(),
        1,
        "discreet reminded"
    );
    assert_eq!(app.metric("vigie_monitors_overdue").await, 2.0);

    // One more cadence: their coordinator hears of both, in one SMS, by pseudonym.
    app.clock.advance(Duration::from_secs(24 * 3600));
    let told = app.replies("+22370000101", 1).await;
    assert!(
        told[0].starts_with("Vigie: sans nouvelles de R-") && told[0].contains("(Koro, 2j)"),
        "{told:?}"
    );
    assert_eq!(told[0].matches("R-").count(), 2, "{told:?}");
    assert_no_number(
        &told[0],
        &["+22376000001", "+22376000002"],
        "overdue notice",
    );
    app.silence_sweeps(2).await;
    assert_eq!(app.replies("+22370000101", 1).await.len(), 1, "told twice");

    let (status, listed) = app
        .api(Method::GET, "/api/monitors?overdue=true", None)
        .await;
    assert_eq!(status, 200, "{listed}");
    let monitors = listed["monitors"].as_array().unwrap();
    assert_eq!(monitors.len(), 2, "{listed}");
    assert_eq!(monitors[0]["cadence_hours"], 24);
    assert_eq!(monitors[0]["operator"], "Orange");
    assert_eq!(monitors[0]["last_sign_via"], "sms");
    assert_eq!(monitors[0]["coordinators_told"], true);

    // A sign of life starts the count again.
    app.sms("+22376000001", "RAS", "r3").await;
    app.replies("+22376000001", 3).await;
    app.silence_sweeps(2).await;
    let (_, listed) = app
        .api(Method::GET, "/api/monitors?overdue=true", None)
        .await;
    assert_eq!(listed["monitors"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(app.metric("vigie_monitors_overdue").await, 1.0);
}

/// `n` monitors' numbers from `prefix`.
fn numbers(prefix: &str, n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{prefix}{i:02}")).collect()
}

#[tokio::test]
async fn a_replayed_fortnight_opens_one_silence_with_its_cause_and_closes_it() {
    // Orange numbers are sent through Africa's Talking, whose reports say what became of them.
    let double = Double::start(Kind::AfricasTalking).await;
    let config = format!(
        "{CONFIG}\n{}\n{}",
        channel("at", Kind::AfricasTalking, &double.base_url()),
        route("+2237", "at", "")
    );
    let app = spawn_gateway(&config, tempfile::tempdir().unwrap()).await;
    let koro = numbers("+223760000", 5); // Orange; quiet for the last two days
    let bankass = numbers("+223770000", 5); // Orange; daily
    let douentza = numbers("+223660000", 5); // Malitel; weekly
    let djenne = numbers("+223650000", 5); // Malitel; daily
    let mut csv = String::from("phone,name,roles,language,home,zones,discreet\n");
    for (zone, phones) in [
        ("Koro", &koro),
        ("Bankass", &bankass),
        ("Douentza", &douentza),
        ("Djenne", &djenne),
    ] {
        for phone in phones {
            csv.push_str(&format!("{phone},,monitor,fr,,{zone},no\n"));
        }
    }
    csv.push_str("+22390000101,,coordinator,fr,,Koro,no\n");
    csv.push_str("+22390000102,,coordinator,fr,,Douentza,no\n");
    app.import(&csv).await;

    // What became of SMS lately: Koro's Orange numbers expire, Bankass's deliver.
    for phone in &koro[..3] {
        app.reported(phone, "Expired").await;
    }
    for phone in &bankass[..2] {
        app.reported(phone, "Success").await;
    }

    // A fortnight by the providers' clocks, replayed newest first (so no sweep meanwhile
    // sees a zone's early days as its last).
    let now = app.clock.now_ms();
    let mut history: Vec<(String, i64)> = Vec::new();
    for (i, phone) in koro.iter().enumerate() {
        for half_day in 4..28 {
            history.push((
                phone.clone(),
                now - half_day * DAY_MS / 2 - i as i64 * HOUR_MS,
            ));
        }
    }
    for (i, phone) in bankass.iter().chain(&djenne).enumerate() {
        for day in 0..14 {
            history.push((phone.clone(), now - day * DAY_MS - (i as i64 + 1) * HOUR_MS));
        }
    }
    for (k, phone) in douentza.iter().enumerate() {
        for week in [0, 7] {
            history.push((
                phone.clone(),
                now - (7 - k as i64 + week) * DAY_MS + DAY_MS * 4 / 10,
            ));
        }
    }
    history.sort_by_key(|(_, at)| std::cmp::Reverse(*at));
    for (n, (phone, at)) in history.iter().enumerate() {
        app.sms_at(phone, "RAS", *at, &format!("h{n}")).await;
    }
    app.all_read().await;
    app.silence_sweeps(2).await;

    let (status, body) = app.api(Method::GET, "/api/silences", None).await;
    assert_eq!(status, 200, "{body}");
    let silences = body["silences"].as_array().unwrap();
    assert_eq!(silences.len(), 1, "exactly one silence: {body}");
    let koro_silence = &silences[0];
    assert_eq!(koro_silence["zone"], "Koro");
    assert_eq!(koro_silence["state"], "open");
    assert_eq!(koro_silence["monitors"], 5);
    assert_eq!(koro_silence["probable_cut"], serde_json::json!(["Orange"]));
    assert_eq!(app.metric("vigie_silences_open").await, 1.0);
    // 120 messages over the 11.7 days before their silence: 10.2 a day. (The SMS may have
    // gone while the fortnight was still coming in, with the pace known by then.)
    assert_eq!(koro_silence["usual_per_day"], 10.2, "{koro_silence}");
    let told = app.replies("+22390000101", 1).await;
    assert!(
        told[0].starts_with("SILENCE Koro: aucun message de 5 moniteurs depuis 48h (habituel ")
            && told[0].ends_with("/jour), coupure probable Orange"),
        "{told:?}"
    );
    let douentza_told =
        "outbound_messages WHERE recipient = '+22390000102' AND text LIKE 'SILENCE%'";
    assert_eq!(
        app.count(douentza_told),
        0,
        "weekly writers are not a silence"
    );

    // On the console: on the board's list, and on the map.
    let (_, session) = app.login(crate::helpers::ADMIN).await;
    let session = session.expect("a console session");
    let board = app.page(&session, "/console/board").await;
    assert_eq!(board.status, 200);
    assert!(
        board
            .body
            .contains("<li class=\"silent\"><strong>Koro</strong>"),
        "{}",
        board.body
    );
    assert!(
        board.body.contains("Orange</strong></li>"),
        "{}",
        board.body
    );
    let map = app.page(&session, "/console/map/silences.geojson").await;
    let map: Value = serde_json::from_str(&map.body).unwrap();
    assert_eq!(map["features"].as_array().map(Vec::len), Some(1), "{map}");
    assert_eq!(map["features"][0]["properties"]["zone"], "Koro");

    // An SMS delivered to one of them: their phone is on, but nobody is heard. The silence
    // stays open; the network is no longer the likely cause.
    app.reported(&koro[3], "Success").await;
    app.silence_sweeps(2).await;
    let (_, body) = app.api(Method::GET, "/api/silences", None).await;
    assert_eq!(body["silences"][0]["state"], "open", "{body}");
    assert_eq!(
        body["silences"][0]["probable_cut"],
        serde_json::json!([]),
        "{body}"
    );

    // They write again: the silence closes, and the coordinator hears so.
    app.sms(&koro[2], "RAS", "back").await;
    let told = app.replies("+22390000101", 2).await;
    assert_eq!(
        told[1],
        "FIN SILENCE Koro: des nouvelles apres 48h de silence."
    );
    let (_, body) = app.api(Method::GET, "/api/silences", None).await;
    assert_eq!(body["silences"][0]["state"], "closed", "{body}");
    assert_eq!(app.metric("vigie_silences_open").await, 0.0);

    // A coordinator limited to Douentza sees no silence, and no monitor's number.
    let token = app.token(vigie::access::Role::Coordinator, &["Douentza"]);
    let (status, text) = app.call(Some(&token), Method::GET, "/api/silences").await;
    assert_eq!((status, text.contains("Koro")), (200, false), "{text}");
    let (status, text) = app.call(Some(&token), Method::GET, "/api/monitors").await;
    assert_eq!(status, 200);
    assert_eq!(text.matches("\"ref\"").count(), 5, "{text}");
    assert_no_number(
        &text,
        &douentza.iter().map(String::as_str).collect::<Vec<_>>(),
        "monitors",
    );
}
