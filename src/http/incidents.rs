//! `GET /api/incidents` (filtered, paginated, newest first) and `GET /api/incidents/{id}`
//! with its reports, alerts, deliveries and acknowledgements, for any token; a token
//! limited to zones sees the incidents in them only. Reporters' and responders' numbers
//! are shown to admins only; anyone else sees pseudonyms and contact ids.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use serde_json::{Value, json};

use super::api::page;
use super::auth::Viewer;
use super::exports::as_seen;
use super::{ApiError, AppState};
use crate::access::{Caller, Role};
use crate::clock::to_rfc3339;
use crate::fanout::Whereabouts;
use crate::keywords::Category;
use crate::privacy::Pseudonyms;
use crate::store::incident_views::{self as queries, AlertView, Filter, IncidentView, ReportView};

/// Rows read per round while filtering by zone...
const ZONE_SCAN: u32 = 500;
/// ...and rounds per request: past them the page ends early, with `next_before` to go on.
const ZONE_ROUNDS: usize = 20;

/// `GET /api/incidents?since=&until=&category=&zone=&status=&review=&min_severity=&limit=&before=`
/// (`review=verified,closed`: either)
pub(super) async fn list(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let (found, next) = select(&state, &caller, &query).await?;
    let gazetteer = &state.intake.reports().gazetteer;
    let incidents: Vec<Value> = found
        .iter()
        .map(|i| incident_json(&as_seen(i, &caller, gazetteer)))
        .collect();
    Ok(Json(json!({ "incidents": incidents, "next_before": next })))
}

/// The incidents the query asks for and the caller may see, newest first, and the id to
/// go on below (`before`) when there may be more.
pub(super) async fn select(
    state: &AppState,
    caller: &Caller,
    query: &HashMap<String, String>,
) -> Result<(Vec<IncidentView>, Option<i64>), ApiError> {
    let (limit, before) = page(query)?;
    let mut filter = filter(query)?;
    filter.before = before;
    let fanout = state.intake.fanout();
    let zone = query
        .get("zone")
        .map(|z| fanout.zone_names().key(z))
        .transpose()
        .map_err(|e| ApiError::Invalid(format!("zone: {e}")))?;
    let wanted = |i: &IncidentView| {
        let around = fanout.zones_of(&Whereabouts::of_incident(i));
        zone.as_deref()
            .is_none_or(|z| around.iter().any(|k| k == z))
            && caller.covers(around.into_iter())
    };
    let scan = zone.is_some() || !caller.zones.is_empty();
    let mut found = Vec::new();
    for _ in 0..ZONE_ROUNDS {
        filter.limit = if scan { ZONE_SCAN } else { limit };
        let f = filter.clone();
        let rows = state.store.read(move |c| queries::list(c, &f)).await?;
        let done = u32::try_from(rows.len()).unwrap_or(u32::MAX) < filter.limit;
        filter.before = rows.last().map(|r| r.id);
        found.extend(rows.into_iter().filter(|r| wanted(r)));
        if done {
            filter.before = None;
            break;
        }
        if found.len() >= limit as usize {
            break;
        }
    }
    found.truncate(limit as usize);
    let next = match found.get(limit as usize - 1) {
        Some(last) => Some(last.id),
        None => filter.before,
    };
    Ok((found, next))
}

/// `GET /api/incidents/{id}`
pub(super) async fn one(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({ "incident": detail(&state, &caller, id).await? }),
    ))
}

