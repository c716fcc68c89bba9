//! Queries on `outbound_messages`: the durable queue. Messages are queued (`queue`), then
//! claimed by their channel's sender, and each attempt's outcome recorded.
//!
//! Every transition is guarded by the status it leaves, so a late or repeated step (a
//! worker finishing after its claim was released, a report for a message already final)
//! changes nothing.

mod queue;

use super::StoreError;
use super::db::{Db, Dialect, args};
pub use queue::{NewOutbound, insert, insert_claimed};

/// A message claimed for sending.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub recipient: String,
    pub text: String,
    pub encoding: String,
    /// Attempts so far, this one included.
    pub attempts: u32,
    pub created_at: i64,
    pub fallbacks: Vec<String>,
    pub priority: i64,
    /// When it was claimed: later steps check the claim is still this one.
    pub claimed_at: i64,
    /// A first alert: when the SMS that raised it reached the webhook.
    pub arrived_at: Option<i64>,
}

/// Whether `channel` has a message due (a read, so idle workers never take the writer).
pub fn has_due(db: &Db<'_>, channel: &str, now: i64) -> Result<bool, StoreError> {
    let due = db.query_opt(
        "SELECT 1 FROM outbound_messages
         WHERE channel = ?1 AND status = 'queued' AND next_attempt_at <= ?2 LIMIT 1",
        args![channel, now],
        |_| Ok(()),
    )?;
    Ok(due.is_some())
}

/// Notes on alerts just queued when the SMS that raised them reached the webhook.
pub fn stamp_arrival(db: &Db<'_>, ids: &[i64], arrived_at: i64) -> Result<(), StoreError> {
    for id in ids {
        db.execute(
            "UPDATE outbound_messages SET arrived_at = ?2 WHERE id = ?1",
            args![id, arrived_at],
        )?;
    }
    Ok(())
}

/// The claim: a channel's next due messages, most urgent first, with `$due` the test of
/// their time. A bare `LIMIT ?` makes SQLite prepare the statement again at each use (a
/// bound limit may change its plan); a cast is an expression, which it leaves alone.
macro_rules! claim {
    ($due:literal) => {
        concat!(
            "UPDATE outbound_messages
             SET status = 'sending', claimed_at = ?2, attempts = attempts + 1, updated_at = ?2
             WHERE id IN (SELECT id FROM outbound_messages
                          WHERE channel = ?1 AND status = 'queued' AND ",
            $due,
            " <= ?2
                          ORDER BY priority, next_attempt_at, id LIMIT CAST(?3 AS BIGINT))
             RETURNING id, recipient, text, encoding, attempts, created_at, fallbacks,
                       priority, arrived_at"
        )
    };
}

/// On SQLite, the `+` keeps the claim on `outbound_due`, which gives due messages in order:
/// Debian 12's SQLite (3.40) read the time range from `outbound_next` instead and sorted
/// every due message at each claim, 31 ms a claim behind a 100,000-message broadcast (the
/// bundled one chose well already). PostgreSQL plans by its statistics, and checks the
/// time inside `outbound_due` when it is written plainly.
const CLAIM: &str = claim!("+next_attempt_at");
const CLAIM_PG: &str = claim!("next_attempt_at");

/// Messages waiting or being sent, by channel and status, each counted from its partial
/// index (the queue, not the table, is read).
const DEPTH: &str = "SELECT channel, 'queued', count(*) FROM outbound_messages
     WHERE status = 'queued' GROUP BY channel
     UNION ALL
     SELECT channel, 'sending', count(*) FROM outbound_messages
     WHERE status = 'sending' GROUP BY channel";

/// Marks up to `limit` due messages of `channel` as `sending`, most urgent first.
pub fn claim(
    db: &Db<'_>,
    channel: &str,
    now: i64,
    limit: usize,
) -> Result<Vec<Claimed>, StoreError> {
    let sql = match db.dialect() {
        Dialect::Sqlite => CLAIM,
        Dialect::Postgres => CLAIM_PG,
    };
    let mut claimed = db.query_map(sql, args![channel, now, limit as i64], |r| {
        let fallbacks: String = r.get(6)?;
        Ok(Claimed {
            id: r.get(0)?,
            recipient: r.get(1)?,
            text: r.get(2)?,
            encoding: r.get(3)?,
            attempts: r.get(4)?,
            created_at: r.get(5)?,
            fallbacks: split(&fallbacks),
            priority: r.get(7)?,
            claimed_at: now,
            arrived_at: r.get(8)?,
        })
    })?;
    // RETURNING gives no order.
    claimed.sort_by_key(|c| (c.priority, c.id));
    Ok(claimed)
}

