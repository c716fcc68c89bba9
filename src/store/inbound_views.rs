//! Inbound messages as admins look at them: the admin API's list, newest first, and how
//! far behind reading is (`/metrics`, the console's notice).

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

/// How many messages are unread, and when the oldest of them arrived (unix ms).
pub fn backlog(db: &Db<'_>) -> Result<(i64, Option<i64>), StoreError> {
    Ok((unread_up_to(db, i64::MAX)?, oldest_unread(db)?))
}

/// When the oldest unread message arrived (unix ms): the oldest of each priority's oldest,
/// each one step down the reading-order index, whatever the backlog.
pub fn oldest_unread(db: &Db<'_>) -> Result<Option<i64>, StoreError> {
    db.value(
        "SELECT min(received_at) FROM inbound_messages WHERE id IN (
                SELECT (SELECT min(id) FROM inbound_messages WHERE state = 'new' AND priority = p)
                FROM (SELECT 0 AS p UNION ALL SELECT 1 UNION ALL SELECT 2) AS priorities)",
        args![],
    )
}

/// How many messages are unread, counting no further than `cap`: a count walks the
/// unread index, and a large backlog is when the readers are busiest.
pub fn unread_up_to(db: &Db<'_>, cap: i64) -> Result<i64, StoreError> {
    db.value(
        "SELECT count(*) FROM (SELECT 1 FROM inbound_messages WHERE state = 'new'
                                LIMIT CAST(?1 AS BIGINT)) AS unread",
        args![cap],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::on_both;

    #[test]
    fn the_backlog_counts_the_unread_and_dates_the_oldest() {
        on_both(|db| {
            // Arrived at 0, 1 and 2, of each reading priority.
            db.execute(
                "INSERT INTO inbound_messages (channel, sender, text, received_at, content_hash,
                    raw, priority)
                 VALUES ('sim', 'a', 'm0', 0, 0, '', 2), ('sim', 'b', 'm1', 1, 1, '', 0),
                    ('sim', 'c', 'm2', 2, 2, '', 1)",
                args![],
            )?;
            assert_eq!(backlog(db)?, (3, Some(0)));
            let done = "UPDATE inbound_messages SET state = 'done' WHERE text = ?1";
            db.execute(done, args!["m0"])?;
            assert_eq!(backlog(db)?, (2, Some(1)));
            assert_eq!(unread_up_to(db, 1)?, 1, "counted no further than asked");
            db.execute("UPDATE inbound_messages SET state = 'done'", args![])?;
            assert_eq!(backlog(db)?, (0, None));
            Ok(())
        });
    }
}
