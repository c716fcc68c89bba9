//! Zones: each defined zone with what it is made of and the rules it alerts by; an admin
//! changes the rules here, through the zoning use case as the API does (checked with every
//! other zone, audited, used by fan-out at once).

use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Redirect;
use serde::Deserialize;
use serde_json::json;

use super::session::require_csrf;
use super::{Html, console, whole_page};
use crate::access::Role;
use crate::http::auth::{Admin, Viewer};
use crate::http::{ApiError, AppState};

/// `GET /console/zones`
pub(super) async fn page(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
    headers: HeaderMap,
) -> Result<Html, ApiError> {
    let zones = state.zoning().visible(&caller).await?;
    let defaults = state.intake.fanout().defaults();
    whole_page(
        &state,
        &caller,
        &headers,
        ("zones.html", "zones"),
        json!({
            "edits": caller.role == Role::Admin,
            "zones": zones,
            "defaults": {
                "severity_threshold": defaults.severity_threshold,
                "sources": defaults.sources,
                "deadline_mins": defaults.deadline_ms / 60_000,
            },
        }),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub(super) struct Rules {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    severity_threshold: String,
    #[serde(default)]
    sources: String,
    #[serde(default)]
    deadline_mins: String,
    #[serde(default)]
    verify_low_severity: Option<String>,
}

/// `POST /console/zones/{code}`: the zone's rules as the form says (empty: `[alerts]`'s).
pub(super) async fn update(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Path(code): Path<String>,
    Form(form): Form<Rules>,
) -> Result<Redirect, ApiError> {
    require_csrf(&state, &headers, &form.csrf).await?;
    let number = |field: &str, text: &str| -> Result<Option<u64>, ApiError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        text.parse()
            .map(Some)
            .map_err(|_| ApiError::Invalid(format!("{field}: `{text}` is not a number")))
    };
    let patch = json!({
        "severity_threshold": number("severity_threshold", &form.severity_threshold)?,
        "sources": number("sources", &form.sources)?,
        "deadline_mins": number("deadline_mins", &form.deadline_mins)?,
        "verify_low_severity": form.verify_low_severity.is_some(),
    });
    state.zoning().change(&caller, &code, &patch).await?;
    Ok(Redirect::to("/console/zones"))
}

/// `GET /console/map/zones.geojson`: the zones the caller may see, drawn: the outline of
/// each unit they are made of, their circles (a centre and `radius_km`) and polygons.
pub(super) async fn shapes(
    State(state): State<AppState>,
    Viewer(caller): Viewer,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let console = console(&state)?;
    let names = state.intake.fanout().zone_names();
    let gazetteer = &state.intake.reports().gazetteer;
    let mut features = Vec::new();
    for zone in state.zoning().visible(&caller).await? {
        let properties = json!({ "zone": zone.code });
        for unit in &zone.units {
            let outline = names
                .unit(unit)
                .map(|row| crate::text::fold(&gazetteer.place(row).id))
                .and_then(|id| console.boundaries.units.get(&id));
            if let Some(geometry) = outline {
                features.push(
                    json!({ "type": "Feature", "properties": properties, "geometry": geometry }),
                );
            }
        }
        for c in &zone.circles {
            features.push(json!({
                "type": "Feature",
                "properties": { "zone": zone.code, "radius_km": c.radius_km },
                "geometry": { "type": "Point", "coordinates": [c.lon, c.lat] },
            }));
        }
        for geometry in &zone.polygons {
            features
                .push(json!({ "type": "Feature", "properties": properties, "geometry": geometry }));
        }
    }
    let body = json!({ "type": "FeatureCollection", "features": features });
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/geo+json")],
        body.to_string(),
    )
        .into_response())
}
