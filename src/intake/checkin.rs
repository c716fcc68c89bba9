//! `RAS`: a monitor's check-in, stored and acknowledged without an incident number.

use super::apply::{Out, just};
use super::plan::Plan;
use crate::fanout::Answered;
use crate::parse::{Parsed, Report};
use crate::reply::reply_for;
use crate::store::StoreError;

/// Stores the check-in (the place said, else the sender's home) and acknowledges it.
pub(super) fn store(
    out: &Out<'_>,
    plan: &Plan,
    inbound_id: i64,
    report: &Report,
) -> Result<Answered, StoreError> {
    let place = report
        .place
        .as_ref()
        .map(|f| out.reports.gazetteer.place(f.place));
    let checkin = crate::store::checkins::NewCheckIn {
        inbound_id,
        phone: &plan.sender,
        at: report.event_time.timestamp_millis(),
        place_id: place.map(|p| &*p.id),
        place_name: place.map(|p| &*p.name),
        comment: &report.description,
    };
    crate::store::checkins::insert(out.conn, &checkin, out.now)?;
    let parsed = Parsed::Report(report.clone());
    Ok(just(
        reply_for(
            &out.reports.replies,
            &parsed,
            &out.reports.gazetteer,
            0,
            false,
        )
        .ok(),
    ))
}
