//! Who is calling, as one typed extractor per role: `Viewer`, `Coordinator` and `Admin`
//! are what a handler asks for, so each route's rule is in its signature, for the API and
//! the console alike. They run before the body is read: a caller without a valid token
//! learns nothing of what a route expects. The credential is a bearer token (API) or a
//! console session cookie; zone limits are the caller's, checked by the handler.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use secrecy::ExposeSecret;

use super::api::bearer;
use super::{ApiError, AppState};
use crate::access::{self, Caller, Role};
use crate::provider::signature_equal;
use crate::store::tokens;

/// Any token: reading incidents, exports and zones.
#[derive(Debug)]
pub(super) struct Viewer(pub Caller);

/// A coordinator's token or an admin's: reviews, corrections, broadcasts.
#[derive(Debug)]
pub(super) struct Coordinator(pub Caller);

/// An admin's: numbers (messages, contacts) and changing the configuration.
#[derive(Debug)]
pub(super) struct Admin(pub Caller);

macro_rules! role_extractor {
    ($name:ident, $role:expr) => {
        impl FromRequestParts<AppState> for $name {
            type Rejection = ApiError;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &AppState,
            ) -> Result<Self, ApiError> {
                // Console sessions count on console routes only: `/api` takes bearer
                // tokens, so no page elsewhere can make a browser act with its session.
                let sessions = parts.uri.path().starts_with("/console/");
                authorize(state, &parts.headers, $role, sessions)
                    .await
                    .map($name)
            }
        }
    };
}

role_extractor!(Viewer, Role::Viewer);
role_extractor!(Coordinator, Role::Coordinator);
role_extractor!(Admin, Role::Admin);

/// The caller the request's credential stands for, if its role is at least `need`: 401
/// without one or with one unknown, revoked or expired, 403 with too small a role.
pub(super) async fn authorize(
    state: &AppState,
    headers: &HeaderMap,
    need: Role,
    sessions: bool,
) -> Result<Caller, ApiError> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer);
    let caller = match given {
        Some(token) => token_caller(state, token).await?,
        None if sessions => super::console::session_caller(state, headers).await?,
        None => {
            return Err(ApiError::Unauthorized(
                "a token is required: Authorization: Bearer <token>",
            ));
        }
    };
    if caller.role < need {
        return Err(ApiError::Forbidden(format!(
            "this needs a {} token; this one is {}",
            need.as_str(),
            caller.role.as_str()
        )));
    }
    let names = state.intake.fanout().zone_names();
    Ok(caller.scoped(|zone| names.key(zone).ok()))
}

/// The configured admin token is an admin everywhere; other tokens are stored by digest
/// (`vigie token create`).
pub(super) async fn token_caller(state: &AppState, given: &str) -> Result<Caller, ApiError> {
    if let Some(admin) = &state.admin_token
        && signature_equal(given.as_bytes(), admin.expose_secret().as_bytes())
    {
        return Ok(Caller::admin());
    }
    let digest = access::digest(given);
    state
        .store
        .read(move |c| tokens::caller(c, &digest))
        .await?
        .ok_or(ApiError::Unauthorized("unknown or revoked token"))
}
