//! `POST /api/incidents/{id}/verify|dismiss|close` (`{"note": "..."}` optional): the
//! review use case (`crate::review`) over HTTP.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::auth::Coordinator;
use super::{ApiError, AppState};
use crate::access::Caller;
use crate::review::{Review, ReviewError, Reviews};

impl From<ReviewError> for ApiError {
    fn from(e: ReviewError) -> Self {
        match e {
            ReviewError::UnknownAction(_) | ReviewError::NoIncident(_) => {
                Self::NotFound(e.to_string())
            }
            ReviewError::OutsideZones(_) => Self::Forbidden(e.to_string()),
            ReviewError::Store(e) => Self::Store(e),
        }
    }
}

/// `POST /api/incidents/{id}/{action}`
pub(super) async fn review(
    State(state): State<AppState>,
    Coordinator(caller): Coordinator,
    Path((id, action)): Path<(i64, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let note = note_of(&body)?;
    let review = apply(&state, &caller, id, &action, &note).await?;
    Ok(Json(json!({ "incident": id, "review": review.as_str() })))
}

/// The review use case (`crate::review`) with this gateway's stages; the messages it
/// released are sent at once.
pub(super) async fn apply(
    state: &AppState,
    caller: &Caller,
    id: i64,
    action: &str,
    note: &str,
) -> Result<Review, ApiError> {
    let reviews = Reviews {
        store: state.store.clone(),
        fanout: state.intake.fanout().clone(),
        outbound: state.outbound.clone(),
    };
    Ok(reviews.review(caller, id, action, note).await?)
}

/// The optional `{"note": "..."}` of a review.
fn note_of(body: &[u8]) -> Result<String, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(String::new());
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("a JSON object with a `note`: {e}")))?;
    match value.get("note") {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(note)) => Ok(note.chars().take(1000).collect()),
        Some(_) => Err(ApiError::BadRequest("note: a text".into())),
    }
}
