//! Incidents for other tools, with the list's filters: `GET /api/incidents.geojson` (QGIS)
//! and `GET /api/incidents.csv` (spreadsheets). No phone number is ever exported; a viewer
//! sees places as `as_seen` shows them, as everywhere in the API.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::auth::Viewer;
use super::incidents::select;
use super::{ApiError, AppState};
use crate::access::{Caller, Role};
use crate::clock::to_rfc3339;
use crate::gazetteer::Gazetteer;
use crate::parse::COUNT_FIELDS;
use crate::store::incident_views::IncidentView;
use crate::text::fold;

/// `GET /api/incidents.geojson`: a FeatureCollection of points.
pub(super) async fn geojson(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
    Query(query): Query<HashMap<String, String>>,
) -> Result<impl IntoResponse, ApiError> {
    let features: Vec<Value> = seen(&state, &caller, &query)
        .await?
        .iter()
        .map(feature)
        .collect();
    let body = json!({ "type": "FeatureCollection", "features": features });
    Ok((
        [(header::CONTENT_TYPE, "application/geo+json")],
        body.to_string(),
    ))
}

/// `GET /api/incidents.csv`: one line per incident, counts in columns.
pub(super) async fn csv(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
    Query(query): Query<HashMap<String, String>>,
) -> Result<impl IntoResponse, ApiError> {
    let found = seen(&state, &caller, &query).await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let counts = COUNT_FIELDS.iter().map(|(f, _)| *f);
    let head = [
        "id",
        "status",
        "review",
        "category",
        "first_time",
        "last_time",
        "place",
    ];
    let tail = [
        "region",
        "cercle",
        "commune",
        "lat",
        "lon",
        "precision",
        "sources",
    ];
    let header: Vec<&str> = head
        .into_iter()
        .chain(tail)
        .chain(["severity"])
        .chain(counts)
        .collect();
    let failed = |e: csv::Error| ApiError::BadRequest(format!("cannot write CSV: {e}"));
    out.write_record(&header).map_err(failed)?;
    for i in &found {
        out.write_record(record(i)).map_err(failed)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], bytes))
}

/// The incidents the query selects, as the caller may see them (any token).
async fn seen(
    state: &AppState,
    caller: &Caller,
    query: &HashMap<String, String>,
) -> Result<Vec<IncidentView>, ApiError> {
    let (found, _) = select(state, caller, query).await?;
    let gazetteer = &state.intake.reports().gazetteer;
    Ok(found
        .iter()
        .map(|i| as_seen(i, caller, gazetteer))
        .collect())
}

/// The incident as the caller may see it: a viewer gets a point reported in a village
/// moved to its commune (where an incident is exactly can expose who reported it).
pub(super) fn as_seen(
    incident: &IncidentView,
    caller: &Caller,
    gazetteer: &Gazetteer,
) -> IncidentView {
    if caller.role > Role::Viewer || incident.precision < 3 {
        return incident.clone();
    }
    let (lat, lon, place_name) = unit_of(incident, gazetteer).unwrap_or_else(|| {
        // No unit known around it: a tenth of a degree (about 11 km) is all a viewer gets.
        let round = |x: f64| (x * 10.0).round() / 10.0;
        (round(incident.lat), round(incident.lon), String::new())
    });
    IncidentView {
        lat,
        lon,
        place_name,
        precision: 2,
        ..incident.clone()
    }
}

/// The commune (else cercle, else region) the incident lies in: where and its name.
fn unit_of(incident: &IncidentView, gazetteer: &Gazetteer) -> Option<(f64, f64, String)> {
    let chain = incident.chain.clone().map(|n| fold(&n));
    (1..=3).rev().find_map(|level| {
        let name = &chain[level - 1];
        gazetteer.named(name).iter().find_map(|&r| {
            let p = gazetteer.place(r);
            let same =
                p.kind.level() == level && (1..=level).all(|l| fold(p.admin(l)) == chain[l - 1]);
            same.then(|| (p.lat, p.lon, p.label(1)))
        })
    })
}

fn feature(i: &IncidentView) -> Value {
    json!({
        "type": "Feature",
        "id": i.id,
        "geometry": { "type": "Point", "coordinates": [i.lon, i.lat] },
        "properties": {
            "id": i.id,
            "status": i.status,
            "review": i.review,
            "category": i.category,
            "first_time": to_rfc3339(i.first_time),
            "last_time": to_rfc3339(i.last_time),
            "place": i.place_name,
            "region": i.chain[0],
            "cercle": i.chain[1],
            "commune": i.chain[2],
            "sources": i.sources,
            "severity": i.severity,
            "counts": i.counts,
        },
    })
}

fn record(i: &IncidentView) -> Vec<String> {
    let time = |ms: i64| to_rfc3339(ms).unwrap_or_default();
    let count = |field: &str| match &i.counts[field] {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut fields = vec![
        i.id.to_string(),
        i.status.clone(),
        i.review.clone(),
        i.category.clone(),
        time(i.first_time),
        time(i.last_time),
        i.place_name.clone(),
        i.chain[0].clone(),
        i.chain[1].clone(),
        i.chain[2].clone(),
        format!("{:.5}", i.lat),
        format!("{:.5}", i.lon),
        i.precision.to_string(),
        i.sources.to_string(),
        i.severity.map(|s| s.to_string()).unwrap_or_default(),
    ];
    fields.extend(COUNT_FIELDS.iter().map(|(f, _)| count(f)));
    fields
}
