//! The database under a test gateway: SQLite in the test's directory, or, when
//! `TEST_DATABASE_URL` names a PostgreSQL server and a role that may create databases
//! (`.ci/run` sets it for its second run of the suite), a fresh PostgreSQL database made
//! for the test. A gateway restarted on the same directory finds the same database.

use std::path::{Path, PathBuf};

use vigie::store::db::{Db, FromCol, Isolation, PgConn};

/// The file in a test's directory that names its PostgreSQL database and server.
const NAMED: &str = "postgres-url";

/// The file in a test's directory that keeps its gateway on SQLite whatever the run.
const SQLITE_ONLY: &str = "sqlite-only";

#[derive(Debug, Clone)]
pub enum Database {
    Sqlite(PathBuf),
    Postgres { server: String, name: String },
}

impl Database {
    /// The database of the gateway in `dir`: made now if it has none yet.
    pub fn for_dir(dir: &Path) -> Self {
        // A database already made for the directory (a restart, or a test that chose
        // PostgreSQL itself) is kept.
        if let Some(made) = Self::named(dir) {
            return made;
        }
        let server = std::env::var("TEST_DATABASE_URL");
        let Ok(server) = server.map_err(drop).and_then(|s| {
            if s.is_empty() || dir.join(SQLITE_ONLY).exists() {
                Err(())
            } else {
                Ok(s)
            }
        }) else {
            return Self::Sqlite(dir.join("vigie.db"));
        };
        Self::postgres_for_dir(dir, server)
    }

    /// A PostgreSQL database on `server` for the gateway (or gateways) in `dir`.
    pub fn postgres_for_dir(dir: &Path, server: String) -> Self {
        if let Some(made) = Self::named(dir) {
            return made;
        }
        let name = format!("vigie_a{}_{}", std::process::id(), fastrand::u64(..));
        on_a_thread(|| {
            let mut admin = postgres::Client::connect(&server, postgres::NoTls).unwrap();
            admin
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .unwrap();
        });
        std::fs::write(dir.join(NAMED), format!("{name}\n{server}")).unwrap();
        Self::Postgres { server, name }
    }

    /// The PostgreSQL database made for `dir` earlier, on the server it was made on.
    fn named(dir: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(dir.join(NAMED)).ok()?;
        let (name, server) = text.split_once('\n')?;
        let (name, server) = (name.to_owned(), server.to_owned());
        Some(Self::Postgres { server, name })
    }

    /// Keeps the gateway to be started in `dir` on SQLite (a test of SQLite itself).
    pub fn sqlite_only(dir: &Path) {
        std::fs::write(dir.join(SQLITE_ONLY), "").unwrap();
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
        self.in_transaction(Isolation::Serializable, f)
    }

    /// Runs `f`, which only reads, on one consistent moment of the database (never failed
    /// for a conflict with the gateway's writes, as a serializable one may be).
    pub fn read<T: Send>(&self, f: impl FnOnce(&Db<'_>) -> T + Send) -> T {
        self.in_transaction(Isolation::Snapshot, f)
    }

    fn in_transaction<T: Send>(
        &self,
        isolation: Isolation,
        f: impl FnOnce(&Db<'_>) -> T + Send,
    ) -> T {
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
                    conn.transaction(isolation, |db| Ok(f.take().map(|f| f(db))))
                        .unwrap()
                        .unwrap()
                })
            }
        }
    }

    /// A fault, as a trigger named `name`: each row `event` (`INSERT ON reports`, `UPDATE
    /// OF status ON outbound_messages`) touches where `when` holds of `NEW` is refused,
    /// saying `said`. Written in each database's own words.
    pub fn fault(&self, name: &str, event: &str, when: &str, said: &str) {
        let sql = match self {
            Self::Sqlite(_) => format!(
                "CREATE TRIGGER {name} BEFORE {event} WHEN {when}
                 BEGIN SELECT RAISE(ABORT, '{said}'); END"
            ),
            Self::Postgres { .. } => format!(
                "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN
                     IF {when} THEN RAISE EXCEPTION '{said}'; END IF;
                     RETURN NEW;
                 END $$;
                 CREATE TRIGGER {name} BEFORE {event} FOR EACH ROW EXECUTE FUNCTION {name}()"
            ),
        };
        self.with(|db| db.execute_batch(&sql).unwrap());
    }

    /// The fault `name` on `table` gone.
    pub fn mend(&self, name: &str, table: &str) {
        let sql = match self {
            Self::Sqlite(_) => format!("DROP TRIGGER {name}"),
            Self::Postgres { .. } => format!("DROP TRIGGER {name} ON {table}"),
        };
        self.with(|db| db.execute_batch(&sql).unwrap());
    }

    pub fn one<T: FromCol + Send>(&self, sql: &str) -> T {
        self.read(|db| db.value(sql, &[]).unwrap())
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

    /// Drops the triggers that keep the audit log append-only, as an intruder might.
    pub fn unguard_audit_log(&self) {
        let sql = match self {
            Self::Sqlite(_) => "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete",
            Self::Postgres { .. } => "DROP TRIGGER audit_log_no_update ON audit_log",
        };
        self.with(|db| db.execute_batch(sql).unwrap());
    }

    /// Takes the lock a gateway's heartbeat needs, as another process might, until the
    /// value returned is dropped.
    pub fn lock_writes(&self) -> WriteLock {
        match self {
            Self::Sqlite(path) => {
                let lock = rusqlite::Connection::open(path).unwrap();
                lock.execute_batch("BEGIN EXCLUSIVE").unwrap();
                WriteLock::Sqlite(lock)
            }
            Self::Postgres { .. } => {
                let url = self.url();
                let (locked, release) = (std::sync::mpsc::channel(), std::sync::mpsc::channel());
                let thread = std::thread::spawn(move || {
                    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
                    let mut tx = client.transaction().unwrap();
                    tx.batch_execute("LOCK TABLE heartbeat IN ACCESS EXCLUSIVE MODE")
                        .unwrap();
                    locked.0.send(()).unwrap();
                    let _ = release.1.recv();
                    tx.rollback().unwrap();
                });
                locked.1.recv().unwrap();
                WriteLock::Postgres(release.0, Some(thread))
            }
        }
    }

    /// Makes a PostgreSQL database unreachable, as a database server gone away would be
    /// (`false`), or reachable again (`true`).
    pub fn reachable(&self, open: bool) {
        let Self::Postgres { server, name } = self else {
            return;
        };
        on_a_thread(|| {
            let mut admin = postgres::Client::connect(server, postgres::NoTls).unwrap();
            let sql = format!("ALTER DATABASE {name} ALLOW_CONNECTIONS {open}");
            admin.batch_execute(&sql).unwrap();
            if !open {
                let kill = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                            WHERE datname = $1 AND pid <> pg_backend_pid()";
                admin.execute(kill, &[name]).unwrap();
            }
        });
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

/// A lock held on the database (`Database::lock_writes`).
pub enum WriteLock {
    Sqlite(#[allow(dead_code)] rusqlite::Connection),
    Postgres(
        std::sync::mpsc::Sender<()>,
        Option<std::thread::JoinHandle<()>>,
    ),
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        if let Self::Postgres(release, thread) = self {
            let _ = release.send(());
            if let Some(thread) = thread.take() {
                thread.join().unwrap();
            }
        }
    }
}

/// The blocking PostgreSQL client must not run on a task's thread.
fn on_a_thread<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join().unwrap())
}
