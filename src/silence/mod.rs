//! Silence as a signal: a monitor overdue for news, a zone gone quiet, a network cut. In the
//! central Sahel a dashboard with no new incidents may mean calm or a cercle cut off; these
//! pure cores tell them apart from what Vigie knows: who normally writes from where, and
//! whether its SMS to them are delivered.
//!
//! - `cadence`: when a monitor is overdue, and what follows (a reminder, then their
//!   coordinators told, once each);
//! - `baseline`: whether a zone's silence is unusual for its own monitors' recent history;
//! - `cause`: the likely cause of a silence, from the delivery of SMS to the zone's
//!   numbers by operator;
//! - `operators`: which operator a number is on, by its prefix.
//!
//! The shell around them is the sweep (`sweep`): it looks on a reader (`look`), then writes
//! what is due and queues its SMS in one transaction (`notices`).

pub mod baseline;
pub mod cadence;
pub mod cause;
mod look;
mod notices;
pub mod operators;
mod sweep;
mod views;

pub use sweep::{Parts, Sweeper, Swept};
pub use views::{Filter, MonitorView};

/// One hour, in the milliseconds every time here is counted in.
pub const HOUR_MS: i64 = 3_600_000;
/// One day.
pub const DAY_MS: i64 = 24 * HOUR_MS;
