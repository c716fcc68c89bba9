//! Fan-out and the whole pipeline, on the real stages and an SQLite file:
//! - `fanout/10k_responders`: one incident alerting 10,000 matching responders, every
//!   alert rendered, routed and queued, committed in one transaction;
//! - `pipeline/reports`: stored SMS read, parsed, fused into incidents and their alerts
//!   queued, counted in reports per second: 1,000 monitors; each incident reported by three
//!   of them, an hour after the one before, in one of 10 places with 10 responders each.
//!
//! - `broadcast/100k_contacts`: a broadcast by API to a zone of 100,000 contacts, from
//!   choosing them to their messages queued and committed in one transaction.
//!
//! `cargo bench --bench alerts`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tokio_util::sync::CancellationToken;
use vigie::config::Config;
use vigie::fanout::{Fanout, Tx};
use vigie::incident::fuse::FusionRules;
use vigie::intake::Intake;
use vigie::metrics::Metrics;
use vigie::outbound::Outbound;
use vigie::provider::Channels;
use vigie::reports::Reports;
use vigie::store::Store;
use vigie::store::broadcasts::NewBroadcast;
use vigie::store::db::{Db, ToArg};
use vigie::store::inbound::{Limits, NewInbound, content_hash, insert};

/// Places monitors report from: cercles and communes of the Mopti region.
const PLACES: [&str; 10] = [
    "Koro",
    "Bankass",
    "Bandiagara",
    "Douentza",
    "Tenenkou",
    "Djenne",
    "Bamba",
    "Bondo",
    "Diankabou",
    "Konna",
];

struct Stages {
    store: Store,
    outbound: Arc<Outbound>,
    fanout: Arc<Fanout>,
    intake: Arc<Intake>,
    _dir: tempfile::TempDir,
}

fn stages(runtime: &tokio::runtime::Runtime) -> Stages {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.db");
    let config = Config::from_toml(&format!(
        "[storage]\npath = {db:?}\n[[channels]]\nid = \"sim\"\nkind = \"sim\"\n"
    ))
    .unwrap();
    runtime.block_on(async {
        let metrics = Arc::new(Metrics::new());
        let (store, writer) = Store::open(&config.storage, None).unwrap();
        std::mem::forget(writer);
        let channels = Arc::new(Channels::from_config(&config).unwrap());
        let outbound = Arc::new(
            Outbound::new(&config, store.clone(), channels, Arc::clone(&metrics)).unwrap(),
        );
        let reports = Arc::new(Reports::load(&config.reports).unwrap());
        let fanout = Arc::new(
            Fanout::new(
                &[],
                Arc::clone(&reports),
                &config.alerts,
                Arc::clone(&metrics),
            )
            .unwrap(),
        );
        let intake = Arc::new(Intake::new(
            store.clone(),
            reports,
            Arc::clone(&outbound),
            &config.reports,
            FusionRules::from_config(&config.incidents),
            Arc::clone(&fanout),
        ));
        Stages {
            store,
            outbound,
            fanout,
            intake,
            _dir: dir,
        }
    })
}

/// `n` responders attached to `zone`, numbered from `first`.
fn responders(db: &Db<'_>, zone: &str, first: u64, n: u64) {
    let folded = vigie::text::fold(zone);
    for i in first..first + n {
        let phone = format!("+2236{i:07}");
        let contact = db
            .insert_id(
                "INSERT INTO contacts (phone, roles, zones, language, created_at, updated_at)
                 VALUES (?1, 'responder', ?2, 'fr', 0, 0)",
                &[&phone as &dyn ToArg, &zone],
            )
            .unwrap();
        db.execute(
            "INSERT INTO contact_zones (contact_id, zone) VALUES (?1, ?2)",
            &[&contact as &dyn ToArg, &folded],
        )
        .unwrap();
    }
}

/// A new attack incident in Koro with one filed report; its id.
fn incident(db: &Db<'_>, n: i64) -> i64 {
    let id = db
        .insert_id(
            "INSERT INTO incidents (category, first_time, last_time, lat, lon, precision,
                                    place_name, severity, counts, created_at, updated_at)
             VALUES ('ATT', 0, 0, 14.44, -2.83, 1, 'Koro (Mopti)', 5, '{\"killed\": 3}', 0, 0)",
            &[],
        )
        .unwrap()
        .unwrap();
    let message = db
        .insert_id(
            "INSERT INTO inbound_messages (channel, sender, text, content_hash, received_at,
                                           raw, state)
             VALUES ('sim', '+22376000000', 'ATT Koro 3 morts', ?1, 0, '', 'done')",
            &[&n as &dyn ToArg],
        )
        .unwrap();
    db.execute(
        "INSERT INTO reports (inbound_id, reporter, status, category, admin1, admin2, lat, lon,
                              counts, event_time, language, created_at, updated_at,
                              incident_id, precision)
         VALUES (?1, '+22376000000', 'filed', 'ATT', 'Mopti', 'Koro', 14.44, -2.83,
                 '{\"killed\": 3}', 0, 'fr', 0, 0, ?2, 1)",
        &[&message as &dyn ToArg, &id],
    )
    .unwrap();
    id
}

