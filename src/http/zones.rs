//! `/api/zones`: list, create, change and delete zones, for the admin token. A zone is
//! checked against the gazetteer before it is stored, and used by fan-out at once.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::api::patched;
use super::auth::{Admin, Viewer};
use super::{ApiError, AppState};
use crate::access::Caller;
use crate::config::ZoneDefinition;
use crate::store::audit;
use crate::store::zones as queries;
use crate::text::fold;

/// `GET /api/zones` (any token; numbers in definitions for admins only)
pub(super) async fn list(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "zones": visible(&state, &caller).await? })))
}

/// The zones the caller may see, as they may see them.
pub(super) async fn visible(
    state: &AppState,
    caller: &Caller,
) -> Result<Vec<ZoneDefinition>, ApiError> {
    let zones = state.store.read(queries::all).await?;
    Ok(zones
        .into_iter()
        .filter(|z| caller.covers(std::iter::once(fold(&z.code))))
        .map(|z| as_seen(z, caller))
        .collect())
}

/// `GET /api/zones/{code}` (any token)
pub(super) async fn one(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
    Path(code): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let zone = current(&state, &code).await?;
    if !caller.covers(std::iter::once(fold(&zone.code))) {
        return Err(ApiError::Forbidden(format!(
            "zone `{code}` is outside this token's zones"
        )));
    }
    Ok(Json(json!({ "zone": as_seen(zone, &caller) })))
}

/// A zone as the caller may see it: escalation and subscribed numbers for admins only.
fn as_seen(zone: ZoneDefinition, caller: &Caller) -> ZoneDefinition {
    if caller.sees_numbers() {
        return zone;
    }
    ZoneDefinition {
        escalation: Vec::new(),
        subscribers: Vec::new(),
        ..zone
    }
}

/// `POST /api/zones` (JSON): 201 with the zone; 409 if the code is taken.
pub(super) async fn create(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Json(zone): Json<ZoneDefinition>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let _one_at_a_time = state.intake.fanout().changing_zones().await;
    let code = zone.code.clone();
    if state
        .store
        .read(move |c| queries::get(c, &code))
        .await?
        .is_some()
    {
        return Err(ApiError::Conflict(format!(
            "zone `{}` exists; PATCH it",
            zone.code
        )));
    }
    save(&state, Change::Put(Box::new(zone.clone())), &caller).await?;
    Ok((StatusCode::CREATED, Json(json!({ "zone": zone }))))
}

/// `PATCH /api/zones/{code}` (JSON, any fields but the code): the zone as changed.
pub(super) async fn update(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(code): Path<String>,
    Json(patch): Json<Value>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({ "zone": change(&state, &caller, &code, &patch).await? }),
    ))
}

/// Zone `code` with the fields of `patch` changed, checked with every other zone, stored,
/// audited and used by fan-out at once.
pub(super) async fn change(
    state: &AppState,
    caller: &Caller,
    code: &str,
    patch: &Value,
) -> Result<ZoneDefinition, ApiError> {
    let _one_at_a_time = state.intake.fanout().changing_zones().await;
    let zone = current(state, code).await?;
    let changed: ZoneDefinition = patched(&zone, patch)?;
    if fold(&changed.code) != fold(&zone.code) {
        return Err(ApiError::BadRequest(
            "code: a zone's code does not change; create another".into(),
        ));
    }
    save(state, Change::Put(Box::new(changed.clone())), caller).await?;
    Ok(changed)
}

/// `DELETE /api/zones/{code}`: 204, or 404.
pub(super) async fn delete(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(code): Path<String>,
) -> Result<StatusCode, ApiError> {
    let _one_at_a_time = state.intake.fanout().changing_zones().await;
    let zone = current(&state, &code).await?;
    save(&state, Change::Delete(zone.code), &caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn current(state: &AppState, code: &str) -> Result<ZoneDefinition, ApiError> {
    let key = code.to_owned();
    state
        .store
        .read(move |c| queries::get(c, &key))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no zone `{code}`")))
}

/// A change to the set of zones.
enum Change {
    Put(Box<ZoneDefinition>),
    Delete(String),
}

/// Makes the change once the whole set compiles, and hands the set to fan-out (the caller
/// holds `changing_zones`). A bad zone is 422 naming its field.
async fn save(state: &AppState, change: Change, caller: &Caller) -> Result<(), ApiError> {
    let fanout = state.intake.fanout();
    let invalid = |e: crate::fanout::ZoneError| {
        let field = e.field.strip_prefix("zones[0].").unwrap_or(&e.field);
        ApiError::Invalid(format!("{field}: {}", e.reason))
    };
    let code = match &change {
        Change::Put(zone) => {
            fanout
                .compile(std::slice::from_ref(zone))
                .map_err(invalid)?;
            &zone.code
        }
        Change::Delete(code) => code,
    };
    let key = fold(code);
    let mut all: Vec<ZoneDefinition> = state.store.read(queries::all).await?;
    all.retain(|z| fold(&z.code) != key);
    if let Change::Put(zone) = &change {
        all.push((**zone).clone());
    }
    let zones = fanout.compile(&all).map_err(invalid)?;
    let now = state.store.now_ms();
    let (who, subject) = (caller.who.clone(), format!("zone {key}"));
    state
        .store
        .write(move |c| {
            let (action, detail) = match &change {
                Change::Put(zone) => {
                    let created = queries::put(c, zone, now)?;
                    let action = if created {
                        "zone.create"
                    } else {
                        "zone.update"
                    };
                    // The definition may hold responders' numbers: not in the log.
                    let detail = json!({ "units": zone.units, "parent": zone.parent });
                    (action, detail)
                }
                Change::Delete(code) => {
                    queries::delete(c, code)?;
                    ("zone.delete", json!({}))
                }
            };
            audit::append(c, &who, action, &subject, &detail, now)
        })
        .await?;
    fanout.set_zones(zones);
    Ok(())
}
