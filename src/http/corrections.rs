//! `PATCH /api/incidents/{id}` (`{"category", "place", "counts", "note"}`, each optional):
//! the correction use case (`crate::correction`) over HTTP.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::auth::Coordinator;
use super::{ApiError, AppState};
use crate::access::Caller;
use crate::correction::{Asking, CorrectionError, Corrections};

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

impl From<CorrectionError> for ApiError {
    fn from(e: CorrectionError) -> Self {
        match e {
            CorrectionError::Invalid(reason) => Self::Invalid(reason),
            CorrectionError::NoIncident(_) => Self::NotFound(e.to_string()),
            CorrectionError::Withdrawn(_) => Self::Conflict(e.to_string()),
            CorrectionError::OutsideZones(_) => Self::Forbidden(e.to_string()),
            CorrectionError::Store(e) => Self::Store(e),
        }
    }
}

/// `PATCH /api/incidents/{id}`: the incident's corrected category, place and counts.
pub(super) async fn correct(
    State(state): State<AppState>,
    Coordinator(caller): Coordinator,
    Path(id): Path<i64>,
    Json(input): Json<CorrectionInput>,
) -> Result<Json<Value>, ApiError> {
    let after = corrected(&state, &caller, id, input).await?;
    Ok(Json(json!({ "incident": id, "corrected": after })))
}

/// The correction use case with this gateway's stages; the update it makes is sent at
/// once. What the incident says after it.
pub(super) async fn corrected(
    state: &AppState,
    caller: &Caller,
    id: i64,
    input: CorrectionInput,
) -> Result<Value, ApiError> {
    let corrections = Corrections {
        store: state.store.clone(),
        intake: state.intake.clone(),
        outbound: state.outbound.clone(),
    };
    let asking = Asking {
        category: input.category,
        place: input.place,
        counts: input.counts,
        note: input.note,
    };
    Ok(corrections.correct(caller, id, asking).await?)
}
