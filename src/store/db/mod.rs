//! One way for the store's queries to run on either backend: `Db` is an open transaction on
//! SQLite (the writer's batch, or a reader) or on PostgreSQL (one node's pooled connection).
//!
//! The schema is the same on both, so most queries are written once, in SQLite's spelling
//! with numbered parameters; PostgreSQL gets them renumbered (`dialect`) and prepared once
//! per connection. Where the engines truly differ (claims that other nodes must skip, an
//! R-tree against a GiST index), a query asks `Db::dialect` and says each its own way.
//! Only `store` sees this type's queries; stages call the table modules.

mod dialect;
mod pg;
mod value;

pub use pg::{Keys, PgConn};
pub use value::{Arg, FromCol, ToArg};

use std::ops::ControlFlow;

use super::StoreError;
pub use super::postgres::engine::Isolation;
use crate::audit::hash_of;

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
    /// What this run of the transaction leaves to do once it is committed
    /// (`Store::write`), never before and never for a run rolled back and replayed.
    committed: std::cell::RefCell<Committed>,
}

/// Effects a transaction defers to its commit.
#[derive(Default)]
pub(crate) struct Committed {
    /// The send channels with SMS queued in the transaction, to be woken.
    pub wake: std::collections::BTreeSet<String>,
    /// Counts and observations (metrics): a replayed run must not count twice.
    pub effects: Vec<Box<dyn FnOnce() + Send>>,
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

impl<'c> Db<'c> {
    /// SQLite's connection (the writer's open batch, or a reader).
    pub fn sqlite(conn: &'c rusqlite::Connection) -> Self {
        Self {
            inner: Inner::Sqlite(conn),
            committed: Default::default(),
        }
    }

    fn postgres(conn: &'c PgConn) -> Self {
        Self {
            inner: Inner::Postgres(conn),
            committed: Default::default(),
        }
    }

    /// Wakes `channel`'s sender once this transaction is committed (an SMS was queued).
    pub fn wake_after_commit(&self, channel: &str) {
        let wake = &mut self.committed.borrow_mut().wake;
        if !wake.contains(channel) {
            wake.insert(channel.to_owned());
        }
    }

    /// Runs `effect` once this transaction is committed, and not at all if this run of
    /// it is rolled back.
    pub fn after_commit(&self, effect: impl FnOnce() + Send + 'static) {
        self.committed.borrow_mut().effects.push(Box::new(effect));
    }

    /// What is left to do, taken (by `Store::write`, after the job's run).
    pub(crate) fn take_committed(&self) -> Committed {
        std::mem::take(&mut *self.committed.borrow_mut())
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
            Inner::Postgres(conn) => conn.execute_batch(sql),
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

    /// Visits the rows of a query in order until `f` breaks: on SQLite the rows after are
    /// never read (a walk that usually stops early pays for what it looks at).
    pub fn visit(
        &self,
        sql: &str,
        args: &[&dyn ToArg],
        mut f: impl FnMut(&Row<'_>) -> Result<ControlFlow<()>, StoreError>,
    ) -> Result<(), StoreError> {
        match &self.inner {
            Inner::Sqlite(conn) => {
                let mut statement = conn.prepare_cached(sql)?;
                let mut rows =
                    statement.query(rusqlite::params_from_iter(args.iter().map(|a| a.arg())))?;
                while let Some(row) = rows.next()? {
                    if f(&Row::Sqlite(row))?.is_break() {
                        break;
                    }
                }
            }
            Inner::Postgres(conn) => {
                for row in conn.query(sql, args)? {
                    if f(&Row::Postgres(&row))?.is_break() {
                        break;
                    }
                }
            }
        }
        Ok(())
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
