//! One way for the store's queries to run on either backend: `Db` is an open transaction on
//! SQLite (the writer's batch, or a reader) or on PostgreSQL (one node's pooled connection).
//!
//! The schema is the same on both, so most queries are written once, in SQLite's spelling
//! with numbered parameters; PostgreSQL gets them renumbered (`dialect`) and prepared once
//! per connection. Where the engines truly differ (claims that other nodes must skip, an
//! R-tree against a GiST index), a query asks `Db::dialect` and says each its own way.
//! Only `store` sees this type's queries; stages call the table modules.

mod dialect;
mod value;

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

pub use value::{Arg, FromCol, ToArg};

use super::StoreError;
pub use super::postgres::engine::Isolation;
use crate::audit::{AuditKey, hash_of};
use crate::privacy::Pseudonyms;

/// Which engine a query runs on, for the few that must be said differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// Parameters for a query: `args![a, b]` (any mix of `ToArg` values).
macro_rules! args {
    () => { &[] as &[&dyn $crate::store::db::ToArg] };
    ($($e:expr),+ $(,)?) => { &[$(&$e as &dyn $crate::store::db::ToArg),+] as &[&dyn $crate::store::db::ToArg] };
}
pub(crate) use args;

/// An open transaction on one of the backends.
pub struct Db<'c> {
    inner: Inner<'c>,
    /// The transaction's write context: the send channels with SMS queued in it, woken
    /// once it is committed (`Store::write`), never before and never for a rolled-back run.
    wake: std::cell::RefCell<std::collections::BTreeSet<String>>,
}

enum Inner<'c> {
    Sqlite(&'c rusqlite::Connection),
    Postgres(&'c PgConn),
}

impl std::fmt::Debug for Db<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Db({:?})", self.dialect())
    }
}

/// A PostgreSQL connection with the statements it has prepared.
/// (Its parts are cells so that a `Db` is a plain shared borrow, as SQLite's is.)
pub struct PgConn {
    client: RefCell<postgres::Client>,
    statements: RefCell<HashMap<String, postgres::Statement>>,
    /// None while the keys themselves are being read.
    keys: Option<Arc<Keys>>,
}

/// The keys kept outside the database. SQLite has them as SQL functions of its
/// connections; on PostgreSQL, where a function would have to keep the key in the
/// database, the store hashes with them here.
#[derive(Clone)]
pub struct Keys {
    pub audit: AuditKey,
    pub pseudonyms: Pseudonyms,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(..)")
    }
}

impl std::fmt::Debug for PgConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgConn({} statements)", self.statements.borrow().len())
    }
}

/// One row of a result, read by column index.
pub enum Row<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Postgres(&'r postgres::Row),
}

impl std::fmt::Debug for Row<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Row")
    }
}

impl Row<'_> {
    /// Column `i` as a `T`; a NULL needs an `Option`.
    pub fn get<T: FromCol>(&self, i: usize) -> Result<T, StoreError> {
        match self {
            Row::Sqlite(row) => Ok(row.get(i)?),
            Row::Postgres(row) => {
                let value = row.try_get::<_, T::Pg>(i)?;
                T::from_pg(value).map_err(|e| StoreError::Postgres(format!("column {i}: {e}")))
            }
        }
    }
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> Self {
        use postgres::error::SqlState;
        if let Some(code) = e.code()
            && (*code == SqlState::T_R_SERIALIZATION_FAILURE
                || *code == SqlState::T_R_DEADLOCK_DETECTED)
        {
            return Self::Conflict;
        }
        // Two transactions numbered an incident alike (`incidents::open`): the later one
        // is run again, as for any conflict.
        if let Some(db) = e.as_db_error()
            && *db.code() == SqlState::UNIQUE_VIOLATION
            && db.constraint() == Some("incidents_pkey")
        {
            return Self::Conflict;
        }
        if let Some(db) = e.as_db_error() {
            // Code and message only: the detail may quote values (a reporter's number).
            return Self::Postgres(format!("{}: {}", db.code().code(), db.message()));
        }
        // The driver's own words ("error deserializing column 3") hide the cause.
        let mut said = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(cause) = source {
            said.push_str(": ");
            said.push_str(&cause.to_string());
            source = cause.source();
        }
        Self::Postgres(said)
    }
}

