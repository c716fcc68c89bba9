//! A zone gone quiet. When none of a zone's monitors has shown a sign of life for a time in
//! which, by their own recent history, the zone normally sends several messages, the zone
//! is silent. A zone whose monitors rarely write raises nothing, and one quiet monitor is
//! not a quiet zone: the zone is judged on the last sign of any of them.

use super::DAY_MS;

/// When a zone's silence counts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rules {
    /// Zones with fewer active monitors are not judged: too few to tell.
    pub min_monitors: usize,
    /// The recent history the usual rate is read from.
    pub history_ms: i64,
    /// How many messages the zone would usually have sent in the silence before it counts:
    /// at 4, a zone keeping its usual pace stays this quiet by chance about 2% of the time
    /// (Poisson: e^-4).
    pub several: f64,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            min_monitors: 3,
            history_ms: 14 * DAY_MS,
            several: 4.0,
        }
    }
}

/// What is known of a zone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Zone {
    /// Its active monitors.
    pub monitors: usize,
    /// Its monitors' last sign of life (unix ms, by the providers' clocks); `None`: never.
    pub last: Option<i64>,
    /// Their messages over the history before `last`.
    pub pace: Pace,
}

/// A zone's messages over its recent history.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pace {
    pub messages: u64,
    /// The first of them.
    pub first: Option<i64>,
}

impl Pace {
    /// Messages a day: the intervals over the time they cover, so one message alone says
    /// no pace at all.
    pub fn per_day(&self, last: i64) -> f64 {
        let first = self.first.unwrap_or(last);
        let span_days = (last - first).max(DAY_MS) as f64 / DAY_MS as f64;
        self.messages.saturating_sub(1) as f64 / span_days
    }
}

/// A zone gone quiet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Silence {
    /// The zone's last sign of life.
    pub since: i64,
    /// Its usual messages a day, over the history before `since`.
    pub usual_per_day: f64,
    pub monitors: usize,
}

/// Whether `zone` is silent at `now`. The usual pace is read before the silence, so the
/// silence itself cannot lower what is usual.
pub fn judge(zone: &Zone, rules: &Rules, now: i64) -> Option<Silence> {
    if zone.monitors < rules.min_monitors {
        return None;
    }
    let last = zone.last.filter(|&t| t <= now)?;
    let usual_per_day = zone.pace.per_day(last);
    let expected = usual_per_day * (now - last) as f64 / DAY_MS as f64;
    (expected >= rules.several).then_some(Silence {
        since: last,
        usual_per_day,
        monitors: zone.monitors,
    })
}

#[cfg(test)]
mod tests {
    use super::super::HOUR_MS;
    use super::*;

    /// A zone of `monitors` with these messages, as the sweep reads it at `now`.
    fn zone(monitors: usize, signs: &[i64], now: i64) -> Zone {
        let rules = Rules::default();
        let last = signs.iter().copied().filter(|&t| t <= now).max();
        let from = last.map_or(0, |l| l - rules.history_ms);
        let history = signs
            .iter()
            .copied()
            .filter(|&t| t >= from && Some(t) <= last);
        Zone {
            monitors,
            last,
            pace: Pace {
                messages: history.clone().count() as u64,
                first: history.min(),
            },
        }
    }

    /// `per_day` signs a day, evenly, for `days` days ending at `last`.
    fn history(per_day: i64, days: i64, last: i64) -> Vec<i64> {
        let n = per_day * days;
        (0..n).map(|i| last - i * DAY_MS / per_day).collect()
    }

    #[test]
    fn a_zone_is_silent_only_when_its_usual_pace_makes_the_silence_unlikely() {
        let last = 100 * DAY_MS;
        let busy = history(4, 14, last);
        let weekly = history(1, 14, last)
            .into_iter()
            .step_by(7)
            .collect::<Vec<_>>();
        let rules = Rules::default();
        let cases: Vec<(&str, usize, &[i64], i64, bool)> = vec![
            ("4 a day, silent 26 h", 5, &busy, last + 26 * HOUR_MS, true),
            ("4 a day, silent 12 h", 5, &busy, last + 12 * HOUR_MS, false),
            (
                "once a week, silent 5 days",
                5,
                &weekly,
                last + 5 * DAY_MS,
                false,
            ),
            (
                "once a week, silent 15 days",
                5,
                &weekly,
                last + 15 * DAY_MS,
                false,
            ),
            (
                "once a week, silent 30 days",
                5,
                &weekly,
                last + 30 * DAY_MS,
                true,
            ),
            ("one message ever", 5, &busy[..1], last + 30 * DAY_MS, false),
            (
                "too few monitors to tell",
                2,
                &busy,
                last + 3 * DAY_MS,
                false,
            ),
            ("nobody ever wrote", 5, &[], last + 30 * DAY_MS, false),
        ];
        for (name, monitors, signs, now, silent) in cases {
            let judged = judge(&zone(monitors, signs, now), &rules, now);
            assert_eq!(judged.is_some(), silent, "{name}: {judged:?}");
            if let Some(silence) = judged {
                assert_eq!(silence.since, last, "{name}");
            }
        }
    }

    #[test]
    fn the_usual_rate_is_read_before_the_silence_and_a_sign_ends_it() {
        let last = 100 * DAY_MS;
        let signs = history(4, 14, last);
        let rules = Rules::default();
        let silence = judge(
            &zone(5, &signs, last + 2 * DAY_MS),
            &rules,
            last + 2 * DAY_MS,
        );
        let usual = silence.map(|s| (s.usual_per_day * 10.0).round() / 10.0);
        assert_eq!(usual, Some(4.0), "55 intervals over 13.75 days");
        let mut back = signs.clone();
        back.push(last + 2 * DAY_MS);
        let now = last + 2 * DAY_MS + HOUR_MS;
        assert_eq!(judge(&zone(5, &back, now), &rules, now), None);
    }
}
