//! Stage 3, incident: reports of one event, from different monitors, fused into one
//! incident that counts its independent sources. The pure core is `fuse`; this shell finds
//! the candidates (an index on time, then a box around the place) and stores the outcome,
//! inside the intake's transaction.

pub mod fuse;
mod nearby;

use std::collections::BTreeSet;

use crate::store::db::Db;

use crate::config::SeverityRules;
use crate::parse::severity;
use crate::store::StoreError;
use crate::store::incidents::{self as queries, Around};
use fuse::{Correction, Fusion, FusionRules, Incident, ReportFacts, Source, fuse};
pub use nearby::Nearby;

/// Kilometres per degree of latitude.
const KM_PER_DEGREE: f64 = 111.0;
/// The box searched is at least this wide: two places of one commune can be this far apart.
const MIN_SEARCH_KM: f64 = 50.0;

/// Where a report was filed.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    /// The incident as it now is, with the report.
    pub incident: Incident,
    /// It opened the incident (else it joined one).
    pub opened: bool,
}

/// Files a report under the incident it tells of, opening one if none fits; the caller
/// stores the report with the incident's number (or attaches a stored one). `written`:
/// the incidents already written at `now` in this transaction, whose time a repeat need
/// not note again (a flood of repeats would rewrite one row per message). `nearby`: what
/// this round has read of the incidents around.
pub fn place_report(
    conn: &Db<'_>,
    nearby: &mut Nearby,
    report: ReportFacts,
    rules: &FusionRules,
    severity_rules: &SeverityRules,
    (now, written): (i64, &BTreeSet<i64>),
) -> Result<Placed, StoreError> {
    let candidates = nearby.candidates(conn, &around(&report, rules))?;
    let placed = match fuse(&report, &candidates, rules) {
        Fusion::Join(id) => {
            // Candidates are read whole (with their tally): the one joined is at hand.
            let Some(mut incident) = candidates.into_iter().find(|i| i.id == id) else {
                return Err(StoreError::Sqlite(format!("incident {id} is no candidate")));
            };
            let source = if queries::has_reported(conn, id, &report.reporter)? {
                Source::Repeat
            } else {
                Source::New
            };
            let before = incident.clone();
            incident.absorb(report, source);
            if incident == before {
                // A repeat that changes nothing (same sender, counts within the range, no
                // better place): its time is noted, and consoles are told of no change.
                if !written.contains(&id) {
                    queries::touch(conn, id, now)?;
                }
            } else {
                let (level, counts) = aggregates(&incident, severity_rules);
                queries::save(conn, &incident, level, &counts, now)?;
                nearby.keep(&incident);
            }
            Placed {
                incident,
                opened: false,
            }
        }
        Fusion::Open => {
            let mut incident = Incident::open(0, report);
            let (level, counts) = aggregates(&incident, severity_rules);
            incident.id = queries::open(conn, &incident, level, &counts, now)?;
            nearby.keep(&incident);
            Placed {
                incident,
                opened: true,
            }
        }
    };
    Ok(placed)
}

/// `ANNULE <n>`: withdraws the sender's own reports from incident `n` and recomputes it
/// from what is left (an incident with no report left is withdrawn). Returns whether the
/// sender had a report there.
pub fn withdraw(
    conn: &Db<'_>,
    incident: i64,
    reporter: &str,
    severity_rules: &SeverityRules,
    now: i64,
) -> Result<bool, StoreError> {
    if queries::withdraw(conn, incident, reporter, now)? == 0 {
        return Ok(false);
    }
    if let Some(left) = queries::by_id(conn, incident)? {
        let left = left.rebuilt(queries::reports_of(conn, incident)?);
        let (level, counts) = aggregates(&left, severity_rules);
        queries::save(conn, &left, level, &counts, now)?;
    }
    Ok(true)
}

/// A coordinator's correction: added to earlier ones, the incident's aggregates (counts,
/// severity) recomputed, and stored; the reports are left as sent. Returns the incident
/// before and after, `None` if there is no such incident.
pub fn correct(
    conn: &Db<'_>,
    id: i64,
    correction: Correction,
    severity_rules: &SeverityRules,
    now: i64,
) -> Result<Option<(Incident, Incident)>, StoreError> {
    let Some(before) = queries::by_id(conn, id)? else {
        return Ok(None);
    };
    let mut after = before.clone();
    after.correct(correction);
    // A correction that changes nothing is no change: no new version for partners.
    if after != before {
        let (level, counts) = aggregates(&after, severity_rules);
        queries::save(conn, &after, level, &counts, now)?;
    }
    Ok(Some((before, after)))
}

fn aggregates(incident: &Incident, rules: &SeverityRules) -> (Option<u8>, String) {
    let counts = incident.counts();
    let level = severity(incident.category, &counts, rules);
    (level, crate::reports::counts_json(&counts).to_string())
}

/// The time and space a report's incident could lie in.
fn around(report: &ReportFacts, rules: &FusionRules) -> Around {
    let window = i64::try_from(rules.longest_window().as_millis()).unwrap_or(i64::MAX / 2);
    let km = rules.widest_radius_km().max(MIN_SEARCH_KM);
    let lat = km / KM_PER_DEGREE;
    let lon = km / (KM_PER_DEGREE * report.spot.lat.to_radians().cos().abs().max(0.1));
    Around {
        from: report.event_time.saturating_sub(window),
        to: report.event_time.saturating_add(window),
        lat: (report.spot.lat - lat, report.spot.lat + lat),
        lon: (report.spot.lon - lon, report.spot.lon + lon),
    }
}
