//! The incidents pages: the list with its filters and map, one incident with its timeline,
//! and a coordinator's review. Each reads through the API's own selection and checks
//! (`http::incidents`), so a page shows exactly what the caller's token may see.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::live::live_from;
use super::session::{csrf_of, require_csrf};
use super::{Html, console, language_of, render, whole_page};
use crate::access::{Caller, Role};
use crate::http::auth::{Coordinator, Viewer};
use crate::http::corrections::{CorrectionInput, corrected};
use crate::http::exports::as_seen;
use crate::http::incidents::{detail, incident_json, select};
use crate::http::{ApiError, AppState, review};
use crate::keywords::Category;

/// Rows on a page of the list.
const PAGE: u32 = 50;
/// Points on the map: the newest, enough for a region, never a megabyte.
const MAP_POINTS: u32 = 1000;
/// The time windows offered, in hours.
const WINDOWS: [(&str, i64); 4] = [("1h", 1), ("6h", 6), ("24h", 24), ("7d", 168)];

/// The list's filters, as the page's form sends them.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
pub(super) struct Filters {
    #[serde(default)]
    zone: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    review: String,
    #[serde(default)]
    window: String,
    #[serde(default)]
    before: Option<i64>,
}

impl Filters {
    /// The API's query for these filters (an empty field filters nothing).
    fn query(&self, now: i64, limit: u32) -> Result<HashMap<String, String>, ApiError> {
        let mut query = HashMap::from([("limit".to_owned(), limit.to_string())]);
        for (key, value) in [
            ("zone", &self.zone),
            ("category", &self.category),
            ("status", &self.status),
            ("review", &self.review),
        ] {
            if !value.trim().is_empty() {
                query.insert(key.to_owned(), value.trim().to_owned());
            }
        }
        if !self.window.is_empty() {
            let (_, hours) = WINDOWS
                .iter()
                .find(|(name, _)| *name == self.window)
                .ok_or_else(|| ApiError::BadRequest("window: 1h, 6h, 24h or 7d".into()))?;
            query.insert("since".into(), (now - hours * 3_600_000).to_string());
        }
        if let Some(before) = self.before {
            query.insert("before".into(), before.to_string());
        }
        Ok(query)
    }

    /// The same filters as a query string, for links and live refreshes.
    fn encoded(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("zone", &self.zone),
                ("category", &self.category),
                ("status", &self.status),
                ("review", &self.review),
                ("window", &self.window),
            ])
            .finish()
    }
}

/// `GET /console/incidents`: the list and the map, filtered.
pub(super) async fn incidents(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
    headers: HeaderMap,
    Query(filters): Query<Filters>,
) -> Result<Html, ApiError> {
    let console = console(&state)?;
    let _csrf = csrf_of(&state, &headers).await?;
    let live_from = live_from(&state).await?;
    let rows = rows_of(&state, &caller, &filters).await?;
    let categories: Vec<&str> = Category::ALL.iter().map(|c| c.code()).collect();
    whole_page(
        &state,
        &caller,
        &headers,
        ("incidents.html", "incidents"),
        json!({
            "filters": filters, "query": filters.encoded(),
            "categories": categories, "windows": WINDOWS.map(|(w, _)| w),
            "tiles_url": console.tiles_url, "live_from": live_from,
            "rows": rows,
        }),
    )
    .await
}

/// `GET /console/incidents/rows`: the list's rows alone (what a live update swaps in).
pub(super) async fn rows(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
    headers: HeaderMap,
    Query(filters): Query<Filters>,
) -> Result<Html, ApiError> {
    let console = console(&state)?;
    let rows = rows_of(&state, &caller, &filters).await?;
    let values = json!({ "rows": rows, "query": filters.encoded() });
    render(
        console,
        "incident_rows.html",
        language_of(&headers),
        &values,
    )
}

/// The rows of the list: the incidents as the caller may see them.
async fn rows_of(state: &AppState, caller: &Caller, filters: &Filters) -> Result<Value, ApiError> {
    let query = filters.query(state.store.now_ms(), PAGE)?;
    let (found, next) = select(state, caller, &query).await?;
    let gazetteer = &state.intake.reports().gazetteer;
    let incidents: Vec<Value> = found
        .iter()
        .map(|i| {
            let seen = as_seen(i, caller, gazetteer);
            let mut row = incident_json(&seen);
            row["acked"] = json!(seen.acked_at.is_some());
            row["alerted"] = json!(seen.first_alert_at.is_some());
            row
        })
        .collect();
    Ok(json!({ "incidents": incidents, "next_before": next }))
}

