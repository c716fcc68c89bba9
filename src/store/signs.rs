//! Queries on `signs`: each contact's signs of life (a message from them, an SMS delivered
//! to them), kept with the contact's latest so a sweep reads one row per monitor.

use super::StoreError;
use super::db::{Db, args};

/// How a sign of life came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// An SMS from them: a report, `RAS`, a command.
    Sms,
    /// A USSD session of theirs.
    Ussd,
    /// An SMS to them, delivered: their phone is on and reachable.
    Delivery,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::Ussd => "ussd",
            Self::Delivery => "delivery",
        }
    }
}

/// A sign of life, by the provider's clock.
#[derive(Debug, Clone, Copy)]
pub struct Sign<'a> {
    pub at: i64,
    pub via: Via,
    pub operator: Option<&'a str>,
}

/// Records a sign of contact `contact_id`; one they sent is also their latest message.
pub fn record(db: &Db<'_>, contact_id: i64, sign: &Sign<'_>) -> Result<(), StoreError> {
    db.execute(
        "INSERT INTO signs (contact_id, at, channel, operator) VALUES (?1, ?2, ?3, ?4)",
        args![contact_id, sign.at, sign.via.as_str(), sign.operator],
    )?;
    if sign.via == Via::Delivery {
        return Ok(());
    }
    db.execute(
        "UPDATE contacts SET last_sign_at = ?2
         WHERE id = ?1 AND (last_sign_at IS NULL OR last_sign_at < ?2)",
        args![contact_id, sign.at],
    )?;
    Ok(())
}

/// Records a sign of whoever has `phone`, if a contact does.
pub fn record_by_phone(db: &Db<'_>, phone: &str, sign: &Sign<'_>) -> Result<(), StoreError> {
    let id: Option<i64> = db.query_opt(
        "SELECT id FROM contacts WHERE phone = ?1",
        args![phone],
        |r| r.get(0),
    )?;
    match id {
        Some(id) => record(db, id, sign),
        None => Ok(()),
    }
}

/// Forgets signs older than `before` (they only serve the recent history), at most
/// `PURGE_BATCH` at a time: the writer is not held up; the rest goes at the next purge.
/// Ids never go back (AUTOINCREMENT).
pub fn purge(db: &Db<'_>, before: i64) -> Result<usize, StoreError> {
    db.execute(
        "DELETE FROM signs WHERE id IN (SELECT id FROM signs WHERE at < ?1 LIMIT ?2)",
        args![before, PURGE_BATCH],
    )
}

/// Signs forgotten in one purge.
const PURGE_BATCH: i64 = 50_000;

/// A contact's latest sign: when, how, on which operator.
pub fn latest(
    db: &Db<'_>,
    contact_id: i64,
) -> Result<Option<(i64, String, Option<String>)>, StoreError> {
    db.query_opt(
        "SELECT at, channel, operator FROM signs WHERE contact_id = ?1
             ORDER BY at DESC LIMIT 1",
        args![contact_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
}

/// The zones (folded) of contacts with signs recorded after sign `after`, and the last
/// sign's id: what a cached pace must be read again for. A replayed history
/// brings signs older than a zone's last, so the time of a sign cannot tell this.
pub fn zones_since(db: &Db<'_>, after: i64) -> Result<(Vec<String>, i64), StoreError> {
    let last: i64 = db.value("SELECT coalesce(max(id), 0) FROM signs", args![])?;
    if last <= after {
        return Ok((Vec::new(), last));
    }
    let zones = db.query_map(
        "SELECT DISTINCT z.zone FROM signs s JOIN contact_zones z ON z.contact_id = s.contact_id
         WHERE s.id > ?1 AND s.id <= ?2",
        args![after, last],
        |r| r.get(0),
    )?;
    Ok((zones, last))
}
