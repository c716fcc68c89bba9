//! Queries on `delivery_reports`.

use super::StoreError;
use super::db::{Db, Row, args};

/// A delivery report as received, normalised.
#[derive(Debug, Clone)]
pub struct NewReport {
    pub channel: String,
    pub provider_message_id: Option<String>,
    pub reference: Option<String>,
    /// `queued`, `sent`, `delivered`, `failed`, `expired`; `None` when the provider's value is unknown.
    pub status: Option<&'static str>,
    pub provider_status: String,
    pub error_code: Option<String>,
    pub raw: String,
    pub received_at: i64,
}

/// What storing a report did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stored {
    /// It was not received before.
    pub new: bool,
    /// It told us an SMS was delivered, to this number.
    pub delivered_to: Option<String>,
}

/// Stores a report and applies it to its message when that message's send call has
/// returned; otherwise it waits, unapplied, for [`apply_pending`]. The same report received
/// again is kept once.
pub fn insert(db: &Db<'_>, r: &NewReport) -> Result<Stored, StoreError> {
    let inserted = db.insert_id(
        "INSERT INTO delivery_reports
                (channel, provider_message_id, reference, status, provider_status, error_code, raw, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT DO NOTHING",
        args![
            r.channel,
            r.provider_message_id,
            r.reference,
            r.status,
            r.provider_status,
            r.error_code,
            r.raw,
            r.received_at
        ],
    )?;
    let Some(id) = inserted else {
        return Ok(Stored::default());
    };
    let report = Report {
        channel: &r.channel,
        provider_message_id: r.provider_message_id.as_deref(),
        reference: r.reference.as_deref(),
        status: r.status,
        provider_status: &r.provider_status,
        error_code: r.error_code.as_deref(),
    };
    let applied = apply_report(db, &report, r.received_at)?;
    if applied != Applied::Later {
        mark_applied(db, id)?;
    }
    Ok(Stored {
        new: true,
        delivered_to: match applied {
            Applied::Delivered(to) => Some(to),
            _ => None,
        },
    })
}

/// What applying a report did.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Applied {
    /// Its message is unknown, or its send call has not returned.
    Later,
    Done,
    /// It made its message delivered, to this number.
    Delivered(String),
}

fn mark_applied(db: &Db<'_>, id: i64) -> Result<(), StoreError> {
    db.execute(
        "UPDATE delivery_reports SET applied = 1 WHERE id = ?1",
        args![id],
    )?;
    Ok(())
}

/// Whether any report on `channel` still waits for its message: most outcomes are
/// recorded before any report on them comes, so the lookup per message is skipped then.
pub fn any_pending(db: &Db<'_>, channel: &str) -> Result<bool, StoreError> {
    db.value(
        "SELECT EXISTS (SELECT 1 FROM delivery_reports WHERE applied = 0 AND channel = ?1)",
        args![channel],
    )
}

/// Applies, in arrival order, the reports that came for message `id` before its send call
/// returned (matched by the provider's id or by our id echoed back).
pub fn apply_pending(
    db: &Db<'_>,
    channel: &str,
    id: i64,
    provider_message_id: Option<&str>,
    now: i64,
) -> Result<usize, StoreError> {
    type Pending = (
        i64,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
        Option<String>,
    );
    let rows: Vec<Pending> = db.query_map(
        "SELECT id, provider_message_id, reference, status, provider_status, error_code
         FROM delivery_reports
         WHERE (applied = 0 AND channel = ?1 AND provider_message_id = ?2)
            OR (applied = 0 AND channel = ?1 AND reference = ?3)
         ORDER BY id",
        args![channel, provider_message_id, id.to_string()],
        |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        },
    )?;
    for (report_id, pid, reference, status, provider_status, error_code) in &rows {
        let report = Report {
            channel,
            provider_message_id: pid.as_deref(),
            reference: reference.as_deref(),
            status: status.as_deref(),
            provider_status,
            error_code: error_code.as_deref(),
        };
        let applied = apply_report(db, &report, now)?;
        if let Applied::Delivered(to) = &applied {
            // A sign of life, as when the delivery stage applies it; its operator unnamed
            // here, where no operator table is at hand.
            let sign = super::signs::Sign {
                at: now,
                via: super::signs::Via::Delivery,
                operator: None,
            };
            super::signs::record_by_phone(db, to, &sign)?;
        }
        if applied != Applied::Later {
            mark_applied(db, *report_id)?;
        }
    }
    Ok(rows.len())
}