/// `GET /console/map/incidents.geojson`: the newest incidents with a place at least as
/// precise as a commune, as points; `without_point` counts the others.
pub(super) async fn points(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
    headers: HeaderMap,
    Query(filters): Query<Filters>,
) -> Result<Response, ApiError> {
    // Unchanged since the browser's copy (no change, the same minute for a time window):
    // a repeat visit on a slow link gets a 304, not the points again.
    let version = (
        state.store.read(crate::store::changes::last).await?,
        state.intake.fanout().zones_version(),
    );
    let tag = points_tag(&filters, &caller, version, state.store.now_ms());
    let cache = [
        (header::CACHE_CONTROL, "private, no-cache".to_owned()),
        (header::ETAG, tag.clone()),
    ];
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|given| given.as_bytes() == tag.as_bytes())
    {
        return Ok((axum::http::StatusCode::NOT_MODIFIED, cache).into_response());
    }
    let query = filters.query(state.store.now_ms(), MAP_POINTS)?;
    let (found, _) = select(&state, &caller, &query).await?;
    let gazetteer = &state.intake.reports().gazetteer;
    let seen: Vec<_> = found
        .iter()
        .map(|i| as_seen(i, &caller, gazetteer))
        .collect();
    let features: Vec<Value> = seen
        .iter()
        .filter(|i| i.precision >= 2)
        .map(|i| {
            json!({
                "type": "Feature",
                "geometry": { "type": "Point", "coordinates": [i.lon, i.lat] },
                "properties": {
                    "id": i.id, "category": i.category, "severity": i.severity,
                    "place": i.place_name, "review": i.review,
                },
            })
        })
        .collect();
    let without_point = seen.len() - features.len();
    let body = json!({
        "type": "FeatureCollection", "features": features, "without_point": without_point,
    });
    Ok((
        [(header::CONTENT_TYPE, "application/geo+json")],
        cache,
        body.to_string(),
    )
        .into_response())
}

/// The points' version: the last change, the zones' version, the minute when a time
/// window moves, and what the caller asked for and may see.
fn points_tag(
    filters: &Filters,
    caller: &Caller,
    (last_change, zones): (i64, u64),
    now: i64,
) -> String {
    use sha2::{Digest, Sha256};
    let minute = if filters.window.is_empty() {
        0
    } else {
        now / 60_000
    };
    let asked = format!(
        "{}|{}|{}",
        filters.encoded(),
        caller.role.as_str(),
        caller.zones.join(";")
    );
    let digest = Sha256::digest(asked.as_bytes());
    let hash: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("W/\"{last_change}-{zones}-{minute}-{hash}\"")
}

/// `GET /console/incidents/{id}`: the incident, its reports and its timeline.
pub(super) async fn incident(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Html, ApiError> {
    let _csrf = csrf_of(&state, &headers).await?;
    let incident = detail(&state, &caller, id).await?;
    whole_page(
        &state,
        &caller,
        &headers,
        ("incident.html", "incident"),
        json!({
            "reviews": caller.role >= Role::Coordinator,
            "categories": Category::ALL.iter().map(|c| c.code()).collect::<Vec<_>>(),
            "incident": incident,
            "timeline": timeline(&incident),
        }),
    )
    .await
}

/// Alerts, acknowledgements and the review in one list, oldest first.
fn timeline(incident: &Value) -> Vec<Value> {
    let mut events: Vec<Value> = Vec::new();
    for alert in incident["alerts"].as_array().into_iter().flatten() {
        events.push(json!({
            "at": alert["created_at"], "what": alert["kind"], "level": alert["level"],
            "to": alert["to"], "delivery": alert["delivery"],
        }));
    }
    for ack in incident["acknowledgements"]
        .as_array()
        .into_iter()
        .flatten()
    {
        events.push(json!({ "at": ack["at"], "what": "acknowledged", "to": ack["by"] }));
    }
    if incident["reviewed_at"].is_string() {
        events.push(json!({
            "at": incident["reviewed_at"], "what": "review",
            "review": incident["review"], "note": incident["review_note"],
        }));
    }
    events.sort_by(|a, b| a["at"].as_str().cmp(&b["at"].as_str()));
    events
}

#[derive(Debug, Deserialize)]
pub(super) struct ReviewForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    action: String,
    #[serde(default)]
    note: String,
}

/// `POST /console/incidents/{id}/review` (`action=verify|dismiss|close&note=`): the API's
/// review, then back to the incident.
pub(super) async fn review(
    State(state): State<AppState>,
    Coordinator(caller): Coordinator,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<ReviewForm>,
) -> Result<Redirect, ApiError> {
    require_csrf(&state, &headers, &form.csrf).await?;
    review::apply(&state, &caller, id, &form.action, &form.note).await?;
    Ok(Redirect::to(&format!("/console/incidents/{id}")))
}

#[derive(Debug, Deserialize)]
pub(super) struct CorrectionForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    killed: String,
    #[serde(default)]
    injured: String,
    #[serde(default)]
    abducted: String,
    #[serde(default)]
    displaced: String,
    #[serde(default)]
    note: String,
}

/// `POST /console/incidents/{id}/correct`: the API's correction (an empty field changes
/// nothing; counts, when one is given, are the whole tally), then back to the incident.
pub(super) async fn correct(
    State(state): State<AppState>,
    Coordinator(caller): Coordinator,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<CorrectionForm>,
) -> Result<Redirect, ApiError> {
    require_csrf(&state, &headers, &form.csrf).await?;
    let given = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
    let counts: serde_json::Map<String, Value> = [
        ("killed", &form.killed),
        ("injured", &form.injured),
        ("abducted", &form.abducted),
        ("displaced", &form.displaced),
    ]
    .into_iter()
    .filter_map(|(field, text)| {
        let text = given(text)?;
        Some((
            field.to_owned(),
            text.parse::<u64>().map_or(json!(text), |n| json!(n)),
        ))
    })
    .collect();
    let input = CorrectionInput {
        category: given(&form.category),
        place: given(&form.place),
        counts: (!counts.is_empty()).then_some(counts),
        note: given(&form.note),
    };
    corrected(&state, &caller, id, input).await?;
    Ok(Redirect::to(&format!("/console/incidents/{id}")))
}
