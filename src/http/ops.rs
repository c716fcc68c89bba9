//! Operations endpoints: liveness, readiness, metrics.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::metrics::Format;

/// `GET /healthz`: the process answers.
pub(super) async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: the database takes a committed write.
pub(super) async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.heartbeat().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::error!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database not writable").into_response()
        }
    }
}

/// `GET /metrics`: the classic Prometheus text format, or OpenMetrics when the scraper's
/// `Accept` prefers it.
pub(super) async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let format = Format::negotiate(accept);
    match state.store.read(crate::store::inbound_views::backlog).await {
        Ok((unread, oldest)) => {
            let now = state.store.now_ms();
            state
                .metrics
                .flood()
                .backlog(unread, oldest.map(|at| now - at));
        }
        Err(e) => tracing::warn!(error = %e, "intake backlog not read"),
    }
    let body = state.metrics.render(state.store.size_bytes(), format);
    ([(header::CONTENT_TYPE, format.content_type())], body).into_response()
}
