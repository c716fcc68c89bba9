//! `GET /console/events`: the live stream of a console page. Each event is a change's
//! kind and id (`event: incident`, `data: {"id": 12}`), only for what the session's caller
//! may see; the page then fetches what changed through the same authorised GETs as a
//! reload. `Last-Event-ID` resumes after a cut with what was missed.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt};
use tokio_stream::wrappers::BroadcastStream;

use super::console;
use crate::access::Caller;
use crate::fanout::Whereabouts;
use crate::http::auth::Viewer;
use crate::http::{ApiError, AppState};
use crate::store::changes::{self, Change, Kind, Mark};
use crate::store::incident_views;

/// Proxies cut streams that stay silent; a comment this often keeps them open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// How often an open stream checks that its session still holds (logout, revocation).
const RECHECK: Duration = Duration::from_secs(30);

/// Where a page's stream starts (its `Mark`).
#[derive(Debug, serde::Deserialize)]
pub(super) struct From {
    after: Option<i64>,
    seen: Option<String>,
}

/// The query of a page's stream (`/console/events?...`), which starts where the page's
/// read does: noted before the page reads what it shows.
pub(super) async fn live_from(state: &AppState) -> Result<String, ApiError> {
    let Mark { after, seen } = state.store.read(changes::mark).await?;
    Ok(match seen {
        Some(seen) => format!("after={after}&seen={seen}"),
        None => format!("after={after}"),
    })
}

/// `GET /console/events?after=&seen=`
pub(super) async fn events(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
    headers: HeaderMap,
    Query(from): Query<From>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let live = console(&state)?.live.clone();
    // Subscribed before catching up, so nothing falls between; repeats are skipped by id.
    let receiver = live.subscribe();
    // After a cut the browser says the last event it got (`Last-Event-ID`); a page just
    // loaded says where its read stood (`?after=&seen=`), so nothing falls in between.
    let resumed = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(resume_mark);
    let missed = match (resumed, from.after) {
        (Some(mark), _) => live.unseen(mark).await?,
        (None, Some(after)) => live.unseen(mark(after, from.seen)?).await?,
        (None, None) => Vec::new(),
    };
    // The hub sends each change once, late ones included (on PostgreSQL a change may commit
    // after a higher one): of what it sends, only what the catch-up gave already repeats.
    // At worst, a change the page read just before the hub sent it is fetched once more.
    let caught_up: std::collections::HashSet<i64> = missed.iter().map(|c| c.id).collect();
    // A stream that fell behind is told to refresh everything (id 0), not left wrong.
    let behind = |r: Result<Change, _>| async move {
        Some(r.unwrap_or(Change {
            id: i64::MAX,
            kind: Kind::Incident,
            subject: 0,
            seen: None,
        }))
    };
    let ended = {
        let (state, headers) = (state.clone(), headers.clone());
        async move {
            loop {
                tokio::time::sleep(RECHECK).await;
                if super::session_caller(&state, &headers).await.is_err() {
                    break;
                }
            }
        }
    };
    let sent_on = BroadcastStream::new(receiver)
        .filter_map(behind)
        .filter(move |change| {
            let fresh = !caught_up.contains(&change.id);
            async move { fresh }
        });
    let changes = stream::iter(missed)
        .chain(sent_on)
        .take_until(live.closed())
        .take_until(Box::pin(ended));
    let events = changes.filter_map(move |change| {
        let (state, caller) = (state.clone(), caller.clone());
        async move { event_for(&state, &caller, change).await.map(Ok) }
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

/// A page's mark as its stream was asked for it; a `seen` that is no snapshot is refused.
fn mark(after: i64, seen: Option<String>) -> Result<Mark, ApiError> {
    Mark::given(after, seen).ok_or_else(|| {
        ApiError::BadRequest("seen: not a snapshot (xmin:xmax:in-progress,...)".into())
    })
}

/// An event's id: where a stream cut after it resumes (`event_id` of its change's mark).
fn event_id(mark: &Mark) -> String {
    match &mark.seen {
        Some(seen) => format!("{}/{seen}", mark.after),
        None => mark.after.to_string(),
    }
}

/// The mark a `Last-Event-ID` names (`event_id`); `None` for one this gateway never sent.
fn resume_mark(id: &str) -> Option<Mark> {
    let id = id.trim();
    let (after, seen) = match id.split_once('/') {
        Some((after, seen)) => (after, Some(seen.to_owned())),
        None => (id, None),
    };
    Mark::given(after.parse().ok()?, seen)
}

/// The event a change makes for this caller, or `None` if they may not see it.
async fn event_for(state: &AppState, caller: &Caller, change: Change) -> Option<Event> {
    let visible = match change.kind {
        Kind::Incident if caller.zones.is_empty() || change.subject == 0 => true,
        Kind::Incident => {
            let id = change.subject;
            let found = state.store.read(move |c| incident_views::one(c, id)).await;
            found.ok().flatten().is_some_and(|i| {
                let zones = state
                    .intake
                    .fanout()
                    .zones_of(&Whereabouts::of_incident(&i));
                caller.covers(zones.into_iter())
            })
        }
        // Broadcasts are a coordinator's, in their zones.
        Kind::Broadcast => state
            .broadcasts()
            .standing(caller, change.subject)
            .await
            .is_ok(),
        Kind::Other => false,
    };
    visible.then(|| {
        let event = Event::default()
            .event(change.kind.as_str())
            .data(format!("{{\"id\":{}}}", change.subject));
        // A refresh-everything event has no place in the sequence to resume from.
        if change.id == i64::MAX {
            event
        } else {
            event.id(event_id(&change.mark()))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_id_names_the_mark_its_stream_resumes_from() {
        let mark = |after, seen: Option<&str>| Mark {
            after,
            seen: seen.map(str::to_owned),
        };
        let sent = [
            mark(42, None),
            mark(7, Some("100:104:101,103")),
            mark(0, Some("5:5:")),
        ];
        for m in sent {
            assert_eq!(resume_mark(&event_id(&m)), Some(m.clone()), "{m:?}");
        }
        let cases = [
            (" 42 ", Some(mark(42, None))),
            ("42/not a snapshot", None),
            ("42/1:2", None),
            ("forty-two", None),
            ("/1:2:", None),
            ("", None),
        ];
        for (id, expected) in cases {
            assert_eq!(resume_mark(id), expected, "{id:?}");
        }
    }
}
