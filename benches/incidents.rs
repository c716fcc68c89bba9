//! Fusion candidate lookup with 1,000,000 stored incidents (a year of the Sahel, spread
//! over its area): the index on time, then the box around the place.
//! `cargo bench --bench incidents`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use vigie::config::StorageConfig;
use vigie::store::incidents::{Around, candidates};

const INCIDENTS: i64 = 1_000_000;
const YEAR_MS: i64 = 365 * 24 * 3_600_000;

fn lookup(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let config = StorageConfig {
        path: dir.path().join("bench.db"),
        ..StorageConfig::default()
    };
    let mut conn = vigie::store::migrate(&config).unwrap();
    let tx = conn.transaction().unwrap();
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO incidents (category, first_time, last_time, lat, lon, precision, created_at, updated_at)
                 VALUES ('ATT', ?1, ?1, ?2, ?3, 3, 0, 0)",
            )
            .unwrap();
        let mut index = tx
            .prepare("INSERT INTO incidents_where VALUES (?1, ?2, ?2, ?3, ?3, ?4, ?4)")
            .unwrap();
        // An even spread: times over a year, places over 10-25 N, 12 W - 24 E.
        for i in 0..INCIDENTS {
            let t = i * (YEAR_MS / INCIDENTS);
            let lat = 10.0 + ((i * 104_729) % 15_000) as f64 / 1000.0;
            let lon = -12.0 + ((i * 1_299_709) % 36_000) as f64 / 1000.0;
            insert.execute(rusqlite::params![t, lat, lon]).unwrap();
            let id = tx.last_insert_rowid();
            let (minute, lat5, lon5) = (
                t / 60_000,
                (lat * 1e5).round() as i64,
                (lon * 1e5).round() as i64,
            );
            index
                .execute(rusqlite::params![id, minute, lat5, lon5])
                .unwrap();
        }
    }
    tx.commit().unwrap();
    // Koro, mid-year, the default 48-hour longest window and a 50 km box.
    let (lat, lon, t) = (14.064, -3.075, YEAR_MS / 2);
    let around = Around {
        from: t - 48 * 3_600_000,
        to: t + 48 * 3_600_000,
        lat: (lat - 0.45, lat + 0.45),
        lon: (lon - 0.46, lon + 0.46),
    };
    let mut group = c.benchmark_group("incidents");
    group.bench_function("candidates_among_1m", |b| {
        b.iter(|| black_box(candidates(&vigie::store::db::Db::sqlite(&conn), &around).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, lookup);
criterion_main!(benches);
