//! Queries on `delivery_reports`.

use rusqlite::{Connection, params};

use super::StoreError;
use super::outbound::{self, Report};

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

/// Stores a report and applies it to its message when that message's send call has
/// returned; otherwise it waits, unapplied, for [`apply_pending`]. The same report received
/// again is kept once. Returns whether it was new.
pub fn insert(conn: &Connection, r: &NewReport) -> Result<bool, StoreError> {
    let n = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO delivery_reports
                (channel, provider_message_id, reference, status, provider_status, error_code, raw, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            r.channel,
            r.provider_message_id,
            r.reference,
            r.status,
            r.provider_status,
            r.error_code,
            r.raw,
            r.received_at
        ])?;
    if n == 0 {
        return Ok(false);
    }
    let report = Report {
        channel: &r.channel,
        provider_message_id: r.provider_message_id.as_deref(),
        reference: r.reference.as_deref(),
        status: r.status,
        provider_status: &r.provider_status,
        error_code: r.error_code.as_deref(),
    };
    if outbound::apply_report(conn, &report, r.received_at)? {
        mark_applied(conn, conn.last_insert_rowid())?;
    }
    Ok(true)
}

fn mark_applied(conn: &Connection, id: i64) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE delivery_reports SET applied = 1 WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// Applies, in arrival order, the reports that came for message `id` before its send call
/// returned (matched by the provider's id or by our id echoed back).
pub fn apply_pending(
    conn: &Connection,
    channel: &str,
    id: i64,
    provider_message_id: Option<&str>,
    now: i64,
) -> Result<usize, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, provider_message_id, reference, status, provider_status, error_code
         FROM delivery_reports
         WHERE applied = 0 AND channel = ?1
           AND ((?2 IS NOT NULL AND provider_message_id = ?2) OR reference = ?3)
         ORDER BY id",
    )?;
    type Row = (
        i64,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
        Option<String>,
    );
    let rows: Vec<Row> = stmt
        .query_map(params![channel, provider_message_id, id.to_string()], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    for (report_id, pid, reference, status, provider_status, error_code) in &rows {
        let report = Report {
            channel,
            provider_message_id: pid.as_deref(),
            reference: reference.as_deref(),
            status: status.as_deref(),
            provider_status,
            error_code: error_code.as_deref(),
        };
        if outbound::apply_report(conn, &report, now)? {
            mark_applied(conn, *report_id)?;
        }
    }
    Ok(rows.len())
}
