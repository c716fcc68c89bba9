//! What the silence sweep reads and writes: monitors and their latest sign, a zone's pace,
//! who hears of a silence, open and closed silences, and what became of SMS lately.

use serde::Serialize;

use super::StoreError;
use super::alerts::Recipient;
use super::db::{Db, Row, ToArg, args};

/// An active monitor as the sweep sees them.
#[derive(Debug, Clone)]
pub struct Monitor {
    pub id: i64,
    pub phone: String,
    pub name: String,
    pub language: Option<String>,
    pub discreet: bool,
    pub opted_out: bool,
    pub checkin_every_hours: Option<u32>,
    /// Their latest sign of life; `None`: never.
    pub last_sign_at: Option<i64>,
    pub created_at: i64,
    /// The sign a reminder, and a word to their coordinators, were about.
    pub reminded_for: Option<i64>,
    pub told_for: Option<i64>,
    /// Their zones, folded.
    pub zones: Vec<String>,
    /// Since when a duress word marks their reports.
    pub duress_since: Option<i64>,
}

impl Monitor {
    /// Since when they are silent: their latest sign, or their registration.
    pub fn since(&self) -> i64 {
        self.last_sign_at.unwrap_or(self.created_at)
    }
}

const MONITOR: &str = "c.active = 1 AND ';' || c.roles || ';' LIKE '%;monitor;%'";

/// Every active monitor, with their zones.
pub fn monitors(db: &Db<'_>) -> Result<Vec<Monitor>, StoreError> {
    let sql = format!(
        "SELECT c.id, c.phone, c.name, c.language, c.discreet, c.opted_out,
                c.checkin_every_hours, c.last_sign_at, c.created_at, c.reminded_for, c.told_for,
                (SELECT group_concat(z.zone, ';') FROM contact_zones z WHERE z.contact_id = c.id),
                c.duress_since
         FROM contacts c WHERE {MONITOR} ORDER BY c.id"
    );
    db.query_map(&sql, args![], monitor_row)
}

fn monitor_row(r: &Row<'_>) -> Result<Monitor, StoreError> {
    Ok(Monitor {
        id: r.get(0)?,
        phone: r.get(1)?,
        name: r.get(2)?,
        language: r.get(3)?,
        discreet: r.get(4)?,
        opted_out: r.get(5)?,
        checkin_every_hours: r.get(6)?,
        last_sign_at: r.get(7)?,
        created_at: r.get(8)?,
        reminded_for: r.get(9)?,
        told_for: r.get(10)?,
        zones: super::list_of(&r.get::<Option<String>>(11)?.unwrap_or_default()),
        duress_since: r.get(12)?,
    })
}

/// Notes that a reminder went to monitor `id` about their silence since `since`; `false`
/// if that is no longer their silence (a sign came meanwhile) or it was done already.
pub fn set_reminded(db: &Db<'_>, id: i64, since: i64) -> Result<bool, StoreError> {
    let n = db.execute(
        "UPDATE contacts SET reminded_for = ?2
             WHERE id = ?1 AND coalesce(last_sign_at, created_at) = ?2
               AND reminded_for IS DISTINCT FROM ?2",
        args![id, since],
    )?;
    Ok(n == 1)
}

/// The same for telling monitor `id`'s coordinators.
pub fn set_told(db: &Db<'_>, id: i64, since: i64) -> Result<bool, StoreError> {
    let n = db.execute(
        "UPDATE contacts SET told_for = ?2
             WHERE id = ?1 AND coalesce(last_sign_at, created_at) = ?2 AND told_for IS DISTINCT FROM ?2",
        args![id, since],
    )?;
    Ok(n == 1)
}

/// The last sign of life of a zone's active monitors.
pub fn zone_last(db: &Db<'_>, zone: &str) -> Result<Option<i64>, StoreError> {
    let sql = format!(
        "SELECT max(c.last_sign_at) FROM contact_zones z JOIN contacts c ON c.id = z.contact_id
         WHERE z.zone = ?1 AND {MONITOR}"
    );
    db.value(&sql, args![zone])
}

/// A zone's messages (not deliveries) from its active monitors from `from` to `to`: how
/// many, and the first.
pub fn pace(db: &Db<'_>, zone: &str, from: i64, to: i64) -> Result<(u64, Option<i64>), StoreError> {
    let sql = format!(
        "SELECT count(*), min(s.at) FROM contact_zones z
         JOIN contacts c ON c.id = z.contact_id
         JOIN signs s ON s.contact_id = z.contact_id
         WHERE z.zone = ?1 AND {MONITOR} AND s.channel != 'delivery' AND s.at BETWEEN ?2 AND ?3"
    );
    let (count, first): (i64, Option<i64>) =
        db.query_one(&sql, args![zone, from, to], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok((u64::try_from(count).unwrap_or(0), first))
}

/// Active, not opted-out contacts with `role` attached to any of `zones`, once each.
pub fn with_role(db: &Db<'_>, zones: &[String], role: &str) -> Result<Vec<Recipient>, StoreError> {
    if zones.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; zones.len()].join(", ");
    let sql = format!(
        "SELECT DISTINCT c.id, c.phone, c.language
         FROM contact_zones z JOIN contacts c ON c.id = z.contact_id
         WHERE z.zone IN ({marks}) AND c.active = 1 AND c.opted_out = 0
           AND ';' || c.roles || ';' LIKE '%;' || ? || ';%'
         ORDER BY c.id"
    );
    let values: Vec<&dyn ToArg> = zones
        .iter()
        .map(|z| z as &dyn ToArg)
        .chain([&role as &dyn ToArg])
        .collect();
    db.query_map(&sql, &values, |r| {
        Ok(Recipient {
            contact_id: Some(r.get(0)?),
            phone: r.get(1)?,
            language: r.get(2)?,
        })
    })
}

