//! The responders' board: zones gone quiet first (`silences`), then alerted incidents
//! nobody has acknowledged yet, the next to escalate first, with the time left before it
//! does; then those acknowledged in the last day. Kept live like the list.

use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::{Html, console, language_of, render, whole_page};
use crate::access::Caller;
use crate::fanout::Whereabouts;
use crate::http::auth::Viewer;
use crate::http::exports::as_seen;
use crate::http::incidents::incident_json;
use crate::http::{ApiError, AppState};
use crate::store::incident_views;

/// Rows read for the board; a zone-limited caller sees those of them in their zones.
const BOARD_ROWS: u32 = 200;
/// Acknowledged incidents stay on the board this long.
const ACKED_SHOWN_MS: i64 = 24 * 3_600_000;

/// `GET /console/board`
pub(super) async fn board(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
    headers: HeaderMap,
) -> Result<Html, ApiError> {
    let live_from = super::live::live_from(&state).await?;
    whole_page(
        &state,
        &caller,
        &headers,
        ("board.html", "board"),
        json!({
            "live_from": live_from,
            "rows": board_rows(&state, &caller).await?,
            "silences": super::silences::listed(&state, &caller).await?,
        }),
    )
    .await
}

/// `GET /console/board/rows`: the board's rows alone, for live updates.
pub(super) async fn rows(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
    headers: HeaderMap,
) -> Result<Html, ApiError> {
    let console = console(&state)?;
    let values = json!({ "rows": board_rows(&state, &caller).await? });
    render(console, "board_rows.html", language_of(&headers), &values)
}

/// The board's incidents as the caller may see them, each with the minutes left before
/// its next escalation (negative: overdue).
async fn board_rows(state: &AppState, caller: &Caller) -> Result<Vec<Value>, ApiError> {
    let now = state.store.now_ms();
    let since = now - ACKED_SHOWN_MS;
    let found = state
        .store
        .read(move |c| incident_views::board(c, since, BOARD_ROWS))
        .await?;
    let fanout = state.intake.fanout();
    let gazetteer = &state.intake.reports().gazetteer;
    Ok(found
        .iter()
        .filter(|i| caller.covers(fanout.zones_of(&Whereabouts::of_incident(i)).into_iter()))
        .map(|i| {
            let mut row = incident_json(&as_seen(i, caller, gazetteer));
            row["acked"] = json!(i.acked_at.is_some());
            row["minutes_left"] = json!(
                i.escalate_at
                    .filter(|_| i.acked_at.is_none())
                    .map(|at| (at - now).div_euclid(60_000))
            );
            row
        })
        .collect())
}
