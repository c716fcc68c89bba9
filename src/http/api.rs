//! The admin API (`/api/...`), behind the admin bearer token.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::auth::Admin;
use super::{ApiError, AppState};
use crate::clock;
use crate::outbound::{NewMessage, Purpose};
use crate::store::inbound_views as inbound;
use crate::store::outbound_views as outbound;

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 1000;

/// The token of an `Authorization: Bearer <token>` value; the scheme's name is
/// case-insensitive (RFC 9110), so `bearer` and `BEARER` do too.
pub(super) fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim_start().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// `GET /api/messages?direction=in|out&limit=N&before=ID[&status=S]`: stored messages,
/// newest first; outbound ones can be filtered by status.
pub(super) async fn messages(
    State(state): State<AppState>,
    _: Admin,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let (limit, before) = page(&query)?;
    let messages = match query.get("direction").map_or("in", String::as_str) {
        "in" => {
            let rows = state
                .store
                .read(move |db| inbound::list(db, limit, before))
                .await?;
            rows.into_iter().map(inbound_json).collect::<Vec<_>>()
        }
        "out" => {
            let filter = outbound::Filter {
                status: status_filter(&query)?,
                before,
                ..Default::default()
            };
            let rows = state
                .store
                .read(move |c| outbound::list(c, &filter, limit))
                .await?;
            rows.into_iter().map(outbound_json).collect()
        }
        other => {
            return Err(ApiError::BadRequest(format!(
                "direction must be `in` or `out`, not `{other}`"
            )));
        }
    };
    let next = messages.last().and_then(|m| m.get("id")).cloned();
    Ok(Json(json!({ "messages": messages, "next_before": next })))
}

/// `limit=` (1 to 1000, default 50) and `before=` (an id) of a listing.
pub(super) fn page(query: &HashMap<String, String>) -> Result<(u32, Option<i64>), ApiError> {
    let limit = number(query, "limit")?.map_or(Ok(DEFAULT_LIMIT), |n| {
        u32::try_from(n)
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| ApiError::BadRequest(format!("limit must be between 1 and {MAX_LIMIT}")))
    })?;
    Ok((limit, number(query, "before")?))
}

/// `status=` for outbound messages: one of the lifecycle's statuses.
fn status_filter(query: &HashMap<String, String>) -> Result<Option<String>, ApiError> {
    const STATUSES: [&str; 6] = [
        "queued",
        "sending",
        "sent",
        "delivered",
        "failed",
        "expired",
    ];
    match query.get("status") {
        None => Ok(None),
        Some(s) if STATUSES.contains(&s.as_str()) => Ok(Some(s.clone())),
        Some(other) => Err(ApiError::BadRequest(format!(
            "status must be one of {}, not `{other}`",
            STATUSES.join(", ")
        ))),
    }
}

fn number(query: &HashMap<String, String>, name: &str) -> Result<Option<i64>, ApiError> {
    query
        .get(name)
        .map(|v| {
            v.parse().map_err(|_| {
                ApiError::BadRequest(format!("{name} must be a whole number, not `{v}`"))
            })
        })
        .transpose()
}

/// Numbers are shown in full: only admins reach this API.
fn inbound_json(m: inbound::InboundRow) -> Value {
    json!({
        "id": m.id,
        "direction": "in",
        "channel": m.channel,
        "provider_message_id": m.provider_message_id,
        "sender": m.sender,
        "recipient": m.recipient,
        "text": m.text,
        "flags": { "truncated": m.truncated, "throttled": m.throttled, "loop": m.is_loop, "incomplete": m.incomplete },
        "parts": m.parts,
        "provider_time": m.provider_ts.and_then(clock::to_rfc3339),
        "received_at": clock::to_rfc3339(m.received_at),
        "state": m.state,
    })
}

pub(super) fn outbound_json(m: outbound::OutboundRow) -> Value {
    let time = |ms: Option<i64>| ms.and_then(clock::to_rfc3339);
    json!({
        "id": m.id,
        "direction": "out",
        "channel": m.channel,
        "recipient": m.recipient,
        "text": m.text,
        "purpose": m.purpose,
        "status": m.status,
        "attempts": m.attempts,
        "segments": m.segments,
        "encoding": m.encoding,
        "provider_message_id": m.provider_message_id,
        "provider_status": m.provider_status,
        "error_code": m.error_code,
        "last_error": m.last_error,
        "next_attempt_at": (m.status == "queued").then(|| clock::to_rfc3339(m.next_attempt_at)).flatten(),
        "created_at": clock::to_rfc3339(m.created_at),
        "sent_at": time(m.sent_at),
        "delivered_at": time(m.delivered_at),
        "finished_at": time(m.finished_at),
    })
}

/// `POST /api/messages` `{"to": "+22376123456", "text": "...", "purpose": "system"}`:
/// queues one SMS; 202 with its id, channel and segments, 422 if it may not be sent as is.
pub(super) async fn send(
    State(state): State<AppState>,
    _: Admin,
    Json(body): Json<SendBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let purpose = match body.purpose.as_deref().unwrap_or("system") {
        "system" => Purpose::System,
        "reply" => Purpose::Reply,
        "alert" => Purpose::Alert,
        "broadcast" => Purpose::Broadcast,
        other => {
            return Err(ApiError::BadRequest(format!(
                "purpose must be system, reply, alert or broadcast, not `{other}`"
            )));
        }
    };
    let to = state
        .outbound
        .address(&body.to)
        .map_err(|e| ApiError::BadRequest(format!("to: {e}")))?;
    let queued = state
        .outbound
        .enqueue(vec![NewMessage::new(to, body.text, purpose)])
        .await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "messages": queued }))))
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SendBody {
    to: String,
    text: String,
    purpose: Option<String>,
}
