//! Queries of the alerting stage: incidents' alert state, zones' subscribers, alerts sent,
//! acknowledgements, and the incidents due an update or an escalation.

use std::collections::HashSet;

use super::StoreError;
use super::db::{Db, ToArg, args};

/// An incident's alerting state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertState {
    pub status: String,
    /// Coordinators' review: new, verified, dismissed, closed.
    pub review: String,
    /// When its first report was filed.
    pub created_at: i64,
    pub severity: Option<u8>,
    /// 0: never alerted.
    pub version: i64,
    /// JSON of what the last version said.
    pub alerted: Option<String>,
    pub first_alert_at: Option<i64>,
    pub last_alert_at: Option<i64>,
    pub escalation: i64,
    pub acked_at: Option<i64>,
    /// A change worth an update waits for the end of the interval.
    pub update_due: bool,
    /// Region, cercle, commune of its most precise report.
    pub chain: [String; 3],
}

impl AlertState {
    /// Still to alert about: open, and neither dismissed nor closed by a coordinator.
    pub fn live(&self) -> bool {
        self.status == "open" && !matches!(self.review.as_str(), "dismissed" | "closed")
    }
}

pub fn state(db: &Db<'_>, incident: i64) -> Result<Option<AlertState>, StoreError> {
    let row = db.query_opt(
        "SELECT status, severity, version, alerted, first_alert_at, last_alert_at,
                    escalation, acked_at, created_at, update_due, review
             FROM incidents WHERE id = ?1",
        args![incident],
        |r| {
            Ok(AlertState {
                status: r.get(0)?,
                severity: r.get(1)?,
                version: r.get(2)?,
                alerted: r.get(3)?,
                first_alert_at: r.get(4)?,
                last_alert_at: r.get(5)?,
                escalation: r.get(6)?,
                acked_at: r.get(7)?,
                created_at: r.get(8)?,
                update_due: r.get(9)?,
                review: r.get(10)?,
                chain: Default::default(),
            })
        },
    )?;
    let Some(mut state) = row else {
        return Ok(None);
    };
    if let Some(chain) = chain_of(db, incident)? {
        state.chain = chain;
    }
    Ok(Some(state))
}

/// The incident's admin chain: a coordinator's corrected place's, else that of its most
/// precise report.
fn chain_of(db: &Db<'_>, incident: i64) -> Result<Option<[String; 3]>, StoreError> {
    let chain: Option<String> = db.value(
        "SELECT coalesce(
                 (SELECT corrected ->> '$.place.chain' FROM incidents WHERE id = ?1),
                 (SELECT coalesce(admin1, '') || '/' || coalesce(admin2, '') || '/'
                         || coalesce(admin3, '')
                  FROM reports WHERE incident_id = ?1 AND status = 'filed'
                  ORDER BY precision DESC, id LIMIT 1))",
        args![incident],
    )?;
    Ok(chain.as_deref().map(super::chain_of))
}

/// A contact attached to a zone, who may be alerted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    /// `None` for a number subscribed in a zone's definition.
    pub contact_id: Option<i64>,
    pub phone: String,
    pub language: Option<String>,
    /// Category codes wanted; empty: all.
    pub categories: Vec<String>,
    pub min_severity: Option<u8>,
    /// The zone (folded) they are attached through.
    pub zone: String,
}

/// Active, not opted-out responders and coordinators attached to any of `zones`.
pub fn subscribers(db: &Db<'_>, zones: &[String]) -> Result<Vec<Subscriber>, StoreError> {
    if zones.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; zones.len()].join(", ");
    let sql = format!(
        "SELECT c.id, c.phone, c.language, c.categories, c.min_severity, z.zone
         FROM contact_zones z JOIN contacts c ON c.id = z.contact_id
         WHERE z.zone IN ({marks}) AND c.active = 1 AND c.opted_out = 0
           AND (';' || c.roles || ';' LIKE '%;responder;%'
                OR ';' || c.roles || ';' LIKE '%;coordinator;%')"
    );
    let list: Vec<&dyn ToArg> = zones.iter().map(|z| z as &dyn ToArg).collect();
    db.query_map(&sql, &list, |r| {
        Ok(Subscriber {
            contact_id: r.get(0)?,
            phone: r.get(1)?,
            language: r.get(2)?,
            categories: super::list_of(&r.get::<String>(3)?),
            min_severity: r.get(4)?,
            zone: r.get(5)?,
        })
    })
}

