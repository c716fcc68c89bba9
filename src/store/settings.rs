//! Queries on `settings`: values the gateway makes once and keeps.

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreError;

/// The value of `name`, made by `make` and stored the first time it is asked for.
pub fn get_or_make(
    conn: &Connection,
    name: &str,
    make: impl FnOnce() -> String,
) -> Result<String, StoreError> {
    let found: Option<String> = conn
        .prepare_cached("SELECT value FROM settings WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?;
    if let Some(value) = found {
        return Ok(value);
    }
    let value = make();
    conn.prepare_cached("INSERT INTO settings (name, value) VALUES (?1, ?2)")?
        .execute(params![name, value])?;
    Ok(value)
}
