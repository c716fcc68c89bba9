//! The values alert templates are rendered with (`alert`, `update`, `escalation`, `info`):
//! reference, category, place, counts with their ranges (`3-5`), sources, local time.
//! Nothing about who reported: alerts never carry a reporter's number.

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;
use minijinja::{Value, context};

use crate::incident::fuse::Incident;
use crate::parse::{COUNT_FIELDS, Count};

/// The counts of an incident in a fixed order, as `{n, field}`; `n` is a number, a range
/// (`3-5`) where reports differ, or `several`.
pub fn count_values(incident: &Incident) -> Vec<Value> {
    COUNT_FIELDS
        .into_iter()
        .filter_map(|(field, get)| {
            let (low, high) = incident.count_range(get)?;
            let n = match (low, high) {
                (_, Count::Several) => Value::from("several"),
                (Count::Exact(l), Count::Exact(h)) if l < h => Value::from(format!("{l}-{h}")),
                (_, Count::Exact(h)) => Value::from(h),
            };
            Some(context! { n => n, field => field })
        })
        .collect()
}

/// Everything an alert about `incident` says.
pub fn values(incident: &Incident, time_zone: Tz, extra: Value) -> Value {
    let time = Utc
        .timestamp_millis_opt(incident.first_time)
        .single()
        .map(|t| t.with_timezone(&time_zone).format("%Hh%M").to_string())
        .unwrap_or_default();
    let base = context! {
        ref => incident.id,
        category => incident.category.code(),
        place => incident.spot.name,
        counts => count_values(incident),
        sources => incident.sources(),
        time => time,
    };
    context! { ..base, ..extra }
}
