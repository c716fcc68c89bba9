//! Stage 4, fan-out: an incident that meets its zones' rules alerts every matching
//! responder, in their language, in the same transaction as the report that tipped it;
//! later reports bring updates (at most one per interval; a correction at once) or alerts
//! to newly matching responders; an alert nobody acknowledges escalates (`escalate`); `OK`
//! and `INFO` are answered (`answer`); `send` queues and records them. The pure parts:
//! `zones` (which zones contain an incident), `policy` (when an update is due) and
//! `message` (what an alert says).

mod answer;
mod escalate;
mod send;
pub mod message;
pub mod policy;
pub mod zones;

use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};

use crate::store::db::Db;

use crate::config::{AlertsConfig, ZoneDefinition};
use crate::incident::fuse::Incident;
use crate::metrics::{Metrics, Until};
use crate::outbound::Outbound;
use crate::reports::Reports;
use crate::store::StoreError;
use crate::store::alerts::{self as queries, AlertState, Recipient, Subscriber};
use crate::store::incidents;
use crate::text::fold;
pub use answer::{Answered, Asker};
use policy::{Cause, Said, Update, UpdateRules};
pub use zones::names::{NamingError, ZoneNames};
pub use zones::{Whereabouts, ZoneError, ZoneMatch, ZoneRule, Zones};

/// The fan-out stage.
#[derive(Debug)]
pub struct Fanout {
    zones: RwLock<Arc<Zones>>,
    /// Grows each time the zones change (what a zone-limited caller may see changes too).
    zones_version: std::sync::atomic::AtomicU64,
    /// Held while the zones are changed (read, checked, stored, swapped) through the API.
    changes: tokio::sync::Mutex<()>,
    reports: Arc<Reports>,
    config: AlertsConfig,
    updates: UpdateRules,
    metrics: Arc<Metrics>,
}

/// What writing in a transaction needs.
#[derive(Debug, Clone, Copy)]
pub struct Tx<'a> {
    pub conn: &'a Db<'a>,
    pub outbound: &'a Outbound,
    pub now: i64,
}

/// An incident as alerting sees it.
struct Loaded {
    incident: Incident,
    state: AlertState,
    at: Whereabouts,
}

impl Fanout {
    /// Compiles the zones against the gazetteer; a zone that does not hold is an error.
    pub fn new(
        definitions: &[ZoneDefinition],
        reports: Arc<Reports>,
        config: &AlertsConfig,
        metrics: Arc<Metrics>,
    ) -> Result<Self, ZoneError> {
        let zones = Zones::compile(definitions, &reports.gazetteer, config)?;
        Ok(Self {
            zones: RwLock::new(Arc::new(zones)),
            zones_version: std::sync::atomic::AtomicU64::new(0),
            changes: tokio::sync::Mutex::new(()),
            reports,
            updates: UpdateRules::from_config(config),
            config: config.clone(),
            metrics,
        })
    }

    /// Checks definitions as `new` would, without using them.
    pub fn compile(&self, definitions: &[ZoneDefinition]) -> Result<Zones, ZoneError> {
        Zones::compile(definitions, &self.reports.gazetteer, &self.config)
    }

    /// One change to the zones at a time: two at once would each check a set without the
    /// other's zone.
    pub async fn changing_zones(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.changes.lock().await
    }