/// Someone to send an alert to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub phone: String,
    pub contact_id: Option<i64>,
    pub language: Option<String>,
}

impl From<&Subscriber> for Recipient {
    fn from(s: &Subscriber) -> Self {
        Self {
            phone: s.phone.clone(),
            contact_id: s.contact_id,
            language: s.language.clone(),
        }
    }
}

/// Everyone sent anything at escalation `level` (0: alerts and updates) about the
/// incident and still active, in their language now (else the one they were written in).
pub fn alerted(db: &Db<'_>, incident: i64, level: i64) -> Result<Vec<Recipient>, StoreError> {
    db.query_map(
        "SELECT a.phone, max(a.contact_id), coalesce(max(c.language), max(a.language))
         FROM alerts a LEFT JOIN contacts c ON c.phone = a.phone
         WHERE a.incident_id = ?1 AND a.level = ?2 AND coalesce(c.active, 1) = 1
         GROUP BY a.phone",
        args![incident, level],
        |r| {
            Ok(Recipient {
                phone: r.get(0)?,
                contact_id: r.get(1)?,
                language: r.get(2)?,
            })
        },
    )
}

/// Numbers already sent this version of the incident's alert at this level.
pub fn sent_version(
    db: &Db<'_>,
    incident: i64,
    version: i64,
    level: i64,
) -> Result<HashSet<String>, StoreError> {
    let phones: Vec<String> = db.query_map(
        "SELECT phone FROM alerts WHERE incident_id = ?1 AND version = ?2 AND level = ?3",
        args![incident, version, level],
        |r| r.get(0),
    )?;
    Ok(phones.into_iter().collect())
}

/// Whether `phone` was sent anything about the incident.
pub fn was_alerted(db: &Db<'_>, incident: i64, phone: &str) -> Result<bool, StoreError> {
    Ok(db
        .query_opt(
            "SELECT 1 FROM alerts WHERE incident_id = ?1 AND phone = ?2 LIMIT 1",
            args![incident, phone],
            |_| Ok(()),
        )?
        .is_some())
}

/// One alert sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub incident_id: i64,
    pub version: i64,
    pub phone: String,
    pub contact_id: Option<i64>,
    /// The language it was written in.
    pub language: String,
    pub kind: &'static str,
    pub level: i64,
    pub outbound_id: Option<i64>,
}

