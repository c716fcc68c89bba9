//! Several nodes on one PostgreSQL database: a message stored once whichever node gets it,
//! one node sending a channel and running a sweep, changes heard everywhere, fusion one
//! node at a time, and a database that goes away.

use super::*;

/// A message as the sim channel would store it.
fn message(id: Option<&str>, text: &str, provider_ts: Option<i64>) -> NewInbound {
    NewInbound {
        channel: "sim".into(),
        provider_message_id: id.map(str::to_owned),
        sender: "+22376123456".into(),
        recipient: None,
        text: text.into(),
        truncated: false,
        is_loop: false,
        parts: 1,
        incomplete: false,
        provider_ts,
        received_at: 1_000_000,
        content_hash: vigie::store::inbound::content_hash("+22376123456", None, text),
        raw: String::new(),
        may_alert: true,
    }
}

#[tokio::test]
async fn a_message_is_stored_once_whichever_node_gets_it() {
    let Some(fresh) = Fresh::new().await else {
        return;
    };
    let limits = Limits {
        window_ms: 120_000,
        max_chars: 1600,
    };
    // Two nodes, each with its store (and the same keys), given the same message at once.
    let keys = tempfile::tempdir().unwrap();
    let storage = keys_in(&keys);
    let one = Store::open_postgres(&storage, &fresh.url).await.unwrap();
    let two = Store::open_postgres(&storage, &fresh.url).await.unwrap();
    let insert = |store: &Store, msg: &NewInbound| {
        let (store, msg) = (store.clone(), msg.clone());
        async move {
            store
                .write(move |db| inbound::insert(db, &msg, &limits))
                .await
                .unwrap()
        }
    };
    for msg in [
        message(Some("p-1"), "ATT Koro 3 morts", None),
        message(None, "ATT Bankass 2 morts", Some(5_000_000)),
    ] {
        let (a, b) = tokio::join!(insert(&one, &msg), insert(&two, &msg));
        let mut outcomes = [a, b];
        outcomes.sort_by_key(|s| matches!(s, Stored::Duplicate(_)));
        let [Stored::New(id), Stored::Duplicate(again)] = outcomes else {
            panic!("stored twice or not at all: {outcomes:?}");
        };
        assert_eq!(id, again);
    }

    // The same cases as on SQLite: the same outcomes.
    let cases = [
        message(Some("p-1"), "ATT Koro 3 morts", None),
        message(None, "ATT Bankass 2 morts", Some(5_060_000)),
        message(None, "ATT Bankass 2 morts", Some(9_000_000)),
        message(Some("p-2"), "RAS", None),
    ];
    let dir = tempfile::tempdir().unwrap();
    let config = vigie::config::Config::from_toml(&format!(
        "[storage]\npath = {:?}\n[[channels]]\nid = \"sim\"\nkind = \"sim\"\n",
        dir.path().join("v.db")
    ))
    .unwrap();
    let (sqlite, writer) = Store::open(&config.storage, None).unwrap();
    for first in [
        message(Some("p-1"), "ATT Koro 3 morts", None),
        message(None, "ATT Bankass 2 morts", Some(5_000_000)),
    ] {
        insert(&sqlite, &first).await;
    }
    // Ids may differ (a sequence skips the values a conflict used); what happened may not.
    let kind = |s: Stored| std::mem::discriminant(&s);
    for msg in &cases {
        let on_sqlite = insert(&sqlite, msg).await;
        let on_postgres = insert(&one, msg).await;
        assert_eq!(kind(on_postgres), kind(on_sqlite), "{}", msg.text);
    }
    let rows = one
        .read(|db| vigie::store::inbound_views::list(db, 100, None))
        .await
        .unwrap();
    assert_eq!(rows.len(), 4, "p-1, Bankass twice (an hour apart), p-2");
    tokio::task::spawn_blocking(move || writer.join())
        .await
        .unwrap();
    drop((one, two));
    fresh.drop_it().await;
}

