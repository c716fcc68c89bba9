//! CAP 1.2 for partners' systems: `GET /api/incidents/{id}/cap` (one `info` per language)
//! and `GET /api/cap.atom`, the verified incidents. As everywhere in the API, a token
//! limited to zones gets its zones only and a viewer gets a village at its commune.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use minijinja::context;
use serde_json::Value;

use super::auth::Viewer;
use super::exports::as_seen;
use super::incidents::select;
use super::{ApiError, AppState};
use crate::cap::{self, Info, Origin};
use crate::fanout::Whereabouts;
use crate::keywords::Category;
use crate::parse::COUNT_FIELDS;
use crate::store::incident_views::{self as queries, IncidentView};

/// `GET /api/incidents/{id}/cap`
pub(super) async fn incident(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, ApiError> {
    let incident = state
        .store
        .read(move |c| queries::one(c, id))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no incident {id}")))?;
    let zones = state
        .intake
        .fanout()
        .zones_of(&Whereabouts::of_incident(&incident));
    if !caller.covers(zones.into_iter()) {
        return Err(ApiError::Forbidden(format!(
            "incident {id} is outside this token's zones"
        )));
    }
    let seen = as_seen(&incident, &caller, &state.intake.reports().gazetteer);
    let document = cap::alert(&origin(&state), &seen, &infos(&state, &seen));
    Ok(([(header::CONTENT_TYPE, "application/cap+xml")], document))
}

/// `GET /api/cap.atom?limit=&before=`: the verified incidents, newest first, and those
/// closed or dismissed since (their `Update` or `Cancel` is news to partners too).
pub(super) async fn feed(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
    Query(mut query): Query<HashMap<String, String>>,
) -> Result<impl IntoResponse, ApiError> {
    query.insert("review".into(), "verified,closed,dismissed".into());
    let (found, _) = select(&state, &caller, &query).await?;
    let gazetteer = &state.intake.reports().gazetteer;
    let seen: Vec<IncidentView> = found
        .iter()
        .map(|i| as_seen(i, &caller, gazetteer))
        .collect();
    let updated = seen
        .iter()
        .map(cap::changed_at)
        .max()
        .unwrap_or_else(|| state.store.now_ms());
    let document = cap::atom(&origin(&state), &seen, updated);
    Ok(([(header::CONTENT_TYPE, "application/atom+xml")], document))
}

/// The sender and the base of links, from the configured public URL only: partners match
/// later messages to earlier ones by the sender, and a `Host` header is whatever the caller
/// wrote. Without a public URL, links are relative.
fn origin(state: &AppState) -> Origin {
    let configured = state.public_url.as_deref().and_then(|u| {
        let url = reqwest::Url::parse(u).ok()?;
        Some((u.to_owned(), url.host_str()?.to_owned()))
    });
    let (base_url, sender) = match configured {
        Some((url, host)) => (url, format!("vigie@{host}")),
        None => (String::new(), "vigie@localhost".into()),
    };
    Origin { sender, base_url }
}

/// One `info` per language: the category in words and a description from the
/// language's `cap_description` template.
fn infos(state: &AppState, incident: &IncidentView) -> Vec<Info> {
    let reports = state.intake.reports();
    let category: Option<Category> =
        serde_json::from_value(Value::String(incident.category.clone())).ok();
    let counts: Vec<minijinja::Value> = COUNT_FIELDS
        .iter()
        .filter_map(|(field, _)| {
            let n = match incident.counts.get(*field)? {
                Value::Number(n) => minijinja::Value::from(n.as_u64()?),
                Value::String(s) => minijinja::Value::from(s.as_str()),
                _ => return None,
            };
            Some(context! { n, field })
        })
        .collect();
    reports
        .vocabulary
        .languages()
        .iter()
        .map(|language| {
            let event = category
                .and_then(|c| language.names.get(&c).cloned())
                .unwrap_or_else(|| incident.category.clone());
            let values = context! {
                event => &event, counts, place => incident.place_name, sources => incident.sources,
            };
            let description = reports
                .replies
                .render(&language.code, "cap_description", &values)
                .unwrap_or_default();
            Info {
                language: language.code.clone(),
                event,
                description,
            }
        })
        .collect()
}
