//! A sweep's look, on a reader: which monitors are overdue and what is due for each, which
//! zones have gone quiet or come back, and what the evidence says of the cause. Nothing is
//! written here; the write that follows checks again that each silence is still the same.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::store::db::Db;

use super::baseline::{self, Pace};
use super::cadence::{Cadences, Quiet, Step};
use super::cause::{self, Deliveries};
use super::{HOUR_MS, Sweeper};
use crate::store::StoreError;
use crate::store::silence::{self as queries, Monitor};

/// A monitor due a reminder, or whose coordinators are due a word.
#[derive(Debug, Clone)]
pub(super) struct Due {
    pub id: i64,
    /// The sign (or registration) the silence runs from.
    pub since: i64,
    pub phone: String,
    pub language: Option<String>,
    pub zones: Vec<String>,
    pub hours: i64,
}

/// A zone to open a silence for.
#[derive(Debug, Clone)]
pub(super) struct Opening {
    pub zone: String,
    pub label: String,
    pub silence: baseline::Silence,
    pub cause: Vec<String>,
}

/// An open silence to close: a sign of life came (`back_at`), or the zone has too few
/// monitors left to tell (`None`).
#[derive(Debug, Clone)]
pub(super) struct Closing {
    pub silence: queries::Silence,
    pub back_at: Option<i64>,
}

/// What a sweep found.
#[derive(Debug, Default)]
pub(super) struct Look {
    pub remind: Vec<Due>,
    pub tell: Vec<Due>,
    pub open: Vec<Opening>,
    pub close: Vec<Closing>,
    /// Open silences as they now read (the cause, the usual pace, the monitors), where
    /// that changed: a replayed history or new evidence.
    pub changed: Vec<queries::Silence>,
    pub overdue: usize,
    pub open_after: usize,
}

/// What the sweep knows of a zone from its monitors.
#[derive(Debug, Default)]
struct ZoneNow<'a> {
    monitors: usize,
    last: Option<i64>,
    phones: HashSet<&'a str>,
}

/// Zones' paces as last read, each still right until a sign of one of its monitors is
/// recorded (whenever it is dated) or its monitors change.
#[derive(Debug, Default)]
pub(super) struct Paces {
    by_zone: HashMap<String, Cached>,
    /// The last sign (rowid) taken into account.
    seen: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cached {
    last: i64,
    monitors: usize,
    pace: Pace,
}

impl Sweeper {
    pub(super) fn look(&self, conn: &Db<'_>, now: i64) -> Result<Look, StoreError> {
        self.forget_changed_paces(conn)?;
        let monitors = queries::monitors(conn)?;
        let mut look = Look::default();
        self.monitors_due(&monitors, now, &mut look);
        let mut zones: BTreeMap<&str, ZoneNow<'_>> = BTreeMap::new();
        for m in &monitors {
            for zone in &m.zones {
                let z = zones.entry(zone.as_str()).or_default();
                z.monitors += 1;
                z.last = z.last.max(m.last_sign_at);
                z.phones.insert(m.phone.as_str());
            }
        }
        self.zones_now(conn, &zones, now, &mut look)?;
        Ok(look)
    }

    /// Each monitor's step: a reminder, their coordinators told, or nothing.
    fn monitors_due(&self, monitors: &[Monitor], now: i64, look: &mut Look) {
        for m in monitors {
            let Some(quiet) = self.quiet_of(m) else {
                continue;
            };
            if now >= quiet.overdue_at() {
                look.overdue += 1;
            }
            let due = || Due {
                id: m.id,
                since: quiet.since,
                phone: m.phone.clone(),
                language: m.language.clone(),
                zones: m.zones.clone(),
                hours: (now - quiet.since) / HOUR_MS,
            };
            match quiet.step(now) {
                Step::Remind => look.remind.push(due()),
                Step::TellCoordinators => look.tell.push(due()),
                Step::OnTime | Step::Waiting => {}
            }
        }
    }

    /// A monitor's silence as the sweep judges it; `None`: no cadence expected.
    pub(super) fn quiet_of(&self, m: &Monitor) -> Option<Quiet> {
        let zones = self.fanout.zones();
        let own: Vec<Option<u32>> = m
            .zones
            .iter()
            .map(|z| zones.checkin_every_hours(z))
            .collect();
        let cadence_ms = Cadences {
            contact: m.checkin_every_hours,
            zones: &own,
            default: self.settings.checkin_every_hours,
        }
        .resolve()?;
        let since = m.since();
        Some(Quiet {
            since,
            cadence_ms,
            grace_ms: self.settings.grace_ms,
            reminded: m.reminded_for == Some(since),
            escalated: m.told_for == Some(since),
            // Who said STOP is sent nothing, whatever the setting.
            discreet: m.discreet || m.opted_out,
            remind_discreet: self.settings.remind_discreet && !m.opted_out,
        })
    }

