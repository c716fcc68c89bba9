//! The silence sweep over a national network, on the real stage and an SQLite file:
//! 100,000 monitors in 10,000 zones (ten each), five signs of life each over the last
//! fortnight, one zone in a hundred gone quiet three days ago.
//! - `silence/sweep_warm`: a sweep as it runs every minute (zones' paces cached, nothing
//!   new due);
//! - `silence/sweep_cold`: the first sweep after a start (every zone's pace read).
//!
//! `cargo bench --bench silence`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use rusqlite::params;
use vigie::config::Config;
use vigie::fanout::Fanout;
use vigie::metrics::Metrics;
use vigie::outbound::Outbound;
use vigie::privacy::Pseudonyms;
use vigie::provider::Channels;
use vigie::reports::Reports;
use vigie::silence::operators::Operators;
use vigie::silence::{Parts, Sweeper};
use vigie::store::Store;

const MONITORS: i64 = 100_000;
const PER_ZONE: i64 = 10;
const HOUR_MS: i64 = 3_600_000;

struct Bench {
    parts: Box<dyn Fn() -> Parts>,
    config: Config,
    _dir: tempfile::TempDir,
}

fn setup(runtime: &tokio::runtime::Runtime) -> Bench {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.db");
    let config = Config::from_toml(&format!(
        "[storage]\npath = {db:?}\n[[channels]]\nid = \"sim\"\nkind = \"sim\"\n"
    ))
    .unwrap();
    let (store, fanout, outbound, metrics) = runtime.block_on(async {
        let metrics = Arc::new(Metrics::new());
        let (store, writer) = Store::open(&config.storage, None).unwrap();
        std::mem::forget(writer);
        let channels = Arc::new(Channels::from_config(&config).unwrap());
        let outbound = Arc::new(
            Outbound::new(&config, store.clone(), channels, Arc::clone(&metrics)).unwrap(),
        );
        let reports = Arc::new(Reports::load(&config.reports).unwrap());
        let fanout =
            Arc::new(Fanout::new(&[], reports, &config.alerts, Arc::clone(&metrics)).unwrap());
        (store, fanout, outbound, metrics)
    });
    populate(&db, store.now_ms());
    let operators = Arc::new(Operators::new(&config.silence.operators));
    let parts = Box::new(move || Parts {
        store: store.clone(),
        outbound: Arc::clone(&outbound),
        fanout: Arc::clone(&fanout),
        pseudonyms: Pseudonyms::new("bench"),
        operators: Arc::clone(&operators),
        metrics: Arc::clone(&metrics),
    });
    Bench {
        parts,
        config,
        _dir: dir,
    }
}

/// The monitors, their zones and their signs, in one transaction.
fn populate(db: &std::path::Path, now: i64) {
    let mut conn = rusqlite::Connection::open(db).unwrap();
    let tx = conn.transaction().unwrap();
    {
        let mut contact = tx
            .prepare(
                "INSERT INTO contacts (phone, roles, zones, language, created_at, updated_at,
                                       last_sign_at)
                 VALUES (?1, 'monitor', ?2, 'fr', 0, 0, ?3)",
            )
            .unwrap();
        let mut attach = tx
            .prepare("INSERT INTO contact_zones (contact_id, zone) VALUES (?1, ?2)")
            .unwrap();
        let mut sign = tx
            .prepare("INSERT INTO signs (contact_id, at, channel, operator) VALUES (?1, ?2, 'sms', 'Orange')")
            .unwrap();
        for i in 0..MONITORS {
            let zone_n = i / PER_ZONE;
            let zone = format!("zone-{zone_n:05}");
            // One zone in a hundred quiet for three days; the rest wrote in the last day.
            let quiet = zone_n % 100 == 0;
            let last = now - if quiet { 72 } else { 1 + i % 20 } * HOUR_MS;
            contact
                .execute(params![format!("+2237{i:07}"), zone, last])
                .unwrap();
            let id = tx.last_insert_rowid();
            attach.execute(params![id, zone]).unwrap();
            for k in 0..5 {
                sign.execute(params![id, last - k * 60 * HOUR_MS]).unwrap();
            }
        }
    }
    tx.commit().unwrap();
}

fn sweep(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let bench = setup(&runtime);
    let warm = Arc::new(Sweeper::new((bench.parts)(), &bench.config.silence));
    // The first sweep opens the quiet zones' silences; the next ones find nothing new.
    let first = runtime.block_on(warm.sweep()).unwrap();
    assert_eq!(first.opened, 100, "{first:?}");
    let mut group = c.benchmark_group("silence");
    group.sample_size(10);
    group.bench_function("sweep_warm", |b| {
        b.iter(|| runtime.block_on(warm.sweep()).unwrap());
    });
    group.bench_function("sweep_cold", |b| {
        b.iter_batched(
            || Arc::new(Sweeper::new((bench.parts)(), &bench.config.silence)),
            |cold| runtime.block_on(cold.sweep()).unwrap(),
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(benches, sweep);
criterion_main!(benches);
