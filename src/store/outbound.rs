//! Queries on `outbound_messages`.

use rusqlite::{Connection, params};
use serde::Serialize;

use super::StoreError;

/// An outbound message as the API and the sim outbox show it.
#[derive(Debug, Clone, Serialize)]
pub struct OutboundRow {
    pub id: i64,
    pub channel: String,
    pub recipient: String,
    pub text: String,
    pub purpose: String,
    pub status: String,
    pub created_at: i64,
}

/// Newest first, optionally for one channel, one recipient, and below `before`.
pub fn list(
    conn: &Connection,
    channel: Option<&str>,
    recipient: Option<&str>,
    limit: u32,
    before: Option<i64>,
) -> Result<Vec<OutboundRow>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, channel, recipient, text, purpose, status, created_at FROM outbound_messages
         WHERE (?1 IS NULL OR channel = ?1) AND (?2 IS NULL OR recipient = ?2) AND id < ?3
         ORDER BY id DESC LIMIT ?4",
    )?;
    let before = before.unwrap_or(i64::MAX);
    let rows = stmt.query_map(params![channel, recipient, before, limit], |r| {
        Ok(OutboundRow {
            id: r.get(0)?,
            channel: r.get(1)?,
            recipient: r.get(2)?,
            text: r.get(3)?,
            purpose: r.get(4)?,
            status: r.get(5)?,
            created_at: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
