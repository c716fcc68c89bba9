//! Reading behind, said under the strip atop every page: how many messages wait to be
//! read and for how long the oldest has, so coordinators know the field's reports reach
//! them late (a flood, a provider replaying its queue). Kept fresh like the silences.

use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::{Html, console, language_of, render};
use crate::http::auth::Viewer;
use crate::http::{ApiError, AppState};
use crate::store::unread;

/// Reading counts as behind once a message has waited this long: messages are read within
/// seconds, so a minute means reports are reaching the console late.
const BEHIND_AFTER_MS: i64 = 60_000;

/// `GET /console/backlog`: the notice alone, for a refresh.
pub(super) async fn notice(
    State(state): State<AppState>,
    Viewer(_): Viewer,
    headers: HeaderMap,
) -> Result<Html, ApiError> {
    let console = console(&state)?;
    let values = json!({ "status": { "backlog": backlog(&state).await? } });
    render(console, "backlog.html", language_of(&headers), &values)
}

/// The messages waiting to be read while reading is behind (else null).
pub(super) async fn backlog(state: &AppState) -> Result<Value, ApiError> {
    let (unread, oldest) = state.store.read(unread::backlog).await?;
    let waited = oldest.map(|at| state.store.now_ms() - at);
    Ok(behind(unread, waited).map_or(
        Value::Null,
        |(count, minutes)| json!({ "count": count, "minutes": minutes }),
    ))
}

/// How many messages wait and for how many whole minutes the oldest has, once it has
/// waited `BEHIND_AFTER_MS`.
fn behind(unread: i64, oldest_waited_ms: Option<i64>) -> Option<(i64, i64)> {
    oldest_waited_ms
        .filter(|&waited| unread > 0 && waited >= BEHIND_AFTER_MS)
        .map(|waited| (unread, waited / 60_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_is_behind_once_a_message_has_waited_a_minute() {
        let cases = [
            ("nothing waits", 0, None, None),
            ("a burst read within the minute", 500, Some(59_999), None),
            ("a minute", 500, Some(60_000), Some((500, 1))),
            ("minutes are whole", 12, Some(299_999), Some((12, 4))),
        ];
        for (name, unread, waited, expected) in cases {
            assert_eq!(behind(unread, waited), expected, "{name}");
        }
    }
}
