//! Vigie: an SMS/USSD early-warning gateway for community monitors in the Sahel.
//!
//! The modules below are listed in the order a message travels through them.

/// Typed configuration, loaded and validated once.
pub mod config;
/// Builds the gateway and runs it until shutdown.
pub mod app;
/// The HTTP edge: webhooks, admin API, operations endpoints (the only axum code).
pub mod http;
/// Provider wire formats (webhooks in, send APIs out) and authentication, one file each.
pub mod provider;
/// Stage 1, inbound: normalise and store every inbound message exactly once.
pub mod inbound;
/// Stage 2, intake: each stored message read once: commands, reports, replies.
pub mod intake;
/// Stage 2 by menu, USSD: a report made step by step, then filed as an SMS report is.
pub mod ussd;
/// Stage 2's pure core: what monitors type, read into reports, commands or precise errors.
pub mod parse;
/// The words of the report grammar, one file per language.
pub mod keywords;
/// The Sahel gazetteer: place names, admin chains, boundaries, the place rules.
pub mod gazetteer;
/// Replies to monitors, from templates, one SMS segment each.
pub mod reply;
/// Stage 3, incident: reports of one event fused into one incident.
pub mod incident;
/// Stage 4, fan-out: alerts to the responders of an incident's zones; updates, `OK`,
/// escalation.
pub mod fanout;
/// The parser's resources (words, places, templates), loaded once; a parse as JSON.
pub mod reports;
/// Reviews: a coordinator verifies, dismisses or closes an incident, audited.
pub mod review;
/// Corrections: a coordinator corrects an incident's category, place or counts, audited.
pub mod correction;
/// Broadcasts: a coordinator's text to a zone's contacts, by API, console or phone.
pub mod broadcast;
/// Duress words: set by coordinators, kept hashed, said by monitors under threat.
pub mod duress;
/// Contacts as admins enter them (API, console, CSV import), checked and audited.
pub mod contacts;
/// Zones as admins define them, checked against every other zone, audited.
pub mod zoning;
/// Partial edits: the fields given replace the current ones, read again as a whole.
pub mod patch;
/// Reporters' numbers as pseudonyms for anyone but an admin.
pub mod privacy;
/// API tokens: roles, zones, what each may see.
pub mod access;
/// Making and revoking API tokens, their zones checked, audited.
pub mod tokens;
/// The audit log's hash chain: who changed what, tamper-evident.
pub mod audit;
/// Console sessions opened with a token: cookies, expiry, revocation.
pub mod sessions;
/// Live changes for consoles, read after each commit.
pub mod live;
/// The coordinators' console as pages: templates, assets and words, embedded.
pub mod console;
/// Silence as a signal: monitors overdue, zones gone quiet, their likely cause; the sweep.
pub mod silence;
/// CAP 1.2 documents and their Atom feed, for partners' systems.
pub mod cap;
/// Purging raw texts and reporters' numbers past the retention period.
pub mod retention;
/// Stage 6, outbound: the durable queue: routing, limits, sender workers, retries.
pub mod outbound;
/// Stage 7, delivery: delivery reports, normalised, stored and applied.
pub mod delivery;
/// SMS encoding: GSM-7 or UCS-2, segment counts, folding to GSM-7.
pub mod gsm7;
/// Phone numbers and sender ids, normalised.
pub mod phone;
/// Folding words for comparison (case, accents, apostrophes, hyphens).
pub mod text;
/// Every SQL query, on SQLite (the group-commit writer) or PostgreSQL (several nodes).
pub mod store;
/// Prometheus metrics.
pub mod metrics;
/// Logging.
pub mod telemetry;
/// `vigie serve --demo`: demo contacts and what to try.
pub mod demo;
/// Time as stored.
pub mod clock;