#[tokio::test]
async fn one_node_sends_a_channel_and_runs_a_sweep_until_it_dies() {
    use vigie::store::postgres::owners::own_channel;
    let Some(fresh) = Fresh::new().await else {
        return;
    };
    let keys = tempfile::tempdir().unwrap();
    let storage = keys_in(&keys);
    let one = Store::open_postgres(&storage, &fresh.url).await.unwrap();
    let two = Store::open_postgres(&storage, &fresh.url).await.unwrap();
    let own = |store: &Store, node: &'static str, now: i64| {
        let store = store.clone();
        async move {
            store
                .write(move |db| own_channel(db, "orange", node, now, now + 10_000))
                .await
                .unwrap()
        }
    };

    // A channel: the first node takes it and renews it; the second waits out the lease.
    assert_eq!(own(&one, "node-1", 1_000).await, Some(0));
    let sending = "INSERT INTO outbound_messages (recipient, text, encoding, segments, channel,
                       purpose, status, created_at, updated_at, next_attempt_at, claimed_at,
                       attempts)
                   VALUES ('+22370000001', 'ALERTE', 'gsm7', 1, 'orange', 'alert', 'sending',
                       0, 0, 0, 1000, 1)";
    one.write(move |db| db.execute(sending, &[])).await.unwrap();
    assert_eq!(own(&two, "node-2", 1_001).await, None);
    assert_eq!(own(&one, "node-1", 6_000).await, Some(0));
    assert_eq!(own(&two, "node-2", 12_000).await, None, "renewed");
    // Node 1 died: past its lease node 2 takes the channel, and its claim, queued again.
    assert_eq!(own(&two, "node-2", 16_001).await, Some(1));
    assert_eq!(own(&one, "node-1", 16_002).await, None);
    drop((one, two));

    // A sweep: one node leads; when it dies (its store goes), the other takes over.
    let one = Store::open_postgres(&storage, &fresh.url).await.unwrap();
    let two = Store::open_postgres(&storage, &fresh.url).await.unwrap();
    assert!(one.leads(Sweep::Silence).await.unwrap());
    assert!(
        one.leads(Sweep::Silence).await.unwrap(),
        "and goes on leading"
    );
    assert!(!two.leads(Sweep::Silence).await.unwrap());
    assert!(
        two.leads(Sweep::Alerts).await.unwrap(),
        "each sweep its own"
    );
    drop(one);
    let mut took_over = false;
    for _ in 0..50 {
        if two.leads(Sweep::Silence).await.unwrap() {
            took_over = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        took_over,
        "the survivor leads the sweep once the dead node's session ends"
    );
    drop(two);
    fresh.drop_it().await;
}

#[tokio::test]
async fn a_change_on_one_node_is_heard_on_the_others() {
    let Some(fresh) = Fresh::new().await else {
        return;
    };
    vigie::store::postgres::migrate(&fresh.url).await.unwrap();
    let mut heard = vigie::store::postgres::changes::listen(&fresh.url)
        .await
        .unwrap();
    let other = vigie::store::postgres::connect(&fresh.url).await.unwrap();
    let id = incident(&other).await;
    let next = tokio::time::timeout(std::time::Duration::from_secs(5), heard.recv()).await;
    assert_eq!(
        next.ok().flatten(),
        Some((vigie::store::changes::Kind::Incident, id))
    );
    let noted: i64 = other
        .query_one("SELECT count(*) FROM changes WHERE subject = $1", &[&id])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        noted, 1,
        "noted in `changes` too, for a console to catch up from"
    );

    // A node's live hub (its consoles' streams) hears what another node committed.
    let keys = tempfile::tempdir().unwrap();
    let storage = keys_in(&keys);
    let node = Store::open_postgres(&storage, &fresh.url).await.unwrap();
    let live = vigie::live::Live::new(node.clone());
    let mut stream = live.subscribe();
    let stop = tokio_util::sync::CancellationToken::new();
    let hub = tokio::spawn(std::sync::Arc::clone(&live).run(stop.clone()));
    let mut second = None;
    for _ in 0..50 {
        // The hub starts from the last change it finds: add one until it is heard.
        let id = incident(&other).await;
        let got = tokio::time::timeout(std::time::Duration::from_millis(200), stream.recv()).await;
        if let Ok(Ok(change)) = got {
            second = Some((change.kind, change.subject, id));
            break;
        }
    }
    let (kind, subject, id) = second.expect("the hub heard the other node's change");
    assert_eq!(kind, vigie::store::changes::Kind::Incident);
    assert!(subject <= id);
    stop.cancel();
    hub.await.unwrap();
    drop((heard, other, node, live));
    fresh.drop_it().await;
}

/// A change noted with `subject`.
fn note(subject: i64) -> String {
    format!("INSERT INTO changes (kind, subject) VALUES ('broadcast', {subject})")
}

/// Change ids taken in one order and committed in another: a first change (subject 1)
/// written by `slow`, whose transaction is left open, a second (subject 2) committed by
/// `quick`; and a node on the database.
struct OutOfOrder {
    slow: Client,
    quick: Client,
    node: Store,
    /// Where the node's key files are, for as long as it runs.
    _keys: tempfile::TempDir,
}

async fn out_of_order(fresh: &Fresh) -> OutOfOrder {
    vigie::store::postgres::migrate(&fresh.url).await.unwrap();
    let (slow, quick) = (connect(&fresh.url).await, connect(&fresh.url).await);
    slow.batch_execute(&format!("BEGIN; {}", note(1)))
        .await
        .unwrap();
    quick.batch_execute(&note(2)).await.unwrap();
    let keys = tempfile::tempdir().unwrap();
    let node = Store::open_postgres(&keys_in(&keys), &fresh.url)
        .await
        .unwrap();
    OutOfOrder {
        slow,
        quick,
        node,
        _keys: keys,
    }
}

