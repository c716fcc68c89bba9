//! Inbound messages as admins look at them: the admin API's list, newest first.

use serde::Serialize;

use super::StoreError;
use super::db::{Db, args};

/// An inbound message as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct InboundRow {
    pub id: i64,
    pub channel: String,
    pub provider_message_id: Option<String>,
    pub sender: String,
    pub recipient: Option<String>,
    pub text: String,
    pub truncated: bool,
    pub throttled: bool,
    #[serde(rename = "loop")]
    pub is_loop: bool,
    pub parts: u32,
    pub incomplete: bool,
    pub provider_ts: Option<i64>,
    pub received_at: i64,
    pub state: String,
}

/// The newest messages first, below `before` when given.
pub fn list(db: &Db<'_>, limit: u32, before: Option<i64>) -> Result<Vec<InboundRow>, StoreError> {
    let sql = "SELECT id, channel, provider_message_id, sender, recipient, text, truncated,
                throttled, is_loop, parts, incomplete, provider_ts, received_at, state
         FROM inbound_messages WHERE id < ?1 ORDER BY id DESC LIMIT ?2";
    db.query_map(sql, args![before.unwrap_or(i64::MAX), limit], |r| {
        Ok(InboundRow {
            id: r.get(0)?,
            channel: r.get(1)?,
            provider_message_id: r.get(2)?,
            sender: r.get(3)?,
            recipient: r.get(4)?,
            text: r.get(5)?,
            truncated: r.get(6)?,
            throttled: r.get(7)?,
            is_loop: r.get(8)?,
            parts: r.get(9)?,
            incomplete: r.get(10)?,
            provider_ts: r.get(11)?,
            received_at: r.get(12)?,
            state: r.get(13)?,
        })
    })
}
