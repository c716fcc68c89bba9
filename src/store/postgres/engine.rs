//! The store's engine on PostgreSQL: a pool of connections, each write its own
//! serializable transaction on a blocking thread.
//!
//! On SQLite one writer thread runs every write in turn, and the stages were written
//! against that. On PostgreSQL several transactions (and several nodes) run at once;
//! `SERIALIZABLE` keeps the same promise, that the outcome is as if they had run one after
//! the other, by failing one of two that overlap. Write jobs are `Fn`, so the failed one is
//! simply run again. A node whose database is away answers its callers with an error
//! (503 at the edge) and connects again on the next call.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use crate::store::StoreError;
use crate::store::db::{Db, Keys, PgConn};

/// Times a write is tried when it keeps meeting another transaction.
const ATTEMPTS: u32 = 12;

/// How long a connection attempt may take before the call fails (and the edge says 503).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections to one PostgreSQL database, kept for reuse.
pub(crate) struct Pool {
    config: postgres::Config,
    keys: Arc<Keys>,
    idle: Mutex<Vec<PgConn>>,
    keep: usize,
    committed: watch::Sender<u64>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pool(keep {})", self.keep)
    }
}

impl Pool {
    /// A pool for `url` keeping at most `keep` idle connections; connects lazily.
    pub(crate) fn new(url: &str, keep: usize, keys: Keys) -> Result<Self, StoreError> {
        let mut config: postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Postgres(format!("storage.url: {e}")))?;
        config.connect_timeout(CONNECT_TIMEOUT);
        Ok(Self {
            config,
            keys: Arc::new(keys),
            idle: Mutex::new(Vec::new()),
            keep,
            committed: watch::channel(0).0,
        })
    }

    /// Changes each time a write of this node is committed.
    pub(crate) fn commits(&self) -> watch::Receiver<u64> {
        self.committed.subscribe()
    }

    /// Runs `f` in its own serializable transaction, again while it conflicts with
    /// another; blocking (call from a blocking thread).
    pub(crate) fn write<T>(
        &self,
        f: impl Fn(&Db<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let conn = self.take()?;
        let mut attempt = 1;
        let result = loop {
            match conn.transaction(Isolation::Serializable, &f) {
                Err(StoreError::Conflict) if attempt < ATTEMPTS => {
                    attempt += 1;
                    // Two that collided once would collide again if they came back together.
                    std::thread::sleep(Duration::from_millis(fastrand::u64(
                        1..=5 * u64::from(attempt),
                    )));
                }
                other => break other,
            }
        };
        self.put(conn);
        if result.is_ok() {
            self.committed.send_modify(|n| *n += 1);
        }
        result
    }

    /// Runs `f` in a read-only transaction that sees one moment; blocking.
    pub(crate) fn read<T>(
        &self,
        f: impl FnOnce(&Db<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let conn = self.take()?;
        let result = conn.transaction(Isolation::Snapshot, f);
        self.put(conn);
        result
    }

    fn take(&self) -> Result<PgConn, StoreError> {
        let idle = self.idle.lock().map_err(|_| StoreError::Closed)?.pop();
        match idle {
            Some(conn) if !conn.is_closed() => Ok(conn),
            _ => PgConn::connect_with(&self.config, Some(Arc::clone(&self.keys))),
        }
    }

    fn put(&self, conn: PgConn) {
        if conn.is_closed() {
            return;
        }
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < self.keep
        {
            idle.push(conn);
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // A connection says goodbye to its server as it closes, blocking, which must not
        // happen on a task's thread (the last store handle may go there).
        let idle = self.idle.get_mut().map(std::mem::take).unwrap_or_default();
        if !idle.is_empty() {
            std::thread::spawn(move || drop(idle));
        }
    }
}

/// How a transaction sees others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// As if transactions ran one at a time: writes.
    Serializable,
    /// One consistent moment, read only: reads.
    Snapshot,
}
