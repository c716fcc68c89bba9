//! The console's HTTP side: `/console` pages rendered on the server (`crate::console`),
//! plain forms with a CSRF token, a session cookie, assets at hashed paths, and one live
//! stream. The same role extractors as the API decide who sees what; every page works
//! without JavaScript.

mod assets;
mod backlog;
mod board;
mod broadcasts;
mod contacts;
mod live;
mod pages;
mod session;
mod simulator;
mod silences;
mod tokens;
mod zones;

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub(super) use session::session_caller;

use super::client::Proxies;
use super::{ApiError, AppState};
use crate::access::Caller;
use crate::config::{ConsoleConfig, ReportsConfig, ServerConfig};
use crate::console::{Boundaries, Console, Language};
use crate::live::Live;
use crate::sessions::Lifetimes;

/// What the console needs besides the gateway's stages.
#[derive(Debug)]
pub struct ConsoleState {
    pages: Console,
    live: Arc<Live>,
    lifetimes: Lifetimes,
    /// Cookies are `Secure` when the console is reached over https.
    secure: bool,
    tiles_url: Option<String>,
    csp: HeaderValue,
    logins: DefaultKeyedRateLimiter<IpAddr>,
    /// Whose `X-Forwarded-For` names the client logging in.
    proxies: Proxies,
    /// The admin boundaries drawn under the map, and each unit's outline.
    boundaries: Boundaries,
}

impl ConsoleState {
    pub fn new(
        config: &ConsoleConfig,
        server: &ServerConfig,
        reports: &ReportsConfig,
        live: Arc<Live>,
    ) -> anyhow::Result<Self> {
        let boundaries = match &reports.boundaries {
            Some(path) => crate::console::boundaries(path, &reports.countries)
                .map_err(|e| anyhow::anyhow!("the console's basemap: {e}"))?,
            None => Boundaries {
                basemap: r#"{"type":"FeatureCollection","features":[]}"#.to_owned(),
                ..Boundaries::default()
            },
        };
        let minutes = |m: u64| i64::try_from(m.saturating_mul(60_000)).unwrap_or(i64::MAX);
        let per_minute = NonZeroU32::new(config.logins_per_minute).unwrap_or(NonZeroU32::MIN);
        let tiles = config
            .tiles_origin()
            .map_or(String::new(), |o| format!(" {o}"));
        let csp = format!(
            "default-src 'self'; img-src 'self' data:{tiles}; style-src 'self'; \
             script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
             form-action 'self'"
        );
        Ok(Self {
            pages: Console::load(reports.time_zone()?)?,
            live,
            lifetimes: Lifetimes {
                idle_ms: minutes(config.session_idle_mins),
                max_ms: minutes(config.session_max_hours.saturating_mul(60)),
            },
            secure: server
                .public_url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://")),
            tiles_url: config.tiles_url.clone(),
            csp: HeaderValue::from_str(&csp)?,
            logins: RateLimiter::keyed(Quota::per_minute(per_minute)),
            proxies: Proxies::new(server.proxies()?),
            boundaries,
        })
    }
}

/// `/` and the `/console` routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/console") }))
        .route(
            "/console",
            get(|| async { Redirect::to("/console/incidents") }),
        )
        .route(
            "/console/login",
            get(session::login_page).post(session::login),
        )
        .route("/console/logout", post(session::logout))
        .route("/console/language/{code}", get(session::language))
        .route("/console/incidents", get(pages::incidents))
        .route("/console/board", get(board::board))
        .route(
            "/console/broadcasts",
            get(broadcasts::page).post(broadcasts::create),
        )
        .route("/console/broadcasts/count", get(broadcasts::count))
        .route("/console/broadcasts/preview", post(broadcasts::confirm))
        .route("/console/broadcasts/{id}", get(broadcasts::one))
        .route(
            "/console/broadcasts/{id}/progress",
            get(broadcasts::progress),
        )
        .route("/console/board/rows", get(board::rows))
        .route("/console/board/silences", get(silences::rows))
        .route("/console/backlog", get(backlog::notice))
        .route("/console/map/silences.geojson", get(silences::points))
        .route("/console/incidents/rows", get(pages::rows))
        .route("/console/incidents/{id}", get(pages::incident))
        .route("/console/incidents/{id}/review", post(pages::review))
        .route("/console/incidents/{id}/correct", post(pages::correct))
        .route(
            "/console/incidents/{id}/cap",
            get(crate::http::cap::incident),
        )
        .route("/console/map/incidents.geojson", get(pages::points))
        .route("/console/map/basemap.geojson", get(assets::basemap))
        .route("/console/events", get(live::events))
        .route(
            "/console/simulator",
            get(simulator::page).post(simulator::send),
        )
        .route("/console/simulator/inbox", get(simulator::inbox_rows))
        .route("/console/tokens", get(tokens::page).post(tokens::create))
        .route(
            "/console/contacts",
            get(contacts::page).post(contacts::create),
        )
        .route(
            "/console/contacts/import",
            post(contacts::import).layer(DefaultBodyLimit::max(super::MAX_IMPORT_BYTES)),
        )
        .route("/console/zones", get(zones::page))
        .route("/console/map/zones.geojson", get(zones::shapes))
        .route("/console/zones/{code}", post(zones::update))
        .route(
            "/console/contacts/{id}",
            get(contacts::edit).post(contacts::update),
        )
        .route("/console/tokens/{id}/revoke", post(tokens::revoke))
        .route("/console/assets/{hash}/{*path}", get(assets::asset))
}

