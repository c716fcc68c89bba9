//! Storage: every SQL query of the gateway lives under this module.
//!
//! Writes go through one writer thread that commits in batches (`writer.rs`); reads use a
//! small pool of read-only connections, which WAL mode lets run beside the writer. Stages
//! never hold a `Connection`: they call `Store::write`/`Store::read` with a query function
//! from one of the table modules.

pub mod alerts;
pub mod audit;
pub mod broadcasts;
pub mod checkins;
pub mod contacts;
pub mod db;
pub mod delivery;
pub mod inbound;
pub mod inbound_views;
mod keys;
pub mod incident_views;
pub mod incidents;
pub mod outbound;
pub mod outbound_views;
pub mod postgres;
pub mod reports;
pub mod retention;
pub mod sessions;
pub mod changes;
pub mod settings;
pub mod signs;
pub mod silence;
pub mod tokens;
pub mod unread;
pub mod ussd;
pub mod zones;

/// A `;`-separated list as stored (roles, zones, categories), without blanks.
pub(crate) fn list_of(stored: &str) -> Vec<String> {
    stored
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// An admin chain as stored, `region/cercle/commune` (parts may be empty).
pub(crate) fn chain_of(stored: &str) -> [String; 3] {
    let mut parts = stored.splitn(3, '/').map(str::to_owned);
    std::array::from_fn(|_| parts.next().unwrap_or_default())
}
mod open;
mod writer;
#[cfg(test)]
pub(crate) mod testing;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags};

use crate::clock::Clock;
#[cfg(test)]
use open::{install_pseudonyms, migrations};
pub use open::{migrate, pseudonyms};
pub use postgres::owners::Sweep;
use writer::WriterHandle;
pub use writer::WriterThread;

/// A storage failure. Callers answer 503 so providers retry.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(String),
    #[error("PostgreSQL error: {0}")]
    Postgres(String),
    /// Another transaction (perhaps on another node) touched the same rows at once; the
    /// write is tried again.
    #[error("write conflicted with another")]
    Conflict,
    /// The database could not be reached.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A query that must return a row returned none.
    #[error("no such row")]
    NoRow,
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error("write batch not committed: {0}")]
    Commit(String),
    #[error("storage is shut down")]
    Closed,
    #[error("storage.audit_key_file: {0}")]
    AuditKey(String),
    #[error("storage.pseudonym_key_file: {0}")]
    PseudonymKey(String),
    /// A bug, not the data: the job is undone and fails alone, the writer goes on. Says
    /// which kind of job (what the panic said may quote the data: never kept).
    #[error("{0} panicked")]
    Panicked(String),
    #[error("this works on a SQLite database, and storage.url names PostgreSQL")]
    NotSqlite,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sqlite(e.to_string())
    }
}

/// Handle to the database. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    engine: Engine,
    /// Every stage stamps what it stores with this clock.
    clock: Clock,
    /// This process's name among the nodes sharing the database: a new one at each start,
    /// so a node restarted on the same machine takes back its claims as another would.
    node: Arc<str>,
    /// Wakes the senders of the channels a committed write queued SMS on.
    waker: Arc<std::sync::OnceLock<Waker>>,
}

struct Waker(Box<dyn Fn(&str) + Send + Sync>);

impl std::fmt::Debug for Waker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Waker")
    }
}

/// Where queries run: SQLite's writer thread and readers, or a PostgreSQL pool.
#[derive(Clone, Debug)]
enum Engine {
    Sqlite {
        writer: WriterHandle,
        readers: Arc<ReaderPool>,
    },
    Postgres(Arc<postgres::engine::Pool>),
}

#[derive(Debug)]
struct ReaderPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    keep: usize,
}

/// How long a readiness check waits for its write to commit.
const HEARTBEAT_PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);

impl Store {
    /// Which engine the queries run on.
    pub fn dialect(&self) -> db::Dialect {
        match self.engine {
            Engine::Sqlite { .. } => db::Dialect::Sqlite,
            Engine::Postgres(_) => db::Dialect::Postgres,
        }
    }

    /// The same store, its times read from `clock` (a test's, moved forward at will).
    pub fn with_clock(self, clock: Clock) -> Self {
        Self { clock, ..self }
    }

    /// This node's name (claims and channel leases are taken in it).
    pub fn node(&self) -> &str {
        &self.node
    }

