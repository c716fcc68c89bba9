//! `POST /api/incidents/{id}/verify|dismiss|close` (`{"note": "..."}` optional): a
//! coordinator's review, within the token's zones, audited. Verifying lets an incident
//! alert in zones that wait for it; dismissing or closing stops its escalation.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::auth::Coordinator;
use super::incidents::whereabouts;
use super::{ApiError, AppState};
use crate::access::Caller;
use crate::fanout::Tx;
use crate::store::{alerts, audit, incident_views};

/// `POST /api/incidents/{id}/{action}`
pub(super) async fn review(
    State(state): State<AppState>,
    Coordinator(caller): Coordinator,
    Path((id, action)): Path<(i64, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let note = note_of(&body)?;
    let review = apply(&state, caller, id, &action, note).await?;
    Ok(Json(json!({ "incident": id, "review": review })))
}

/// A coordinator's review of incident `id` (`verify`, `dismiss` or `close`), within their
/// zones, audited; returns the review it came to.
pub(super) async fn apply(
    state: &AppState,
    caller: Caller,
    id: i64,
    action: &str,
    note: String,
) -> Result<&'static str, ApiError> {
    let review = match action {
        "verify" => "verified",
        "dismiss" => "dismissed",
        "close" => "closed",
        other => {
            return Err(ApiError::NotFound(format!(
                "no action `{other}`: verify, dismiss or close"
            )));
        }
    };
    let incident = state
        .store
        .read(move |c| incident_views::one(c, id))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no incident {id}")))?;
    let fanout = state.intake.fanout();
    if !caller.covers(fanout.zones_of(&whereabouts(&incident)).into_iter()) {
        return Err(ApiError::Forbidden(format!(
            "incident {id} is outside this token's zones"
        )));
    }
    let (outbound, fanout, who) = (state.outbound.clone(), fanout.clone(), caller.who);
    let now = state.store.now_ms();
    let action = action.to_owned();
    let note: String = note.chars().take(1000).collect();
    let channels = state
        .store
        .write(move |conn| {
            alerts::review(conn, id, review, &note, now)?;
            let detail = json!({ "review": review, "note": note });
            audit::append(
                conn,
                &who,
                &format!("incident.{action}"),
                &format!("incident {id}"),
                &detail,
                now,
            )?;
            let tx = Tx {
                conn,
                outbound: &outbound,
                now,
            };
            fanout.after_change(&tx, id)
        })
        .await?;
    for channel in channels {
        state.outbound.wake(&channel);
    }
    Ok(review)
}

/// The optional `{"note": "..."}` of a review.
fn note_of(body: &[u8]) -> Result<String, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(String::new());
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("a JSON object with a `note`: {e}")))?;
    match value.get("note") {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(note)) => Ok(note.chars().take(1000).collect()),
        Some(_) => Err(ApiError::BadRequest("note: a text".into())),
    }
}
