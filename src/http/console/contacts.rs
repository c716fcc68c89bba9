//! Contacts, for admins (they hold numbers): search, add, edit, import a CSV with each
//! refused line and why; each contact's STOP, last report and last check-in. Each step is
//! the API's own (`http::contacts`): the same checks and audit.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Redirect;
use serde::Deserialize;
use serde_json::{Value, json};

use super::session::require_csrf;
use super::{Html, whole_page};
use crate::access::Caller;
use crate::contacts::ContactInput;
use crate::http::auth::Admin;
use crate::http::contacts::{add, change, import_csv, listing};
use crate::http::{ApiError, AppState};

/// Contacts on a page.
const PAGE: u32 = 50;

#[derive(Debug, Default, Deserialize)]
pub(super) struct Search {
    #[serde(default)]
    q: String,
    before: Option<i64>,
}

/// `GET /console/contacts?q=&before=`
pub(super) async fn page(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Query(search): Query<Search>,
) -> Result<Html, ApiError> {
    show(&state, &caller, &headers, &search, json!({})).await
}

/// The page, with what the last form did (`done`).
async fn show(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    search: &Search,
    done: Value,
) -> Result<Html, ApiError> {
    let (contacts, next) = listing(state, &search.q, PAGE, search.before).await?;
    whole_page(
        state,
        caller,
        headers,
        ("contacts.html", "contacts"),
        json!({
            "q": search.q, "contacts": contacts, "next_before": next, "done": done,
        }),
    )
    .await
}

/// A contact as the form gives it: lists written with commas.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Fields {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    roles: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    home: String,
    #[serde(default)]
    zones: String,
    #[serde(default)]
    active: Option<String>,
}

fn list(text: &str) -> Vec<String> {
    text.split([',', ';'])
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

fn given(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

/// `POST /console/contacts`: a new contact.
pub(super) async fn create(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Form(form): Form<Fields>,
) -> Result<Html, ApiError> {
    require_csrf(&state, &headers, &form.csrf).await?;
    let input = ContactInput {
        phone: form.phone.trim().to_owned(),
        name: form.name.trim().to_owned(),
        roles: list(&form.roles),
        language: given(&form.language),
        home: given(&form.home),
        zones: list(&form.zones),
        ..ContactInput::default()
    };
    let saved = add(&state, &caller, input).await?;
    let done = json!({ "added": saved.id });
    show(&state, &caller, &headers, &Search::default(), done).await
}

/// `GET /console/contacts/{id}`: the edit form.
pub(super) async fn edit(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Html, ApiError> {
    let contact = state
        .store
        .read(move |c| crate::store::contacts::by_id(c, id))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no contact {id}")))?;
    whole_page(
        &state,
        &caller,
        &headers,
        ("contact.html", "contacts"),
        json!({
            "contact": contact,
        }),
    )
    .await
}

/// `POST /console/contacts/{id}`: the contact as the form says.
pub(super) async fn update(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<Fields>,
) -> Result<Redirect, ApiError> {
    require_csrf(&state, &headers, &form.csrf).await?;
    let patch = json!({
        "name": form.name.trim(), "roles": list(&form.roles),
        "language": given(&form.language), "home": given(&form.home),
        "zones": list(&form.zones), "active": form.active.is_some(),
    });
    change(&state, &caller, id, &patch).await?;
    Ok(Redirect::to("/console/contacts"))
}

#[derive(Debug, Deserialize)]
pub(super) struct Import {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    csv: String,
}

/// `POST /console/contacts/import`: the CSV pasted; each refused line with why.
pub(super) async fn import(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Form(form): Form<Import>,
) -> Result<Html, ApiError> {
    require_csrf(&state, &headers, &form.csrf).await?;
    let (imported, rejected) = import_csv(&state, caller.who.clone(), form.csv).await?;
    let done = json!({ "imported": imported, "rejected": rejected });
    show(&state, &caller, &headers, &Search::default(), done).await
}
