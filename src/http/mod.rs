//! The HTTP edge: the only module that knows axum. Handlers turn requests into stage calls
//! and stage results into responses.

mod api;
mod auth;
mod client;
mod console;
mod broadcasts;
mod contacts;
mod error;
mod cap;
mod corrections;
mod exports;
mod incidents;
mod ops;
mod review;
mod serve;
mod silence;
mod sim;
mod webhooks;
mod zones;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Request, StatusCode};
use axum::routing::{get, patch, post, put};
use secrecy::SecretString;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use console::ConsoleState;
pub use error::ApiError;

use crate::delivery::Delivery;
use crate::inbound::Inbound;
use crate::intake::Intake;
use crate::metrics::Metrics;
use crate::outbound::Outbound;
use crate::privacy::Pseudonyms;
use crate::provider::Channels;
use crate::store::Store;

/// Largest webhook body accepted; larger ones are answered 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Largest contacts CSV imported at once: some 50,000 contacts.
const MAX_IMPORT_BYTES: usize = 4 * 1024 * 1024;

/// What handlers share. One `Arc`, so the per-request clone is one atomic increment.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

/// The parts of the gateway the HTTP edge calls into.
#[derive(Debug)]
pub struct Shared {
    pub channels: Arc<Channels>,
    pub inbound: Arc<Inbound>,
    pub intake: Arc<Intake>,
    pub ussd: Arc<crate::ussd::Ussd>,
    pub outbound: Arc<Outbound>,
    pub delivery: Delivery,
    pub store: Store,
    pub metrics: Arc<Metrics>,
    pub admin_token: Option<SecretString>,
    /// Reporters' numbers as non-admins see them.
    pub pseudonyms: Pseudonyms,
    /// The base URL providers call (Twilio signs it).
    pub public_url: Option<String>,
    /// Whether only this machine reaches the listener (`ServerConfig::local_only`).
    pub loopback_only: bool,
    /// The console; `None` when `console.enabled` is off.
    pub console: Option<ConsoleState>,
    /// Overdue monitors and quiet zones.
    pub silence: Arc<crate::silence::Sweeper>,
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }

    /// The contacts use case with this gateway's parts.
    fn contacts(&self) -> crate::contacts::Contacts {
        crate::contacts::Contacts {
            store: self.store.clone(),
            reports: self.intake.reports().clone(),
            country: self.outbound.default_country(),
            zones: self.intake.fanout().zones(),
        }
    }

    /// The duress words use case with this gateway's parts.
    fn duress(&self) -> crate::duress::Duress {
        crate::duress::Duress {
            store: self.store.clone(),
            pseudonyms: self.pseudonyms.clone(),
            fanout: self.intake.fanout().clone(),
        }
    }

    /// The zoning use case with this gateway's parts.
    fn zoning(&self) -> crate::zoning::Zoning {
        crate::zoning::Zoning {
            store: self.store.clone(),
            fanout: self.intake.fanout().clone(),
        }
    }

    /// The broadcasts use case with this gateway's parts.
    fn broadcasts(&self) -> crate::broadcast::Broadcasts {
        crate::broadcast::Broadcasts {
            store: self.store.clone(),
            reports: self.intake.reports().clone(),
            fanout: self.intake.fanout().clone(),
            outbound: self.outbound.clone(),
        }
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// Every route of the gateway.
pub use serve::{Limits, serve};

pub fn router(state: AppState, request_timeout: Duration) -> Router {
    Router::new()
        .route("/webhooks/{channel}/sms", get(webhooks::inbound_sms).post(webhooks::inbound_sms))
        .route("/webhooks/{channel}/ussd", post(webhooks::ussd))
        .route("/webhooks/{channel}/status", get(webhooks::status).post(webhooks::status))
        .route("/sim/outbox", get(sim::outbox))
        .merge(api_routes())
        .merge(
            console::routes()
                .layer(axum::middleware::from_fn_with_state(state.clone(), console::frame))
                // Pages and assets gzipped for slow links; the live stream is left alone.
                .layer(tower_http::compression::CompressionLayer::new()),
        )
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, request_timeout))
        // The span names the path only: query strings carry channel tokens. Debug level: an
        // enabled span per request costs more than the request's own work.
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            tracing::debug_span!("http", method = %req.method(), path = %req.uri().path())
        }))
        .with_state(state)
}

/// The `/api` routes; each handler's role extractor (`auth`) runs before its body is read.
fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/api/messages", get(api::messages).post(api::send))
        .route("/api/contacts", get(contacts::list).post(contacts::create))
        .route(
            "/api/contacts/import",
            post(contacts::import).layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES)),
        )
        .route(
            "/api/contacts/{id}",
            patch(contacts::update).delete(contacts::delete),
        )
        .route("/api/contacts/{id}/duress", put(contacts::set_duress))
        .route(
            "/api/contacts/{id}/duress/clear",
            post(contacts::clear_duress),
        )
        .route("/api/zones", get(zones::list).post(zones::create))
        .route(
            "/api/zones/{code}",
            get(zones::one).patch(zones::update).delete(zones::delete),
        )
        .route("/api/incidents", get(incidents::list))
        .route("/api/incidents.geojson", get(exports::geojson))
        .route("/api/incidents.csv", get(exports::csv))
        .route(
            "/api/incidents/{id}",
            get(incidents::one).patch(corrections::correct),
        )
        .route("/api/incidents/{id}/cap", get(cap::incident))
        .route("/api/cap.atom", get(cap::feed))
        .route("/api/incidents/{id}/{action}", post(review::review))
        .route("/api/broadcasts", post(broadcasts::create))
        .route("/api/broadcasts/{id}", get(broadcasts::one))
        .route("/api/monitors", get(silence::monitors))
        .route("/api/silences", get(silence::silences))
}
