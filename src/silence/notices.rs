//! The sweep's write: each silence answered once, and its SMS queued in the same
//! transaction: a reminder to the monitor, a word to their coordinators (one SMS each,
//! listing as many monitors as fit), a zone's silence opened or closed to its coordinators
//! and escalation numbers.

use std::collections::{BTreeMap, BTreeSet};

use crate::store::db::Db;
use minijinja::{Value, context};

use super::HOUR_MS;
use super::look::{Closing, Due, Look, Opening};
use super::sweep::{Sweeper, Swept};
use crate::outbound::Purpose;
use crate::reply::Replies;
use crate::store::StoreError;
use crate::store::alerts::Recipient;
use crate::store::silence::{self as queries, Silence, State};

/// A monitor as a coordinator's SMS names them: by pseudonym, never by number.
#[derive(Debug, Clone, serde::Serialize)]
struct Named {
    #[serde(rename = "ref")]
    reference: String,
    zone: String,
    hours: i64,
}

impl Sweeper {
    /// Writes what `look` found due; returns what was done.
    pub(super) fn write(&self, conn: &Db<'_>, look: &Look, now: i64) -> Result<Swept, StoreError> {
        let mut swept = Swept::default();
        for due in &look.remind {
            if queries::set_reminded(conn, due.id, due.since)? {
                let to = Recipient {
                    phone: due.phone.clone(),
                    contact_id: Some(due.id),
                    language: due.language.clone(),
                };
                let values = context! { hours => due.hours };
                self.queue(conn, &[to], "silence_reminder", &values, now)?;
                swept.reminded += 1;
            }
        }
        swept.told = self.tell(conn, &look.tell, now)?;
        for opening in &look.open {
            swept.opened += usize::from(self.open(conn, opening, now)?);
        }
        for closing in &look.close {
            swept.closed += usize::from(self.close(conn, closing, now)?);
        }
        for s in &look.changed {
            queries::update(conn, s)?;
        }
        Ok(swept)
    }

    /// Tells each coordinator of the overdue monitors' zones, in one SMS each.
    fn tell(&self, conn: &Db<'_>, due: &[Due], now: i64) -> Result<usize, StoreError> {
        let zones = self.fanout.zones();
        let gazetteer = &self.fanout.reports().gazetteer;
        let mut by_coordinator: BTreeMap<String, (Recipient, Vec<Named>)> = BTreeMap::new();
        let mut told = 0;
        for d in due {
            if !queries::set_told(conn, d.id, d.since)? {
                continue;
            }
            told += 1;
            let named = Named {
                reference: self.pseudonyms.of(&d.phone),
                zone: d
                    .zones
                    .first()
                    .map(|z| zones.label(z, gazetteer))
                    .unwrap_or_default(),
                hours: d.hours,
            };
            for c in queries::with_role(conn, &d.zones, "coordinator")? {
                let entry = by_coordinator
                    .entry(c.phone.clone())
                    .or_insert_with(|| (c, Vec::new()));
                entry.1.push(named.clone());
            }
        }
        for (to, monitors) in by_coordinator.into_values() {
            let Some(text) = self.fitting(to.language.as_deref(), &monitors) else {
                continue;
            };
            self.queue_text(conn, &to, text, Purpose::System, now)?;
        }
        Ok(told)
    }

    /// The overdue notice naming as many of `monitors` as fit one SMS.
    fn fitting(&self, language: Option<&str>, monitors: &[Named]) -> Option<String> {
        (1..=monitors.len()).rev().find_map(|n| {
            let values = context! { monitors => &monitors[..n], more => monitors.len() - n };
            self.render(language, "silence_overdue", &values)
                .filter(|t| Replies::fits(t))
        })
    }

