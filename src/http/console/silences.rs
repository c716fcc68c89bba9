//! Silence on the console: the zones gone quiet as a list on the board (kept fresh) and as
//! a layer on the incidents map, for the zones the caller may see.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::{Html, console, language_of, render};
use crate::access::Caller;
use crate::clock::to_rfc3339;
use crate::http::auth::Viewer;
use crate::http::{ApiError, AppState};

/// Closed silences stay on the board this many days.
const CLOSED_SHOWN_DAYS: u32 = 1;

/// The silences on the board: open ones first, then those closed in the last day.
pub(super) async fn listed(state: &AppState, caller: &Caller) -> Result<Vec<Value>, ApiError> {
    let mut silences = state.silence.silences(caller, CLOSED_SHOWN_DAYS).await?;
    silences.sort_by_key(|s| (s.closed_at.is_some(), std::cmp::Reverse(s.opened_at)));
    Ok(silences
        .iter()
        .map(|s| {
            json!({
                "zone": s.name,
                "open": s.closed_at.is_none(),
                "since": to_rfc3339(s.since),
                "closed_at": s.closed_at.and_then(to_rfc3339),
                "monitors": s.monitors,
                "usual": format!("{:.1}", s.usual_per_day),
                "cause": s.cause.join(", "),
            })
        })
        .collect())
}

/// `GET /console/board/silences`: the board's silences alone, for a refresh.
pub(super) async fn rows(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
    headers: HeaderMap,
) -> Result<Html, ApiError> {
    let console = console(&state)?;
    let values = json!({ "silences": listed(&state, &caller).await? });
    render(
        console,
        "board_silences.html",
        language_of(&headers),
        &values,
    )
}

/// `GET /console/map/silences.geojson`: each open silence at its zone.
pub(super) async fn points(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
) -> Result<Json<Value>, ApiError> {
    let silences = state.silence.silences(&caller, CLOSED_SHOWN_DAYS).await?;
    let zones = state.intake.fanout().zones();
    let gazetteer = &state.intake.reports().gazetteer;
    let features: Vec<Value> = silences
        .iter()
        .filter(|s| s.closed_at.is_none())
        .filter_map(|s| {
            let (lat, lon) = zones.centre(&s.zone, gazetteer)?;
            Some(json!({
                "type": "Feature",
                "geometry": { "type": "Point", "coordinates": [lon, lat] },
                "properties": {
                    "zone": s.name, "since": to_rfc3339(s.since), "monitors": s.monitors,
                    "cause": s.cause.join(", "),
                },
            }))
        })
        .collect();
    Ok(Json(
        json!({ "type": "FeatureCollection", "features": features }),
    ))
}
