//! Queueing: the rows of messages to send, queued, or claimed already for this node's
//! sender.

use super::Claimed;
use crate::store::StoreError;
use crate::store::db::{Db, args};

/// A message to queue, ready as it will be sent.
#[derive(Debug, Clone)]
pub struct NewOutbound {
    pub channel: String,
    /// Channels to fall back to, in order.
    pub fallbacks: Vec<String>,
    pub recipient: String,
    pub text: String,
    pub purpose: &'static str,
    pub priority: i64,
    pub inbound_id: Option<i64>,
    pub incident_id: Option<i64>,
    pub broadcast_id: Option<i64>,
    pub segments: u32,
    pub encoding: &'static str,
}

/// Queues every message (in the caller's transaction); returns their ids in order.
/// Alerts and broadcasts to a number that sent STOP are not queued (`None`).
pub fn insert(
    db: &Db<'_>,
    messages: &[NewOutbound],
    now: i64,
) -> Result<Vec<Option<i64>>, StoreError> {
    // A number purged past retention is kept as its pseudonym, and its STOP still holds;
    // the keyed hash is only worked out when such a STOP exists (a broadcast queues 10^5).
    // Only alerts and broadcasts ask, so a reply (one per report read) is one insert.
    let purged = std::cell::Cell::new(None);
    let any_purged = || -> Result<bool, StoreError> {
        if let Some(known) = purged.get() {
            return Ok(known);
        }
        let known: bool = db.value(
            // A range, not LIKE, so the phone index answers it.
            "SELECT EXISTS (SELECT 1 FROM contacts
                                WHERE phone >= 'R-' AND phone < 'R.' AND opted_out = 1)",
            args![],
        )?;
        purged.set(Some(known));
        Ok(known)
    };
    let opted_out = |phone: &str| -> Result<bool, StoreError> {
        let alias = if any_purged()? {
            db.pseudonym(phone)?
        } else {
            phone.to_owned()
        };
        let sql = "SELECT 1 FROM contacts WHERE phone IN (?1, ?2) AND opted_out = 1";
        Ok(db
            .query_opt(sql, args![phone, alias], |_| Ok(()))?
            .is_some())
    };
    let mut ids = Vec::with_capacity(messages.len());
    for m in messages {
        if matches!(m.purpose, "alert" | "broadcast") && opted_out(&m.recipient)? {
            ids.push(None);
            continue;
        }
        let id = insert_row(db, m, now, None)?;
        ids.push(Some(id));
        db.wake_after_commit(&m.channel);
    }
    Ok(ids)
}

/// Queues `m` already claimed by this node's sender, to be handed to it once the
/// transaction commits (`Outbound::queue_in`): such a message costs no claim, which was
/// a tenth of the writer's time when every report is answered.
pub fn insert_claimed(db: &Db<'_>, m: &NewOutbound, now: i64) -> Result<Claimed, StoreError> {
    let id = insert_row(db, m, now, Some(now))?;
    Ok(Claimed {
        id,
        recipient: m.recipient.clone(),
        text: m.text.clone(),
        encoding: m.encoding.to_owned(),
        attempts: 1,
        created_at: now,
        fallbacks: m.fallbacks.clone(),
        priority: m.priority,
        claimed_at: now,
        arrived_at: None,
    })
}

/// Writes a message's row: queued, or claimed already at `claimed_at`.
fn insert_row(
    db: &Db<'_>,
    m: &NewOutbound,
    now: i64,
    claimed_at: Option<i64>,
) -> Result<i64, StoreError> {
    let (status, attempts) = match claimed_at {
        Some(_) => ("sending", 1),
        None => ("queued", 0),
    };
    let id = db.insert_id(
        "INSERT INTO outbound_messages
            (channel, fallbacks, recipient, text, purpose, priority, inbound_id, incident_id,
             broadcast_id, segments, encoding, status, attempts, claimed_at, next_attempt_at,
             created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?13, ?14, ?15, ?12, ?12, ?12)",
        args![
            m.channel,
            m.fallbacks.join(","),
            m.recipient,
            m.text,
            m.purpose,
            m.priority,
            m.inbound_id,
            m.incident_id,
            m.broadcast_id,
            m.segments,
            m.encoding,
            now,
            status,
            attempts,
            claimed_at
        ],
    )?;
    id.ok_or(StoreError::NoRow)
}
