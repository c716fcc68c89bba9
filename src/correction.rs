//! Corrections: a coordinator corrects an incident's category, place or counts within
//! their zones (where it is, and where it would be). The correction stands over what the
//! reports say, later reports included; the reports stay as sent. Audited with the values
//! before and after; responders get an update as for any change. Called by the API and the
//! console alike.

use std::sync::Arc;

use crate::store::db::Db;
use serde_json::{Map, Value, json};

use crate::access::Caller;
use crate::fanout::{Fanout, Tx, Whereabouts};
use crate::gazetteer::{Found, FoundBy, Near, Resolution};
use crate::incident::fuse::{CorrectedPlace, Correction, Incident};
use crate::intake::Intake;
use crate::intake::record::spot_of;
use crate::keywords::Category;
use crate::outbound::Outbound;
use crate::parse::{Count, Counts};
use crate::reports::{Reports, counts_json};
use crate::store::{Store, StoreError, audit, incident_views};
use crate::text::fold;

/// Notes are kept to this many characters.
const NOTE_CHARS: usize = 1000;

/// Why a correction was not made.
#[derive(Debug, thiserror::Error)]
pub enum CorrectionError {
    /// A value that cannot be used, named with its field.
    #[error("{0}")]
    Invalid(String),
    #[error("no incident {0}")]
    NoIncident(i64),
    #[error("incident {0} was withdrawn by its reporters")]
    Withdrawn(i64),
    #[error("incident {0} or its new place is outside this token's zones")]
    OutsideZones(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A correction as asked for: each part optional.
#[derive(Debug, Clone, Default)]
pub struct Asking {
    pub category: Option<String>,
    /// A gazetteer id or a name that resolves to one place.
    pub place: Option<String>,
    /// Every count as it should read: a number or `"several"`; a count left out is unknown.
    pub counts: Option<Map<String, Value>>,
    pub note: Option<String>,
}

/// What correcting needs.
#[derive(Debug, Clone)]
pub struct Corrections {
    pub store: Store,
    pub intake: Arc<Intake>,
    pub outbound: Arc<Outbound>,
}

impl Corrections {
    /// Corrects incident `id`: what it says after.
    pub async fn correct(
        &self,
        caller: &Caller,
        id: i64,
        asking: Asking,
    ) -> Result<Value, CorrectionError> {
        let reports = self.intake.reports();
        let correction = Correction {
            category: asking.category.as_deref().map(category).transpose()?,
            place: asking
                .place
                .as_deref()
                .map(|p| place(reports, p))
                .transpose()?,
            counts: asking.counts.as_ref().map(counts).transpose()?,
        };
        if correction.is_empty() {
            return Err(CorrectionError::Invalid(
                "nothing to correct: give a category, a place or counts".into(),
            ));
        }
        let asked = Asked {
            id,
            caller: caller.clone(),
            correction,
            note: asking
                .note
                .unwrap_or_default()
                .chars()
                .take(NOTE_CHARS)
                .collect(),
        };
        let (intake, outbound) = (self.intake.clone(), self.outbound.clone());
        let now = self.store.now_ms();
        self.store
            .write(move |conn| apply(conn, &intake, &outbound, &asked, now))
            .await?
    }
}

/// A correction as asked for, checked.
#[derive(Debug)]
struct Asked {
    id: i64,
    caller: Caller,
    correction: Correction,
    note: String,
}

/// In the write transaction, so the zones checked are the incident's as it is corrected:
/// the correction, its audit entry and the update to responders; a refusal writes nothing.
fn apply(
    conn: &Db<'_>,
    intake: &Intake,
    outbound: &Outbound,
    asked: &Asked,
    now: i64,
) -> Result<Result<Value, CorrectionError>, StoreError> {
    let id = asked.id;
    let fanout = intake.fanout();
    if let Some(refusal) = refusal(conn, fanout, asked)? {
        return Ok(Err(refusal));
    }
    let rules = &intake.reports().severity;
    let corrected = crate::incident::correct(conn, id, asked.correction.clone(), rules, now)?;
    let Some((before, after)) = corrected else {
        return Ok(Err(CorrectionError::NoIncident(id)));
    };
    if before == after {
        return Ok(Ok(shown(&after)));
    }
    let detail = json!({ "before": shown(&before), "after": shown(&after), "note": asked.note });
    let subject = format!("incident {id}");
    audit::append(
        conn,
        &asked.caller.who,
        "incident.correct",
        &subject,
        &detail,
        now,
    )?;
    let tx = Tx {
        conn,
        outbound,
        now,
    };
    fanout.after_correction(&tx, id)?;
    Ok(Ok(shown(&after)))
}

/// Why the correction may not be made: no such incident, a withdrawn one, or outside the
/// token's zones (where it is, or where it would be).
fn refusal(
    conn: &Db<'_>,
    fanout: &Fanout,
    asked: &Asked,
) -> Result<Option<CorrectionError>, StoreError> {
    let id = asked.id;
    let Some(view) = incident_views::one(conn, id)? else {
        return Ok(Some(CorrectionError::NoIncident(id)));
    };
    if view.status == "withdrawn" {
        return Ok(Some(CorrectionError::Withdrawn(id)));
    }
    let new_place = asked.correction.place.as_ref().map(place_whereabouts);
    let outside = std::iter::once(Whereabouts::of_incident(&view))
        .chain(new_place)
        .any(|at| !asked.caller.covers(fanout.zones_of(&at).into_iter()));
    Ok(outside.then_some(CorrectionError::OutsideZones(id)))
}

/// What a correction may change, as the audit log and the answer show it.
fn shown(i: &Incident) -> Value {
    json!({
        "category": i.category.code(),
        "place": i.spot.name,
        "counts": counts_json(&i.counts()),
    })
}

fn place_whereabouts(place: &CorrectedPlace) -> Whereabouts {
    Whereabouts {
        lat: place.spot.lat,
        lon: place.spot.lon,
        chain: crate::store::chain_of(&place.chain).map(|n| fold(&n)),
    }
}

fn category(code: &str) -> Result<Category, CorrectionError> {
    Category::ALL
        .into_iter()
        .find(|c| c.code().eq_ignore_ascii_case(code.trim()))
        .ok_or_else(|| {
            let codes: Vec<&str> = Category::ALL.iter().map(|c| c.code()).collect();
            CorrectionError::Invalid(format!(
                "category: `{code}` is not one of {}",
                codes.join(", ")
            ))
        })
}

/// A gazetteer id, or a name that resolves to one place.
fn place(reports: &Reports, given: &str) -> Result<CorrectedPlace, CorrectionError> {
    let gazetteer = &reports.gazetteer;
    let row = match gazetteer.by_id(given.trim()) {
        Some(row) => row,
        None => match gazetteer.resolve(&fold(given), None, Near::default()) {
            Resolution::One(row) => row,
            Resolution::Several(rows) => {
                let ids: Vec<String> = rows
                    .iter()
                    .map(|&r| format!("{} {}", gazetteer.place(r).id, gazetteer.place(r).label(3)))
                    .collect();
                return Err(CorrectionError::Invalid(format!(
                    "place: `{given}` names several places; give one's id: {}",
                    ids.join("; ")
                )));
            }
            Resolution::None => {
                return Err(CorrectionError::Invalid(format!(
                    "place: no place `{given}` in the gazetteer"
                )));
            }
        },
    };
    let found = Found {
        place: row,
        found_by: FoundBy::Text,
        point: None,
    };
    let p = gazetteer.place(row);
    Ok(CorrectedPlace {
        spot: spot_of(reports, &found),
        chain: format!("{}/{}/{}", p.admin1, p.admin2, p.admin3),
    })
}

/// Counts as `{"killed": 4, "abducted": "several"}`.
fn counts(given: &Map<String, Value>) -> Result<Counts, CorrectionError> {
    let mut counts = Counts::default();
    for (field, value) in given {
        let count = match value {
            Value::Null => None,
            Value::String(s) if s == "several" => Some(Count::Several),
            Value::Number(n) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Count::Exact),
            _ => None,
        };
        let count = match (value, count) {
            (Value::Null, _) | (_, Some(_)) => count,
            _ => {
                return Err(CorrectionError::Invalid(format!(
                    "counts.{field}: a whole number or \"several\""
                )));
            }
        };
        let slot = match field.as_str() {
            "killed" => &mut counts.killed,
            "injured" => &mut counts.injured,
            "abducted" => &mut counts.abducted,
            "displaced" => &mut counts.displaced,
            "households" => &mut counts.households,
            "livestock" => &mut counts.livestock,
            other => {
                return Err(CorrectionError::Invalid(format!(
                    "counts: `{other}` is not killed, injured, abducted, displaced, households or livestock"
                )));
            }
        };
        *slot = count;
    }
    Ok(counts)
}