/// The incident with its reports, alerts and acknowledgements, as the caller may see it:
/// 404 if there is none, 403 outside the caller's zones.
pub(super) async fn detail(state: &AppState, caller: &Caller, id: i64) -> Result<Value, ApiError> {
    let admin = caller.sees_numbers();
    let found = state
        .store
        .read(move |c| {
            let Some(incident) = queries::one(c, id)? else {
                return Ok(None);
            };
            let reports = queries::reports(c, id)?;
            let alerts = queries::alerts(c, id)?;
            let acks = queries::acknowledgements(c, id)?;
            Ok(Some((incident, reports, alerts, acks)))
        })
        .await?;
    let (incident, reports, alerts, acks) =
        found.ok_or_else(|| ApiError::NotFound(format!("no incident {id}")))?;
    let zones = state
        .intake
        .fanout()
        .zones_of(&Whereabouts::of_incident(&incident));
    if !caller.covers(zones.into_iter()) {
        return Err(ApiError::Forbidden(format!(
            "incident {id} is outside this token's zones"
        )));
    }
    let mut body = incident_json(&as_seen(
        &incident,
        caller,
        &state.intake.reports().gazetteer,
    ));
    let shown = Shown {
        admin,
        places: caller.role > Role::Viewer,
        pseudonyms: &state.pseudonyms,
    };
    body["reports"] = reports.iter().map(|r| shown.report(r)).collect();
    body["alerts"] = alerts.iter().map(|a| shown.alert(a)).collect();
    body["acknowledgements"] = acks
        .iter()
        .map(|(phone, contact, at)| {
            json!({
                "by": if admin { json!(phone) } else { json!(contact) },
                "contact_id": contact,
                "at": to_rfc3339(*at),
            })
        })
        .collect();
    Ok(body)
}

/// How reporters are shown to this caller.
pub(super) struct Shown<'a> {
    /// Phone numbers (else pseudonyms and contact ids).
    pub admin: bool,
    /// Each report's own place (a viewer sees the incident's, at its commune, only).
    pub places: bool,
    pub pseudonyms: &'a Pseudonyms,
}

impl Shown<'_> {
    /// An alert sent: to a number for admins, to a contact id for others.
    fn alert(&self, a: &AlertView) -> Value {
        json!({
            "to": if self.admin { json!(a.phone) } else { json!(a.contact_id) },
            "contact_id": a.contact_id,
            "kind": a.kind,
            "version": a.version,
            "level": a.level,
            "created_at": to_rfc3339(a.created_at),
            "message_id": a.outbound_id,
            "delivery": a.delivery,
        })
    }

    pub(super) fn report(&self, r: &ReportView) -> Value {
        let reporter = if self.admin {
            r.reporter.clone()
        } else {
            self.pseudonyms.of(&r.reporter)
        };
        json!({
            "id": r.id,
            "reporter": reporter,
            "status": r.status,
            "unverified": r.unverified,
            "category": r.category,
            "place": if self.places { json!(r.place_name) } else { Value::Null },
            "counts": r.counts,
            "event_time": to_rfc3339(r.event_time),
            "severity": r.severity,
            "received_at": to_rfc3339(r.created_at),
            // Coordinators weigh such a report; a viewer is not told who is threatened.
            "under_duress": self.places.then_some(r.duress),
        })
    }
}

pub(super) fn incident_json(i: &IncidentView) -> Value {
    json!({
        "id": i.id,
        "status": i.status,
        "category": i.category,
        "first_time": to_rfc3339(i.first_time),
        "last_time": to_rfc3339(i.last_time),
        "place": i.place_name,
        "admin": i.chain,
        "lat": i.lat,
        "lon": i.lon,
        "precision": i.precision,
        "sources": i.sources,
        "severity": i.severity,
        "counts": i.counts,
        "alert_version": i.version,
        "first_alert_at": i.first_alert_at.and_then(to_rfc3339),
        "acknowledged_at": i.acked_at.and_then(to_rfc3339),
        "escalation_level": i.escalation,
        "review": i.review,
        "review_note": i.review_note,
        "counts_range": counts_range(i),
        "reviewed_at": i.reviewed_at.and_then(to_rfc3339),
        "created_at": to_rfc3339(i.created_at),
        "updated_at": to_rfc3339(i.updated_at),
    })
}