impl PgConn {
    /// Connects to the database at `url` (blocking: call from a blocking thread).
    pub fn connect(url: &str, keys: Option<Arc<Keys>>) -> Result<Self, StoreError> {
        let config = url
            .parse()
            .map_err(|e| StoreError::Postgres(format!("storage.url: {e}")))?;
        Self::connect_with(&config, keys)
    }

    pub(crate) fn connect_with(
        config: &postgres::Config,
        keys: Option<Arc<Keys>>,
    ) -> Result<Self, StoreError> {
        let client = config
            .connect(postgres::NoTls)
            .map_err(|e| StoreError::Unavailable(StoreError::from(e).to_string()))?;
        Ok(Self {
            client: RefCell::new(client),
            statements: RefCell::new(HashMap::new()),
            keys,
        })
    }

    /// Runs `f` in one transaction, committed if `f` returns `Ok`, else rolled back.
    pub fn transaction<T>(
        &self,
        isolation: Isolation,
        f: impl FnOnce(&Db<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.begin(isolation)?;
        self.in_begun(f)
    }

    /// Begins a transaction; on a connection the server closed, this fails having done
    /// nothing (`is_closed` then says so).
    pub(crate) fn begin(&self, isolation: Isolation) -> Result<(), StoreError> {
        self.client.borrow_mut().batch_execute(match isolation {
            Isolation::Serializable => "BEGIN ISOLATION LEVEL SERIALIZABLE",
            Isolation::Snapshot => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        })?;
        Ok(())
    }

    /// Runs `f` in the transaction `begin` began, committed if `f` returns `Ok`, else
    /// rolled back.
    pub(crate) fn in_begun<T>(
        &self,
        f: impl FnOnce(&Db<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let result = f(&Db::postgres(self));
        let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
        let ended = self.client.borrow_mut().batch_execute(end);
        match (result, ended) {
            (Ok(value), Ok(())) => Ok(value),
            (Err(e), _) => Err(e),
            (Ok(_), Err(e)) => match StoreError::from(e) {
                StoreError::Conflict => Err(StoreError::Conflict),
                e => Err(StoreError::Commit(e.to_string())),
            },
        }
    }

    fn keys(&self) -> Result<&Keys, StoreError> {
        self.keys.as_deref().ok_or(StoreError::Closed)
    }

    /// Whether the connection has been closed (the server went away).
    pub fn is_closed(&self) -> bool {
        self.client.borrow().is_closed()
    }

    /// Takes the session-level advisory lock `key` unless another session holds it;
    /// it is held until this connection ends.
    pub(crate) fn try_lock(&self, key: i64) -> Result<bool, StoreError> {
        let row = self
            .client
            .borrow_mut()
            .query_one("SELECT pg_try_advisory_lock($1)", &[&key])?;
        Ok(row.get(0))
    }

    /// The statement for `sql` with arguments of these kinds, prepared once: integers as
    /// BIGINT, text as TEXT and so on, as the schema has them (PostgreSQL would otherwise
    /// guess INTEGER for `?1 = 0`), a NULL's type left for PostgreSQL to find.
    fn prepared(&self, sql: &str, args: &[Arg<'_>]) -> Result<postgres::Statement, StoreError> {
        let mut key = String::with_capacity(sql.len() + args.len() + 1);
        key.push_str(sql);
        key.push('\0');
        key.extend(args.iter().map(Arg::kind));
        if let Some(statement) = self.statements.borrow().get(&key) {
            return Ok(statement.clone());
        }
        let types: Vec<_> = args.iter().map(Arg::pg_type).collect();
        let statement = self
            .client
            .borrow_mut()
            .prepare_typed(&dialect::for_postgres(sql), &types)
            .inspect_err(|e| said_no(sql, e))?;
        self.statements.borrow_mut().insert(key, statement.clone());
        Ok(statement)
    }

    fn query(&self, sql: &str, args: &[&dyn ToArg]) -> Result<Vec<postgres::Row>, StoreError> {
        let args: Vec<Arg<'_>> = args.iter().map(|a| a.arg()).collect();
        let statement = self.prepared(sql, &args)?;
        let params: Vec<&(dyn postgres::types::ToSql + Sync)> = args
            .iter()
            .map(|a| a as &(dyn postgres::types::ToSql + Sync))
            .collect();
        let rows = self.client.borrow_mut().query(&statement, &params);
        Ok(rows.inspect_err(|e| said_no(sql, e))?)
    }

    fn execute(&self, sql: &str, args: &[&dyn ToArg]) -> Result<usize, StoreError> {
        let args: Vec<Arg<'_>> = args.iter().map(|a| a.arg()).collect();
        let statement = self.prepared(sql, &args)?;
        let params: Vec<&(dyn postgres::types::ToSql + Sync)> = args
            .iter()
            .map(|a| a as &(dyn postgres::types::ToSql + Sync))
            .collect();
        let changed = self.client.borrow_mut().execute(&statement, &params);
        let changed = changed.inspect_err(|e| said_no(sql, e))?;
        Ok(usize::try_from(changed).unwrap_or(usize::MAX))
    }
}

/// Logs a statement PostgreSQL refused: our own SQL and the server's code and message (not
/// its detail, which may quote the values, a reporter's number among them).
fn said_no(sql: &str, e: &postgres::Error) {
    let Some(db) = e.as_db_error() else {
        return;
    };
    let code = db.code();
    if *code == postgres::error::SqlState::T_R_SERIALIZATION_FAILURE {
        return;
    }
    let first_line = sql.trim().lines().next().unwrap_or_default();
    tracing::warn!(
        code = code.code(),
        message = db.message(),
        statement = first_line,
        "PostgreSQL refused a statement"
    );
}

impl<'c> Db<'c> {
    /// SQLite's connection (the writer's open batch, or a reader).
    pub fn sqlite(conn: &'c rusqlite::Connection) -> Self {
        Self {
            inner: Inner::Sqlite(conn),
            wake: Default::default(),
        }
    }

    fn postgres(conn: &'c PgConn) -> Self {
        Self {
            inner: Inner::Postgres(conn),
            wake: Default::default(),
        }
    }

    /// Wakes `channel`'s sender once this transaction is committed (an SMS was queued).
    pub fn wake_after_commit(&self, channel: &str) {
        self.wake.borrow_mut().insert(channel.to_owned());
    }

    /// The channels to wake, taken (by `Store::write`, after the job's run).
    pub(crate) fn take_wakes(&self) -> std::collections::BTreeSet<String> {
        std::mem::take(&mut *self.wake.borrow_mut())
    }

    pub fn dialect(&self) -> Dialect {
        match self.inner {
            Inner::Sqlite(_) => Dialect::Sqlite,
            Inner::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Runs a statement; how many rows it changed.
    pub fn execute(&self, sql: &str, args: &[&dyn ToArg]) -> Result<usize, StoreError> {
        match &self.inner {
            Inner::Sqlite(conn) => {
                let args = args.iter().map(|a| a.arg());
                Ok(conn
                    .prepare_cached(sql)?
                    .execute(rusqlite::params_from_iter(args))?)
            }
            Inner::Postgres(conn) => conn.execute(sql, args),
        }
    }

    /// Runs statements separated by `;`, without parameters.
    pub fn execute_batch(&self, sql: &str) -> Result<(), StoreError> {
        match &self.inner {
            Inner::Sqlite(conn) => Ok(conn.execute_batch(sql)?),
            Inner::Postgres(conn) => Ok(conn.client.borrow_mut().batch_execute(sql)?),
        }
    }

    /// Runs an `INSERT` and gives the new row's `id`, or `None` when a conflict clause left
    /// it out. (On SQLite without `RETURNING`, which buffers its rows in a temporary
    /// table: on the ingest path that cost more than the insert.)
    pub fn insert_id(&self, sql: &str, args: &[&dyn ToArg]) -> Result<Option<i64>, StoreError> {
        match &self.inner {
            Inner::Sqlite(conn) => {
                let changed = self.execute(sql, args)?;
                Ok((changed == 1).then(|| conn.last_insert_rowid()))
            }
            Inner::Postgres(conn) => {
                let sql = format!("{sql} RETURNING id");
                let rows = conn.query(&sql, args)?;
                rows.first().map(|r| Row::Postgres(r).get(0)).transpose()
            }
        }
    }

    /// Every row of a query, each made a `T` by `f`.
    pub fn query_map<T>(
        &self,
        sql: &str,
        args: &[&dyn ToArg],
        mut f: impl FnMut(&Row<'_>) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        match &self.inner {
            Inner::Sqlite(conn) => {
                let mut statement = conn.prepare_cached(sql)?;
                let mut rows =
                    statement.query(rusqlite::params_from_iter(args.iter().map(|a| a.arg())))?;
                let mut out = Vec::new();
                while let Some(row) = rows.next()? {
                    out.push(f(&Row::Sqlite(row))?);
                }
                Ok(out)
            }
            Inner::Postgres(conn) => {
                let rows = conn.query(sql, args)?;
                rows.iter().map(|row| f(&Row::Postgres(row))).collect()
            }
        }
    }

    /// The first row of a query, if any.
    pub fn query_opt<T>(
        &self,
        sql: &str,
        args: &[&dyn ToArg],
        f: impl FnOnce(&Row<'_>) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        match &self.inner {
            Inner::Sqlite(conn) => {
                let mut statement = conn.prepare_cached(sql)?;
                let mut rows =
                    statement.query(rusqlite::params_from_iter(args.iter().map(|a| a.arg())))?;
                rows.next()?.map(|row| f(&Row::Sqlite(row))).transpose()
            }
            Inner::Postgres(conn) => {
                let rows = conn.query(sql, args)?;
                rows.first().map(|row| f(&Row::Postgres(row))).transpose()
            }
        }
    }

    /// The first row of a query that always has one (an aggregate, `RETURNING`).
    pub fn query_one<T>(
        &self,
        sql: &str,
        args: &[&dyn ToArg],
        f: impl FnOnce(&Row<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.query_opt(sql, args, f)?.ok_or(StoreError::NoRow)
    }

    /// The pseudonym `phone` becomes once purged (a keyed hash).
    pub fn pseudonym(&self, phone: &str) -> Result<String, StoreError> {
        match &self.inner {
            Inner::Sqlite(_) => self.value("SELECT pseudonym(?1)", args![phone]),
            Inner::Postgres(conn) => Ok(conn.keys()?.pseudonyms.of(phone)),
        }
    }

    /// An audit entry's hash, chained to `prev`, under the audit key.
    pub fn audit_mac(&self, prev: &str, at: i64, fields: [&str; 4]) -> Result<String, StoreError> {
        match &self.inner {
            Inner::Sqlite(_) => {
                let [actor, action, subject, detail] = fields;
                let sql = "SELECT audit_mac(?1, ?2, ?3, ?4, ?5, ?6)";
                self.value(sql, args![prev, at, actor, action, subject, detail])
            }
            Inner::Postgres(conn) => Ok(hash_of(&conn.keys()?.audit, prev, at, fields)),
        }
    }

    /// The first column of the first row of a query that always has one.
    pub fn value<T: FromCol>(&self, sql: &str, args: &[&dyn ToArg]) -> Result<T, StoreError> {
        self.query_one(sql, args, |r| r.get(0))
    }
}

#[cfg(test)]
mod tests;
