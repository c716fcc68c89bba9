//! `PATCH /api/incidents/{id}` (`{"category", "place", "counts", "note"}`, each optional):
//! a coordinator corrects an incident within the token's zones (the old place and the new
//! one). The correction stands over what the reports say, later reports included; the
//! reports stay as sent. Audited with the values before and after; responders get an
//! update as for any change.

use axum::Json;
use axum::extract::{Path, State};
use rusqlite::Connection;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::auth::Coordinator;
use super::{ApiError, AppState};
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
use crate::store::{StoreError, audit, incident_views};
use crate::text::fold;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CorrectionInput {
    pub category: Option<String>,
    /// A gazetteer id or a name that resolves to one place.
    pub place: Option<String>,
    /// Every count as it should read: a number or `"several"`; a count left out is unknown.
    pub counts: Option<Map<String, Value>>,
    pub note: Option<String>,
}

/// `PATCH /api/incidents/{id}`: the incident's corrected category, place and counts.
pub(super) async fn correct(
    State(state): State<AppState>,
    Coordinator(caller): Coordinator,
    Path(id): Path<i64>,
    Json(input): Json<CorrectionInput>,
) -> Result<Json<Value>, ApiError> {
    let after = corrected(&state, caller, id, input).await?;
    Ok(Json(json!({ "incident": id, "corrected": after })))
}

/// A coordinator's correction of incident `id`, checked, stored, audited; what the
/// incident says after it.
pub(super) async fn corrected(
    state: &AppState,
    caller: Caller,
    id: i64,
    input: CorrectionInput,
) -> Result<Value, ApiError> {
    let reports = state.intake.reports();
    let correction = Correction {
        category: input.category.as_deref().map(category).transpose()?,
        place: input
            .place
            .as_deref()
            .map(|p| place(reports, p))
            .transpose()?,
        counts: input.counts.as_ref().map(counts).transpose()?,
    };
    if correction.is_empty() {
        return Err(ApiError::Invalid(
            "nothing to correct: give a category, a place or counts".into(),
        ));
    }
    let asked = Asked {
        id,
        caller,
        correction,
        note: input.note.unwrap_or_default().chars().take(1000).collect(),
    };
    let (intake, outbound) = (state.intake.clone(), state.outbound.clone());
    let now = state.store.now_ms();
    let (after, channels) = state
        .store
        .write(move |conn| apply(conn, &intake, &outbound, &asked, now))
        .await??;
    for channel in channels {
        state.outbound.wake(&channel);
    }
    Ok(after)
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
    conn: &Connection,
    intake: &Intake,
    outbound: &Outbound,
    asked: &Asked,
    now: i64,
) -> Result<Result<(Value, Vec<String>), ApiError>, StoreError> {
    let id = asked.id;
    let fanout = intake.fanout();
    if let Some(refusal) = refusal(conn, fanout, asked)? {
        return Ok(Err(refusal));
    }
    let rules = &intake.reports().severity;
    let corrected = crate::incident::correct(conn, id, asked.correction.clone(), rules, now)?;
    let Some((before, after)) = corrected else {
        return Ok(Err(ApiError::NotFound(format!("no incident {id}"))));
    };
    if before == after {
        return Ok(Ok((shown(&after), Vec::new())));
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
    let channels = fanout.after_correction(&tx, id)?;
    Ok(Ok((shown(&after), channels)))
}

/// Why the correction may not be made: no such incident, a withdrawn one, or outside the
/// token's zones (where it is, or where it would be).
fn refusal(
    conn: &Connection,
    fanout: &Fanout,
    asked: &Asked,
) -> Result<Option<ApiError>, StoreError> {
    let id = asked.id;
    let Some(view) = incident_views::one(conn, id)? else {
        return Ok(Some(ApiError::NotFound(format!("no incident {id}"))));
    };
    if view.status == "withdrawn" {
        let reason = format!("incident {id} was withdrawn by its reporters");
        return Ok(Some(ApiError::Conflict(reason)));
    }
    let new_place = asked.correction.place.as_ref().map(place_whereabouts);
    let outside = std::iter::once(Whereabouts::of_incident(&view))
        .chain(new_place)
        .any(|at| !asked.caller.covers(fanout.zones_of(&at).into_iter()));
    Ok(outside.then(|| {
        ApiError::Forbidden(format!(
            "incident {id} or its new place is outside this token's zones"
        ))
    }))
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

fn category(code: &str) -> Result<Category, ApiError> {
    Category::ALL
        .into_iter()
        .find(|c| c.code().eq_ignore_ascii_case(code.trim()))
        .ok_or_else(|| {
            let codes: Vec<&str> = Category::ALL.iter().map(|c| c.code()).collect();
            ApiError::Invalid(format!(
                "category: `{code}` is not one of {}",
                codes.join(", ")
            ))
        })
}

/// A gazetteer id, or a name that resolves to one place.
fn place(reports: &Reports, given: &str) -> Result<CorrectedPlace, ApiError> {
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
                return Err(ApiError::Invalid(format!(
                    "place: `{given}` names several places; give one's id: {}",
                    ids.join("; ")
                )));
            }
            Resolution::None => {
                return Err(ApiError::Invalid(format!(
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
fn counts(given: &Map<String, Value>) -> Result<Counts, ApiError> {
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
                return Err(ApiError::Invalid(format!(
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
                return Err(ApiError::Invalid(format!(
                    "counts: `{other}` is not killed, injured, abducted, displaced, households or livestock"
                )));
            }
        };
        *slot = count;
    }
    Ok(counts)
}
