//! The store's engine on PostgreSQL: a pool of connections, each write its own
//! serializable transaction on a blocking thread.
//!
//! On SQLite one writer thread runs every write in turn, and the stages were written
//! against that. On PostgreSQL several transactions (and several nodes) run at once;
//! `SERIALIZABLE` keeps the same promise, that the outcome is as if they had run one after
//! the other, by failing one of two that overlap. Write jobs are `Fn`, so the failed one is
//! simply run again. A node whose database is away answers its callers with an error
//! (503 at the edge) and connects again on the next call.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use super::owners::Sweep;
use crate::store::StoreError;
use crate::store::db::{Db, Keys, PgConn};

/// Times a write is tried when it keeps meeting another transaction.
const ATTEMPTS: u32 = 12;

/// How long a connection attempt may take before the call fails (and the edge says 503).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a statement waits for a lock another transaction holds.
const LOCK_TIMEOUT_MS: u32 = 5_000;

/// How long a call waits for a free connection before it fails (503 at the edge).
const WAIT_FOR_CONNECTION: Duration = Duration::from_secs(5);

/// Connections to one PostgreSQL database: at most `size` open, kept for reuse. A call
/// waits for a free one rather than opening more: a connection costs the server a
/// process, and opening one costs more than most queries.
pub(crate) struct Pool {
    config: postgres::Config,
    keys: Arc<Keys>,
    connections: Mutex<Connections>,
    freed: Condvar,
    size: usize,
    committed: watch::Sender<u64>,
    /// The connection holding the locks of the sweeps this node leads, and which.
    leader: Mutex<Option<(PgConn, Vec<Sweep>)>>,
}

/// The idle connections, and how many are open (idle or in use).
#[derive(Default)]
struct Connections {
    idle: Vec<PgConn>,
    open: usize,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pool(size {})", self.size)
    }
}

impl Pool {
    /// A pool of at most `size` connections to `url`; connects lazily.
    pub(crate) fn new(url: &str, size: usize, keys: Keys) -> Result<Self, StoreError> {
        let mut config: postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Postgres(format!("storage.url: {e}")))?;
        config.connect_timeout(CONNECT_TIMEOUT);
        // A write stuck behind a lock fails as SQLite's does after its busy timeout,
        // instead of holding its caller (a webhook) for ever.
        let options = format!(
            "{} -c lock_timeout={LOCK_TIMEOUT_MS}",
            config.get_options().unwrap_or("")
        );
        config.options(options.trim_start());
        Ok(Self {
            config,
            keys: Arc::new(keys),
            connections: Mutex::new(Connections::default()),
            freed: Condvar::new(),
            size: size.max(1),
            committed: watch::channel(0).0,
            leader: Mutex::new(None),
        })
    }

    /// Tells those waiting for commits that another node committed (`NOTIFY`).
    pub(crate) fn announce(&self) {
        self.committed.send_modify(|n| *n += 1);
    }

    /// Changes each time a write of this node is committed, or another node's is
    /// announced.
    pub(crate) fn commits(&self) -> watch::Receiver<u64> {
        self.committed.subscribe()
    }

    /// Runs `f` in its own serializable transaction, again while it conflicts with
    /// another; blocking (call from a blocking thread).
    pub(crate) fn write<T>(
        &self,
        f: impl Fn(&Db<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut attempt = 1;
        let result = loop {
            let conn = self.begun(Isolation::Serializable)?;
            let result = conn.in_begun(&f);
            self.put(conn);
            match result {
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
        let conn = self.begun(Isolation::Snapshot)?;
        let result = conn.in_begun(f);
        self.put(conn);
        result
    }

    /// A connection with a transaction begun on it. An idle connection the server closed
    /// meanwhile (a restart, a failover) fails at `BEGIN`, having done nothing, and is
    /// replaced, so the first calls after the database comes back do not fail for it.
    fn begun(&self, isolation: Isolation) -> Result<PgConn, StoreError> {
        for _ in 0..=self.size {
            let conn = self.take()?;
            match conn.begin(isolation) {
                Ok(()) => return Ok(conn),
                Err(_) if conn.is_closed() => {
                    drop(conn);
                    self.forget_one();
                }
                Err(e) => {
                    self.put(conn);
                    return Err(e);
                }
            }
        }
        Err(StoreError::Unavailable(
            "every connection was closed".into(),
        ))
    }

    /// Whether this node runs `sweep`: it does while a connection of its own holds the
    /// sweep's advisory lock, which PostgreSQL releases when the node (its connection)
    /// dies, and another node then takes; blocking.
    pub(crate) fn leads(&self, sweep: Sweep) -> Result<bool, StoreError> {
        let mut leader = self.leader.lock().map_err(|_| StoreError::Closed)?;
        if leader.as_ref().is_none_or(|(conn, _)| conn.is_closed()) {
            *leader = Some((PgConn::connect_with(&self.config, None)?, Vec::new()));
        }
        let Some((conn, held)) = leader.as_mut() else {
            return Ok(false);
        };
        if held.contains(&sweep) {
            return Ok(true);
        }
        match conn.try_lock(sweep.lock()) {
            Ok(taken) => {
                if taken {
                    held.push(sweep);
                }
                Ok(taken)
            }
            Err(e) => {
                // Locks held on it may be gone with it: start again on a new one.
                *leader = None;
                Err(e)
            }
        }
    }

    fn take(&self) -> Result<PgConn, StoreError> {
        let mut connections = self.connections.lock().map_err(|_| StoreError::Closed)?;
        loop {
            if let Some(conn) = connections.idle.pop() {
                if !conn.is_closed() {
                    return Ok(conn);
                }
                connections.open -= 1;
                continue;
            }
            if connections.open < self.size {
                connections.open += 1;
                drop(connections);
                let conn = PgConn::connect_with(&self.config, Some(Arc::clone(&self.keys)));
                if conn.is_err() {
                    self.forget_one();
                }
                return conn;
            }
            let (guard, waited) = self
                .freed
                .wait_timeout(connections, WAIT_FOR_CONNECTION)
                .map_err(|_| StoreError::Closed)?;
            connections = guard;
            if waited.timed_out() && connections.idle.is_empty() {
                return Err(StoreError::Unavailable(
                    "every database connection stayed busy".into(),
                ));
            }
        }
    }

    fn put(&self, conn: PgConn) {
        if conn.is_closed() {
            self.forget_one();
            return;
        }
        if let Ok(mut connections) = self.connections.lock() {
            connections.idle.push(conn);
        }
        self.freed.notify_one();
    }

    /// A connection was lost: another may be opened in its place.
    fn forget_one(&self) {
        if let Ok(mut connections) = self.connections.lock() {
            connections.open = connections.open.saturating_sub(1);
        }
        self.freed.notify_one();
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // A connection says goodbye to its server as it closes, blocking, which must not
        // happen on a task's thread (the last store handle may go there).
        let idle = self
            .connections
            .get_mut()
            .map(|c| std::mem::take(&mut c.idle))
            .unwrap_or_default();
        let leader = self.leader.get_mut().map(Option::take).unwrap_or_default();
        if !idle.is_empty() || leader.is_some() {
            std::thread::spawn(move || drop((idle, leader)));
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
