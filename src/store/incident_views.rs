//! Incidents as the API shows them: filtered lists, and one incident with its reports,
//! the alerts sent and their deliveries, and the acknowledgements.

use serde_json::Value;

use super::StoreError;
use super::db::{Db, Row, args};

/// `GET /api/incidents` filters; times in unix ms.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub category: Option<String>,
    pub status: Option<String>,
    /// new, verified, dismissed, closed.
    pub review: Option<String>,
    pub min_severity: Option<u8>,
    /// Ids below this (pagination, newest first).
    pub before: Option<i64>,
    pub limit: u32,
}

/// An incident row.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentView {
    pub id: i64,
    pub status: String,
    pub category: String,
    pub first_time: i64,
    pub last_time: i64,
    pub lat: f64,
    pub lon: f64,
    pub place_name: String,
    /// Region, cercle, commune of its most precise report.
    pub chain: [String; 3],
    pub precision: u8,
    pub sources: i64,
    pub severity: Option<u8>,
    pub counts: Value,
    pub version: i64,
    pub first_alert_at: Option<i64>,
    pub acked_at: Option<i64>,
    pub escalation: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub review: String,
    pub review_note: String,
    pub reviewed_at: Option<i64>,
    /// When an unanswered alert escalates next.
    pub escalate_at: Option<i64>,
    /// The lowest and highest each count was reported (the fused count is the highest).
    pub counts_low: Value,
    pub counts_high: Value,
}

const COLUMNS: &str = "i.id, i.status, i.category, i.first_time, i.last_time, i.lat, i.lon,
    i.place_name, coalesce(i.corrected ->> '$.place.chain', (SELECT coalesce(admin1, '') || '/' || coalesce(admin2, '') || '/'
        || coalesce(admin3, '') FROM reports r WHERE r.incident_id = i.id AND r.status = 'filed'
        ORDER BY precision DESC, id LIMIT 1), ''),
    i.precision, i.sources, i.severity, i.counts, i.version, i.first_alert_at, i.acked_at,
    i.escalation, i.created_at, i.updated_at, i.review, i.review_note, i.reviewed_at,
    i.escalate_at, i.counts_low, i.counts_high";

fn view(r: &Row<'_>) -> Result<IncidentView, StoreError> {
    let chain: String = r.get(8)?;
    let counts: String = r.get(12)?;
    Ok(IncidentView {
        id: r.get(0)?,
        status: r.get(1)?,
        category: r.get(2)?,
        first_time: r.get(3)?,
        last_time: r.get(4)?,
        lat: r.get(5)?,
        lon: r.get(6)?,
        place_name: r.get(7)?,
        chain: super::chain_of(&chain),
        precision: r.get(9)?,
        sources: r.get(10)?,
        severity: r.get(11)?,
        counts: serde_json::from_str(&counts).unwrap_or(Value::Null),
        version: r.get(13)?,
        first_alert_at: r.get(14)?,
        acked_at: r.get(15)?,
        escalation: r.get(16)?,
        created_at: r.get(17)?,
        updated_at: r.get(18)?,
        review: r.get(19)?,
        review_note: r.get(20)?,
        reviewed_at: r.get(21)?,
        escalate_at: r.get(22)?,
        counts_low: json_of(r.get(23)?),
        counts_high: json_of(r.get(24)?),
    })
}

fn json_of(text: Option<String>) -> Value {
    text.and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null)
}

/// Newest first.
pub fn list(db: &Db<'_>, f: &Filter) -> Result<Vec<IncidentView>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM incidents i
         WHERE i.id < ?1 AND i.last_time >= ?2 AND i.first_time <= ?3
           AND (CAST(?4 AS TEXT) IS NULL OR i.category = ?4) AND (CAST(?5 AS TEXT) IS NULL OR i.status = ?5)
           AND coalesce(i.severity, 0) >= ?6 AND (CAST(?8 AS TEXT) IS NULL OR instr(',' || ?8 || ',', ',' || i.review || ',') > 0)
         ORDER BY i.id DESC LIMIT ?7"
    );
    db.query_map(
        &sql,
        args![
            f.before.unwrap_or(i64::MAX),
            f.since.unwrap_or(i64::MIN),
            f.until.unwrap_or(i64::MAX),
            f.category,
            f.status,
            f.min_severity.unwrap_or(0),
            f.limit,
            f.review
        ],
        view,
    )
}

