//! Outbound messages as people look at them: the admin API's list and the sim outbox
//! (the console's phone simulator), newest first, filtered.

use serde::Serialize;

use super::StoreError;
use super::db::{Db, args};

/// An outbound message as the API and the sim outbox show it.
#[derive(Debug, Clone, Serialize)]
pub struct OutboundRow {
    pub id: i64,
    pub channel: String,
    pub recipient: String,
    pub text: String,
    pub purpose: String,
    pub status: String,
    pub attempts: u32,
    pub segments: u32,
    pub encoding: String,
    pub provider_message_id: Option<String>,
    pub provider_status: Option<String>,
    pub error_code: Option<String>,
    pub last_error: Option<String>,
    pub next_attempt_at: i64,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub delivered_at: Option<i64>,
    pub finished_at: Option<i64>,
}

/// Which outbound messages to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub channel: Option<String>,
    pub recipient: Option<String>,
    pub status: Option<String>,
    /// Only ids below this (paging).
    pub before: Option<i64>,
}

/// Newest first, at most `limit`.
pub fn list(db: &Db<'_>, f: &Filter, limit: u32) -> Result<Vec<OutboundRow>, StoreError> {
    let sql = "SELECT id, channel, recipient, text, purpose, status, attempts, segments, encoding,
                provider_message_id, provider_status, error_code, last_error, next_attempt_at,
                created_at, sent_at, delivered_at, finished_at
         FROM outbound_messages
         WHERE (CAST(?1 AS TEXT) IS NULL OR channel = ?1) AND (CAST(?2 AS TEXT) IS NULL OR recipient = ?2)
           AND (CAST(?3 AS TEXT) IS NULL OR status = ?3) AND id < ?4
         ORDER BY id DESC LIMIT ?5";
    let before = f.before.unwrap_or(i64::MAX);
    let args = args![f.channel, f.recipient, f.status, before, limit];
    db.query_map(sql, args, |r| {
        Ok(OutboundRow {
            id: r.get(0)?,
            channel: r.get(1)?,
            recipient: r.get(2)?,
            text: r.get(3)?,
            purpose: r.get(4)?,
            status: r.get(5)?,
            attempts: r.get(6)?,
            segments: r.get(7)?,
            encoding: r.get(8)?,
            provider_message_id: r.get(9)?,
            provider_status: r.get(10)?,
            error_code: r.get(11)?,
            last_error: r.get(12)?,
            next_attempt_at: r.get(13)?,
            created_at: r.get(14)?,
            sent_at: r.get(15)?,
            delivered_at: r.get(16)?,
            finished_at: r.get(17)?,
        })
    })
}