fn split(list: &str) -> Vec<String> {
    list.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Puts every claimed message back in the queue: at start-up, what the last run left.
pub fn release_all(db: &Db<'_>, now: i64) -> Result<usize, StoreError> {
    let n = db.execute(
        "UPDATE outbound_messages SET status = 'queued', claimed_at = NULL, updated_at = ?1
             WHERE status = 'sending'",
        args![now],
    )?;
    Ok(n)
}

/// Queued messages created before `created_before` are `expired`: an alert hours late
/// misleads more than it helps.
pub fn expire_old(db: &Db<'_>, created_before: i64, now: i64) -> Result<usize, StoreError> {
    let n = db.execute(
        "UPDATE outbound_messages SET status = 'expired', finished_at = ?2, updated_at = ?2,
                 last_error = coalesce(last_error || ' (then ', '(') || 'not sent within the maximum age)'
             WHERE status = 'queued' AND created_at < ?1",
        args![created_before, now],
    )?;
    Ok(n)
}

/// Claims made before `before`: `(id, claimed_at, channel)`.
pub fn stale_claims(db: &Db<'_>, before: i64) -> Result<Vec<(i64, i64, String)>, StoreError> {
    db.query_map(
        "SELECT id, claimed_at, channel FROM outbound_messages
         WHERE status = 'sending' AND claimed_at < ?1",
        args![before],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
}

/// Puts a claimed message back in the queue if the claim is still this one. `uncount`: the
/// attempt it was counted for never started.
pub fn unclaim(
    db: &Db<'_>,
    id: i64,
    claimed_at: i64,
    uncount: bool,
    now: i64,
) -> Result<bool, StoreError> {
    let n = db.execute(
        "UPDATE outbound_messages
             SET status = 'queued', claimed_at = NULL, attempts = attempts - ?3, updated_at = ?4
             WHERE id = ?1 AND status = 'sending' AND claimed_at = ?2",
        args![id, claimed_at, i64::from(uncount), now],
    )?;
    Ok(n == 1)
}

/// Where one attempt leaves a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Transition {
    Sent {
        provider_message_id: Option<String>,
        provider_status: Option<String>,
    },
    Delivered,
    Retry {
        at: i64,
        error: String,
        code: Option<String>,
    },
    /// To the next channel, now.
    Reroute {
        channel: String,
        fallbacks: Vec<String>,
        error: String,
        code: Option<String>,
    },
    Failed {
        error: String,
        code: Option<String>,
    },
}

/// Records the end of an attempt on a message still under the same claim; `false` if its
/// claim was released meanwhile (the message is someone else's now). The claim is checked
/// by the update itself: one statement per message, on the writer.
pub fn finish(db: &Db<'_>, c: &Claimed, t: &Transition, now: i64) -> Result<bool, StoreError> {
    // Compile-time text, so each statement stays one cached prepared statement.
    macro_rules! under_claim {
        ($set:literal) => {
            concat!(
                "UPDATE outbound_messages SET ",
                $set,
                " WHERE id = ?1 AND status = 'sending' AND claimed_at = ?2"
            )
        };
    }
    let (id, claim) = (c.id, c.claimed_at);
    let n = match t {
        Transition::Sent {
            provider_message_id,
            provider_status,
        } => db.execute(
            under_claim!(
                "status = 'sent', provider_message_id = ?3,
                     provider_status = ?4, sent_at = ?5, claimed_at = NULL, updated_at = ?5"
            ),
            args![id, claim, provider_message_id, provider_status, now],
        )?,
        Transition::Delivered => db.execute(
            under_claim!(
                "status = 'delivered', sent_at = ?3,
                     delivered_at = ?3, claimed_at = NULL, updated_at = ?3"
            ),
            args![id, claim, now],
        )?,
        Transition::Retry { at, error, code } => db.execute(
            under_claim!(
                "status = 'queued', next_attempt_at = ?3,
                     last_error = ?4, error_code = ?5, claimed_at = NULL, updated_at = ?6"
            ),
            args![id, claim, at, error, code, now],
        )?,
        Transition::Reroute {
            channel,
            fallbacks,
            error,
            code,
        } => {
            db.wake_after_commit(channel);
            db.execute(
                under_claim!(
                    "status = 'queued', tried = tried || channel || ',',
                         channel = ?3, fallbacks = ?4, next_attempt_at = ?7, last_error = ?5,
                         error_code = ?6, claimed_at = NULL, updated_at = ?7"
                ),
                args![id, claim, channel, fallbacks.join(","), error, code, now],
            )?
        }
        Transition::Failed { error, code } => db.execute(
            under_claim!(
                "status = 'failed', last_error = ?3, error_code = ?4,
                     finished_at = ?5, claimed_at = NULL, updated_at = ?5"
            ),
            args![id, claim, error, code, now],
        )?,
    };
    Ok(n == 1)
}

/// Moves up to `limit` queued messages of a channel that is down to their next fallback;
/// returns how many, by the channel they moved to.
pub fn reroute_queued(
    db: &Db<'_>,
    channel: &str,
    now: i64,
    limit: usize,
) -> Result<Vec<String>, StoreError> {
    let rows = db.query_map(
        "SELECT id, fallbacks FROM outbound_messages
         WHERE channel = ?1 AND status = 'queued' AND fallbacks != '' LIMIT ?2",
        args![channel, limit as i64],
        |r| Ok((r.get::<i64>(0)?, r.get::<String>(1)?)),
    )?;
    let mut moved = Vec::with_capacity(rows.len());
    for (id, fallbacks) in rows {
        let fallbacks = split(&fallbacks);
        let Some((next, rest)) = fallbacks.split_first() else {
            continue;
        };
        let reason = format!("channel {channel} is down");
        db.execute(
            "UPDATE outbound_messages SET tried = tried || channel || ',', channel = ?2,
             fallbacks = ?3, next_attempt_at = ?4, last_error = ?5, updated_at = ?4
         WHERE id = ?1",
            args![id, next, rest.join(","), now, reason],
        )?;
        db.wake_after_commit(next);
        moved.push(next.clone());
    }
    Ok(moved)
}

/// Messages waiting or being sent, by channel and status (the queue-depth gauge).
pub fn depth(db: &Db<'_>) -> Result<Vec<(String, String, i64)>, StoreError> {
    db.query_map(DEPTH, args![], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
}

#[cfg(test)]
mod tests {
    /// A claim reads due messages in order from `outbound_due`: sorting them all first cost
    /// 31 ms a claim behind a broadcast.
    #[test]
    fn a_claim_reads_the_queue_in_order_without_sorting_it() {
        let plan = crate::store::testing::plan(super::CLAIM, 3);
        assert!(plan.contains("INDEX outbound_due"), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    }

    /// Each channel's messages waiting and being sent are counted; others are not.
    #[test]
    fn the_depth_counts_each_channel_s_waiting_and_sending() {
        use super::NewOutbound;
        crate::store::testing::on_both(|db| {
            let message = |channel: &str| NewOutbound {
                channel: channel.to_owned(),
                fallbacks: Vec::new(),
                recipient: "+22376000001".into(),
                text: "Recu".into(),
                purpose: "reply",
                priority: 1,
                inbound_id: None,
                incident_id: None,
                broadcast_id: None,
                segments: 1,
                encoding: "gsm7",
            };
            super::insert(db, &[message("a"), message("a"), message("b")], 1)?;
            super::insert_claimed(db, &message("b"), 1)?;
            let done = super::insert_claimed(db, &message("a"), 1)?;
            super::finish(db, &done, &super::Transition::Delivered, 2)?;
            let mut depth = super::depth(db)?;
            depth.sort();
            let expected = [("a", "queued", 2), ("b", "queued", 1), ("b", "sending", 1)];
            let expected: Vec<(String, String, i64)> = expected
                .iter()
                .map(|(c, s, n)| ((*c).to_owned(), (*s).to_owned(), *n))
                .collect();
            assert_eq!(depth, expected);
            Ok(())
        });
    }

    /// The queue's depth is counted from the partial indexes, not by reading the table.
    #[test]
    fn the_depth_reads_the_queue_not_the_table() {
        let plan = crate::store::testing::plan(super::DEPTH, 0);
        assert!(plan.contains("outbound_next"), "{plan}");
        assert!(plan.contains("outbound_sending"), "{plan}");
        let table_read = plan.lines().any(|step| step == "SCAN outbound_messages");
        assert!(!table_read, "{plan}");
    }
}
