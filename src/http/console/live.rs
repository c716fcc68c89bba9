//! `GET /console/events`: the live stream of a console page. Each event is a change's
//! kind and id (`event: incident`, `data: {"id": 12}`), only for what the session's caller
//! may see; the page then fetches what changed through the same authorised GETs as a
//! reload. `Last-Event-ID` resumes after a cut with what was missed.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt};
use tokio_stream::wrappers::BroadcastStream;

use super::console;
use crate::access::Caller;
use crate::http::auth::Viewer;
use crate::http::incidents::whereabouts;
use crate::http::{ApiError, AppState};
use crate::store::changes::Change;
use crate::store::incident_views;

/// Proxies cut streams that stay silent; a comment this often keeps them open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// `GET /console/events`
pub(super) async fn events(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let live = console(&state)?.live.clone();
    // Subscribed before catching up, so nothing falls between; repeats are skipped by id.
    let receiver = live.subscribe();
    let last_seen = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let missed = match last_seen {
        Some(id) => live.since(id).await?,
        None => Vec::new(),
    };
    let mut last = last_seen.unwrap_or(0);
    let changes = stream::iter(missed)
        .chain(BroadcastStream::new(receiver).filter_map(|r| async move { r.ok() }))
        .filter(move |change| {
            let fresh = change.id > last;
            last = last.max(change.id);
            async move { fresh }
        })
        .take_until(live.closed());
    let events = changes.filter_map(move |change| {
        let (state, caller) = (state.clone(), caller.clone());
        async move { event_for(&state, &caller, change).await.map(Ok) }
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

/// The event a change makes for this caller, or `None` if they may not see it.
async fn event_for(state: &AppState, caller: &Caller, change: Change) -> Option<Event> {
    let visible = match change.kind.as_str() {
        "incident" if caller.zones.is_empty() => true,
        "incident" => {
            let id = change.subject;
            let found = state.store.read(move |c| incident_views::one(c, id)).await;
            found.ok().flatten().is_some_and(|i| {
                let zones = state.intake.fanout().zones_of(&whereabouts(&i));
                caller.covers(zones.into_iter())
            })
        }
        // Broadcasts are a coordinator's; their progress is theirs to watch.
        "broadcast" => caller.role >= crate::access::Role::Coordinator,
        _ => false,
    };
    visible.then(|| {
        Event::default()
            .event(change.kind)
            .id(change.id.to_string())
            .data(format!("{{\"id\":{}}}", change.subject))
    })
}
