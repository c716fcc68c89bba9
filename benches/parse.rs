//! Parse and place resolution over the example corpus with the full gazetteer loaded, and
//! the time to load it. `cargo bench --bench parse`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vigie::config::ReportsConfig;
use vigie::parse::{Input, parse};
use vigie::reports::Reports;

fn config() -> ReportsConfig {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let defaults = ReportsConfig::default();
    ReportsConfig {
        keywords_dir: root.join(&defaults.keywords_dir),
        templates_dir: root.join(&defaults.templates_dir),
        gazetteers: defaults.gazetteers.iter().map(|p| root.join(p)).collect(),
        boundaries: defaults.boundaries.as_ref().map(|p| root.join(p)),
        ..defaults
    }
}

fn corpus() -> Vec<(String, Option<String>, Option<String>)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reports.jsonl");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let s = |k: &str| v[k].as_str().map(str::to_owned);
            (s("text").unwrap(), s("lang"), s("home"))
        })
        .collect()
}

fn parsing(c: &mut Criterion) {
    let reports = Reports::load(&config()).unwrap();
    let received: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-11-06T10:00:00Z")
        .unwrap()
        .into();
    let cases: Vec<_> = corpus()
        .into_iter()
        .map(|(text, lang, home)| (text, lang, home.and_then(|h| reports.home(&h))))
        .collect();
    let ctx = reports.context();
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Elements(cases.len() as u64));
    group.bench_function("corpus", |b| {
        b.iter(|| {
            for (text, lang, home) in &cases {
                let input = Input {
                    text,
                    language: lang.as_deref(),
                    home: *home,
                    country: None,
                    received,
                };
                black_box(parse(&input, &ctx));
            }
        })
    });
    for (name, text) in [
        ("unknown_place", "ATT Kuro 2 morts"),
        ("simple", "ATT Koro 3 morts 2 blesses"),
        (
            "long",
            "Bonjour, URGENT: attaque a Hombori cette nuit 6 morts",
        ),
    ] {
        group.throughput(Throughput::Elements(1));
        group.bench_function(name, |b| {
            b.iter(|| {
                let input = Input {
                    text,
                    language: None,
                    home: None,
                    country: None,
                    received,
                };
                black_box(parse(&input, &ctx))
            })
        });
    }
    group.finish();
}

fn loading(c: &mut Criterion) {
    let config = config();
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.bench_function("gazetteer_keywords_templates", |b| {
        b.iter(|| black_box(Reports::load(&config).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, parsing, loading);
criterion_main!(benches);
