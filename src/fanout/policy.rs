//! When an alerted incident is worth an update: its severity rose, a count grew by the
//! step, its sources passed the next step, or its category or place is no longer what the
//! alert said; and at most one update per interval, unless a coordinator corrected it.
//! Pure.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::AlertsConfig;
use crate::parse::{Count, Counts};

/// What an incident's last alert said: what the next one is compared with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Said {
    pub severity: u8,
    pub sources: u32,
    /// Each count given, by field (`several` is 2).
    pub counts: BTreeMap<String, u32>,
    /// The category code and the place as the alert named them; empty in what was stored
    /// before they were kept (then no change of them is seen).
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub place: String,
}

impl Said {
    pub fn new(severity: Option<u8>, sources: usize, counts: &Counts) -> Self {
        Self {
            severity: severity.unwrap_or(0),
            sources: u32::try_from(sources).unwrap_or(u32::MAX),
            counts: counts
                .fields()
                .filter_map(|(field, c)| Some((field.to_owned(), number(c?))))
                .collect(),
            category: String::new(),
            place: String::new(),
        }
    }

    /// The same, with the category and place the alert names.
    pub fn naming(self, category: &str, place: &str) -> Self {
        Self {
            category: category.to_owned(),
            place: place.to_owned(),
            ..self
        }
    }
}

fn number(c: Count) -> u32 {
    match c {
        Count::Exact(n) => n,
        Count::Several => 2,
    }
}

/// How updates are decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateRules {
    pub count_step: u32,
    pub source_steps: Vec<u32>,
    pub interval_ms: i64,
}

impl UpdateRules {
    pub fn from_config(config: &AlertsConfig) -> Self {
        Self {
            count_step: config.count_step,
            source_steps: config.source_steps.clone(),
            interval_ms: i64::try_from(config.update_interval_mins.saturating_mul(60_000))
                .unwrap_or(i64::MAX / 2),
        }
    }
}

/// What to do about a change to an alerted incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    /// Nothing worth telling.
    None,
    /// Send the update now.
    Now,
    /// Worth telling, but the last alert was too recent: when the interval is over.
    Later,
}

/// Why an alerted incident is looked at again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// A report joined, a review, or an update's interval ended.
    Event,
    /// A coordinator corrected it: responders acting on the wrong facts cannot wait for
    /// the interval.
    Correction,
}

/// Compares what was said with what is now known; `since_last_ms` is the time since the
/// last alert or update.
pub fn update(
    said: &Said,
    now: &Said,
    since_last_ms: i64,
    rules: &UpdateRules,
    cause: Cause,
) -> Update {
    if !worth_telling(said, now, rules) {
        Update::None
    } else if cause == Cause::Correction || since_last_ms >= rules.interval_ms {
        Update::Now
    } else {
        Update::Later
    }
}

fn worth_telling(said: &Said, now: &Said, rules: &UpdateRules) -> bool {
    let grew = now.counts.iter().any(|(field, &n)| {
        let before = said.counts.get(field).copied().unwrap_or(0);
        n.saturating_sub(before) >= rules.count_step
    });
    let passed_step = rules
        .source_steps
        .iter()
        .any(|&step| said.sources < step && now.sources >= step);
    let changed = |before: &str, after: &str| !before.is_empty() && before != after;
    let renamed = changed(&said.category, &now.category) || changed(&said.place, &now.place);
    now.severity > said.severity || grew || passed_step || renamed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(severity: u8, sources: u32, killed: u32) -> Said {
        Said {
            severity,
            sources,
            counts: BTreeMap::from([("killed".to_owned(), killed)]),
            category: "ATT".to_owned(),
            place: "Koro (Mopti)".to_owned(),
        }
    }

    #[test]
    fn updates_follow_the_rules() {
        let rules = UpdateRules {
            count_step: 3,
            source_steps: vec![3, 5, 10],
            interval_ms: 30 * 60_000,
        };
        let long = 31 * 60_000;
        let cases = [
            (
                "nothing new",
                said(3, 2, 3),
                said(3, 2, 3),
                long,
                Update::None,
            ),
            (
                "one more source",
                said(3, 1, 3),
                said(3, 2, 3),
                long,
                Update::None,
            ),
            (
                "third source",
                said(3, 2, 3),
                said(3, 3, 3),
                long,
                Update::Now,
            ),
            (
                "sixth source",
                said(3, 5, 3),
                said(3, 6, 3),
                long,
                Update::None,
            ),
            (
                "two more killed",
                said(3, 2, 3),
                said(3, 2, 5),
                long,
                Update::None,
            ),
            (
                "three more killed",
                said(3, 2, 3),
                said(3, 2, 6),
                long,
                Update::Now,
            ),
            (
                "severity rose",
                said(3, 2, 3),
                said(4, 2, 3),
                long,
                Update::Now,
            ),
            (
                "severity fell",
                said(4, 2, 3),
                said(3, 2, 3),
                long,
                Update::None,
            ),
            (
                "too soon",
                said(3, 2, 3),
                said(4, 2, 3),
                60_000,
                Update::Later,
            ),
            (
                "at the interval",
                said(3, 2, 3),
                said(4, 2, 3),
                30 * 60_000,
                Update::Now,
            ),
        ];
        for (name, before, now, since, expected) in cases {
            let got = update(&before, &now, since, &rules, Cause::Event);
            assert_eq!(got, expected, "{name}");
        }
    }

    #[test]
    fn a_new_category_or_place_is_told_and_a_correction_at_once() {
        let rules = UpdateRules {
            count_step: 3,
            source_steps: vec![3],
            interval_ms: 30 * 60_000,
        };
        let before = said(4, 1, 3);
        let to = |category: &str, place: &str| said(4, 1, 3).naming(category, place);
        let unnamed = |s: Said| s.naming("", "");
        let soon = 60_000;
        let cases = [
            (
                "same",
                before.clone(),
                to("ATT", "Koro (Mopti)"),
                Cause::Correction,
                Update::None,
            ),
            (
                "category",
                before.clone(),
                to("ENL", "Koro (Mopti)"),
                Cause::Event,
                Update::Later,
            ),
            (
                "place",
                before.clone(),
                to("ATT", "Bondo (Mopti)"),
                Cause::Event,
                Update::Later,
            ),
            (
                "corrected",
                before.clone(),
                to("ENL", "Bondo (Mopti)"),
                Cause::Correction,
                Update::Now,
            ),
            (
                "count below the step, corrected",
                before.clone(),
                said(4, 1, 4),
                Cause::Correction,
                Update::None,
            ),
            (
                "stored before names were kept",
                unnamed(before),
                to("ENL", "Bondo (Mopti)"),
                Cause::Event,
                Update::None,
            ),
        ];
        for (name, before, now, cause, expected) in cases {
            assert_eq!(
                update(&before, &now, soon, &rules, cause),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn a_new_count_counts_from_zero() {
        let rules = UpdateRules {
            count_step: 3,
            source_steps: vec![],
            interval_ms: 0,
        };
        let mut now = said(3, 2, 3);
        now.counts.insert("abducted".into(), 4);
        let got = update(&said(3, 2, 3), &now, 0, &rules, Cause::Event);
        assert_eq!(got, Update::Now);
    }

    #[test]
    fn several_is_two() {
        let counts = Counts {
            killed: Some(Count::Several),
            injured: Some(Count::Exact(4)),
            ..Counts::default()
        };
        let s = Said::new(Some(3), 2, &counts);
        assert_eq!(s.counts["killed"], 2);
        assert_eq!(s.counts["injured"], 4);
        assert_eq!(s.counts.len(), 2);
    }
}
