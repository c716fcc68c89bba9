//! Silence as coordinators read it (API and console alike): each monitor's last sign of
//! life, cadence and whether they are overdue; the zones' silences. A monitor's number
//! is shown to admins only; their zones limit what a limited caller sees.

use serde::Serialize;

use super::cadence::Quiet;
use super::sweep::Sweeper;
use crate::access::Caller;
use crate::clock::to_rfc3339;
use crate::store::StoreError;
use crate::store::signs;
use crate::store::silence::{self as queries, Monitor, Silence};

/// A monitor as listed.
#[derive(Debug, Clone, Serialize)]
pub struct MonitorView {
    pub id: i64,
    /// Their pseudonym, as alerts and notices name them.
    #[serde(rename = "ref")]
    pub reference: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// For coordinators and admins: a viewer (a partner's system) is not told who.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub zones: Vec<String>,
    pub operator: Option<String>,
    /// Their latest message (an SMS or a USSD session).
    pub last_heard_at: Option<String>,
    /// Their latest sign of life, a delivered SMS included, and how it came: `sms`,
    /// `ussd` or `delivery`.
    pub last_sign_at: Option<String>,
    pub last_sign_via: Option<String>,
    /// `None`: no cadence expected.
    pub cadence_hours: Option<i64>,
    pub overdue: bool,
    pub overdue_since: Option<String>,
    pub reminded: bool,
    pub coordinators_told: bool,
    /// Since when a duress word marks their reports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duress_since: Option<String>,
}

/// Which monitors to list.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter {
    pub overdue_only: bool,
    pub limit: usize,
}

impl Sweeper {
    /// Monitors the caller may see, the longest silent first.
    pub async fn monitors(
        &self,
        caller: &Caller,
        filter: Filter,
    ) -> Result<Vec<MonitorView>, StoreError> {
        let now = self.store.now_ms();
        let all = self.store.read(queries::monitors).await?;
        let mut shown: Vec<(Monitor, Option<Quiet>)> = all
            .into_iter()
            .filter(|m| self.covers(caller, &m.zones))
            .map(|m| {
                let quiet = self.quiet_of(&m);
                (m, quiet)
            })
            .filter(|(_, q)| !filter.overdue_only || q.is_some_and(|q| now >= q.overdue_at()))
            .collect();
        shown.sort_by_key(|(m, _)| (m.since(), m.id));
        shown.truncate(filter.limit);
        let ids: Vec<i64> = shown.iter().map(|(m, _)| m.id).collect();
        let latest = self
            .store
            .read(move |c| {
                ids.iter()
                    .map(|&id| signs::latest(c, id))
                    .collect::<Result<Vec<_>, _>>()
            })
            .await?;
        let views = shown
            .into_iter()
            .zip(latest)
            .map(|((m, quiet), latest)| self.view(caller, m, quiet, latest, now))
            .collect();
        Ok(views)
    }

    fn view(
        &self,
        caller: &Caller,
        m: Monitor,
        quiet: Option<Quiet>,
        latest: Option<(i64, String, Option<String>)>,
        now: i64,
    ) -> MonitorView {
        let overdue_at = quiet.map(|q| q.overdue_at()).filter(|&at| now >= at);
        let since = m.since();
        let zones = self.fanout.zones();
        let gazetteer = &self.fanout.reports().gazetteer;
        MonitorView {
            id: m.id,
            reference: self.pseudonyms.of(&m.phone),
            phone: caller.sees_numbers().then(|| m.phone.clone()),
            zones: m.zones.iter().map(|z| zones.label(z, gazetteer)).collect(),
            operator: self.operators.of(&m.phone).map(str::to_owned),
            name: (caller.role >= crate::access::Role::Coordinator).then_some(m.name),
            last_heard_at: m.last_sign_at.and_then(to_rfc3339),
            last_sign_at: latest.as_ref().and_then(|l| to_rfc3339(l.0)),
            last_sign_via: latest.map(|l| l.1),
            cadence_hours: quiet.map(|q| q.cadence_ms / super::HOUR_MS),
            overdue: overdue_at.is_some(),
            overdue_since: overdue_at.and_then(to_rfc3339),
            reminded: m.reminded_for == Some(since),
            coordinators_told: m.told_for == Some(since),
            duress_since: m
                .duress_since
                .filter(|_| caller.role >= crate::access::Role::Coordinator)
                .and_then(to_rfc3339),
        }
    }

    /// Silences open, and those closed in the last `days` days, that the caller may see.
    pub async fn silences(&self, caller: &Caller, days: u32) -> Result<Vec<Silence>, StoreError> {
        let after = self.store.now_ms() - i64::from(days) * super::DAY_MS;
        let all = self
            .store
            .read(move |c| queries::list(c, after, 1000))
            .await?;
        Ok(all
            .into_iter()
            .filter(|s| self.covers(caller, std::slice::from_ref(&s.zone)))
            .collect())
    }

    /// Whether a caller limited to zones sees something in `zones` (keys).
    fn covers(&self, caller: &Caller, zones: &[String]) -> bool {
        if caller.zones.is_empty() {
            return true;
        }
        let names = self.fanout.zone_names();
        caller.covers(zones.iter().flat_map(|z| names.keys_up(z)))
    }
}
