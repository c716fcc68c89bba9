//! PostgreSQL (issue 18): `vigie migrate` prepares a database, two nodes migrating at once
//! included, and leaves the very tables and columns SQLite's migrations make; a SQLite
//! gateway is copied in whole. Several nodes on one database: `nodes`. Runs when
//! `POSTGRES_TEST_URL` names a server and a role that may create databases (`.ci/run`
//! starts one); each test makes its own database and drops it.

mod nodes;

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
        versions, 6,
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
    let mut on_postgres = postgres_columns(&client).await;
    for (table, column) in vigie::store::postgres::copy::POSTGRES_ONLY {
        if let Some(columns) = on_postgres.get_mut(table) {
            columns.retain(|c| c != column);
        }
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
