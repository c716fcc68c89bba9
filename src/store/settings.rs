//! Queries on `settings`: values the gateway makes once and keeps.

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreError;

/// The value of `name`, if set.
pub fn get(conn: &Connection, name: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT value FROM settings WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?)
}

pub fn set(conn: &Connection, name: &str, value: &str) -> Result<(), StoreError> {
    conn.prepare_cached("INSERT OR REPLACE INTO settings (name, value) VALUES (?1, ?2)")?
        .execute(params![name, value])?;
    Ok(())
}

pub fn remove(conn: &Connection, name: &str) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM settings WHERE name = ?1")?
        .execute([name])?;
    Ok(())
}
