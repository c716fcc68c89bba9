//! `/api/contacts`: list, create, change, delete and import (CSV) contacts, for the admin
//! token. Bad rows of an import are reported one by one; the good ones go in together.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::api::{page, patched};
use super::auth::Admin;
use super::{ApiError, AppState};
use crate::access::Caller;
use crate::contacts::{Checks, ContactInput, check, read_csv};
use crate::store::contacts::{self as queries, Contact};
use crate::store::{StoreError, audit, checkins};

/// Runs `f` with the contact checks off the request threads: a PIN is hashed with argon2,
/// tens of milliseconds of CPU each, which would hold up every request on that thread.
async fn checked<T, F>(state: &AppState, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Checks<'_>) -> T + Send + 'static,
{
    let reports = Arc::clone(state.intake.reports());
    let country = state.outbound.default_country();
    super::off_request_thread(move || {
        f(&Checks {
            country,
            vocabulary: &reports.vocabulary,
            gazetteer: &reports.gazetteer,
        })
    })
    .await
}

/// `GET /api/contacts?limit=N&before=ID`
pub(super) async fn list(
    State(state): State<AppState>,
    _: Admin,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let (limit, before) = page(&query)?;
    let (shown, next) = listing(&state, "", limit, before).await?;
    Ok(Json(json!({ "contacts": shown, "next_before": next })))
}

/// Contacts whose name or number contains `words`, newest first, each with its last
/// report and check-in; and the id to go on below.
pub(super) async fn listing(
    state: &AppState,
    words: &str,
    limit: u32,
    before: Option<i64>,
) -> Result<(Vec<Value>, Option<i64>), ApiError> {
    let words = words.to_owned();
    let contacts = state
        .store
        .read(move |c| {
            let contacts = queries::search(c, &words, limit, before)?;
            let with_activity = contacts.into_iter().map(|contact| {
                let activity = checkins::activity(c, contact.id)?;
                Ok((contact, activity))
            });
            with_activity.collect::<Result<Vec<_>, StoreError>>()
        })
        .await?;
    let next = contacts.last().map(|(c, _)| c.id);
    let shown: Vec<Value> = contacts
        .into_iter()
        .map(|(c, a)| with_activity(&c, &a))
        .collect();
    Ok((shown, next))
}

/// A contact as listed: its fields, its last report and its last check-in (`RAS`).
fn with_activity(contact: &Contact, activity: &checkins::Activity) -> Value {
    let mut shown = json!(contact);
    let time = |ms: Option<i64>| ms.and_then(crate::clock::to_rfc3339);
    if let Value::Object(fields) = &mut shown {
        fields.insert(
            "last_report_at".into(),
            json!(time(activity.last_report_at)),
        );
        fields.insert(
            "last_checkin_at".into(),
            json!(time(activity.last_checkin_at)),
        );
        fields.insert(
            "last_checkin_place".into(),
            json!(activity.last_checkin_place),
        );
    }
    shown
}

/// `POST /api/contacts` (JSON): 201 with the contact; 409 if the number is known.
pub(super) async fn create(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Json(input): Json<ContactInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let saved = add(&state, &caller, input).await?;
    Ok((StatusCode::CREATED, Json(json!({ "contact": saved }))))
}

/// A new contact, checked, stored and audited; 409 if the number is known.
pub(super) async fn add(
    state: &AppState,
    caller: &Caller,
    input: ContactInput,
) -> Result<Contact, ApiError> {
    let contact = checked(state, |checks| check(input, checks))
        .await?
        .map_err(ApiError::BadRequest)?;
    let phone = contact.phone.clone();
    if state
        .store
        .read(move |c| queries::by_phone(c, &phone))
        .await?
        .is_some()
    {
        return Err(ApiError::Conflict(
            "a contact with this number exists; PATCH it".into(),
        ));
    }
    save(state, contact, (caller, "contact.create")).await
}

/// `PATCH /api/contacts/{id}` (JSON, any fields): the contact as changed.
pub(super) async fn update(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(id): Path<i64>,
    Json(patch): Json<Value>,
) -> Result<Json<Value>, ApiError> {
    let saved = change(&state, &caller, id, &patch).await?;
    Ok(Json(json!({ "contact": saved })))
}

/// Contact `id` with the fields of `patch` changed, checked, stored and audited.
pub(super) async fn change(
    state: &AppState,
    caller: &Caller,
    id: i64,
    patch: &Value,
) -> Result<Contact, ApiError> {
    let current = state
        .store
        .read(move |c| queries::by_id(c, id))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no contact {id}")))?;
    let input: ContactInput = patched(&input_of(&current), patch)?;
    let contact = checked(state, |checks| check(input, checks))
        .await?
        .map_err(ApiError::BadRequest)?;
    if contact.phone != current.phone {
        return Err(ApiError::BadRequest(
            "phone: a contact's number does not change; create another".into(),
        ));
    }
    save(state, contact, (caller, "contact.update")).await
}

/// `DELETE /api/contacts/{id}`: 204, or 404.
pub(super) async fn delete(
    State(state): State<AppState>,
    Admin(Caller { who, .. }): Admin,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let now = state.store.now_ms();
    let deleted = state.store.write(move |c| {
        let deleted = queries::delete(c, id)?;
        if deleted {
            let subject = format!("contact {id}");
            audit::append(c, &who, "contact.delete", &subject, &json!({}), now)?;
        }
        Ok(deleted)
    });
    if deleted.await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("no contact {id}")))
    }
}

