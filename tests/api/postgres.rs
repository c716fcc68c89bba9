//! PostgreSQL (issue 18, under way): `vigie migrate` prepares a database, two nodes
//! migrating at once included, and leaves the very tables and columns SQLite's migrations
//! make; a message given to two nodes at once is stored once. Runs when `POSTGRES_TEST_URL` names a server and a role that may create
//! databases (`.ci/run` starts one); each test makes its own database and drops it.

use std::collections::BTreeMap;

use tokio_postgres::{Client, NoTls};
use vigie::store::inbound::{self, Limits, NewInbound, Stored};
use vigie::store::postgres::fusion;
use vigie::store::{Store, Sweep};

/// A fresh database on the test server, dropped with it.
struct Fresh {
    admin: Client,
    name: String,
    url: String,
}

impl Fresh {
    async fn new() -> Option<Self> {
        let Ok(server) = std::env::var("POSTGRES_TEST_URL") else {
            eprintln!("skipped: POSTGRES_TEST_URL is not set (.ci/run sets it)");
            return None;
        };
        let admin = connect(&server).await;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!("vigie_t{}_{nanos}", std::process::id());
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
        let url = format!("{base}/{name}");
        Some(Self { admin, name, url })
    }

    /// Drops the database; an autovacuum worker still in it (which a role without
    /// superuser rights cannot end) is waited out a little, then it is left behind.
    async fn drop_it(self) {
        let sql = format!("DROP DATABASE {} WITH (FORCE)", self.name);
        for _ in 0..20 {
            if self.admin.batch_execute(&sql).await.is_ok() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        eprintln!("database {} left behind", self.name);
    }
}

/// Storage settings whose key files are in `dir` (the nodes of a test share them).
fn keys_in(dir: &tempfile::TempDir) -> vigie::config::StorageConfig {
    vigie::config::StorageConfig {
        path: dir.path().join("vigie.db"),
        ..Default::default()
    }
}

/// An incident, as another node would file it; its id.
async fn incident(client: &Client) -> i64 {
    client
        .query_one(
            "INSERT INTO incidents (category, first_time, last_time, lat, lon, precision,
                                    created_at, updated_at)
             VALUES ('ATT', 0, 0, 14.5, -3.1, 3, 0, 0) RETURNING id",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

async fn connect(url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

/// `vigie migrate` against `url`, as a node would run it.
async fn migrate(dir: &std::path::Path, url: &str) -> std::process::Output {
    let config = dir.join(format!("pg-{}.toml", rand_suffix()));
    std::fs::write(
        &config,
        format!("[storage]\nurl = \"{url}\"\n[[channels]]\nid = \"sim\"\nkind = \"sim\"\n"),
    )
    .unwrap();
    tokio::process::Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args(["migrate", "--config"])
        .arg(&config)
        .output()
        .await
        .unwrap()
}

fn rand_suffix() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
}

/// Each table's columns, by name.
type Columns = BTreeMap<String, Vec<String>>;

fn sqlite_columns(path: &std::path::Path) -> Columns {
    let db = rusqlite::Connection::open(path).unwrap();
    let mut stmt = db
        .prepare(
            "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
               AND m.name NOT LIKE 'incidents_where_%'
             ORDER BY m.name, p.name",
        )
        .unwrap();
    let mut columns = Columns::new();
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap();
    for row in rows {
        let (table, column) = row.unwrap();
        columns.entry(table).or_default().push(column);
    }
    columns
}

async fn postgres_columns(client: &Client) -> Columns {
    let rows = client
        .query(
            "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = 'public'
               AND table_name NOT IN ('schema_migrations', 'channel_owners')
             ORDER BY table_name, column_name",
            &[],
        )
        .await
        .unwrap();
    let mut columns = Columns::new();
    for row in rows {
        columns
            .entry(row.get::<_, String>(0))
            .or_default()
            .push(row.get(1));
    }
    columns
}

#[tokio::test]
async fn two_nodes_migrate_at_once_to_the_tables_sqlite_has() {
    let Some(fresh) = Fresh::new().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = tokio::join!(
        migrate(dir.path(), &fresh.url),
        migrate(dir.path(), &fresh.url)
    );
    for out in [&a, &b] {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(
            !stderr.contains(&fresh.url),
            "the URL, password and all, was printed"
        );
    }
    let client = connect(&fresh.url).await;
    let versions: i64 = client
        .query_one("SELECT count(*) FROM schema_migrations", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        versions, 3,
        "each migration once, whichever node applied it"
    );
    let again = migrate(dir.path(), &fresh.url).await;
    assert!(String::from_utf8_lossy(&again.stdout).contains("applied now: []"));

    let sqlite = dir.path().join("same.db");
    let config: vigie::config::Config = vigie::config::Config::from_toml(&format!(
        "[storage]\npath = {sqlite:?}\n[[channels]]\nid = \"sim\"\nkind = \"sim\"\n"
    ))
    .unwrap();
    drop(vigie::store::migrate(&config.storage).unwrap());
    // Leases are PostgreSQL's alone: one node never needs them.
    let mut on_postgres = postgres_columns(&client).await;
    if let Some(inbound) = on_postgres.get_mut("inbound_messages") {
        inbound.retain(|c| c != "claimed_by" && c != "claimed_until");
    }
    assert_eq!(on_postgres, sqlite_columns(&sqlite));

    // The audit log stays append-only.
    client
        .batch_execute(
            "INSERT INTO audit_log (at, actor, action, subject, prev, hash)
             VALUES (0, 'cli', 'test', 'test', '', 'h')",
        )
        .await
        .unwrap();
    let refused = client
        .batch_execute("UPDATE audit_log SET actor = 'x'")
        .await;
    assert!(refused.is_err(), "an audit entry was changed");
    drop(client);
    fresh.drop_it().await;
}

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
    let rows = one.read(|db| inbound::list(db, 100, None)).await.unwrap();
    assert_eq!(rows.len(), 4, "p-1, Bankass twice (an hour apart), p-2");
    tokio::task::spawn_blocking(move || writer.join())
        .await
        .unwrap();
    drop((one, two));
    fresh.drop_it().await;
}

#[tokio::test]
async fn one_node_sends_a_channel_and_runs_a_sweep_until_it_dies() {
    use vigie::store::outbound::own_channel;
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

#[tokio::test]
async fn a_sqlite_gateway_is_copied_into_postgres_whole() {
    let Some(fresh) = Fresh::new().await else {
        return;
    };
    // A gateway that has lived: contacts, a report, its incident and alert, a check-in.
    let dir = tempfile::tempdir().unwrap();
    crate::database::Database::sqlite_only(dir.path());
    let rest = format!("[inbound]\n{}", crate::helpers::CHANNELS);
    let app = crate::helpers::spawn_gateway(&rest, dir).await;
    app.register("+22376123456", None, false);
    app.sms("+22376123456", "ATT Koro 3 morts", "c1").await;
    app.sms("+22376123456", "RAS", "c2").await;
    app.replies("+22376123456", 2).await;
    let dir = app.stop().await;
    let db = dir.path().join("vigie.db");
    let config = dir.path().join("copy.toml");
    std::fs::write(
        &config,
        format!("[storage]\npath = {db:?}\n[[channels]]\nid = \"sim\"\nkind = \"sim\"\n"),
    )
    .unwrap();
    let copy = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_vigie"))
            .args(["copy-to", &fresh.url, "--config"])
            .arg(&config)
            .output()
            .unwrap()
    };
    let first = copy();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );

    // Every table holds what SQLite held.
    let sqlite = rusqlite::Connection::open(&db).unwrap();
    let client = connect(&fresh.url).await;
    for table in sqlite_columns(&db).keys() {
        let sql = format!("SELECT count(*) FROM {table}");
        let on_sqlite: i64 = sqlite.query_row(&sql, [], |r| r.get(0)).unwrap();
        let on_postgres: i64 = client.query_one(&sql, &[]).await.unwrap().get(0);
        assert_eq!(on_postgres, on_sqlite, "{table}");
    }
    let reports: i64 = client
        .query_one("SELECT count(*) FROM reports WHERE category = 'ATT'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(reports, 1);

    // New rows take ids after the copied ones; a second copy is refused.
    let next: i64 = client
        .query_one(
            "INSERT INTO contacts (phone, created_at, updated_at) VALUES ('+22376999999', 0, 0)
             RETURNING id",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let copied: i64 = sqlite
        .query_row("SELECT max(id) FROM contacts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(next, copied + 1);
    let again = copy();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("copy into an empty one"));
    drop(client);
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
