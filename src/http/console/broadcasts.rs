//! Broadcasts from the console: compose with the text's SMS count and encoding as it is
//! typed, see how many contacts it would reach and confirm, then watch it go out. Each step
//! is the API's own (`http::broadcasts`): the same checks, zones and audit.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Redirect;
use serde::Deserialize;
use serde_json::json;

use super::session::require_csrf;
use super::{Html, console, language_of, render, whole_page};
use crate::broadcast::BroadcastInput;
use crate::http::auth::Coordinator;
use crate::http::{ApiError, AppState};
use crate::store::broadcasts as queries;

/// Broadcasts listed on the page.
const RECENT: u32 = 20;
/// The roles a broadcast may be limited to.
const ROLES: [&str; 3] = ["responder", "monitor", "coordinator"];

#[derive(Debug, Default, Deserialize)]
pub(super) struct Compose {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    zone: String,
    #[serde(default)]
    text: String,
    /// One role, or empty for everyone.
    #[serde(default)]
    role: String,
}

impl Compose {
    fn input(&self) -> BroadcastInput {
        BroadcastInput {
            zone: self.zone.trim().to_owned(),
            text: Some(self.text.trim().to_owned()),
            template: None,
            values: serde_json::Map::new(),
            roles: (!self.role.is_empty())
                .then(|| self.role.clone())
                .into_iter()
                .collect(),
            languages: Vec::new(),
        }
    }
}

/// `GET /console/broadcasts`: the form and the latest broadcasts in the caller's zones.
pub(super) async fn page(
    State(state): State<AppState>,
    Coordinator(caller): Coordinator,
    headers: HeaderMap,
) -> Result<Html, ApiError> {
    let recent = state.store.read(|c| queries::recent(c, RECENT)).await?;
    let names = state.intake.fanout().zone_names();
    let recent: Vec<_> = recent
        .into_iter()
        .filter(|b| caller.covers(names.keys_up(&b.zone).into_iter()))
        .collect();
    whole_page(
        &state,
        &caller,
        &headers,
        ("broadcasts.html", "broadcasts"),
        json!({
            "roles": ROLES, "recent": recent,
        }),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub(super) struct Text {
    #[serde(default)]
    text: String,
}

/// `GET /console/broadcasts/count?text=`: how the text would go, as it is typed.
pub(super) async fn count(
    State(state): State<AppState>,
    _: Coordinator,
    headers: HeaderMap,
    Query(Text { text }): Query<Text>,
) -> Result<Html, ApiError> {
    let console = console(&state)?;
    let sms = state.outbound.measure(&text);
    let values = json!({
        "segments": sms.segments, "units": sms.units,
        "encoding": sms.encoding.label(),
    });
    render(
        console,
        "broadcast_count.html",
        language_of(&headers),
        &values,
    )
}

/// `POST /console/broadcasts/preview`: the confirm step, with the number of recipients.
pub(super) async fn confirm(
    State(state): State<AppState>,
    Coordinator(caller): Coordinator,
    headers: HeaderMap,
    Form(form): Form<Compose>,
) -> Result<Html, ApiError> {
    require_csrf(&state, &headers, &form.csrf).await?;
    let preview = state.broadcasts().preview(&caller, &form.input()).await?;
    whole_page(
        &state,
        &caller,
        &headers,
        ("broadcast_confirm.html", "broadcasts"),
        json!({
            "zone": form.zone, "text": form.text, "chosen_role": form.role,
            "preview": preview,
        }),
    )
    .await
}

/// `POST /console/broadcasts`: sends the confirmed broadcast, then shows its progress.
pub(super) async fn create(
    State(state): State<AppState>,
    Coordinator(caller): Coordinator,
    headers: HeaderMap,
    Form(form): Form<Compose>,
) -> Result<Redirect, ApiError> {
    require_csrf(&state, &headers, &form.csrf).await?;
    let (id, _) = state.broadcasts().send(&caller, form.input()).await?;
    Ok(Redirect::to(&format!("/console/broadcasts/{id}")))
}

/// `GET /console/broadcasts/{id}`: queued, sent, delivered, failed, kept live.
pub(super) async fn one(
    State(state): State<AppState>,
    Coordinator(caller): Coordinator,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Html, ApiError> {
    let live_from = super::live::live_from(&state).await?;
    whole_page(
        &state,
        &caller,
        &headers,
        ("broadcast.html", "broadcasts"),
        json!({
            "live_from": live_from,
            "broadcast": state.broadcasts().standing(&caller, id).await?,
        }),
    )
    .await
}

/// `GET /console/broadcasts/{id}/progress`: the counts alone, for live updates.
pub(super) async fn progress(
    State(state): State<AppState>,
    Coordinator(caller): Coordinator,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Html, ApiError> {
    let console = console(&state)?;
    let values = json!({ "broadcast": state.broadcasts().standing(&caller, id).await? });
    render(
        console,
        "broadcast_progress.html",
        language_of(&headers),
        &values,
    )
}