    /// Now, in unix milliseconds, by the gateway's clock.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Runs `f` in a transaction of its own on PostgreSQL, or in the next write batch on
    /// SQLite; `Ok` means committed (on PostgreSQL's primary, and its synchronous standby
    /// where there is one). `f` may run more than once (a neighbour in its batch failed,
    /// another transaction touched the same rows); only the committed run counts.
    pub async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(&db::Db<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let run = move |db: &db::Db<'_>| {
            let result = f(db)?;
            Ok((result, db.take_committed()))
        };
        let (result, committed) = match &self.engine {
            Engine::Sqlite { writer, .. } => {
                writer.write(move |conn| run(&db::Db::sqlite(conn))).await?
            }
            Engine::Postgres(pool) => {
                let pool = Arc::clone(pool);
                blocking(move || pool.write(run)).await?
            }
        };
        if let Some(waker) = self.waker.get() {
            for channel in &committed.wake {
                (waker.0)(channel);
            }
        }
        for effect in committed.effects {
            effect();
        }
        Ok(result)
    }

    /// What wakes a channel's sender: called with each channel an SMS was queued on, once
    /// the write that queued it is committed (set once, by the outbound stage).
    pub fn set_waker(&self, waker: impl Fn(&str) + Send + Sync + 'static) {
        if self.waker.set(Waker(Box::new(waker))).is_err() {
            tracing::warn!("the store's waker was already set");
        }
    }

    /// Whether this node runs `sweep` (several nodes share the database: one runs each
    /// sweep, and another takes over when it dies); always on SQLite, which has one node.
    pub async fn leads(&self, sweep: Sweep) -> Result<bool, StoreError> {
        match &self.engine {
            Engine::Sqlite { .. } => Ok(true),
            Engine::Postgres(pool) => {
                let pool = Arc::clone(pool);
                blocking(move || pool.leads(sweep)).await
            }
        }
    }

    /// Changes each time a write batch is committed.
    pub fn commits(&self) -> tokio::sync::watch::Receiver<u64> {
        match &self.engine {
            Engine::Sqlite { writer, .. } => writer.commits(),
            Engine::Postgres(pool) => pool.commits(),
        }
    }

    /// Runs a read-only query, seeing one moment, on the blocking pool.
    pub async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&db::Db<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        match &self.engine {
            Engine::Sqlite { readers, .. } => {
                let pool = Arc::clone(readers);
                blocking(move || {
                    let conn = pool.take()?;
                    let result = f(&db::Db::sqlite(&conn));
                    pool.put(conn);
                    result
                })
                .await
            }
            Engine::Postgres(pool) => {
                let pool = Arc::clone(pool);
                blocking(move || pool.read(f)).await
            }
        }
    }

    /// Proves the database takes writes: rewrites the heartbeat row through the writer,
    /// within `HEARTBEAT_PATIENCE` (a PostgreSQL primary whose synchronous standby is gone
    /// waits for it at every commit: that is not ready either).
    pub async fn heartbeat(&self) -> Result<(), StoreError> {
        let now = self.now_ms();
        let beat = self.write(move |db| {
            // An upsert: an UPDATE of no row would commit without writing, which proves
            // nothing (PostgreSQL's schema starts with the table empty).
            db.execute(
                "INSERT INTO heartbeat (id, checked_at) VALUES (1, ?1)
                 ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
                db::args![now],
            )?;
            Ok(())
        });
        tokio::time::timeout(HEARTBEAT_PATIENCE, beat)
            .await
            .map_err(|_| StoreError::Unavailable("no write committed in time".into()))?
    }

    /// Size on disk of the database and its write-ahead log, in bytes.
    pub fn size_bytes(&self) -> u64 {
        let Engine::Sqlite { readers, .. } = &self.engine else {
            // PostgreSQL's size is its server's to report.
            return 0;
        };
        let path = &readers.path;
        let wal = PathBuf::from(format!("{}-wal", path.display()));
        [path.as_path(), wal.as_path()]
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum()
    }
}

/// Runs blocking work on tokio's blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f).await.map_err(joined)?
}

/// Why a blocking task did not finish, without what a panic said: it may quote the data
/// the task choked on (a text, a number).
pub(crate) fn joined(e: tokio::task::JoinError) -> StoreError {
    if e.is_panic() {
        tracing::error!("a blocking task panicked");
        StoreError::Panicked("a blocking task".into())
    } else {
        StoreError::Closed
    }
}

impl ReaderPool {
    fn take(&self) -> Result<Connection, StoreError> {
        if let Some(conn) = self.idle.lock().map_err(|_| StoreError::Closed)?.pop() {
            return Ok(conn);
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags)?;
        conn.set_prepared_statement_cache_capacity(open::STATEMENTS_CACHED);
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(conn)
    }

    fn put(&self, conn: Connection) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < self.keep
        {
            idle.push(conn);
        }
    }
}
