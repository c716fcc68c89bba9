//! Reading behind, said under the strip atop every page: how many messages wait to be
//! read and for how long the oldest has, so coordinators know the field's reports reach
//! them late (a flood, a provider replaying its queue). Pages that load htmx ask again
//! every 30 s; the others say it as they were loaded.

use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::{Html, console, language_of, render};
use crate::http::auth::Viewer;
use crate::http::{ApiError, AppState};
use crate::store::db::Db;
use crate::store::{StoreError, inbound_views};

/// Reading counts as behind once a message has waited this long: messages are read within
/// seconds, so a minute means reports are reaching the console late.
const BEHIND_AFTER_MS: i64 = 60_000;
/// Unread messages counted at most (said as "10000+"): every page counts them, in a flood.
const COUNTED_AT_MOST: i64 = 10_000;

/// `GET /console/backlog`: the notice alone, for a refresh.
pub(super) async fn notice(
    State(state): State<AppState>,
    Viewer(_): Viewer,
    headers: HeaderMap,
) -> Result<Html, ApiError> {
    let console = console(&state)?;
    let now = state.store.now_ms();
    let behind = state.store.read(move |db| waiting(db, now)).await?;
    let values = json!({ "status": { "backlog": said(behind) } });
    render(console, "backlog.html", language_of(&headers), &values)
}

/// The messages waiting to be read and for how long the oldest has (ms), while reading is
/// behind; in the caller's read. The oldest is looked up first (three index probes), so
/// they are counted only when it is said.
pub(super) fn waiting(db: &Db<'_>, now: i64) -> Result<Option<(i64, i64)>, StoreError> {
    let waited = inbound_views::oldest_unread(db)?.map(|at| now - at);
    let Some(waited) = waited.filter(|&ms| late(ms)) else {
        return Ok(None);
    };
    Ok(Some((
        inbound_views::unread_up_to(db, COUNTED_AT_MOST + 1)?,
        waited,
    )))
}

/// The notice's values (null: nothing to say).
pub(super) fn said(behind: Option<(i64, i64)>) -> Value {
    match behind {
        Some((unread, waited)) if unread > 0 => {
            json!({ "count": shown(unread), "minutes": waited / 60_000 })
        }
        _ => Value::Null,
    }
}

/// Whether a message that has waited this long to be read means reading is behind.
fn late(waited_ms: i64) -> bool {
    waited_ms >= BEHIND_AFTER_MS
}

/// A count as said: past `COUNTED_AT_MOST`, only that it is more.
fn shown(unread: i64) -> String {
    if unread > COUNTED_AT_MOST {
        format!("{COUNTED_AT_MOST}+")
    } else {
        unread.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_is_behind_once_a_message_has_waited_a_minute() {
        for (waited, expected) in [
            (0, false),
            (59_999, false),
            (60_000, true),
            (3_600_000, true),
        ] {
            assert_eq!(late(waited), expected, "{waited} ms");
        }
    }

    #[test]
    fn a_flood_is_counted_up_to_ten_thousand() {
        for (unread, expected) in [(1, "1"), (10_000, "10000"), (10_001, "10000+")] {
            assert_eq!(shown(unread), expected);
        }
    }
}
