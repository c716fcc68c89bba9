//! The periodic sweep: updates that waited their interval go out, and alerts nobody
//! acknowledged by their deadline go up a level: to the zone's escalation numbers, else to
//! the contacts of the zone above, then the zone above that, up to the configured top.

use std::collections::BTreeSet;

use super::{Fanout, Loaded, Tx, ZoneMatch};
use crate::metrics::Metrics;
use crate::store::StoreError;
use crate::store::alerts::{self as queries, Recipient};

impl Fanout {
    /// Sends what is due.
    pub fn sweep(&self, tx: &Tx<'_>) -> Result<(), StoreError> {
        let waited = tx.now - self.updates.interval_ms;
        for id in queries::due_updates(tx.conn, waited)? {
            self.after_change(tx, id)?;
        }
        for id in queries::due_escalations(tx.conn, tx.now)? {
            self.escalate(tx, id)?;
        }
        Ok(())
    }

    /// Goes up one level (or more, past levels with nobody to tell).
    fn escalate(&self, tx: &Tx<'_>, id: i64) -> Result<(), StoreError> {
        let Some(loaded) = self.load(tx.conn, id)? else {
            return Ok(());
        };
        let top = i64::from(self.config.escalation_levels);
        let mut level = loaded.state.escalation;
        while level < top {
            level += 1;
            let to = self.escalation_contacts(tx, &loaded, level)?;
            if to.is_empty() {
                continue;
            }
            let version = (loaded.state.version, level);
            self.send(tx, &loaded.incident, "escalation", version, &to)?;
            let deadline = self
                .alerting_zones(&loaded)
                .iter()
                .map(|z| z.rule.deadline_ms)
                .min();
            let next = deadline.filter(|_| level < top).map(|d| tx.now + d);
            queries::set_escalated(tx.conn, id, level, next)?;
            self.count_when_committed(tx.conn, Metrics::escalated);
            tracing::info!(incident = id, level, "unacknowledged alert escalated");
            return Ok(());
        }
        queries::set_escalated(tx.conn, id, level, None)?;
        Ok(())
    }

    /// Who hears at `level`: for each alerting zone, the escalation numbers of its
    /// ancestor `level - 1` (itself at level 1), else the contacts of the one above it.
    fn escalation_contacts(
        &self,
        tx: &Tx<'_>,
        loaded: &Loaded,
        level: i64,
    ) -> Result<Vec<Recipient>, StoreError> {
        let zones = self.zones();
        let gazetteer = &self.reports.gazetteer;
        let (mut numbers, mut keys, mut defined) = (BTreeSet::new(), Vec::new(), Vec::new());
        for zone in self.alerting_zones(loaded) {
            let mut at: Option<ZoneMatch> = Some(zone);
            for _ in 1..level {
                at = at.and_then(|z| zones.parent(&z, &loaded.at, gazetteer));
            }
            let Some(at) = at else { continue };
            let named = zones.numbers(&at);
            if named.is_empty() {
                if let Some(parent) = zones.parent(&at, &loaded.at, gazetteer) {
                    defined.extend(super::defined_subscribers(&parent));
                    keys.extend(parent.keys);
                }
            } else {
                numbers.extend(named.iter().cloned());
            }
        }
        let mut to: Vec<Recipient> = queries::subscribers(tx.conn, &keys)?
            .iter()
            .chain(&defined)
            .map(Recipient::from)
            .collect();
        to.extend(numbers.into_iter().map(|phone| Recipient {
            phone,
            contact_id: None,
            language: None,
        }));
        let mut seen = BTreeSet::new();
        to.retain(|r| seen.insert(r.phone.clone()));
        Ok(to)
    }
}
