//! The values alert templates are rendered with (`alert`, `update`, `escalation`, `info`):
//! reference, category, place, counts with their ranges (`3-5`), sources, local time.
//! Nothing about who reported: alerts never carry a reporter's number.

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;
use minijinja::{Value, context};

use crate::incident::fuse::Incident;
use crate::parse::{COUNT_FIELDS, Count};

/// How much of the counts an alert shows: all of them with their ranges, else less until
/// the text fits one SMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// `3-5 morts 2 blesses`
    Ranges,
    /// `5 morts 2 blesses`: the highest reported.
    Highest,
    /// The first two counts, highest.
    TwoCounts,
    /// No counts.
    None,
}

impl Detail {
    /// From the most said to the least.
    pub const ALL: [Self; 4] = [Self::Ranges, Self::Highest, Self::TwoCounts, Self::None];
}

/// The counts of an incident in a fixed order, as `{n, field}`; `n` is a number, a range
/// (`3-5`) where reports differ, or `several`.
pub fn count_values(incident: &Incident, detail: Detail) -> Vec<Value> {
    let most = match detail {
        Detail::Ranges | Detail::Highest => COUNT_FIELDS.len(),
        Detail::TwoCounts => 2,
        Detail::None => 0,
    };
    COUNT_FIELDS
        .into_iter()
        .filter_map(|(field, get)| {
            let (low, high) = incident.count_range(get)?;
            let n = match (low, high) {
                (_, Count::Several) => Value::from("several"),
                (Count::Exact(l), Count::Exact(h)) if l < h && detail == Detail::Ranges => {
                    Value::from(format!("{l}-{h}"))
                }
                (_, Count::Exact(h)) => Value::from(h),
            };
            Some(context! { n => n, field => field })
        })
        .take(most)
        .collect()
}

/// Everything an alert about `incident` says.
pub fn values(incident: &Incident, time_zone: Tz, extra: Value) -> Value {
    values_with(incident, time_zone, extra, Detail::Ranges)
}

/// The same, with only so much of the counts.
pub fn values_with(incident: &Incident, time_zone: Tz, extra: Value, detail: Detail) -> Value {
    let time = Utc
        .timestamp_millis_opt(incident.first_time)
        .single()
        .map(|t| t.with_timezone(&time_zone).format("%Hh%M").to_string())
        .unwrap_or_default();
    let base = context! {
        ref => incident.id,
        category => incident.category.code(),
        place => incident.spot.name,
        counts => count_values(incident, detail),
        sources => incident.sources(),
        time => time,
    };
    context! { ..base, ..extra }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use chrono::TimeZone;

    use super::*;
    use crate::incident::fuse::{ReportFacts, Source, Spot};
    use crate::keywords::Category;
    use crate::parse::Counts;
    use crate::reply::Replies;

    fn report(reporter: &str, killed: u32, injured: Option<u32>) -> ReportFacts {
        let at = chrono_tz::Africa::Bamako.with_ymd_and_hms(2026, 11, 22, 21, 10, 0);
        ReportFacts {
            reporter: reporter.into(),
            category: Category::ATT,
            event_time: at.single().unwrap().timestamp_millis(),
            spot: Spot {
                lat: 14.44,
                lon: -2.83,
                commune: String::new(),
                precision: 1,
                name: "Koro (Mopti)".into(),
            },
            counts: Counts {
                killed: Some(Count::Exact(killed)),
                injured: injured.map(Count::Exact),
                ..Counts::default()
            },
        }
    }

    #[test]
    fn an_alert_reads_as_the_spec_shows_it_in_one_segment() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let replies = Replies::load(&root.join("templates/sms"), "fr").unwrap();
        let mut incident = Incident::open(1042, report("+22376000001", 3, Some(2)));
        incident.absorb(report("+22376000002", 3, None), Source::New);
        let tz = chrono_tz::Africa::Bamako;
        let cases = [
            (
                "fr",
                "alert",
                "ALERTE 1042 ATT Koro (Mopti) 3 morts 2 blesses, 2 sources, 21h10. Repondez OK 1042",
            ),
            (
                "en",
                "alert",
                "ALERT 1042 ATT Koro (Mopti) 3 killed 2 injured, 2 sources, 21h10. Reply OK 1042",
            ),
        ];
        for (language, name, expected) in cases {
            let text = replies
                .render(language, name, &values(&incident, tz, context! {}))
                .unwrap();
            assert_eq!(text, expected);
            assert!(Replies::fits(&text));
        }
        incident.absorb(report("+22376000003", 5, None), Source::New);
        let update = replies
            .render("fr", "update", &values(&incident, tz, context! {}))
            .unwrap();
        assert_eq!(
            update,
            "MAJ 1042 ATT Koro (Mopti) 3-5 morts 2 blesses, 3 sources, 21h10. Repondez OK 1042"
        );
        assert!(!update.contains("7600000"), "no reporter's number");
    }

    #[test]
    fn less_detail_says_less() {
        let mut incident = Incident::open(1, report("+22376000001", 3, Some(2)));
        incident.absorb(report("+22376000002", 5, Some(4)), Source::New);
        let tz = chrono_tz::Africa::Bamako;
        let shown = |detail| {
            let values = values_with(&incident, tz, context! {}, detail);
            values.get_attr("counts").unwrap().to_string()
        };
        assert!(shown(Detail::Ranges).contains("3-5"));
        assert!(!shown(Detail::Highest).contains("3-5"));
        assert!(shown(Detail::Highest).contains("5"));
        assert_eq!(shown(Detail::None), "[]");
    }
}
