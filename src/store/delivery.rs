//! Queries on `delivery_reports`.

use rusqlite::{Connection, params};

use super::StoreError;

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

/// Stores a report; the same report received again is kept once. Returns whether it was new.
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
    Ok(n == 1)
}
