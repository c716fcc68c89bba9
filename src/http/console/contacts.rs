//! Contacts, for admins (they hold numbers): search, add, edit, import a CSV with each
//! refused line and why; each contact's STOP, last report and last check-in. Each step is
//! the contacts use case's (`crate::contacts::Contacts`), as the API's: the same checks
//! and audit.

use axum::Form;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{HeaderMap, header};
use axum::response::Redirect;
use serde::Deserialize;
use serde_json::{Value, json};

use super::session::require_csrf;
use super::{Html, items, whole_page};
use crate::access::Caller;
use crate::contacts::ContactInput;
use crate::http::auth::Admin;
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
    let (contacts, next) = state
        .contacts()
        .listing(&search.q, PAGE, search.before)
        .await?;
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
        roles: items(&form.roles),
        language: given(&form.language),
        home: given(&form.home),
        zones: items(&form.zones),
        ..ContactInput::default()
    };
    let saved = state.contacts().add(&caller, input).await?;
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
    let contact = state.contacts().get(id).await?;
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
        "name": form.name.trim(), "roles": items(&form.roles),
        "language": given(&form.language), "home": given(&form.home),
        "zones": items(&form.zones), "active": form.active.is_some(),
    });
    state.contacts().change(&caller, id, &patch).await?;
    Ok(Redirect::to("/console/contacts"))
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Import {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    /// The CSV pasted.
    #[serde(default)]
    csv: String,
}

/// `POST /console/contacts/import`: a CSV file chosen (multipart) or pasted (a plain
/// form); each refused line with why.
pub(super) async fn import(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    request: Request,
) -> Result<Html, ApiError> {
    let form = import_form(&headers, request).await?;
    require_csrf(&state, &headers, &form.csrf).await?;
    let (imported, rejected) = state.contacts().import(&caller, form.csv).await?;
    let done = json!({ "imported": imported, "rejected": rejected });
    show(&state, &caller, &headers, &Search::default(), done).await
}

/// The import form, as a browser sends it with a file (multipart: the file, else the
/// text pasted) or without (urlencoded).
async fn import_form(headers: &HeaderMap, request: Request) -> Result<Import, ApiError> {
    let multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let bad = |e: &dyn std::fmt::Display| ApiError::BadRequest(format!("the import form: {e}"));
    if !multipart {
        let Form(form) = Form::<Import>::from_request(request, &())
            .await
            .map_err(|e| bad(&e))?;
        return Ok(form);
    }
    let mut parts = Multipart::from_request(request, &())
        .await
        .map_err(|e| bad(&e))?;
    let (mut form, mut file) = (Import::default(), String::new());
    while let Some(field) = parts.next_field().await.map_err(|e| bad(&e))? {
        let name = field.name().unwrap_or_default().to_owned();
        let text = field.text().await.map_err(|e| bad(&e))?;
        match name.as_str() {
            "_csrf" => form.csrf = text,
            "csv" => form.csv = text,
            "file" => file = text,
            _ => {}
        }
    }
    if !file.trim().is_empty() {
        form.csv = file;
    }
    Ok(form)
}