/// Headers every console answer carries, and errors as pages: a request without a valid
/// session goes to the login page; a refusal is shown, in the page's language. A form
/// posted from another site is refused before anything runs.
pub(super) async fn frame(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(console) = state.console.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let language = language_of(request.headers());
    let get = request.method() == axum::http::Method::GET;
    let htmx = request.headers().contains_key("hx-request");
    let mut response = if get || same_origin(request.headers()) {
        next.run(request).await
    } else {
        ApiError::Forbidden("a form from another site".into()).into_response()
    };
    if response.status() == StatusCode::UNAUTHORIZED && htmx {
        // A live refresh after the session ended: the whole page goes to the login.
        response
            .headers_mut()
            .insert("hx-redirect", HeaderValue::from_static("/console/login"));
    } else if response.status() == StatusCode::UNAUTHORIZED && get {
        response = Redirect::to("/console/login").into_response();
    } else if response.status().is_client_error() || response.status().is_server_error() {
        response = error_page(console, language, response).await;
    }
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, console.csp.clone());
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Whether a POST comes from one of our own pages: browsers say where a request comes
/// from (`Sec-Fetch-Site`, else `Origin`); a client that says neither is no browser.
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin.split_once("://").map(|(_, rest)| rest);
    host.is_some() && origin_host == host
}

/// A JSON refusal (`ApiError`) shown as a page with its message.
async fn error_page(console: &ConsoleState, language: Language, response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !is_json {
        return response;
    }
    let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    let message = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["message"].as_str().map(str::to_owned))
        .unwrap_or_default();
    // `code`: `status` is the frame's status strip, which a refusal does not show.
    let values = serde_json::json!({ "code": status.as_u16(), "message": message });
    match console.pages.render("error.html", language, &values) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "console error page not rendered");
            status.into_response()
        }
    }
}

/// A whole page: the page's own values in the frame every page shows (which page, who
/// is logged in and their role, the CSRF token of its forms, the status strip), rendered
/// from `template`.
async fn whole_page(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    (template, page): (&str, &str),
    own: serde_json::Value,
) -> Result<Html, ApiError> {
    let console = console(state)?;
    let mut values = serde_json::json!({
        "page": page, "who": caller.who, "role": caller.role.as_str(),
        "csrf": session::csrf_of(state, headers).await?,
        "status": status_strip(state).await?,
    });
    if let (Some(values), serde_json::Value::Object(own)) = (values.as_object_mut(), own) {
        values.extend(own);
    }
    render(console, template, language_of(headers), &values)
}

/// The strip atop every page: each sending channel up or down, messages waiting to be
/// sent, and to be read while reading is behind.
async fn status_strip(state: &AppState) -> Result<serde_json::Value, ApiError> {
    let now = state.store.now_ms();
    let (depth, behind) = state
        .store
        .read(move |db| {
            Ok((
                crate::store::outbound::depth(db)?,
                backlog::waiting(db, now)?,
            ))
        })
        .await?;
    let waiting: i64 = depth.iter().map(|(_, _, n)| n).sum();
    let channels: Vec<serde_json::Value> = state
        .outbound
        .channels_up()
        .into_iter()
        .map(|(id, up)| serde_json::json!({ "id": id, "up": up }))
        .collect();
    let sim = state
        .channels
        .of_kind(crate::config::ChannelKind::Sim)
        .next()
        .is_some();
    Ok(serde_json::json!({
        "channels": channels, "waiting": waiting, "sim": sim,
        "backlog": backlog::said(behind),
    }))
}

/// The console's state; 404 when the console is off.
/// A list as typed in one form field: items separated by commas or semicolons.
fn items(text: &str) -> Vec<String> {
    text.split([',', ';'])
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

fn console(state: &AppState) -> Result<&ConsoleState, ApiError> {
    state
        .console
        .as_ref()
        .ok_or_else(|| ApiError::NotFound("the console is off".into()))
}

/// The page's language: the one chosen (cookie), else the browser's.
fn language_of(headers: &HeaderMap) -> Language {
    let chosen = session::cookie(headers, session::LANGUAGE_COOKIE);
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Language::choose(chosen.as_deref(), accept)
}

/// A rendered page.
struct Html(String);

impl IntoResponse for Html {
    fn into_response(self) -> Response {
        ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], self.0).into_response()
    }
}

/// Renders a page or fails as a storage failure would (a template bug, logged).
fn render<S: serde::Serialize>(
    console: &ConsoleState,
    name: &str,
    language: Language,
    values: &S,
) -> Result<Html, ApiError> {
    console
        .pages
        .render(name, language, values)
        .map(Html)
        .map_err(|e| {
            tracing::error!(error = %e, "console page not rendered");
            ApiError::Internal("the page could not be made")
        })
}