    /// Uses these zones from now on.
    pub fn set_zones(&self, zones: Zones) {
        let mut current = self
            .zones
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *current = Arc::new(zones);
        self.zones_version
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// How many times the zones changed since start.
    pub fn zones_version(&self) -> u64 {
        self.zones_version
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Counts `note` in the metrics once the write `db` belongs to is committed: a run
    /// rolled back and replayed (a neighbour in its batch failed, a conflict on
    /// PostgreSQL) must not count twice.
    pub fn count_when_committed(&self, db: &Db<'_>, note: impl FnOnce(&Metrics) + Send + 'static) {
        let metrics = Arc::clone(&self.metrics);
        db.after_commit(move || note(&metrics));
    }

    /// The zones in use now.
    pub fn zones(&self) -> Arc<Zones> {
        self.zones.read().map_or_else(
            |poisoned| Arc::clone(&poisoned.into_inner()),
            |z| Arc::clone(&z),
        )
    }

    /// The parser's resources (templates, gazetteer) alerts are written with.
    pub fn reports(&self) -> &Arc<Reports> {
        &self.reports
    }

    /// The names (folded) of every zone containing the place.
    pub fn zones_of(&self, at: &Whereabouts) -> Vec<String> {
        self.zones()
            .containing(at, &self.reports.gazetteer)
            .into_iter()
            .flat_map(|z| z.keys)
            .collect()
    }

    /// The rules of a zone that sets none (`[alerts]`'s).
    pub fn defaults(&self) -> ZoneRule {
        self.zones().defaults().clone()
    }

    /// What zone names mean with the zones in use now.
    pub fn zone_names(&self) -> ZoneNames<'_> {
        ZoneNames::new(&self.reports.gazetteer, self.zones())
    }

    /// After an incident changed: its first alert, an update, alerts to responders newly
    /// matching, or nothing (their channels woken once the transaction commits).
    pub fn after_change(&self, tx: &Tx<'_>, id: i64) -> Result<(), StoreError> {
        self.changed(tx, id, Cause::Event)
    }

    /// The same after a coordinator's correction: an update worth sending goes now.
    pub fn after_correction(&self, tx: &Tx<'_>, id: i64) -> Result<(), StoreError> {
        self.changed(tx, id, Cause::Correction)
    }

    fn changed(&self, tx: &Tx<'_>, id: i64, cause: Cause) -> Result<(), StoreError> {
        match incidents::by_id(tx.conn, id)? {
            Some(incident) => self.look_again(tx, incident, cause),
            None => Ok(()),
        }
    }

    fn look_again(&self, tx: &Tx<'_>, incident: Incident, cause: Cause) -> Result<(), StoreError> {
        let Some(loaded) = self.with_state(tx.conn, incident)? else {
            return Ok(());
        };
        let (incident, state) = (&loaded.incident, &loaded.state);
        let recipients = self.recipients(tx.conn, &loaded)?;
        let said = Said::new(state.severity, incident.sources(), &incident.counts())
            .naming(incident.category.code(), &incident.spot.name);
        if state.version == 0 {
            return self.first_alert(tx, &loaded, &said, &recipients);
        }
        self.follow_up(tx, &loaded, &said, &recipients, cause)
    }

    /// The incident now calls for an alert in some zone: version 1 to every recipient,
    /// and the deadline for an acknowledgement set. With nobody to alert (or nobody who
    /// could be sent it), the zones' escalation contacts are due at once.
    fn first_alert(
        &self,
        tx: &Tx<'_>,
        loaded: &Loaded,
        said: &Said,
        recipients: &[Recipient],
    ) -> Result<(), StoreError> {
        let zones = self.alerting_zones(loaded);
        let Some(deadline) = zones.iter().map(|z| z.rule.deadline_ms).min() else {
            return Ok(());
        };
        let (incident, id) = (&loaded.incident, loaded.incident.id);
        let sent = self.send(tx, incident, "alert", (1, 0), recipients)?;
        let escalate_at = if sent.queued.is_empty() {
            tracing::warn!(
                incident = id,
                "alerting incident with nobody to alert: escalating"
            );
            tx.now
        } else {
            let opened = tx.now.saturating_sub(loaded.state.created_at);
            self.count_when_committed(tx.conn, move |m| m.first_alert(opened));
            if let Some(arrived) = crate::store::reports::arrival_of_newest(tx.conn, id)? {
                crate::store::outbound::stamp_arrival(tx.conn, &sent.queued, arrived)?;
                let latency = tx.now.saturating_sub(arrived);
                self.count_when_committed(tx.conn, move |m| {
                    m.flood().alert_latency(Until::Queued, latency)
                });
            }
            tx.now + deadline
        };
        let said = serde_json::to_string(said).unwrap_or_default();
        queries::set_alerted(tx.conn, id, 1, &said, tx.now, Some(escalate_at))?;
        Ok(())
    }

    /// An alerted incident changed: an update when the rules say so, and the alert to
    /// whoever matches now and was not alerted.
    fn follow_up(
        &self,
        tx: &Tx<'_>,
        loaded: &Loaded,
        said: &Said,
        recipients: &[Recipient],
        cause: Cause,
    ) -> Result<(), StoreError> {
        let (incident, state) = (&loaded.incident, &loaded.state);
        let last: Said = state
            .alerted
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default();
        let since = tx.now - state.last_alert_at.unwrap_or(0);
        let decision = policy::update(&last, said, since, &self.updates, cause);
        let version = state.version + i64::from(decision == Update::Now);
        let alerted = queries::alerted(tx.conn, incident.id, 0)?;
        let known: BTreeSet<&str> = alerted.iter().map(|r| r.phone.as_str()).collect();
        let fresh: Vec<Recipient> = recipients
            .iter()
            .filter(|r| !known.contains(r.phone.as_str()))
            .cloned()
            .collect();
        self.send(tx, incident, "alert", (version, 0), &fresh)?;
        match decision {
            Update::None if state.update_due => {
                queries::set_update_due(tx.conn, incident.id, false)?;
            }
            Update::None => {}
            Update::Later => queries::set_update_due(tx.conn, incident.id, true)?,
            Update::Now => {
                self.send(tx, incident, "update", (version, 0), &alerted)?;
                let said = serde_json::to_string(said).unwrap_or_default();
                queries::set_alerted(tx.conn, incident.id, version, &said, tx.now, None)?;
            }
        }
        Ok(())
    }

    /// The incident with its alert state and whereabouts; `None` unless open.
    fn load(&self, conn: &Db<'_>, id: i64) -> Result<Option<Loaded>, StoreError> {
        match incidents::by_id(conn, id)? {
            Some(incident) => self.with_state(conn, incident),
            None => Ok(None),
        }
    }

    fn with_state(&self, conn: &Db<'_>, incident: Incident) -> Result<Option<Loaded>, StoreError> {
        let Some(state) = queries::state(conn, incident.id)?.filter(AlertState::live) else {
            return Ok(None);
        };
        let at = Whereabouts {
            lat: incident.spot.lat,
            lon: incident.spot.lon,
            chain: state.chain.clone().map(|name| fold(&name)),
        };
        Ok(Some(Loaded {
            incident,
            state,
            at,
        }))
    }

    /// The zones containing the incident whose rules say it alerts.
    fn alerting_zones(&self, loaded: &Loaded) -> Vec<ZoneMatch> {
        let (incident, severity) = (&loaded.incident, loaded.state.severity.unwrap_or(0));
        let sources = u32::try_from(incident.sources()).unwrap_or(u32::MAX);
        let verified = loaded.state.review == "verified";
        self.zones()
            .containing(&loaded.at, &self.reports.gazetteer)
            .into_iter()
            .filter(|z| {
                z.rule
                    .alerts(incident.category, severity, sources, verified)
            })
            .collect()
    }

    /// Every subscriber of an alerting zone who wants this category and severity, once.
    fn recipients(&self, conn: &Db<'_>, loaded: &Loaded) -> Result<Vec<Recipient>, StoreError> {
        let zones = self.alerting_zones(loaded);
        let keys: Vec<String> = zones.iter().flat_map(|z| z.keys.clone()).collect();
        let (category, severity) = (
            loaded.incident.category.code(),
            loaded.state.severity.unwrap_or(0),
        );
        let mut subscribers = queries::subscribers(conn, &keys)?;
        subscribers.extend(zones.iter().flat_map(defined_subscribers));
        let mut seen = BTreeSet::new();
        Ok(subscribers
            .iter()
            .filter(|s| s.categories.is_empty() || s.categories.iter().any(|c| c == category))
            .filter(|s| s.min_severity.is_none_or(|min| severity >= min))
            .filter(|s| seen.insert(s.phone.clone()))
            .map(Recipient::from)
            .collect())
    }
}

/// The numbers a zone's definition subscribes, as subscribers.
fn defined_subscribers(zone: &ZoneMatch) -> Vec<Subscriber> {
    zone.subscribers
        .iter()
        .map(|s| Subscriber {
            contact_id: None,
            phone: s.phone.clone(),
            language: s.language.clone(),
            categories: s.categories.clone(),
            min_severity: s.min_severity,
            zone: zone.keys.first().cloned().unwrap_or_default(),
        })
        .collect()
}