    /// Zones gone quiet, and open silences ended.
    fn zones_now(
        &self,
        conn: &Db<'_>,
        zones: &BTreeMap<&str, ZoneNow<'_>>,
        now: i64,
        look: &mut Look,
    ) -> Result<(), StoreError> {
        let silent = self.silent_zones(conn, zones, now)?;
        let open = queries::open_ones(conn)?;
        let already: HashSet<String> = open.iter().map(|s| s.zone.clone()).collect();
        for s in open {
            self.review(conn, s, zones, &silent, look)?;
        }
        let labels = self.fanout.zones();
        for (key, silence) in silent {
            let Some(zone) = zones.get(key).filter(|_| !already.contains(key)) else {
                continue;
            };
            look.open.push(Opening {
                zone: key.to_owned(),
                label: labels.label(key, &self.fanout.reports().gazetteer),
                cause: self.cause(conn, &zone.phones, silence.since)?,
                silence,
            });
            look.open_after += 1;
        }
        Ok(())
    }

    /// The zones judged silent now.
    fn silent_zones<'z>(
        &self,
        conn: &Db<'_>,
        zones: &BTreeMap<&'z str, ZoneNow<'_>>,
        now: i64,
    ) -> Result<BTreeMap<&'z str, baseline::Silence>, StoreError> {
        let rules = &self.settings.rules;
        let mut silent = BTreeMap::new();
        for (&key, z) in zones {
            let Some(last) = z.last.filter(|_| z.monitors >= rules.min_monitors) else {
                continue;
            };
            let zone = baseline::Zone {
                monitors: z.monitors,
                last: Some(last),
                pace: self.pace(conn, key, z.monitors, last)?,
            };
            if let Some(silence) = baseline::judge(&zone, rules, now) {
                silent.insert(key, silence);
            }
        }
        Ok(silent)
    }

    /// An open silence: closed if a sign came or the zone is no longer silent, else kept
    /// with its cause, pace and monitors as they now read.
    fn review(
        &self,
        conn: &Db<'_>,
        s: queries::Silence,
        zones: &BTreeMap<&str, ZoneNow<'_>>,
        silent: &BTreeMap<&str, baseline::Silence>,
        look: &mut Look,
    ) -> Result<(), StoreError> {
        let zone = zones.get(s.zone.as_str());
        let back_at = zone.and_then(|z| z.last).filter(|&b| b > s.since);
        let (Some(zone), Some(judged), None) = (zone, silent.get(s.zone.as_str()), back_at) else {
            look.close.push(Closing {
                silence: s,
                back_at,
            });
            return Ok(());
        };
        let cause = self.cause(conn, &zone.phones, s.since)?;
        let usual_per_day = (judged.usual_per_day * 100.0).round() / 100.0;
        let monitors = u32::try_from(judged.monitors).unwrap_or(u32::MAX);
        if (cause.as_slice(), usual_per_day, monitors)
            != (&s.cause[..], s.usual_per_day, s.monitors)
        {
            look.changed.push(queries::Silence {
                cause,
                usual_per_day,
                monitors,
                ..s
            });
        }
        look.open_after += 1;
        Ok(())
    }

    /// Forgets the paces of zones with signs recorded since the last look.
    fn forget_changed_paces(&self, conn: &Db<'_>) -> Result<(), StoreError> {
        let mut paces = self.paces.lock().unwrap_or_else(|p| p.into_inner());
        let (zones, seen) = crate::store::signs::zones_since(conn, paces.seen)?;
        for zone in zones {
            paces.by_zone.remove(&zone);
        }
        // Ids only grow (AUTOINCREMENT): after a purge the highest left may be lower.
        paces.seen = paces.seen.max(seen);
        Ok(())
    }

    /// A zone's messages over the history before its last sign, read again only when
    /// a sign came or its monitors changed.
    fn pace(
        &self,
        conn: &Db<'_>,
        zone: &str,
        monitors: usize,
        last: i64,
    ) -> Result<Pace, StoreError> {
        let mut paces = self.paces.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = paces
            .by_zone
            .get(zone)
            .filter(|c| c.last == last && c.monitors == monitors)
        {
            return Ok(c.pace);
        }
        let from = last.saturating_sub(self.settings.rules.history_ms);
        let (messages, first) = queries::pace(conn, zone, from, last)?;
        let pace = Pace { messages, first };
        paces.by_zone.insert(
            zone.to_owned(),
            Cached {
                last,
                monitors,
                pace,
            },
        );
        Ok(pace)
    }

    /// The operators probably cut in a zone (numbers `phones`) since `since`.
    fn cause(
        &self,
        conn: &Db<'_>,
        phones: &HashSet<&str>,
        since: i64,
    ) -> Result<Vec<String>, StoreError> {
        let mut zone: HashMap<&str, Deliveries> = HashMap::new();
        let mut elsewhere: HashMap<&str, Deliveries> = HashMap::new();
        let outcomes = queries::outcomes_since(conn, since)?;
        for (phone, delivered, undelivered) in &outcomes {
            let Some(operator) = self.operators.of(phone) else {
                continue;
            };
            let side = if phones.contains(phone.as_str()) {
                &mut zone
            } else {
                &mut elsewhere
            };
            let d = side.entry(operator).or_default();
            d.delivered += delivered;
            d.undelivered += undelivered;
        }
        let zone: Vec<(&str, Deliveries)> = zone.into_iter().collect();
        let elsewhere: Vec<(&str, Deliveries)> = elsewhere.into_iter().collect();
        Ok(cause::probable_cuts(&zone, &elsewhere)
            .into_iter()
            .map(str::to_owned)
            .collect())
    }
}
