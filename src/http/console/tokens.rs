//! Tokens, for admins: the list (never the tokens themselves), a new one shown once, and
//! revocation, which ends the token's sessions too. The same use case as `vigie token`.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Redirect;
use serde::Deserialize;
use serde_json::json;

use super::session::require_csrf;
use super::{Html, items, whole_page};
use crate::http::auth::Admin;
use crate::http::{ApiError, AppState};
use crate::tokens::{self, NewToken, TokenError};

/// `GET /console/tokens`
pub(super) async fn page(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
) -> Result<Html, ApiError> {
    let listed = state.store.read(crate::store::tokens::list).await?;
    whole_page(
        &state,
        &caller,
        &headers,
        ("tokens.html", "tokens"),
        json!({
            "tokens": listed,
        }),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub(super) struct Made {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    role: String,
    /// Zones separated by commas or semicolons.
    #[serde(default)]
    zones: String,
    #[serde(default)]
    name: String,
}

/// `POST /console/tokens`: makes a token and shows it this once.
pub(super) async fn create(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Form(form): Form<Made>,
) -> Result<Html, ApiError> {
    require_csrf(&state, &headers, &form.csrf).await?;
    let zones = items(&form.zones);
    let (intake, now, who) = (
        state.intake.clone(),
        state.store.now_ms(),
        caller.who.clone(),
    );
    let (role, name) = (form.role.clone(), form.name.clone());
    let made = state
        .store
        .write(move |conn| {
            let names = intake.fanout().zone_names();
            let new = NewToken {
                role: &role,
                zones: &zones,
                name: &name,
                by: &who,
            };
            tokens::in_write(tokens::create(conn, &names, &new, now))
        })
        .await?;
    let (id, token) = made.map_err(refusal)?;
    let listed = state.store.read(crate::store::tokens::list).await?;
    whole_page(
        &state,
        &caller,
        &headers,
        ("tokens.html", "tokens"),
        json!({
            "tokens": listed, "made": { "id": id, "token": token },
        }),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub(super) struct Revoked {
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

/// `POST /console/tokens/{id}/revoke`
pub(super) async fn revoke(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<Revoked>,
) -> Result<Redirect, ApiError> {
    require_csrf(&state, &headers, &form.csrf).await?;
    let (now, who) = (state.store.now_ms(), caller.who);
    state
        .store
        .write(move |conn| tokens::in_write(tokens::revoke(conn, id, &who, now)))
        .await?
        .map_err(refusal)?;
    Ok(Redirect::to("/console/tokens"))
}

fn refusal(e: TokenError) -> ApiError {
    match e {
        TokenError::Store(e) => ApiError::Store(e),
        TokenError::NoSuchToken(_) => ApiError::NotFound(e.to_string()),
        other => ApiError::Invalid(other.to_string()),
    }
}
