//! Queries on `signs`: each contact's signs of life (a message from them, an SMS delivered
//! to them), kept with the contact's latest so a sweep reads one row per monitor.

use rusqlite::{Connection, params};

use super::StoreError;

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
pub fn record(conn: &Connection, contact_id: i64, sign: &Sign<'_>) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO signs (contact_id, at, channel, operator) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        contact_id,
        sign.at,
        sign.via.as_str(),
        sign.operator
    ])?;
    if sign.via == Via::Delivery {
        return Ok(());
    }
    conn.prepare_cached(
        "UPDATE contacts SET last_sign_at = ?2
         WHERE id = ?1 AND (last_sign_at IS NULL OR last_sign_at < ?2)",
    )?
    .execute(params![contact_id, sign.at])?;
    Ok(())
}

/// Records a sign of whoever has `phone`, if a contact does.
pub fn record_by_phone(conn: &Connection, phone: &str, sign: &Sign<'_>) -> Result<(), StoreError> {
    let id: Option<i64> = rusqlite::OptionalExtension::optional(
        conn.prepare_cached("SELECT id FROM contacts WHERE phone = ?1")?
            .query_row([phone], |r| r.get(0)),
    )?;
    match id {
        Some(id) => record(conn, id, sign),
        None => Ok(()),
    }
}

/// Forgets signs older than `before` (they only serve the recent history), at most
/// `PURGE_BATCH` at a time: the writer is not held up; the rest goes at the next purge.
/// Ids never go back (AUTOINCREMENT).
pub fn purge(conn: &Connection, before: i64) -> Result<usize, StoreError> {
    Ok(conn
        .prepare_cached(
            "DELETE FROM signs WHERE id IN (SELECT id FROM signs WHERE at < ?1 LIMIT ?2)",
        )?
        .execute(params![before, PURGE_BATCH])?)
}

/// Signs forgotten in one purge.
const PURGE_BATCH: i64 = 50_000;

/// A contact's latest sign: when, how, on which operator.
pub fn latest(
    conn: &Connection,
    contact_id: i64,
) -> Result<Option<(i64, String, Option<String>)>, StoreError> {
    Ok(rusqlite::OptionalExtension::optional(
        conn.prepare_cached(
            "SELECT at, channel, operator FROM signs WHERE contact_id = ?1
             ORDER BY at DESC LIMIT 1",
        )?
        .query_row([contact_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))),
    )?)
}

/// The zones (folded) of contacts with signs recorded after sign `after`, and the last
/// sign's id: what a cached pace must be read again for. A replayed history
/// brings signs older than a zone's last, so the time of a sign cannot tell this.
pub fn zones_since(conn: &Connection, after: i64) -> Result<(Vec<String>, i64), StoreError> {
    let last: i64 = conn
        .prepare_cached("SELECT coalesce(max(id), 0) FROM signs")?
        .query_row([], |r| r.get(0))?;
    if last <= after {
        return Ok((Vec::new(), last));
    }
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT z.zone FROM signs s JOIN contact_zones z ON z.contact_id = s.contact_id
         WHERE s.id > ?1 AND s.id <= ?2",
    )?;
    let zones = stmt.query_map([after, last], |r| r.get(0))?;
    Ok((zones.collect::<Result<_, _>>()?, last))
}