    /// Opens a zone's silence, unless a sign came since the look; `true` if opened.
    fn open(&self, conn: &Db<'_>, o: &Opening, now: i64) -> Result<bool, StoreError> {
        if queries::zone_last(conn, &o.zone)? != Some(o.silence.since) {
            return Ok(false);
        }
        let silence = Silence {
            id: 0,
            zone: o.zone.clone(),
            name: o.label.clone(),
            state: State::Open,
            since: o.silence.since,
            monitors: u32::try_from(o.silence.monitors).unwrap_or(u32::MAX),
            usual_per_day: (o.silence.usual_per_day * 100.0).round() / 100.0,
            cause: o.cause.clone(),
            opened_at: now,
            closed_at: None,
            back_at: None,
        };
        let Some(id) = queries::open(conn, &silence)? else {
            return Ok(false);
        };
        tracing::info!(silence = id, "a zone has gone quiet");
        let values = context! {
            zone => &o.label,
            count => o.silence.monitors,
            hours => (now - o.silence.since) / HOUR_MS,
            usual => usual(o.silence.usual_per_day),
            cause => o.cause.join(", "),
        };
        let to = self.zone_recipients(conn, &o.zone)?;
        self.queue(conn, &to, "silence_open", &values, now)?;
        Ok(true)
    }

    /// Closes a silence; its coordinators hear of it only when a sign of life ended it
    /// (a zone left with too few monitors to judge closes without a word). `true` if
    /// closed.
    fn close(&self, conn: &Db<'_>, c: &Closing, now: i64) -> Result<bool, StoreError> {
        let s = &c.silence;
        if !queries::close(conn, s.id, c.back_at, now)? {
            return Ok(false);
        }
        let Some(back) = c.back_at else {
            tracing::info!(
                silence = s.id,
                "a silence closed: too few monitors to judge"
            );
            return Ok(true);
        };
        tracing::info!(silence = s.id, "a quiet zone is heard again");
        let values = context! { zone => &s.name, hours => (back - s.since) / HOUR_MS };
        let to = self.zone_recipients(conn, &s.zone)?;
        self.queue(conn, &to, "silence_closed", &values, now)?;
        Ok(true)
    }

    /// Who hears of a zone's silence: its coordinators and its escalation numbers.
    fn zone_recipients(&self, conn: &Db<'_>, zone: &str) -> Result<Vec<Recipient>, StoreError> {
        let mut to = queries::with_role(conn, &[zone.to_owned()], "coordinator")?;
        let zones = self.fanout.zones();
        to.extend(zones.escalation_of(zone).iter().map(|phone| Recipient {
            phone: phone.clone(),
            contact_id: None,
            language: None,
        }));
        let mut seen = BTreeSet::new();
        to.retain(|r| seen.insert(r.phone.clone()));
        Ok(to)
    }

    /// Renders `template` in each recipient's language and queues it to them.
    fn queue(
        &self,
        conn: &Db<'_>,
        to: &[Recipient],
        template: &str,
        values: &Value,
        now: i64,
    ) -> Result<(), StoreError> {
        for r in to {
            let Some(text) = self.render(r.language.as_deref(), template, values) else {
                continue;
            };
            self.queue_text(conn, r, text, Purpose::System, now)?;
        }
        Ok(())
    }

    pub(super) fn queue_text(
        &self,
        conn: &Db<'_>,
        to: &Recipient,
        text: String,
        purpose: Purpose,
        now: i64,
    ) -> Result<(), StoreError> {
        let message = (to.phone.as_str(), text, purpose);
        self.outbound.queue_in(conn, message, None, now)
    }

    /// A template in `language` (else the default), if it renders.
    pub(super) fn render(
        &self,
        language: Option<&str>,
        template: &str,
        values: &Value,
    ) -> Option<String> {
        let reports = self.fanout.reports();
        let language = language.unwrap_or(&reports.vocabulary.default_language().code);
        match reports.replies.render(language, template, values) {
            Ok(text) => Some(text),
            Err(e) => {
                tracing::error!(error = %e, template, "silence notice not rendered");
                None
            }
        }
    }
}

/// A usual rate as people read it: whole above one a day, else to a tenth.
fn usual(per_day: f64) -> String {
    if per_day >= 1.0 {
        format!("{}", per_day.round())
    } else {
        format!("{per_day:.1}")
    }
}
