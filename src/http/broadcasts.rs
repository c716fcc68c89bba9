//! `POST /api/broadcasts` (`{"zone", "text", "roles", "languages"}`): one message per
//! matching active contact who did not send STOP, with broadcast priority, all queued in
//! one transaction (audited); `GET /api/broadcasts/{id}`: how its messages stand. A text
//! over the broadcast segment limit is refused with its segment count, never cut.

use std::collections::{BTreeSet, HashMap};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::api::require;
use super::{ApiError, AppState};
use crate::access::Role;
use crate::contacts::ROLES;
use crate::fanout::Whereabouts;
use crate::gazetteer::{Gazetteer, Kind};
use crate::outbound::{NewMessage, Purpose};
use crate::store::broadcasts::{self as queries, NewBroadcast, Reachable};
use crate::store::{audit, outbound as queued};
use crate::text::fold;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BroadcastInput {
    zone: String,
    text: String,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    languages: Vec<String>,
}

/// `POST /api/broadcasts`: 201 with the id and the number of recipients.
pub(super) async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(input): Json<BroadcastInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let caller = require(&state, &headers, Role::Coordinator).await?;
    let gazetteer = &state.intake.reports().gazetteer;
    if !caller.covers(zone_and_above(&input.zone, gazetteer).into_iter()) {
        return Err(ApiError::Forbidden(format!(
            "zone `{}` is outside this token's zones",
            input.zone
        )));
    }
    if let Some(bad) = input.roles.iter().find(|r| !ROLES.contains(&r.as_str())) {
        return Err(ApiError::BadRequest(format!(
            "roles: `{bad}` is not monitor, responder or coordinator"
        )));
    }
    let contacts = state.store.read(queries::reachable).await?;
    let default = state
        .intake
        .reports()
        .vocabulary
        .default_language()
        .code
        .clone();
    let to: Vec<Reachable> = contacts
        .into_iter()
        .filter(|c| input.roles.is_empty() || c.roles.iter().any(|r| input.roles.contains(r)))
        .filter(|c| {
            let language = c.language.as_deref().unwrap_or(&default);
            input.languages.is_empty() || input.languages.iter().any(|l| l == language)
        })
        .collect();
    let to = in_zone(&state, &fold(&input.zone), to);
    // A stored number that cannot be read is skipped, not a reason to tell nobody.
    let rows = to
        .iter()
        .filter_map(|c| state.outbound.address(&c.phone).ok())
        .map(|address| {
            let message = NewMessage::new(address, input.text.clone(), Purpose::Broadcast);
            state.outbound.prepare_one(&message).map_err(ApiError::from)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let broadcast = NewBroadcast {
        zone: input.zone,
        text: input.text,
        roles: input.roles,
        languages: input.languages,
        created_by: caller.who,
    };
    let channels: BTreeSet<String> = rows.iter().map(|r| r.channel.clone()).collect();
    let now = state.store.now_ms();
    let (id, n) = state
        .store
        .write(move |conn| {
            let id = queries::create(conn, &broadcast, now)?;
            let mut rows = rows.clone();
            rows.iter_mut().for_each(|r| r.broadcast_id = Some(id));
            let n = queued::insert(conn, &rows, now)?.iter().flatten().count();
            queries::set_recipients(conn, id, n)?;
            let detail = json!({ "zone": broadcast.zone, "recipients": n });
            let subject = format!("broadcast {id}");
            audit::append(
                conn,
                &broadcast.created_by,
                "broadcast.create",
                &subject,
                &detail,
                now,
            )?;
            Ok((id, n))
        })
        .await?;
    for channel in channels {
        state.outbound.wake(&channel);
    }
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "recipients": n })),
    ))
}

/// `GET /api/broadcasts/{id}`
pub(super) async fn one(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let caller = require(&state, &headers, Role::Coordinator).await?;
    let ((zone, text, recipients, at), counts) = state
        .store
        .read(move |c| queries::standing(c, id))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no broadcast {id}")))?;
    let gazetteer = &state.intake.reports().gazetteer;
    if !caller.covers(zone_and_above(&zone, gazetteer).into_iter()) {
        return Err(ApiError::Forbidden(format!(
            "broadcast {id} is outside this token's zones"
        )));
    }
    let counts: HashMap<String, i64> = counts.into_iter().collect();
    let count = |s: &str| counts.get(s).copied().unwrap_or(0);
    Ok(Json(json!({
        "id": id, "zone": zone, "text": text, "recipients": recipients,
        "created_at": crate::clock::to_rfc3339(at),
        "queued": count("queued") + count("sending"), "sent": count("sent"),
        "delivered": count("delivered"), "failed": count("failed") + count("expired"),
    })))
}

/// The contacts in the zone: attached to it or to a unit inside it, or living in it.
fn in_zone(state: &AppState, zone: &str, contacts: Vec<Reachable>) -> Vec<Reachable> {
    let gazetteer = &state.intake.reports().gazetteer;
    let fanout = state.intake.fanout();
    let mut inside: HashMap<String, bool> = HashMap::new();
    let mut place_inside = |key: &str, row: Option<u32>| -> bool {
        if let Some(&known) = inside.get(key) {
            return known;
        }
        let at = row.map(|r| whereabouts_of(gazetteer, r));
        let yes = key == zone || at.is_some_and(|at| fanout.in_zone(zone, &at));
        inside.insert(key.to_owned(), yes);
        yes
    };
    contacts
        .into_iter()
        .filter(|c| {
            let home = c.home.as_deref().and_then(|h| gazetteer.by_id(h));
            c.zones.iter().any(|z| {
                let unit = gazetteer.named(z).first().copied();
                place_inside(z, unit)
            }) || home.is_some_and(|h| place_inside(&format!("home {h}"), Some(h)))
        })
        .collect()
}

fn whereabouts_of(gazetteer: &Gazetteer, row: u32) -> Whereabouts {
    let p = gazetteer.place(row);
    Whereabouts {
        lat: p.lat,
        lon: p.lon,
        chain: [1, 2, 3].map(|l| fold(p.admin(l))),
    }
}

/// A zone's name and, for an admin unit, the units above it: a token limited to Mopti
/// covers Koro.
fn zone_and_above(zone: &str, gazetteer: &Gazetteer) -> Vec<String> {
    let key = fold(zone);
    let mut names = vec![key.clone()];
    for &row in gazetteer.named(&key) {
        let p = gazetteer.place(row);
        if p.kind != Kind::Locality {
            names.extend((1..p.kind.level()).map(|l| fold(p.admin(l))));
        }
    }
    names
}
