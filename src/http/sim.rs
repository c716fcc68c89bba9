//! The sim channel's outbox: what Vigie sent to simulated phones.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, Uri};
use serde_json::{Value, json};

use super::api::outbound_json;
use super::{ApiError, AppState};
use crate::access::Role;
use crate::config::ChannelKind;
use crate::phone::Address;
use crate::provider::{self, WebhookRequest};
use crate::store::outbound_views as outbound;

/// `GET /sim/outbox[?to=NUMBER]`: newest first. Guarded by the sim channel's secret, if
/// any; on a listener other machines reach, by the admin token too: it shows numbers.
pub(super) async fn outbox(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let Some(sim) = state.channels.of_kind(ChannelKind::Sim).next().cloned() else {
        return Err(ApiError::UnknownChannel("sim".into()));
    };
    let req = WebhookRequest {
        method: Method::GET,
        uri,
        headers,
        body: Default::default(),
    };
    if !state.loopback_only {
        super::auth::authorize(&state, &req.headers, Role::Admin, false).await?;
    }
    provider::authenticate(&sim, &req, None)?;
    // `?to=76123456` finds what was sent to +22376123456.
    let to = query.get("to").map(|to| {
        Address::parse(to, sim.country).map_or_else(|_| to.clone(), |a| a.as_str().to_owned())
    });
    let filter = outbound::Filter {
        channel: Some(sim.id.clone()),
        recipient: to,
        ..Default::default()
    };
    let rows = state
        .store
        .read(move |c| outbound::list(c, &filter, 1000))
        .await?;
    let messages: Vec<Value> = rows.into_iter().map(outbound_json).collect();
    Ok(Json(json!({ "messages": messages })))
}