fn fan_out(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let s = stages(&runtime);
    runtime
        .block_on(s.store.write(|conn| {
            responders(conn, "Koro", 0, 10_000);
            Ok(())
        }))
        .unwrap();
    let mut group = c.benchmark_group("fanout");
    group
        .sample_size(10)
        .throughput(Throughput::Elements(10_000));
    let mut n = 0;
    group.bench_function("10k_responders", |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                n += 1;
                let (fanout, outbound) = (Arc::clone(&s.fanout), Arc::clone(&s.outbound));
                let id = runtime
                    .block_on(s.store.write(move |conn| Ok(incident(conn, n))))
                    .unwrap();
                let start = Instant::now();
                let sent = runtime.block_on(s.store.write(move |conn| {
                    let tx = Tx {
                        conn,
                        outbound: &outbound,
                        now: 0,
                    };
                    fanout.after_change(&tx, id)?;
                    let queued: i64 = conn.value(
                        "SELECT count(*) FROM outbound_messages WHERE incident_id = ?1",
                        &[&id as &dyn ToArg],
                    )?;
                    Ok(queued)
                }));
                spent += start.elapsed();
                assert_eq!(sent.unwrap(), 10_000);
            }
            spent
        })
    });
    group.finish();
}

fn pipeline(c: &mut Criterion) {
    const REPORTS: u64 = 10_000;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let s = stages(&runtime);
    runtime
        .block_on(s.store.write(|conn| {
            for (i, place) in PLACES.iter().enumerate() {
                responders(conn, place, 1_000_000 + i as u64 * 10, 10);
            }
            Ok(())
        }))
        .unwrap();
    let mut group = c.benchmark_group("pipeline");
    group
        .sample_size(10)
        .throughput(Throughput::Elements(REPORTS));
    let mut round = 0;
    group.bench_function("reports", |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                round += 1;
                runtime.block_on(store_messages(&s.store, round, REPORTS));
                let start = Instant::now();
                runtime.block_on(read_all(&s));
                spent += start.elapsed();
            }
            spent
        })
    });
    group.finish();
    let (incidents, alerts): (i64, i64) = runtime
        .block_on(s.store.read(|c| {
            c.query_one(
                "SELECT (SELECT count(*) FROM incidents), (SELECT count(*) FROM alerts)",
                &[],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        }))
        .unwrap();
    // Nothing ran when a filter left the group out.
    assert!(
        incidents == 0 || alerts > 0,
        "{incidents} incidents, {alerts} alerts"
    );
}

/// `n` reports from 1,000 monitors, stored as the inbound stage stores them: three reports
/// of each incident, incidents an hour apart, each place again ten hours later.
async fn store_messages(store: &Store, round: u64, n: u64) {
    store
        .write(move |db| {
            let limits = Limits {
                window_ms: 0,
                max_chars: 1600,
            };
            for i in 0..n {
                let event = i / 3;
                let place = PLACES[(event % PLACES.len() as u64) as usize];
                let sender = format!("+2237{:07}", i % 1_000);
                let text = format!("ATT {place} {} morts", 1 + i % 3);
                let message = NewInbound {
                    channel: "sim".into(),
                    provider_message_id: Some(format!("{round}-{i}")),
                    content_hash: content_hash(&sender, None, &text),
                    sender,
                    recipient: None,
                    text,
                    truncated: false,
                    is_loop: false,
                    parts: 1,
                    incomplete: false,
                    provider_ts: None,
                    received_at: (round * 2 * n + event) as i64 * 3_600_000,
                    raw: String::new(),
                    may_alert: true,
                };
                insert(db, &message, &limits)?;
            }
            Ok(())
        })
        .await
        .unwrap();
}

/// Runs the intake until no message is unread.
async fn read_all(s: &Stages) {
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(Arc::clone(&s.intake).run(shutdown.clone()));
    loop {
        let unread: i64 = s
            .store
            .read(|c| {
                c.value(
                    "SELECT count(*) FROM inbound_messages WHERE state = 'new'",
                    &[],
                )
            })
            .await
            .unwrap();
        if unread == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    shutdown.cancel();
    running.await.unwrap();
}

fn broadcast(c: &mut Criterion) {
    const CONTACTS: u64 = 100_000;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let s = stages(&runtime);
    runtime
        .block_on(s.store.write(|conn| {
            responders(conn, "Koro", 2_000_000, CONTACTS);
            Ok(())
        }))
        .unwrap();
    let mut group = c.benchmark_group("broadcast");
    group
        .sample_size(10)
        .throughput(Throughput::Elements(CONTACTS));
    group.bench_function("100k_contacts", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                let (intake, outbound) = (Arc::clone(&s.intake), Arc::clone(&s.outbound));
                let sent = runtime.block_on(s.store.write(move |conn| {
                    let reach = vigie::broadcast::Reach {
                        reports: intake.reports(),
                        fanout: intake.fanout(),
                    };
                    let asked = NewBroadcast {
                        zone: "Koro".into(),
                        text: "Reunion de securite demain 10h a la mairie de Koro".into(),
                        created_by: "bench".into(),
                        ..NewBroadcast::default()
                    };
                    let texts = vigie::broadcast::Texts::same(asked.text.clone());
                    vigie::broadcast::queue(conn, &reach, &outbound, &asked, &texts, 0)
                }));
                assert_eq!(sent.unwrap().1, CONTACTS as usize);
            }
            start.elapsed()
        })
    });
    group.finish();
}

criterion_group!(benches, fan_out, pipeline, broadcast);
criterion_main!(benches);