/// What became of SMS since `since`, by recipient: delivered, and failed or expired.
/// (Its condition on the status is `outbound_outcomes`' own, word for word.)
pub fn outcomes_since(db: &Db<'_>, since: i64) -> Result<Vec<(String, u32, u32)>, StoreError> {
    db.query_map(
        "SELECT recipient, sum(CASE WHEN status = 'delivered' THEN 1 ELSE 0 END),
                sum(CASE WHEN status IN ('failed', 'expired') THEN 1 ELSE 0 END)
         FROM outbound_messages
         WHERE updated_at >= ?1
           AND (status = 'delivered' OR status = 'failed' OR status = 'expired')
         GROUP BY recipient",
        args![since],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
}

/// Whether a silence is still open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Open,
    Closed,
}

impl State {
    fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }
}

/// A zone's silence as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Silence {
    pub id: i64,
    pub zone: String,
    pub name: String,
    pub state: State,
    pub since: i64,
    pub monitors: u32,
    pub usual_per_day: f64,
    /// Operators probably cut, if the evidence names any.
    pub cause: Vec<String>,
    pub opened_at: i64,
    pub closed_at: Option<i64>,
    pub back_at: Option<i64>,
}

const SILENCE_COLUMNS: &str =
    "id, zone, name, state, since, monitors, usual_per_day, cause, opened_at, closed_at, back_at";

fn silence_row(r: &Row<'_>) -> Result<Silence, StoreError> {
    let cause: Option<String> = r.get(7)?;
    let state: String = r.get(3)?;
    Ok(Silence {
        id: r.get(0)?,
        zone: r.get(1)?,
        name: r.get(2)?,
        state: match state.as_str() {
            "open" => State::Open,
            "closed" => State::Closed,
            other => {
                return Err(StoreError::Sqlite(format!(
                    "column 3: no silence state `{other}`"
                )));
            }
        },
        since: r.get(4)?,
        monitors: r.get(5)?,
        usual_per_day: r.get(6)?,
        cause: cause
            .map(|c| c.split(", ").map(str::to_owned).collect())
            .unwrap_or_default(),
        opened_at: r.get(8)?,
        closed_at: r.get(9)?,
        back_at: r.get(10)?,
    })
}

/// Opens a silence; returns its id (`None`: the zone has one open already).
pub fn open(db: &Db<'_>, s: &Silence) -> Result<Option<i64>, StoreError> {
    db.insert_id(
        "INSERT INTO silences
                 (zone, name, state, since, monitors, usual_per_day, cause, opened_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT DO NOTHING",
        args![
            s.zone,
            s.name,
            State::Open.as_str(),
            s.since,
            s.monitors,
            s.usual_per_day,
            cause_text(&s.cause),
            s.opened_at
        ],
    )
}

fn cause_text(cause: &[String]) -> Option<String> {
    (!cause.is_empty()).then(|| cause.join(", "))
}

/// An open silence as it now reads: its cause, usual pace and monitors.
pub fn update(db: &Db<'_>, s: &Silence) -> Result<(), StoreError> {
    db.execute(
        "UPDATE silences SET cause = ?2, usual_per_day = ?3, monitors = ?4
         WHERE id = ?1 AND state = 'open'",
        args![s.id, cause_text(&s.cause), s.usual_per_day, s.monitors],
    )?;
    Ok(())
}

/// Closes silence `id`: a sign of life came at `back_at`; `false` if it was not open.
pub fn close(db: &Db<'_>, id: i64, back_at: Option<i64>, now: i64) -> Result<bool, StoreError> {
    let n = db.execute(
        "UPDATE silences SET state = 'closed', closed_at = ?3, back_at = ?2
             WHERE id = ?1 AND state = 'open'",
        args![id, back_at, now],
    )?;
    Ok(n == 1)
}

/// The oldest sign an open silence's pace still needs: its start less the history.
pub fn oldest_needed(db: &Db<'_>, history_ms: i64) -> Result<Option<i64>, StoreError> {
    db.value(
        "SELECT min(since) - ?1 FROM silences WHERE state = 'open'",
        args![history_ms],
    )
}

/// The open silences.
pub fn open_ones(db: &Db<'_>) -> Result<Vec<Silence>, StoreError> {
    let sql = format!("SELECT {SILENCE_COLUMNS} FROM silences WHERE state = 'open' ORDER BY id");
    db.query_map(&sql, args![], silence_row)
}

/// Silences, newest first: the open ones and those closed after `closed_after`.
pub fn list(db: &Db<'_>, closed_after: i64, limit: u32) -> Result<Vec<Silence>, StoreError> {
    let sql = format!(
        "SELECT {SILENCE_COLUMNS} FROM silences
         WHERE state = 'open' OR closed_at >= ?1 ORDER BY opened_at DESC, id DESC LIMIT ?2"
    );
    db.query_map(&sql, args![closed_after, limit], silence_row)
}

/// One silence.
pub fn get(db: &Db<'_>, id: i64) -> Result<Option<Silence>, StoreError> {
    let sql = format!("SELECT {SILENCE_COLUMNS} FROM silences WHERE id = ?1");
    db.query_opt(&sql, args![id], silence_row)
}
