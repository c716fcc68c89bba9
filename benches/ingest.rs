//! Criterion benchmarks of the inbound path's parts: address normalisation, provider
//! parsing, and the group-commit writer. The end-to-end HTTP figure comes from
//! `bench/ingest.sh`, which drives the real server with wrk.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::{HeaderMap, Method, Uri, header};
use vigie::config::{ChannelKind, StorageConfig, Synchronous};
use vigie::phone::Address;
use vigie::provider::{WebhookRequest, parse_inbound};
use vigie::store::Store;
use vigie::store::inbound::{Limits, NewInbound, content_hash, insert};

fn addresses(c: &mut Criterion) {
    let mut group = c.benchmark_group("address");
    for (name, raw) in [
        ("e164", "+22376123456"),
        ("national", "76123456"),
        ("no_plus", "22376123456"),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| Address::parse(black_box(raw), phonenumber::country::Id::ML))
        });
    }
    group.finish();
}

fn provider_parsing(c: &mut Criterion) {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        "application/x-www-form-urlencoded".parse().unwrap(),
    );
    let req = WebhookRequest {
        method: Method::POST,
        uri: Uri::from_static("/webhooks/at/sms?token=s3cret"),
        headers,
        body: "linkId=1&text=ATT+Koro+3+morts&to=21512&id=ec9adc86&date=2017-05-03T06%3A04%3A45Z&from=%2B22376123456".into(),
    };
    c.bench_function("parse_inbound/africastalking", |b| {
        b.iter(|| parse_inbound(ChannelKind::Africastalking, black_box(&req)).unwrap())
    });
}

const LIMITS: Limits = Limits {
    window_ms: 120_000,
    max_chars: 1600,
};

fn message(n: u64) -> NewInbound {
    let text = format!("ATT Koro 3 morts 2 blesses {n}");
    NewInbound {
        channel: "sim".into(),
        provider_message_id: Some(format!("bench-{n}")),
        sender: "+22376123456".into(),
        recipient: None,
        content_hash: content_hash("+22376123456", None, &text),
        text,
        truncated: false,
        is_loop: false,
        parts: 1,
        incomplete: false,
        provider_ts: None,
        received_at: 0,
        raw: "from=%2B22376123456&text=ATT+Koro".into(),
        may_alert: true,
    }
}

/// 64 concurrent callers, as under 64 webhook connections: one durable batch per round.
fn group_commit(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let config = StorageConfig {
        path: dir.path().join("bench.db"),
        synchronous: Synchronous::Full,
        batch_max: 256,
        readers: 1,
        ..StorageConfig::default()
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (store, _writer) = runtime
        .block_on(async { Store::open(&config, None) })
        .unwrap();
    let mut next = 0u64;
    let mut group = c.benchmark_group("writer");
    group.throughput(Throughput::Elements(64));
    group.bench_function("64_concurrent_inserts_synchronous_full", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let mut tasks = tokio::task::JoinSet::new();
                for _ in 0..64 {
                    next += 1;
                    let (store, msg) = (store.clone(), message(next));
                    tasks.spawn(
                        async move { store.write(move |db| insert(db, &msg, &LIMITS)).await },
                    );
                }
                while let Some(done) = tasks.join_next().await {
                    done.unwrap().unwrap();
                }
            })
        })
    });
    group.finish();
}

criterion_group!(benches, addresses, provider_parsing, group_commit);
criterion_main!(benches);