/// Each count the reports disagree on, as `low–high` (`3–5`): the fused count is the
/// highest, and a coordinator should see that another said less.
fn counts_range(i: &IncidentView) -> Value {
    let (Some(low), Some(high)) = (i.counts_low.as_object(), i.counts_high.as_object()) else {
        return json!({});
    };
    let ranges: serde_json::Map<String, Value> = high
        .iter()
        .filter_map(|(field, high)| {
            let low = low.get(field)?;
            (low != high && !low.is_null() && !high.is_null()).then(|| {
                (
                    field.clone(),
                    json!(format!("{low}–{high}").replace('"', "")),
                )
            })
        })
        .collect();
    Value::Object(ranges)
}

fn filter(query: &HashMap<String, String>) -> Result<Filter, ApiError> {
    let time = |name: &str| -> Result<Option<i64>, ApiError> {
        query
            .get(name)
            .map(|t| {
                chrono::DateTime::parse_from_rfc3339(t)
                    .map(|t| t.timestamp_millis())
                    .or_else(|_| t.parse::<i64>())
                    .map_err(|_| {
                        ApiError::BadRequest(format!(
                            "{name}: an RFC 3339 time (2026-11-23T08:00:00Z) or unix ms"
                        ))
                    })
            })
            .transpose()
    };
    let status = query.get("status").cloned();
    if let Some(s) = status
        .as_deref()
        .filter(|s| !["open", "withdrawn"].contains(s))
    {
        return Err(ApiError::BadRequest(format!(
            "status must be open or withdrawn, not `{s}`"
        )));
    }
    let review = query.get("review").cloned();
    // `review=verified,closed`: any of them.
    if let Some(r) = review.as_deref().and_then(|r| {
        r.split(',')
            .find(|r| !["new", "verified", "dismissed", "closed"].contains(r))
    }) {
        return Err(ApiError::BadRequest(format!(
            "review must be new, verified, dismissed or closed (or several, comma-separated), not `{r}`"
        )));
    }
    let min_severity = query
        .get("min_severity")
        .map(|s| s.parse::<u8>().ok().filter(|s| (1..=5).contains(s)))
        .map(|s| s.ok_or_else(|| ApiError::BadRequest("min_severity must be 1 to 5".into())))
        .transpose()?;
    Ok(Filter {
        since: time("since")?,
        until: time("until")?,
        category: query.get("category").map(|c| category(c)).transpose()?,
        status,
        review,
        min_severity,
        before: None,
        limit: 0,
    })
}

/// A category filter: one of the codes, in any case.
fn category(given: &str) -> Result<String, ApiError> {
    Category::ALL
        .into_iter()
        .map(Category::code)
        .find(|code| code.eq_ignore_ascii_case(given.trim()))
        .map(str::to_owned)
        .ok_or_else(|| {
            let codes: Vec<&str> = Category::ALL.into_iter().map(Category::code).collect();
            ApiError::BadRequest(format!("category must be one of {}", codes.join(", ")))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_admins_see_reporters_as_pseudonyms() {
        let pseudonyms = Pseudonyms::new("k");
        let report = ReportView {
            id: 1,
            reporter: "+22376123456".into(),
            status: "filed".into(),
            unverified: false,
            category: "ATT".into(),
            place_name: Some("Koro".into()),
            counts: json!({}),
            event_time: 0,
            severity: Some(3),
            duress: false,
            created_at: 0,
        };
        let viewer = Shown {
            admin: false,
            places: false,
            pseudonyms: &pseudonyms,
        };
        let shown = viewer.report(&report).to_string();
        assert!(!shown.contains("76123456"), "{shown}");
        assert!(shown.contains(&pseudonyms.of("+22376123456")), "{shown}");
        assert!(
            !shown.contains("Koro"),
            "a viewer sees no report's place: {shown}"
        );
        let admin = Shown {
            admin: true,
            places: true,
            pseudonyms: &pseudonyms,
        };
        assert!(admin.report(&report).to_string().contains("+22376123456"));
    }
}