/// `POST /api/contacts/import` (CSV): how many were imported, and each refused row.
pub(super) async fn import(
    State(state): State<AppState>,
    Admin(Caller { who, .. }): Admin,
    body: String,
) -> Result<Json<Value>, ApiError> {
    let (count, rejected) = import_csv(&state, who, body).await?;
    Ok(Json(json!({ "imported": count, "rejected": rejected })))
}

/// A contacts CSV: the good rows stored together and audited, each bad row with why.
pub(super) async fn import_csv(
    state: &AppState,
    who: String,
    body: String,
) -> Result<(usize, Vec<crate::contacts::Rejected>), ApiError> {
    let (contacts, rejected) = checked(state, move |checks| read_csv(&body, checks)).await?;
    let count = contacts.len();
    let now = state.store.now_ms();
    state
        .store
        .write(move |c| {
            for contact in &contacts {
                queries::upsert(c, contact, now)?;
            }
            let detail = json!({ "imported": count });
            audit::append(c, &who, "contact.import", "contacts", &detail, now)
        })
        .await?;
    Ok((count, rejected))
}

/// Stores the contact and its audit entry (roles and zones; never the number) together.
async fn save(
    state: &AppState,
    contact: Contact,
    (caller, action): (&Caller, &'static str),
) -> Result<Contact, ApiError> {
    let now = state.store.now_ms();
    let who = caller.who.clone();
    let id = state
        .store
        .write(move |c| {
            let id = queries::upsert(c, &contact, now)?;
            let detail = json!({ "roles": contact.roles, "zones": contact.zones });
            audit::append(c, &who, action, &format!("contact {id}"), &detail, now)?;
            Ok(id)
        })
        .await?;
    state
        .store
        .read(move |c| queries::by_id(c, id))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no contact {id}")))
}

/// A stored contact as input again, for a PATCH to change.
fn input_of(c: &Contact) -> ContactInput {
    ContactInput {
        phone: c.phone.clone(),
        name: c.name.clone(),
        roles: c.roles.clone(),
        language: c.language.clone(),
        home: c.home.clone(),
        zones: c.zones.clone(),
        discreet: c.discreet,
        active: Some(c.active),
        categories: c.categories.clone(),
        min_severity: c.min_severity,
        pin: None,
    }
}
