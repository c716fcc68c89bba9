//! `POST /api/broadcasts` (`{"zone", "text" or "template" and "values", "roles",
//! "languages"}`): one message per
//! matching active contact who did not send STOP, with broadcast priority, all queued in
//! one transaction (audited); `GET /api/broadcasts/{id}`: how its messages stand. A text
//! over the broadcast segment limit is refused with its segment count, never cut.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Coordinator;
use super::{ApiError, AppState};
use crate::access::Caller;
use crate::broadcast::{Reach, Texts, queue};
use crate::contacts::ROLES;
use crate::outbound::Purpose;
use crate::store::broadcasts::{self as queries, NewBroadcast};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BroadcastInput {
    pub zone: String,
    /// The text, or a template (`templates/sms/<lang>/broadcasts/<name>.txt`) and its
    /// values, rendered in each recipient's language.
    pub text: Option<String>,
    pub template: Option<String>,
    #[serde(default)]
    pub values: serde_json::Map<String, Value>,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub languages: Vec<String>,
}

/// `POST /api/broadcasts`: 201 with the id and the number of recipients.
pub(super) async fn create(
    State(state): State<AppState>,
    Coordinator(caller): Coordinator,
    Json(input): Json<BroadcastInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (id, n) = send(&state, caller, input).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "recipients": n })),
    ))
}

/// A coordinator's broadcast, checked, stored, queued and audited; its id and number of
/// recipients.
pub(super) async fn send(
    state: &AppState,
    caller: Caller,
    input: BroadcastInput,
) -> Result<(i64, usize), ApiError> {
    let texts = checked(state, &caller, &input)?;
    let broadcast = NewBroadcast {
        zone: input.zone,
        text: texts.default.clone(),
        roles: input.roles,
        languages: input.languages,
        created_by: caller.who,
        contact_id: None,
    };
    let (intake, outbound) = (state.intake.clone(), state.outbound.clone());
    let now = state.store.now_ms();
    let (id, n, channels) = state
        .store
        .write(move |conn| {
            let reach = Reach {
                reports: intake.reports(),
                fanout: intake.fanout(),
            };
            queue(conn, &reach, &outbound, &broadcast, &texts, now)
        })
        .await?;
    for channel in channels {
        state.outbound.wake(&channel);
    }
    Ok((id, n))
}

/// What a broadcast would be, without sending it: its text's segments and encoding, and
/// how many contacts it would reach. Refused as `send` would refuse it.
pub(super) async fn preview(
    state: &AppState,
    caller: &Caller,
    input: &BroadcastInput,
) -> Result<Value, ApiError> {
    let texts = checked(state, caller, input)?;
    let sms = state.outbound.measure(&texts.default);
    let audience = (
        input.zone.clone(),
        input.roles.clone(),
        input.languages.clone(),
    );
    let intake = state.intake.clone();
    let recipients = state
        .store
        .read(move |conn| {
            let reach = Reach {
                reports: intake.reports(),
                fanout: intake.fanout(),
            };
            let (zone, roles, languages) = &audience;
            let audience = crate::broadcast::Audience {
                zone,
                roles,
                languages,
            };
            Ok(reach.recipients(conn, &audience)?.len())
        })
        .await?;
    Ok(json!({
        "text": texts.default,
        "segments": sms.segments,
        "encoding": sms.encoding.label(),
        "recipients": recipients,
    }))
}

/// The broadcast's texts, once its zone, roles, languages and length are checked.
fn checked(state: &AppState, caller: &Caller, input: &BroadcastInput) -> Result<Texts, ApiError> {
    let names = state.intake.fanout().zone_names();
    names
        .canonical(&input.zone)
        .map_err(|e| ApiError::Invalid(format!("zone: {e}")))?;
    if !caller.covers(names.keys_up(&input.zone).into_iter()) {
        return Err(ApiError::Forbidden(format!(
            "zone `{}` is outside this token's zones",
            input.zone
        )));
    }
    if let Some(bad) = input.roles.iter().find(|r| !ROLES.contains(&r.as_str())) {
        return Err(ApiError::Invalid(format!(
            "roles: `{bad}` is not monitor, responder or coordinator"
        )));
    }
    let vocabulary = &state.intake.reports().vocabulary;
    if let Some(bad) = input.languages.iter().find(|l| vocabulary.get(l).is_none()) {
        return Err(ApiError::Invalid(format!(
            "languages: `{bad}` is not a language Vigie speaks"
        )));
    }
    let texts = texts(state, input)?;
    for text in std::iter::once(&texts.default).chain(texts.by_language.values()) {
        state.outbound.check(text, Purpose::Broadcast)?;
    }
    Ok(texts)
}

/// The text, or the template rendered in each of its languages (the default language's
/// for contacts of a language it lacks).
fn texts(state: &AppState, input: &BroadcastInput) -> Result<Texts, ApiError> {
    let reports = state.intake.reports();
    let (text, template) = (&input.text, &input.template);
    let name = match (text, template) {
        (Some(text), None) => return Ok(Texts::same(text.clone())),
        (None, Some(name)) => name,
        _ => {
            return Err(ApiError::Invalid(
                "give a text, or a template and its values, not both".into(),
            ));
        }
    };
    let values = minijinja::Value::from_serialize(&input.values);
    let rendered = reports.broadcasts.render(name, &values).ok_or_else(|| {
        let known: Vec<&str> = reports.broadcasts.names().collect();
        ApiError::Invalid(format!(
            "template: no broadcast template `{name}`; there are: {}",
            known.join(", ")
        ))
    })?;
    let by_language = rendered.map_err(|e| ApiError::Invalid(format!("template `{name}`: {e}")))?;
    let default = &reports.vocabulary.default_language().code;
    let text = by_language
        .get(default)
        .or_else(|| by_language.values().next())
        .cloned()
        .unwrap_or_default();
    Ok(Texts {
        default: text,
        by_language,
    })
}

/// `GET /api/broadcasts/{id}`
pub(super) async fn one(
    State(state): State<AppState>,
    Coordinator(caller): Coordinator,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(standing(&state, &caller, id).await?))
}

/// How broadcast `id`'s messages stand: 404 if there is none, 403 outside the caller's
/// zones.
pub(super) async fn standing(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<Value, ApiError> {
    let ((zone, text, recipients, at, status), counts) = state
        .store
        .read(move |c| queries::standing(c, id))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no broadcast {id}")))?;
    let names = state.intake.fanout().zone_names();
    if !caller.covers(names.keys_up(&zone).into_iter()) {
        return Err(ApiError::Forbidden(format!(
            "broadcast {id} is outside this token's zones"
        )));
    }
    let counts: HashMap<String, i64> = counts.into_iter().collect();
    let count = |s: &str| counts.get(s).copied().unwrap_or(0);
    Ok(json!({
        "id": id, "zone": zone, "text": text, "recipients": recipients, "status": status,
        "created_at": crate::clock::to_rfc3339(at),
        "queued": count("queued") + count("sending"), "sent": count("sent"),
        "delivered": count("delivered"), "failed": count("failed") + count("expired"),
    }))
}