/// The responders' board: open incidents alerted and not yet acknowledged, the next to
/// escalate first; then those acknowledged since `since`, newest first.
pub fn board(db: &Db<'_>, since: i64, limit: u32) -> Result<Vec<IncidentView>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM incidents i
         WHERE i.first_alert_at IS NOT NULL AND i.status = 'open'
           AND i.review NOT IN ('dismissed', 'closed')
           AND (i.acked_at IS NULL OR i.acked_at >= ?1)
         ORDER BY i.acked_at IS NOT NULL, coalesce(i.escalate_at, 9e18), i.acked_at DESC
         LIMIT ?2"
    );
    db.query_map(&sql, args![since, limit], view)
}

pub fn one(db: &Db<'_>, id: i64) -> Result<Option<IncidentView>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM incidents i WHERE i.id = ?1");
    db.query_opt(&sql, args![id], view)
}

/// A report of the incident (withdrawn ones too).
#[derive(Debug, Clone, PartialEq)]
pub struct ReportView {
    pub id: i64,
    pub reporter: String,
    pub status: String,
    pub unverified: bool,
    pub category: String,
    pub place_name: Option<String>,
    pub counts: Value,
    pub event_time: i64,
    pub severity: Option<u8>,
    pub created_at: i64,
    /// Written by a monitor who had said their duress word.
    pub duress: bool,
}

pub fn reports(db: &Db<'_>, incident: i64) -> Result<Vec<ReportView>, StoreError> {
    db.query_map(
        "SELECT id, reporter, status, unverified, category, place_name, counts, event_time,
                severity, created_at, duress
         FROM reports WHERE incident_id = ?1 ORDER BY id",
        args![incident],
        |r| {
            let counts: String = r.get(6)?;
            Ok(ReportView {
                id: r.get(0)?,
                reporter: r.get(1)?,
                status: r.get(2)?,
                unverified: r.get(3)?,
                category: r.get(4)?,
                place_name: r.get(5)?,
                counts: serde_json::from_str(&counts).unwrap_or(Value::Null),
                event_time: r.get(7)?,
                severity: r.get(8)?,
                created_at: r.get(9)?,
                duress: r.get(10)?,
            })
        },
    )
}

/// An alert sent, with its delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertView {
    pub phone: String,
    pub contact_id: Option<i64>,
    pub kind: String,
    pub version: i64,
    pub level: i64,
    pub created_at: i64,
    pub outbound_id: Option<i64>,
    /// queued, sending, sent, delivered, failed, expired; `None` if it was not queued.
    pub delivery: Option<String>,
}

pub fn alerts(db: &Db<'_>, incident: i64) -> Result<Vec<AlertView>, StoreError> {
    db.query_map(
        "SELECT a.phone, a.contact_id, a.kind, a.version, a.level, a.created_at, a.outbound_id,
                o.status
         FROM alerts a LEFT JOIN outbound_messages o ON o.id = a.outbound_id
         WHERE a.incident_id = ?1 ORDER BY a.id",
        args![incident],
        |r| {
            Ok(AlertView {
                phone: r.get(0)?,
                contact_id: r.get(1)?,
                kind: r.get(2)?,
                version: r.get(3)?,
                level: r.get(4)?,
                created_at: r.get(5)?,
                outbound_id: r.get(6)?,
                delivery: r.get(7)?,
            })
        },
    )
}

/// Acknowledgements: number, contact, time.
pub fn acknowledgements(
    db: &Db<'_>,
    incident: i64,
) -> Result<Vec<(String, Option<i64>, i64)>, StoreError> {
    db.query_map(
        "SELECT phone, contact_id, at FROM acknowledgements WHERE incident_id = ?1 ORDER BY at",
        args![incident],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
}
