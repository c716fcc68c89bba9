//! A monitor's cadence: how often they are expected to show a sign of life (a report,
//! `RAS`, a command, a USSD session, an SMS delivered to them). Past the cadence and a
//! grace, they get one reminder; silent one more cadence, their coordinators are told, once.
//! Anything they send starts the count again.

use super::HOUR_MS;

/// Where a monitor's cadence comes from, most particular first: their own
/// `checkin_every_hours`, their zones', the configured default. 0 means none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cadences<'a> {
    pub contact: Option<u32>,
    /// Each of their zones' setting, if it has one.
    pub zones: &'a [Option<u32>],
    pub default: u32,
}

impl Cadences<'_> {
    /// The cadence in ms, or `None` when the monitor is expected at no particular pace.
    /// A monitor in several zones keeps the shortest cadence any of them sets.
    pub fn resolve(&self) -> Option<i64> {
        let zones = self.zones.iter().flatten().copied().min();
        let hours = self.contact.or(zones).unwrap_or(self.default);
        (hours > 0).then(|| i64::from(hours) * HOUR_MS)
    }
}

/// What is known of one monitor's silence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quiet {
    /// Their last sign of life, or when they were registered if they never wrote.
    pub since: i64,
    pub cadence_ms: i64,
    pub grace_ms: i64,
    /// A reminder was sent since `since`.
    pub reminded: bool,
    /// Their coordinators were told since `since`.
    pub escalated: bool,
    /// Marked discreet: a reminder could expose them.
    pub discreet: bool,
    /// Reminders go to discreet monitors too (`silence.remind_discreet`).
    pub remind_discreet: bool,
}

/// What a sweep does about one monitor now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Not overdue.
    OnTime,
    /// Overdue: send the reminder SMS.
    Remind,
    /// Still silent one cadence after being overdue: tell their zones' coordinators.
    TellCoordinators,
    /// Overdue, and everything due was done.
    Waiting,
}

impl Quiet {
    /// When they are overdue.
    pub fn overdue_at(&self) -> i64 {
        self.since
            .saturating_add(self.cadence_ms)
            .saturating_add(self.grace_ms)
    }

    /// What is due at `now`.
    pub fn step(&self, now: i64) -> Step {
        let overdue = self.overdue_at();
        if now < overdue {
            return Step::OnTime;
        }
        let may_remind = !self.discreet || self.remind_discreet;
        if may_remind && !self.reminded {
            return Step::Remind;
        }
        if now >= overdue.saturating_add(self.cadence_ms) && !self.escalated {
            return Step::TellCoordinators;
        }
        Step::Waiting
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The contact's setting, its zones', the default, and the cadence in hours.
    type Case = (Option<u32>, &'static [Option<u32>], u32, Option<i64>);

    #[test]
    fn the_most_particular_cadence_wins_and_zero_is_none() {
        let cases: [Case; 7] = [
            (Some(24), &[Some(48)], 72, Some(24)),
            (None, &[Some(48)], 72, Some(48)),
            (None, &[None, Some(48), Some(12)], 72, Some(12)),
            (None, &[], 72, Some(72)),
            (None, &[None], 72, Some(72)),
            (Some(0), &[Some(48)], 72, None),
            (None, &[], 0, None),
        ];
        for (contact, zones, default, expected) in cases {
            let cadences = Cadences {
                contact,
                zones,
                default,
            };
            let hours = cadences.resolve().map(|ms| ms / HOUR_MS);
            assert_eq!(hours, expected, "{cadences:?}");
        }
    }

    #[test]
    fn overdue_monitors_are_reminded_once_then_their_coordinators_told_once() {
        let day = 24 * HOUR_MS;
        let quiet = Quiet {
            since: 0,
            cadence_ms: 3 * day,
            grace_ms: 6 * HOUR_MS,
            reminded: false,
            escalated: false,
            discreet: false,
            remind_discreet: false,
        };
        let overdue = 3 * day + 6 * HOUR_MS;
        let cases = [
            ("within the cadence", quiet, day, Step::OnTime),
            ("in the grace", quiet, 3 * day + HOUR_MS, Step::OnTime),
            ("overdue", quiet, overdue, Step::Remind),
            (
                "reminded, not yet a cadence later",
                Quiet {
                    reminded: true,
                    ..quiet
                },
                overdue + day,
                Step::Waiting,
            ),
            (
                "reminded, a cadence later",
                Quiet {
                    reminded: true,
                    ..quiet
                },
                overdue + 3 * day,
                Step::TellCoordinators,
            ),
            (
                "coordinators told",
                Quiet {
                    reminded: true,
                    escalated: true,
                    ..quiet
                },
                overdue + 30 * day,
                Step::Waiting,
            ),
            (
                "discreet: no reminder",
                Quiet {
                    discreet: true,
                    ..quiet
                },
                overdue,
                Step::Waiting,
            ),
            (
                "discreet: coordinators still told",
                Quiet {
                    discreet: true,
                    ..quiet
                },
                overdue + 3 * day,
                Step::TellCoordinators,
            ),
            (
                "discreet, reminders configured for them",
                Quiet {
                    discreet: true,
                    remind_discreet: true,
                    ..quiet
                },
                overdue,
                Step::Remind,
            ),
            (
                "a sign of life starts again",
                Quiet {
                    since: overdue,
                    ..quiet
                },
                overdue + day,
                Step::OnTime,
            ),
        ];
        for (name, quiet, now, expected) in cases {
            assert_eq!(quiet.step(now), expected, "{name}");
        }
    }
}
