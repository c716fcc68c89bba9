//! Vigie: an SMS/USSD early-warning gateway for community monitors in the Sahel.
//!
//! The modules below are listed in the order a message travels through them.

/// Builds the gateway and runs it until shutdown.
pub mod app;
/// Time as stored.
pub mod clock;
/// Typed configuration, loaded and validated once.
pub mod config;
/// Contacts as coordinators enter them (CSV import, admin API), checked.
pub mod contacts;
/// Stage 7: delivery reports, normalised and stored.
pub mod delivery;
/// The Sahel gazetteer: place names, admin chains, boundaries, the place rules.
pub mod gazetteer;
/// SMS encoding: GSM-7 or UCS-2, segment counts, folding to GSM-7.
pub mod gsm7;
/// The HTTP edge: webhooks, admin API, operations endpoints (the only axum code).
pub mod http;
/// Stage 1: normalise and store every inbound message exactly once.
pub mod inbound;
/// Stage 2 shell: each stored message read once: commands, reports, replies.
pub mod intake;
/// The words of the report grammar, one file per language.
pub mod keywords;
/// Prometheus metrics.
pub mod metrics;
/// Stage 6: the durable outbound queue: routing, limits, sender workers, retries.
pub mod outbound;
/// Stage 2: what monitors type, read into reports, commands or precise errors.
pub mod parse;
/// Phone numbers and sender ids, normalised.
pub mod phone;
/// Provider wire formats (webhooks in, send APIs out) and authentication, one file each.
pub mod provider;
/// Stage 3: replies to monitors, from templates, one SMS segment each.
pub mod reply;
/// The parser's resources (words, places, templates), loaded once; a parse as JSON.
pub mod reports;
/// Every SQL query; the group-commit writer.
pub mod store;
/// Logging.
pub mod telemetry;
/// Folding words for comparison (case, accents, apostrophes, hyphens).
pub mod text;