/// A change being written while a console page was read is left to the page's stream
/// even below the page's mark, and the change the page could see is not sent again.
#[tokio::test]
async fn a_page_catches_up_with_a_change_that_committed_below_its_mark() {
    let Some(fresh) = Fresh::new().await else {
        return;
    };
    let changes = out_of_order(&fresh).await;
    let mark = changes
        .node
        .read(vigie::store::changes::mark)
        .await
        .unwrap();
    changes.slow.batch_execute("COMMIT").await.unwrap();
    let late = changes
        .node
        .read(move |c| vigie::store::changes::unseen(c, &mark, 256, 100))
        .await
        .unwrap();
    let subjects: Vec<i64> = late.iter().map(|c| c.subject).collect();
    assert_eq!(subjects, [1], "{late:?}");
    drop(changes);
    fresh.drop_it().await;
}

/// A console stream cut after an event resumes with what it may have missed: the changes
/// after that event, and one below it that was still being written when the hub read it.
#[tokio::test]
async fn a_stream_resumes_with_a_change_that_committed_below_its_last_event() {
    let Some(fresh) = Fresh::new().await else {
        return;
    };
    let changes = out_of_order(&fresh).await;
    // The hub's read finds the second change only; its event is the stream's last.
    let sent = changes
        .node
        .read(|c| vigie::store::changes::after(c, 0, 100))
        .await
        .unwrap();
    let subjects: Vec<i64> = sent.iter().map(|c| c.subject).collect();
    assert_eq!(subjects, [2], "{sent:?}");
    let mark = sent[0].mark();
    changes.slow.batch_execute("COMMIT").await.unwrap();
    changes.quick.batch_execute(&note(3)).await.unwrap();
    let missed = changes
        .node
        .read(move |c| vigie::store::changes::unseen(c, &mark, 256, 100))
        .await
        .unwrap();
    let subjects: Vec<i64> = missed.iter().map(|c| c.subject).collect();
    assert_eq!(subjects, [1, 3], "{missed:?}");
    drop(changes);
    fresh.drop_it().await;
}

#[tokio::test]
async fn reports_that_could_fuse_are_fused_one_node_at_a_time() {
    use vigie::store::db::{Isolation, PgConn};
    let Some(fresh) = Fresh::new().await else {
        return;
    };
    vigie::store::postgres::migrate(&fresh.url).await.unwrap();
    let url = fresh.url.clone();
    let radius = 15.0;
    let lock = |db: &vigie::store::db::Db<'_>, lat, lon| {
        db.execute_batch("SET LOCAL lock_timeout = '200ms'")?;
        fusion::lock_area(db, lat, lon, radius)
    };
    std::thread::scope(|s| {
        s.spawn(|| {
            let one = PgConn::connect(&url, None).unwrap();
            let two = PgConn::connect(&url, None).unwrap();
            one.transaction(Isolation::Serializable, |first| {
                fusion::lock_area(first, 14.35, -3.60, radius)?;
                // Another node fusing a report 10 km away waits (here: gives up).
                let near =
                    two.transaction(Isolation::Serializable, |near| lock(near, 14.44, -3.60));
                assert!(near.is_err(), "a report that could fuse went ahead");
                // One in Gao, 400 km away, does not wait.
                two.transaction(Isolation::Serializable, |far| lock(far, 16.27, -0.04))
                    .unwrap();
                Ok(())
            })
            .unwrap();
            // Once the first commits, the near one goes ahead.
            two.transaction(Isolation::Serializable, |near| lock(near, 14.44, -3.60))
                .unwrap();
        });
    });
    fresh.drop_it().await;
}

/// The database goes away under a running gateway: webhooks are answered 503, never 2xx
/// for what could not be committed, and readiness fails; once it is back, the gateway
/// takes messages again, and the refused one was not stored.
#[tokio::test]
async fn a_gateway_whose_database_is_away_answers_503_and_comes_back() {
    let Ok(server) = std::env::var("POSTGRES_TEST_URL") else {
        eprintln!("skipped: POSTGRES_TEST_URL is not set (.ci/run sets it)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let database = crate::database::Database::postgres_for_dir(dir.path(), server);
    let rest = format!("[inbound]\n{}", crate::helpers::CHANNELS);
    let app = crate::helpers::spawn_gateway(&rest, dir).await;
    let sms = |id: &'static str| {
        let body = format!("from=76123456&text=RAS&id={id}");
        let app = &app;
        async move { app.post_form("/webhooks/sim/sms", &body).await.status() }
    };
    assert_eq!(sms("before").await, 200);

    database.reachable(false);
    assert_eq!(sms("away").await, 503);
    assert_eq!(app.get("/readyz").await.status(), 503);

    database.reachable(true);
    assert_eq!(sms("back").await, 200);
    assert_eq!(app.get("/readyz").await.status(), 200);
    let stored: Vec<String> = database.with(|db| {
        let sql = "SELECT provider_message_id FROM inbound_messages ORDER BY id";
        db.query_map(sql, &[], |r| r.get(0)).unwrap()
    });
    assert_eq!(stored, ["before", "back"]);
}
