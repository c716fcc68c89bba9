//! Provider webhooks: inbound SMS, USSD steps and delivery reports.
//!
//! Every request is authenticated, parsed and committed before it is answered 2xx. A
//! provider's retry of a stored message gets the same 2xx and stores nothing new.

use std::time::Instant;

use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{Method, header};
use axum::response::{IntoResponse, Response};
use http_body_util::LengthLimitError;
use serde::Serialize;
use serde_json::json;

use super::{ApiError, AppState, MAX_BODY_BYTES};
use crate::config::ChannelKind;
use crate::inbound::Accepted;
use crate::metrics::WebhookRoute;
use crate::provider::{self, Channel, WebhookRequest};
use crate::store::StoreError;
use crate::store::db::Db;
use crate::store::inbound::Stored;

/// `POST|GET /webhooks/{channel}/sms`
pub(super) async fn inbound_sms(
    State(state): State<AppState>,
    Path(channel): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    timed(&state, WebhookRoute::Sms, async {
        let req = webhook_request(request).await?;
        receive_sms(&state, &channel, &req).await
    })
    .await
}

async fn receive_sms(
    state: &AppState,
    channel_id: &str,
    req: &WebhookRequest,
) -> Result<Response, ApiError> {
    let channel = admit(state, channel_id, req, WebhookRoute::Sms)?;
    let accepted = match provider::parse_inbound(channel.kind, req) {
        Ok(batch) => state
            .inbound
            .accept(channel, batch)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e.into()),
    };
    if let Err(ApiError::Payload(e)) = &accepted {
        state.metrics.inbound(&channel.id, "malformed");
        tracing::warn!(channel = %channel.id, error = %e, "inbound webhook refused");
    }
    let accepted = accepted?;
    state.intake.notify();
    Ok(sms_answer(channel.kind, &accepted))
}

/// `POST /webhooks/{channel}/ussd`: one step of a USSD session, answered `CON <screen>`
/// or `END <screen>` in plain text, once the step is committed.
pub(super) async fn ussd(
    State(state): State<AppState>,
    Path(channel): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    timed(&state, WebhookRoute::Ussd, async {
        let req = webhook_request(request).await?;
        let channel = admit(&state, &channel, &req, WebhookRoute::Ussd)?;
        let step = provider::parse_ussd(channel.kind, &req)?;
        let screen = answer_ussd(&state, &channel.id, &step, None::<crate::ussd::Also>).await?;
        Ok((
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            screen,
        )
            .into_response())
    })
    .await
}

/// `POST|GET /webhooks/{channel}/status`
pub(super) async fn status(
    State(state): State<AppState>,
    Path(channel): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    timed(&state, WebhookRoute::Status, async {
        let req = webhook_request(request).await?;
        receive_status(&state, &channel, &req).await
    })
    .await
}

async fn receive_status(
    state: &AppState,
    channel_id: &str,
    req: &WebhookRequest,
) -> Result<Response, ApiError> {
    let channel = admit(state, channel_id, req, WebhookRoute::Status)?;
    let batch = provider::parse_status(channel.kind, req).inspect_err(|e| {
        tracing::warn!(channel = %channel.id, error = %e, "delivery report refused");
    })?;
    let stored = state.delivery.record(channel, batch).await?;
    Ok(Json(json!({ "status": "accepted", "stored": stored })).into_response())
}

/// Runs a webhook and records how long it took to answer.
async fn timed(
    state: &AppState,
    route: WebhookRoute,
    work: impl Future<Output = Result<Response, ApiError>>,
) -> Result<Response, ApiError> {
    let started = Instant::now();
    let result = work.await;
    let seconds = started.elapsed().as_secs_f64();
    state.metrics.webhook_latency(route, seconds);
    result
}

/// Takes the request apart without copying its headers, reading at most `MAX_BODY_BYTES`.
async fn webhook_request(request: Request) -> Result<WebhookRequest, ApiError> {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|e| {
            if e.into_inner().downcast_ref::<LengthLimitError>().is_some() {
                ApiError::BodyTooLarge(MAX_BODY_BYTES)
            } else {
                ApiError::BadRequest("cannot read the request body".into())
            }
        })?;
    Ok(WebhookRequest {
        method: parts.method,
        uri: parts.uri,
        headers: parts.headers,
        body,
    })
}

