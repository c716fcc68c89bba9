//! Logging in with a token, the session cookie, logging out, the CSRF check of every
//! console form, and the language cookie.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::{ConsoleState, Html, console, language_of, render};
use crate::access::{Caller, digest};
use crate::console::Language;
use crate::http::auth::token_caller;
use crate::http::{ApiError, AppState};
use crate::provider::signature_equal;
use crate::sessions;
use crate::store::tokens;

const SESSION_COOKIE: &str = "vigie_session";
pub(super) const LANGUAGE_COOKIE: &str = "vigie_lang";

/// A cookie's value, if the request has it.
pub(super) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim().to_owned())
}

/// The caller of the request's console session: 401 without one or with one ended.
pub(in crate::http) async fn session_caller(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Caller, ApiError> {
    let (caller, _) = session(state, headers).await?;
    Ok(caller)
}

/// The request's live session, its caller and its CSRF token; touched now and then.
async fn session(state: &AppState, headers: &HeaderMap) -> Result<(Caller, String), ApiError> {
    let missing = ApiError::Unauthorized("a token is required: Authorization: Bearer <token>");
    let Some(console) = state.console.as_ref() else {
        return Err(missing);
    };
    let cookie = cookie(headers, SESSION_COOKIE).ok_or(missing)?;
    let (lifetimes, now) = (console.lifetimes, state.store.now_ms());
    let found = state
        .store
        .read(move |c| sessions::find(c, &cookie, lifetimes, now))
        .await?
        .ok_or(ApiError::Unauthorized(
            "the session has ended: log in again",
        ))?;
    if found.touch {
        let id = found.session.id;
        let touched = state
            .store
            .write(move |c| crate::store::sessions::touch(c, id, now));
        if let Err(e) = touched.await {
            tracing::warn!(error = %e, "session not touched");
        }
    }
    let caller = token_holder(state, found.session.token_digest.clone())
        .await?
        .ok_or(ApiError::Unauthorized(
            "the token of this session was revoked",
        ))?;
    Ok((caller, found.session.csrf))
}

/// The caller a stored token digest stands for now (`None`: revoked, or an admin token
/// no longer configured).
async fn token_holder(state: &AppState, token_digest: String) -> Result<Option<Caller>, ApiError> {
    if let Some(admin) = &state.admin_token {
        let admin = digest(secrecy::ExposeSecret::expose_secret(admin));
        if signature_equal(admin.as_bytes(), token_digest.as_bytes()) {
            return Ok(Some(Caller::admin()));
        }
    }
    Ok(state
        .store
        .read(move |c| tokens::caller(c, &token_digest))
        .await?)
}

/// Refuses a form whose CSRF token is not its session's (403).
pub(super) async fn require_csrf(
    state: &AppState,
    headers: &HeaderMap,
    given: &str,
) -> Result<(), ApiError> {
    let (_, csrf) = session(state, headers).await?;
    if given.is_empty() || !signature_equal(given.as_bytes(), csrf.as_bytes()) {
        return Err(ApiError::Forbidden(
            "this form has expired: reload the page and send it again".into(),
        ));
    }
    Ok(())
}

/// The CSRF token of the request's session, for the forms of a page.
pub(super) async fn csrf_of(state: &AppState, headers: &HeaderMap) -> Result<String, ApiError> {
    Ok(session(state, headers).await?.1)
}

/// `GET /console/login`
pub(super) async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Html, ApiError> {
    let console = console(&state)?;
    render(console, "login.html", language_of(&headers), &json!({}))
}

#[derive(Debug, Deserialize)]
pub(super) struct LoginForm {
    #[serde(default)]
    token: String,
}

/// `POST /console/login` (`token=`): opens a session and goes to the incidents. Attempts
/// are limited per client address; a failure is audited (never what was typed).
pub(super) async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, ApiError> {
    let console = console(&state)?;
    let language = language_of(&headers);
    console.logins.retain_recent();
    let client = console.proxies.client(peer.ip(), &headers);
    if console.logins.check_key(&client).is_err() {
        let page = render(
            console,
            "login.html",
            language,
            &json!({ "error": "login_limited" }),
        )?;
        return Ok((StatusCode::TOO_MANY_REQUESTS, page).into_response());
    }
    let now = state.store.now_ms();
    let token = form.token.trim().to_owned();
    let caller = match token_caller(&state, &token).await {
        Ok(caller) => caller,
        Err(ApiError::Unauthorized(_)) => {
            state.store.write(move |c| sessions::failed(c, now)).await?;
            let page = render(
                console,
                "login.html",
                language,
                &json!({ "error": "login_failed" }),
            )?;
            return Ok((StatusCode::UNAUTHORIZED, page).into_response());
        }
        Err(other) => return Err(other),
    };
    let (token_digest, who) = (digest(&token), caller.who.clone());
    let lifetimes = console.lifetimes;
    let opened = state
        .store
        .write(move |c| sessions::open(c, &token_digest, &who, lifetimes, now))
        .await?;
    let cookie = session_cookie(console, &opened.cookie, console.lifetimes.max_ms / 1000);
    Ok((
        [(header::SET_COOKIE, cookie)],
        Redirect::to("/console/incidents"),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
pub(super) struct CsrfForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

/// `POST /console/logout`: ends the session and forgets the cookie.
pub(super) async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, ApiError> {
    let console = console(&state)?;
    // A session that already ended needs no CSRF token to forget its cookie.
    let live = session(&state, &headers).await.ok();
    if let Some((caller, csrf)) = live {
        if form.csrf.is_empty() || !signature_equal(form.csrf.as_bytes(), csrf.as_bytes()) {
            return Err(ApiError::Forbidden(
                "this form has expired: reload the page and send it again".into(),
            ));
        }
        let Some(cookie) = cookie(&headers, SESSION_COOKIE) else {
            return Err(ApiError::Unauthorized("no session"));
        };
        let (lifetimes, now, who) = (console.lifetimes, state.store.now_ms(), caller.who);
        state
            .store
            .write(move |c| {
                if let Some(found) = sessions::find(c, &cookie, lifetimes, now)? {
                    sessions::close(c, found.session.id, &who, now)?;
                }
                Ok(())
            })
            .await?;
    }
    Ok((
        [(header::SET_COOKIE, session_cookie(console, "", 0))],
        Redirect::to("/console/login"),
    )
        .into_response())
}

/// `GET /console/language/{code}`: the console in that language from now on.
pub(super) async fn language(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let console = console(&state)?;
    let language = Language::parse(&code)
        .ok_or_else(|| ApiError::NotFound(format!("no language `{code}`: fr or en")))?;
    let secure = if console.secure { "; Secure" } else { "" };
    let cookie = format!(
        "{LANGUAGE_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax{secure}",
        language.code()
    );
    Ok((
        [(header::SET_COOKIE, cookie)],
        Redirect::to("/console/incidents"),
    )
        .into_response())
}

/// The session cookie: script cannot read it, other sites' pages never send it.
fn session_cookie(console: &ConsoleState, value: &str, max_age_secs: i64) -> String {
    let secure = if console.secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={value}; Path=/console; Max-Age={max_age_secs}; HttpOnly; SameSite=Strict{secure}"
    )
}
