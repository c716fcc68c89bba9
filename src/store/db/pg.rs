//! A PostgreSQL connection as the store uses it: blocking, its statements prepared once
//! and typed as the schema has them, its errors kept free of the values they quote.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use super::value::{Arg, ToArg};
use super::{Db, Isolation, dialect};
use crate::audit::AuditKey;
use crate::privacy::Pseudonyms;
use crate::store::StoreError;

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
            return Self::Postgres(format!("{}: {}", db.code().code(), message(db)));
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

    pub(super) fn keys(&self) -> Result<&Keys, StoreError> {
        self.keys.as_deref().ok_or(StoreError::Closed)
    }

    /// Whether the connection has been closed (the server went away).
    pub(super) fn execute_batch(&self, sql: &str) -> Result<(), StoreError> {
        Ok(self.client.borrow_mut().batch_execute(sql)?)
    }

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

    pub(super) fn query(
        &self,
        sql: &str,
        args: &[&dyn ToArg],
    ) -> Result<Vec<postgres::Row>, StoreError> {
        let args: Vec<Arg<'_>> = args.iter().map(|a| a.arg()).collect();
        let statement = self.prepared(sql, &args)?;
        let params: Vec<&(dyn postgres::types::ToSql + Sync)> = args
            .iter()
            .map(|a| a as &(dyn postgres::types::ToSql + Sync))
            .collect();
        let rows = self.client.borrow_mut().query(&statement, &params);
        Ok(rows.inspect_err(|e| said_no(sql, e))?)
    }

    pub(super) fn execute(&self, sql: &str, args: &[&dyn ToArg]) -> Result<usize, StoreError> {
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

/// What PostgreSQL said of a refused statement, unless it is a data exception (class 22),
/// whose message quotes the value it could not take: a caller's text, or a number.
fn message(db: &postgres::error::DbError) -> &str {
    if db.code().code().starts_with("22") {
        "a value was refused (not quoted)"
    } else {
        db.message()
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
        message = message(db),
        statement = first_line,
        "PostgreSQL refused a statement"
    );
}
