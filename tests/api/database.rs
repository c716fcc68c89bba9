//! The database under a test gateway: SQLite in the test's directory, or, when
//! `TEST_DATABASE_URL` names a PostgreSQL server and a role that may create databases
//! (`.ci/run` sets it for its second run of the suite), a fresh PostgreSQL database made
//! for the test. A gateway restarted on the same directory finds the same database.

use std::path::{Path, PathBuf};

use vigie::store::db::{Db, FromCol, Isolation, PgConn};

/// The file in a test's directory that names its PostgreSQL database.
const NAMED: &str = "postgres-url";

#[derive(Debug, Clone)]
pub enum Database {
    Sqlite(PathBuf),
    Postgres { server: String, name: String },
}

impl Database {
    /// The database of the gateway in `dir`: made now if it has none yet.
    pub fn for_dir(dir: &Path) -> Self {
        let Ok(server) = std::env::var("TEST_DATABASE_URL") else {
            return Self::Sqlite(dir.join("vigie.db"));
        };
        let named = dir.join(NAMED);
        if let Ok(name) = std::fs::read_to_string(&named) {
            return Self::Postgres { server, name };
        }
        let name = format!("vigie_a{}_{}", std::process::id(), fastrand::u64(..));
        on_a_thread(|| {
            let mut admin = postgres::Client::connect(&server, postgres::NoTls).unwrap();
            admin
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .unwrap();
        });
        std::fs::write(&named, &name).unwrap();
        Self::Postgres { server, name }
    }

    /// The `[storage]` line that points the gateway at it.
    pub fn storage(&self) -> String {
        format!("url = {:?}", self.url())
    }

    fn url(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite:{}", path.display()),
            Self::Postgres { server, name } => {
                let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
                format!("{base}/{name}")
            }
        }
    }

    /// Runs `f` on the database in a transaction of its own, as an operator might.
    pub fn with<T: Send>(&self, f: impl FnOnce(&Db<'_>) -> T + Send) -> T {
        match self {
            Self::Sqlite(path) => {
                let conn = rusqlite::Connection::open(path).unwrap();
                f(&Db::sqlite(&conn))
            }
            Self::Postgres { .. } => {
                let url = self.url();
                on_a_thread(move || {
                    let conn = PgConn::connect(&url, None).unwrap();
                    let mut f = Some(f);
                    conn.transaction(Isolation::Serializable, |db| Ok(f.take().map(|f| f(db))))
                        .unwrap()
                        .unwrap()
                })
            }
        }
    }

    pub fn one<T: FromCol + Send>(&self, sql: &str) -> T {
        self.with(|db| db.value(sql, &[]).unwrap())
    }

    /// Every value of every row of `table`, as text, a line per row.
    pub fn dump(&self, table: &str) -> String {
        match self {
            Self::Sqlite(path) => {
                let db = rusqlite::Connection::open(path).unwrap();
                let mut stmt = db.prepare(&format!("SELECT * FROM {table}")).unwrap();
                let columns = stmt.column_count();
                let rows = stmt
                    .query_map([], |r| {
                        let values: Vec<String> = (0..columns)
                            .map(|i| match r.get_ref(i).unwrap() {
                                rusqlite::types::ValueRef::Text(t) => {
                                    String::from_utf8_lossy(t).into_owned()
                                }
                                other => format!("{other:?}"),
                            })
                            .collect();
                        Ok(values.join("|"))
                    })
                    .unwrap();
                rows.map(Result::unwrap).collect::<Vec<_>>().join("\n")
            }
            Self::Postgres { .. } => {
                let sql = format!("SELECT CAST(t AS TEXT) FROM {table} t");
                let rows: Vec<String> =
                    self.with(|db| db.query_map(&sql, &[], |r| r.get(0)).unwrap());
                rows.join("\n")
            }
        }
    }

    /// The gateway's tables.
    pub fn tables(&self) -> Vec<String> {
        let sql = match self {
            Self::Sqlite(_) => "SELECT name FROM sqlite_master WHERE type = 'table'",
            Self::Postgres { .. } => {
                "SELECT table_name::text FROM information_schema.tables
                 WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            }
        };
        self.with(|db| db.query_map(sql, &[], |r| r.get(0)).unwrap())
    }

    /// Drops a PostgreSQL database (connections still in it are ended).
    pub fn drop_it(&self) {
        if let Self::Postgres { server, name } = self {
            on_a_thread(|| {
                let mut admin = postgres::Client::connect(server, postgres::NoTls).unwrap();
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                for _ in 0..20 {
                    if admin.batch_execute(&sql).is_ok() {
                        return;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
            });
        }
    }
}

/// The blocking PostgreSQL client must not run on a task's thread.
fn on_a_thread<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join().unwrap())
}
