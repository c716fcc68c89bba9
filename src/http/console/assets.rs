//! `GET /console/assets/{hash}/{path}`: an embedded asset. Under its current hash it never
//! changes, so browsers keep it a year without asking again; under an old hash (a page
//! cached across an upgrade) the current file is sent, to be asked for again next time.

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::console::Console;
use crate::http::ApiError;

pub(super) async fn asset(
    Path((hash, path)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let asset = Console::asset(&hash, &path)
        .ok_or_else(|| ApiError::NotFound(format!("no asset {path}")))?;
    let cache = if asset.current {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    Ok((
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CACHE_CONTROL, cache),
        ],
        asset.body,
    )
        .into_response())
}

/// `GET /console/map/basemap.geojson`: the admin boundaries under the map. The same for
/// everyone and for the life of the process: the browser keeps it a day.
pub(super) async fn basemap(
    axum::extract::State(state): axum::extract::State<crate::http::AppState>,
    _: crate::http::auth::Viewer,
) -> Result<Response, ApiError> {
    let console = super::console(&state)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/geo+json"),
            (header::CACHE_CONTROL, "private, max-age=86400"),
        ],
        console.boundaries.basemap.clone(),
    )
        .into_response())
}
