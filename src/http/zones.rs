//! `/api/zones`: list, create, change and delete zones, for the admin token: the zoning
//! use case (`crate::zoning::Zoning`) over HTTP.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::auth::{Admin, Viewer};
use super::{ApiError, AppState};
use crate::config::ZoneDefinition;
use crate::zoning::ZoningError;

impl From<ZoningError> for ApiError {
    fn from(e: ZoningError) -> Self {
        match e {
            ZoningError::NoZone(_) => Self::NotFound(e.to_string()),
            ZoningError::Exists(_) => Self::Conflict(e.to_string()),
            ZoningError::OutsideZones(_) => Self::Forbidden(e.to_string()),
            ZoningError::CodeChanges | ZoningError::Unreadable(_) => {
                Self::BadRequest(e.to_string())
            }
            ZoningError::Invalid { .. } => Self::Invalid(e.to_string()),
            ZoningError::Store(e) => Self::Store(e),
        }
    }
}

/// `GET /api/zones` (any token; numbers in definitions for admins only)
pub(super) async fn list(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({ "zones": state.zoning().visible(&caller).await? }),
    ))
}

/// `GET /api/zones/{code}` (any token)
pub(super) async fn one(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
    Path(code): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let zone = state.zoning().one(&caller, &code).await?;
    Ok(Json(json!({ "zone": zone })))
}

/// `POST /api/zones` (JSON): 201 with the zone; 409 if the code is taken.
pub(super) async fn create(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Json(zone): Json<ZoneDefinition>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    state.zoning().create(&caller, zone.clone()).await?;
    Ok((StatusCode::CREATED, Json(json!({ "zone": zone }))))
}

/// `PATCH /api/zones/{code}` (JSON, any fields but the code): the zone as changed.
pub(super) async fn update(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(code): Path<String>,
    Json(patch): Json<Value>,
) -> Result<Json<Value>, ApiError> {
    let zone = state.zoning().change(&caller, &code, &patch).await?;
    Ok(Json(json!({ "zone": zone })))
}

/// `DELETE /api/zones/{code}`: 204, or 404.
pub(super) async fn delete(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(code): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.zoning().delete(&caller, &code).await?;
    Ok(StatusCode::NO_CONTENT)
}
