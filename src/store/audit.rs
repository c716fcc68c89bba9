//! Queries on `audit_log`.

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreError;
use crate::audit::{Entry, hash_of};

/// Appends an entry chained to the last one; in the caller's transaction, so a change and
/// its entry commit together.
pub fn append(
    conn: &Connection,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &serde_json::Value,
    now: i64,
) -> Result<(), StoreError> {
    let prev: String = conn
        .prepare_cached("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")?
        .query_row([], |r| r.get(0))
        .optional()?
        .unwrap_or_default();
    let detail = detail.to_string();
    let hash = hash_of(&prev, now, actor, action, subject, &detail);
    conn.prepare_cached(
        "INSERT INTO audit_log (at, actor, action, subject, detail, prev, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![now, actor, action, subject, detail, prev, hash])?;
    Ok(())
}

/// Every entry, oldest first.
pub fn all(conn: &Connection) -> Result<Vec<Entry>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT id, at, actor, action, subject, detail, prev, hash FROM audit_log ORDER BY id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Entry {
            id: r.get(0)?,
            at: r.get(1)?,
            actor: r.get(2)?,
            action: r.get(3)?,
            subject: r.get(4)?,
            detail: r.get(5)?,
            prev: r.get(6)?,
            hash: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