/// Records alerts; one already recorded (same version, level and number) is left alone.
pub fn record(db: &Db<'_>, sent: &[Sent], now: i64) -> Result<(), StoreError> {
    for s in sent {
        db.execute(
            "INSERT INTO alerts
            (incident_id, version, phone, contact_id, language, kind, level, outbound_id,
             created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT DO NOTHING",
            args![
                s.incident_id,
                s.version,
                s.phone,
                s.contact_id,
                s.language,
                s.kind,
                s.level,
                s.outbound_id,
                now
            ],
        )?;
    }
    Ok(())
}

/// A new version was sent: what it said, when, and when it escalates if unanswered.
pub fn set_alerted(
    db: &Db<'_>,
    incident: i64,
    version: i64,
    said: &str,
    now: i64,
    escalate_at: Option<i64>,
) -> Result<(), StoreError> {
    db.execute(
        "UPDATE incidents SET version = ?2, alerted = ?3, last_alert_at = ?4,
             first_alert_at = coalesce(first_alert_at, ?4), update_due = 0,
             escalate_at = CASE WHEN acked_at IS NULL THEN coalesce(escalate_at, ?5) END
         WHERE id = ?1",
        args![incident, version, said, now, escalate_at],
    )?;
    Ok(())
}

pub fn set_update_due(db: &Db<'_>, incident: i64, due: bool) -> Result<(), StoreError> {
    db.execute(
        "UPDATE incidents SET update_due = ?2 WHERE id = ?1",
        args![incident, due],
    )?;
    Ok(())
}

/// Open incidents whose update waited since before `before`.
pub fn due_updates(db: &Db<'_>, before: i64) -> Result<Vec<i64>, StoreError> {
    db.query_map(
        "SELECT id FROM incidents WHERE update_due = 1 AND last_alert_at <= ?1 AND status = 'open'
           AND review NOT IN ('dismissed', 'closed')",
        args![before],
        |r| r.get(0),
    )
}

/// Unacknowledged open incidents past their escalation deadline.
pub fn due_escalations(db: &Db<'_>, now: i64) -> Result<Vec<i64>, StoreError> {
    db.query_map(
        "SELECT id FROM incidents
         WHERE escalate_at <= ?1 AND acked_at IS NULL AND status = 'open'
           AND review NOT IN ('dismissed', 'closed')",
        args![now],
        |r| r.get(0),
    )
}

/// Escalation reached `level`; the next one is due at `next` (`None`: none is).
pub fn set_escalated(
    db: &Db<'_>,
    incident: i64,
    level: i64,
    next: Option<i64>,
) -> Result<(), StoreError> {
    db.execute(
        "UPDATE incidents SET escalation = ?2, escalate_at = ?3 WHERE id = ?1",
        args![incident, level, next],
    )?;
    Ok(())
}

/// Records an acknowledgement; returns whether it is the incident's first (which stops
/// its escalation).
pub fn acknowledge(
    db: &Db<'_>,
    incident: i64,
    phone: &str,
    contact_id: Option<i64>,
    now: i64,
) -> Result<bool, StoreError> {
    db.execute(
        "INSERT INTO acknowledgements (incident_id, phone, contact_id, at)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT DO NOTHING",
        args![incident, phone, contact_id, now],
    )?;
    let first = db.execute(
        "UPDATE incidents SET acked_at = ?2, escalate_at = NULL
             WHERE id = ?1 AND acked_at IS NULL",
        args![incident, now],
    )?;
    Ok(first == 1)
}

/// Reporters of the incident's filed reports to tell it was taken up: not the discreet
/// ones, nor those who sent STOP; with their language.
pub fn reporters_to_tell(db: &Db<'_>, incident: i64) -> Result<Vec<(String, String)>, StoreError> {
    db.query_map(
        "SELECT r.reporter, coalesce(c.language, min(r.language))
         FROM reports r LEFT JOIN contacts c ON c.phone = r.reporter
         WHERE r.incident_id = ?1 AND r.status = 'filed' AND coalesce(c.discreet, 0) = 0
           AND coalesce(c.opted_out, 0) = 0
         GROUP BY r.reporter, c.language",
        args![incident],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// Whether `phone` filed a report of the incident.
pub fn reported(db: &Db<'_>, incident: i64, phone: &str) -> Result<bool, StoreError> {
    Ok(db
        .query_opt(
            "SELECT 1 FROM reports WHERE incident_id = ?1 AND reporter = ?2 AND status = 'filed'",
            args![incident, phone],
            |_| Ok(()),
        )?
        .is_some())
}

/// A coordinator's review; a dismissed or closed incident escalates no more. `false` if
/// there is no such incident.
pub fn review(
    db: &Db<'_>,
    incident: i64,
    review: &str,
    note: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let n = db.execute(
        "UPDATE incidents SET review = ?2, review_note = ?3, reviewed_at = ?4,
                 escalate_at = CASE WHEN ?2 IN ('dismissed', 'closed') THEN NULL
                                    ELSE escalate_at END
             WHERE id = ?1",
        args![incident, review, note, now],
    )?;
    Ok(n == 1)
}
