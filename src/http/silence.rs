//! `/api/monitors` and `/api/silences`: who has gone quiet, for any token; a monitor's
//! number for admins only, and a limited token sees its zones only.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use serde_json::{Value, json};

use super::auth::Viewer;
use super::{ApiError, AppState};
use crate::clock::to_rfc3339;
use crate::silence::Filter;
use crate::store::silence::Silence;

/// Monitors listed at most.
const MAX_MONITORS: usize = 1000;

/// `GET /api/monitors?overdue=true&limit=N`: the longest silent first.
pub(super) async fn monitors(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let overdue_only = match query.get("overdue").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(ApiError::BadRequest("overdue: true or false".into())),
    };
    let limit = match query.get("limit") {
        None => 100,
        Some(n) => n
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_MONITORS).contains(n))
            .ok_or_else(|| ApiError::BadRequest(format!("limit: 1 to {MAX_MONITORS}")))?,
    };
    let filter = Filter {
        overdue_only,
        limit,
    };
    let shown = state.silence.monitors(&caller, filter).await?;
    Ok(Json(json!({ "monitors": shown })))
}

/// `GET /api/silences?days=N`: open silences, and those closed in the last N days (7).
pub(super) async fn silences(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let days = match query.get("days") {
        None => 7,
        Some(n) => n
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=366).contains(n))
            .ok_or_else(|| ApiError::BadRequest("days: 1 to 366".into()))?,
    };
    let silences = state.silence.silences(&caller, days).await?;
    let shown: Vec<Value> = silences.iter().map(silence_json).collect();
    Ok(Json(json!({ "silences": shown })))
}

fn silence_json(s: &Silence) -> Value {
    json!({
        "id": s.id,
        "zone": s.name,
        "state": s.state,
        "since": to_rfc3339(s.since),
        "monitors": s.monitors,
        "usual_per_day": (s.usual_per_day * 10.0).round() / 10.0,
        // The operators whose network there is probably cut; empty: no cause named.
        "probable_cut": s.cause,
        "opened_at": to_rfc3339(s.opened_at),
        "closed_at": s.closed_at.and_then(to_rfc3339),
        "back_at": s.back_at.and_then(to_rfc3339),
    })
}
