//! `/api/contacts`: list, create, change, delete and import (CSV) contacts, for the admin
//! token: the contacts use case (`crate::contacts::Contacts`) over HTTP; and a monitor's
//! duress word (`crate::duress`), which coordinators may set too.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::api::page;
use super::auth::{Admin, Coordinator};
use super::{ApiError, AppState};
use crate::contacts::{ContactError, ContactInput};
use crate::duress::DuressError;

impl From<ContactError> for ApiError {
    fn from(e: ContactError) -> Self {
        match e {
            ContactError::Invalid(_) | ContactError::PhoneChanges => {
                Self::BadRequest(e.to_string())
            }
            ContactError::Exists => Self::Conflict(e.to_string()),
            ContactError::NoContact(_) => Self::NotFound(e.to_string()),
            ContactError::Store(e) => Self::Store(e),
        }
    }
}

/// `GET /api/contacts?limit=N&before=ID`
pub(super) async fn list(
    State(state): State<AppState>,
    _: Admin,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let (limit, before) = page(&query)?;
    let (shown, next) = state.contacts().listing("", limit, before).await?;
    Ok(Json(json!({ "contacts": shown, "next_before": next })))
}

/// `POST /api/contacts` (JSON): 201 with the contact; 409 if the number is known.
pub(super) async fn create(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Json(input): Json<ContactInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let saved = state.contacts().add(&caller, input).await?;
    Ok((StatusCode::CREATED, Json(json!({ "contact": saved }))))
}

/// `PATCH /api/contacts/{id}` (JSON, any fields): the contact as changed.
pub(super) async fn update(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(id): Path<i64>,
    Json(patch): Json<Value>,
) -> Result<Json<Value>, ApiError> {
    let saved = state.contacts().change(&caller, id, &patch).await?;
    Ok(Json(json!({ "contact": saved })))
}

/// `DELETE /api/contacts/{id}`: 204, or 404.
pub(super) async fn delete(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.contacts().delete(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/contacts/import` (CSV): how many were imported, and each refused row.
pub(super) async fn import(
    State(state): State<AppState>,
    Admin(caller): Admin,
    body: String,
) -> Result<Json<Value>, ApiError> {
    let (count, rejected) = state.contacts().import(&caller, body).await?;
    Ok(Json(json!({ "imported": count, "rejected": rejected })))
}

impl From<DuressError> for ApiError {
    fn from(e: DuressError) -> Self {
        match e {
            DuressError::Invalid(_) | DuressError::NotMonitor(_) => Self::BadRequest(e.to_string()),
            DuressError::NoContact(_) => Self::NotFound(e.to_string()),
            DuressError::NotAdmin | DuressError::OutsideZones(_) => Self::Forbidden(e.to_string()),
            DuressError::Store(e) => Self::Store(e),
        }
    }
}

/// The body of `PUT /api/contacts/{id}/duress`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DuressWord {
    word: String,
}

/// `PUT /api/contacts/{id}/duress` (`{"word": ...}`, coordinators and admins): 204. The
/// word is kept as a keyed hash, never shown again.
pub(super) async fn set_duress(
    State(state): State<AppState>,
    Coordinator(caller): Coordinator,
    Path(id): Path<i64>,
    Json(body): Json<DuressWord>,
) -> Result<StatusCode, ApiError> {
    state.duress().set(&caller, id, &body.word).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/contacts/{id}/duress/clear` (admins): 204; the monitor's next reports are
/// not marked.
pub(super) async fn clear_duress(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.duress().clear(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