/// Reports still unmatched after `before` are given up on, so the pending index stays small.
pub fn give_up_unmatched(db: &Db<'_>, before: i64) -> Result<usize, StoreError> {
    let n = db.execute(
        "UPDATE delivery_reports SET applied = 2 WHERE applied = 0 AND received_at < ?1",
        args![before],
    )?;
    Ok(n)
}

/// A delivery report to apply.
#[derive(Debug, Clone)]
struct Report<'a> {
    channel: &'a str,
    provider_message_id: Option<&'a str>,
    reference: Option<&'a str>,
    status: Option<&'a str>,
    provider_status: &'a str,
    error_code: Option<&'a str>,
}

/// Applies a report to its message, unless it is unknown or its send call has not
/// returned (the sender applies it then).
fn apply_report(db: &Db<'_>, r: &Report<'_>, now: i64) -> Result<Applied, StoreError> {
    let Some((id, current)) = find_reported(db, r)? else {
        return Ok(Applied::Later);
    };
    if current == "sending" {
        return Ok(Applied::Later);
    }
    let next = r
        .status
        .and_then(|reported| after_report(&current, reported));
    if next.is_none() && ["delivered", "failed", "expired"].contains(&current.as_str()) {
        // A late report about a message already final changes nothing of it.
        return Ok(Applied::Done);
    }
    db.execute(
        "UPDATE outbound_messages SET
             status = coalesce(?2, status),
             provider_message_id = coalesce(provider_message_id, ?6),
             sent_at = CASE WHEN ?2 IS NOT NULL THEN coalesce(sent_at, ?5) ELSE sent_at END,
             delivered_at = CASE WHEN ?2 = 'delivered' THEN ?5 ELSE delivered_at END,
             finished_at = CASE WHEN ?2 IN ('failed', 'expired') THEN ?5 ELSE finished_at END,
             last_error = CASE WHEN ?2 IN ('failed', 'expired')
                               THEN 'provider reported ' || ?3 ELSE last_error END,
             provider_status = ?3, error_code = coalesce(?4, error_code), updated_at = ?5
         WHERE id = ?1",
        args![
            id,
            next,
            r.provider_status,
            r.error_code,
            now,
            r.provider_message_id
        ],
    )?;
    if next != Some("delivered") {
        return Ok(Applied::Done);
    }
    let to = db.value(
        "SELECT recipient FROM outbound_messages WHERE id = ?1",
        args![id],
    )?;
    Ok(Applied::Delivered(to))
}

/// What a report makes of a message's status; `None` leaves it. `delivered` is the truth
/// whenever it comes, even after we gave up; nothing undoes it. A `sent` report for a
/// message waiting for a retry means an attempt we thought lost got through: it stops the
/// retry, which would have sent the SMS twice.
fn after_report(current: &str, reported: &str) -> Option<&'static str> {
    match (current, reported) {
        ("delivered", _) => None,
        (_, "delivered") => Some("delivered"),
        ("sent", "failed") => Some("failed"),
        ("sent", "expired") => Some("expired"),
        ("queued", "sent" | "queued") => Some("sent"),
        _ => None,
    }
}

/// The message a report is about, and its status: by the provider's id, else by our id
/// echoed back.
fn find_reported(db: &Db<'_>, r: &Report<'_>) -> Result<Option<(i64, String)>, StoreError> {
    if let Some(pid) = r.provider_message_id {
        let found = db.query_opt(
            "SELECT id, status FROM outbound_messages
                 WHERE channel = ?1 AND provider_message_id = ?2",
            args![r.channel, pid],
            id_and_status,
        )?;
        if found.is_some() {
            return Ok(found);
        }
    }
    let Some(id) = r.reference.and_then(|s| s.parse::<i64>().ok()) else {
        return Ok(None);
    };
    // Our id on a channel the message went through: it may have moved on to a fallback
    // after an attempt here that did get through.
    db.query_opt(
        "SELECT id, status FROM outbound_messages
             WHERE id = ?1 AND (channel = ?2 OR instr(',' || tried, ',' || ?2 || ',') > 0)",
        args![id, r.channel],
        id_and_status,
    )
}

fn id_and_status(row: &Row<'_>) -> Result<(i64, String), StoreError> {
    Ok((row.get(0)?, row.get(1)?))
}

#[cfg(test)]
mod tests;
