//! The store's queries tested on both backends: each test body runs on a fresh SQLite
//! database, then, where `POSTGRES_TEST_URL` names a server and a role that may create
//! databases (`.ci/run` starts one), on a fresh PostgreSQL database dropped afterwards.

use rusqlite::Connection;

use super::db::{Db, Isolation, PgConn};
use super::{StoreError, install_pseudonyms, migrations};

/// The pseudonym key of test databases.
pub(crate) const KEY: &str = "test pseudonym key";

/// Runs `body` in a transaction on each backend available, naming the backend on failure.
pub(crate) fn on_both(body: impl Fn(&Db<'_>) -> Result<(), StoreError>) {
    let mut conn = Connection::open_in_memory().expect("in-memory SQLite");
    migrations()
        .to_latest(&mut conn)
        .expect("SQLite migrations");
    install_pseudonyms(&conn, KEY).expect("pseudonym()");
    let tx = conn.transaction().expect("SQLite transaction");
    body(&Db::sqlite(&tx)).expect("on SQLite");
    drop(tx);
    if let Some(fresh) = FreshPostgres::new() {
        let pg = PgConn::connect(&fresh.url, Some(std::sync::Arc::new(test_keys())))
            .expect("connect to the fresh database");
        pg.transaction(Isolation::Serializable, |db| body(db))
            .expect("on PostgreSQL");
    }
}

/// Keys as a test database's: the pseudonym key `KEY`.
fn test_keys() -> super::db::Keys {
    super::db::Keys {
        audit: crate::audit::AuditKey::generate(),
        pseudonyms: crate::privacy::Pseudonyms::new(KEY),
    }
}

/// A fresh, migrated PostgreSQL database, dropped with this value.
pub(crate) struct FreshPostgres {
    admin: postgres::Client,
    name: String,
    pub(crate) url: String,
}

impl FreshPostgres {
    pub(crate) fn new() -> Option<Self> {
        let Ok(server) = std::env::var("POSTGRES_TEST_URL") else {
            eprintln!("PostgreSQL side skipped: POSTGRES_TEST_URL is not set (.ci/run sets it)");
            return None;
        };
        let mut admin = postgres::Client::connect(&server, postgres::NoTls).expect("test server");
        let name = format!("vigie_u{}_{}", std::process::id(), fastrand::u64(..));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create a test database");
        let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
        let url = format!("{base}/{name}");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime to migrate with");
        runtime
            .block_on(super::postgres::migrate(&url))
            .expect("PostgreSQL migrations");
        Some(Self { admin, name, url })
    }
}

impl Drop for FreshPostgres {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE {} WITH (FORCE)", self.name);
        for _ in 0..20 {
            if self.admin.batch_execute(&sql).is_ok() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        eprintln!("database {} left behind", self.name);
    }
}

/// The plan SQLite makes for `sql` on the migrated schema (no statistics: as on any
/// database), one line a step; `parameters` are bound as NULL.
pub(crate) fn plan(sql: &str, parameters: usize) -> String {
    let mut conn = Connection::open_in_memory().unwrap();
    migrations().to_latest(&mut conn).unwrap();
    let nulls = vec![rusqlite::types::Null; parameters];
    let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let rows = statement
        .query_map(rusqlite::params_from_iter(&nulls), |r| {
            r.get::<_, String>(3)
        })
        .unwrap();
    rows.map(Result::unwrap).collect::<Vec<_>>().join("\n")
}
