//! `POST /api/broadcasts` (`{"zone", "text" or "template" and "values", "roles",
//! "languages"}`) and `GET /api/broadcasts/{id}`: the broadcasts use case
//! (`crate::broadcast::Broadcasts`) over HTTP.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::auth::Coordinator;
use super::{ApiError, AppState};
use crate::broadcast::{BroadcastError, BroadcastInput};

impl From<BroadcastError> for ApiError {
    fn from(e: BroadcastError) -> Self {
        match e {
            BroadcastError::Invalid(_) => Self::Invalid(e.to_string()),
            BroadcastError::OutsideZones(_) => Self::Forbidden(e.to_string()),
            BroadcastError::NoBroadcast(_) => Self::NotFound(e.to_string()),
            BroadcastError::NotSendable(e) => e.into(),
            BroadcastError::Store(e) => Self::Store(e),
        }
    }
}

/// `POST /api/broadcasts`: 201 with the id and the number of recipients.
pub(super) async fn create(
    State(state): State<AppState>,
    Coordinator(caller): Coordinator,
    Json(input): Json<BroadcastInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (id, n) = state.broadcasts().send(&caller, input).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "recipients": n })),
    ))
}

/// `GET /api/broadcasts/{id}`: how its messages stand.
pub(super) async fn one(
    State(state): State<AppState>,
    Coordinator(caller): Coordinator,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let standing = state.broadcasts().standing(&caller, id).await?;
    Ok(Json(json!(standing)))
}