/// Finds the channel, checks the method and authenticates the request. Delivery reports may
/// come by GET from any provider; inbound SMS only from those that send them so.
fn admit<'a>(
    state: &'a AppState,
    channel_id: &str,
    req: &WebhookRequest,
    route: WebhookRoute,
) -> Result<&'a Channel, ApiError> {
    let channel = state
        .channels
        .get(channel_id)
        .ok_or_else(|| ApiError::UnknownChannel(channel_id.to_owned()))?;
    let get_allowed = matches!(route, WebhookRoute::Status) || provider::accepts_get(channel.kind);
    if req.method == Method::GET && !get_allowed {
        return Err(ApiError::MethodNotAllowed(channel.kind.as_str()));
    }
    if let Err(e) = provider::authenticate(channel, req, state.public_url.as_deref()) {
        if matches!(route, WebhookRoute::Sms) {
            state.metrics.inbound(&channel.id, "unauthorized");
        }
        tracing::warn!(channel = %channel.id, error = %e, "webhook refused");
        return Err(e.into());
    }
    Ok(channel)
}

/// Twilio wants TwiML (an empty response sends no auto-reply); Kannel may turn a body into
/// an SMS to the monitor, so it gets none; the others ignore the body.
fn sms_answer(kind: ChannelKind, accepted: &Accepted) -> Response {
    match kind {
        ChannelKind::Twilio => {
            let twiml = r#"<?xml version="1.0" encoding="UTF-8"?><Response/>"#;
            return ([(header::CONTENT_TYPE, "text/xml")], twiml).into_response();
        }
        ChannelKind::Kannel => return ([(header::CONTENT_TYPE, "text/plain")], "").into_response(),
        _ => {}
    }
    let messages = accepted.stored.iter().map(|s| match *s {
        Stored::New(id) => MessageAnswer::Stored {
            id,
            duplicate: false,
        },
        Stored::Duplicate(id) => MessageAnswer::Stored {
            id,
            duplicate: true,
        },
        Stored::PartPending => MessageAnswer::Part {
            part: "stored, waiting for the other parts",
        },
    });
    let rejected = accepted.rejected.iter().map(ToString::to_string).collect();
    Json(SmsAnswer {
        status: "accepted",
        messages: messages.collect(),
        rejected,
    })
    .into_response()
}

#[derive(Serialize)]
struct SmsAnswer {
    status: &'static str,
    messages: Vec<MessageAnswer>,
    rejected: Vec<String>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum MessageAnswer {
    Stored { id: i64, duplicate: bool },
    Part { part: &'static str },
}

/// What the console's phone simulator sends, as the `sim` channel would bring it: the
/// form fields of an SMS (`from`, `text`) or of a USSD step (`sessionId`, `phoneNumber`,
/// `text`). The admin playing the phone is authenticated already; the message is stored
/// and read exactly as a provider's, with `also` in the same transaction (its audit entry).
/// Returns the USSD screen for a step.
pub(super) async fn simulate<A>(
    state: &AppState,
    ussd: bool,
    fields: &[(&str, &str)],
    also: A,
) -> Result<Option<String>, ApiError>
where
    A: Fn(&Db<'_>) -> Result<(), StoreError> + Send + 'static,
{
    let channel = state
        .channels
        .of_kind(ChannelKind::Sim)
        .next()
        .cloned()
        .ok_or_else(|| ApiError::UnknownChannel("sim".into()))?;
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let mut headers = axum::http::HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    let req = WebhookRequest {
        method: Method::POST,
        uri: axum::http::Uri::from_static("/webhooks/sim/sms"),
        headers,
        body: body.into(),
    };
    if !ussd {
        let batch = provider::parse_inbound(channel.kind, &req)?;
        state.inbound.accept_with(&channel, batch, also).await?;
        state.intake.notify();
        return Ok(None);
    }
    let step = provider::parse_ussd(channel.kind, &req)?;
    Ok(Some(
        answer_ussd(state, &channel.id, &step, Some(also)).await?,
    ))
}

/// The screen answering a USSD step, committed (with `also`, if any); a report the step
/// filed is read at once.
async fn answer_ussd<A>(
    state: &AppState,
    channel: &str,
    step: &provider::UssdStep,
    also: Option<A>,
) -> Result<String, ApiError>
where
    A: Fn(&Db<'_>) -> Result<(), StoreError> + Send + 'static,
{
    let phone = state
        .outbound
        .address(&step.phone)
        .map_err(|e| ApiError::BadRequest(format!("phoneNumber: {e}")))?;
    let (screen, filed) = state
        .ussd
        .answer_with(channel, step, phone.as_str(), also)
        .await?;
    if filed {
        state.intake.notify();
    }
    Ok(screen)
}
