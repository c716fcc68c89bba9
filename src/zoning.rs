//! Zones as admins define them, by the API or the console: listed as the caller may see
//! them; created, changed and deleted, each checked against the gazetteer and every other
//! zone before it is stored, audited, and used by fan-out at once.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::access::Caller;
use crate::config::ZoneDefinition;
use crate::fanout::{Fanout, ZoneError, Zones};
use crate::store::db::Db;
use crate::store::zones as queries;
use crate::store::{Store, StoreError, audit};
use crate::text::fold;

/// Why a zone was not shown, stored or removed.
#[derive(Debug, thiserror::Error)]
pub enum ZoningError {
    #[error("no zone `{0}`")]
    NoZone(String),
    #[error("zone `{0}` exists; change that one")]
    Exists(String),
    #[error("zone `{0}` is outside this token's zones")]
    OutsideZones(String),
    #[error("code: a zone's code does not change; create another")]
    CodeChanges,
    /// A change that does not read (a field of the wrong type).
    #[error("{0}")]
    Unreadable(String),
    /// A zone that reads but does not hold: its field and why.
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ZoneError> for ZoningError {
    fn from(e: ZoneError) -> Self {
        let field = e.field.strip_prefix("zones[0].").unwrap_or(&e.field);
        Self::Invalid {
            field: field.to_owned(),
            reason: e.reason,
        }
    }
}

/// What managing zones needs.
#[derive(Debug, Clone)]
pub struct Zoning {
    pub store: Store,
    pub fanout: Arc<Fanout>,
}

/// A change to the set of zones.
enum Change {
    Put(Box<ZoneDefinition>),
    Delete(String),
}

impl Zoning {
    /// The zones the caller may see, as they may see them.
    pub async fn visible(&self, caller: &Caller) -> Result<Vec<ZoneDefinition>, ZoningError> {
        let zones = self.store.read(queries::all).await?;
        Ok(zones
            .into_iter()
            .filter(|z| caller.covers(std::iter::once(fold(&z.code))))
            .map(|z| as_seen(z, caller))
            .collect())
    }

    /// Zone `code` as the caller may see it.
    pub async fn one(&self, caller: &Caller, code: &str) -> Result<ZoneDefinition, ZoningError> {
        let zone = self.current(code).await?;
        if !caller.covers(std::iter::once(fold(&zone.code))) {
            return Err(ZoningError::OutsideZones(code.to_owned()));
        }
        Ok(as_seen(zone, caller))
    }

    /// A new zone; `Exists` if its code is taken.
    pub async fn create(&self, caller: &Caller, zone: ZoneDefinition) -> Result<(), ZoningError> {
        let _one_at_a_time = self.fanout.changing_zones().await;
        let code = zone.code.clone();
        if self
            .store
            .read(move |c| queries::get(c, &code))
            .await?
            .is_some()
        {
            return Err(ZoningError::Exists(zone.code));
        }
        self.save(Change::Put(Box::new(zone)), caller).await
    }

    /// Zone `code` with the fields of `patch` (a JSON object) changed.
    pub async fn change(
        &self,
        caller: &Caller,
        code: &str,
        patch: &Value,
    ) -> Result<ZoneDefinition, ZoningError> {
        let _one_at_a_time = self.fanout.changing_zones().await;
        let zone = self.current(code).await?;
        let changed: ZoneDefinition =
            crate::patch::patched(&zone, patch).map_err(ZoningError::Unreadable)?;
        if fold(&changed.code) != fold(&zone.code) {
            return Err(ZoningError::CodeChanges);
        }
        self.save(Change::Put(Box::new(changed.clone())), caller)
            .await?;
        Ok(changed)
    }

    /// Removes zone `code`.
    pub async fn delete(&self, caller: &Caller, code: &str) -> Result<(), ZoningError> {
        let _one_at_a_time = self.fanout.changing_zones().await;
        let zone = self.current(code).await?;
        self.save(Change::Delete(zone.code), caller).await
    }

    async fn current(&self, code: &str) -> Result<ZoneDefinition, ZoningError> {
        let key = code.to_owned();
        self.store
            .read(move |c| queries::get(c, &key))
            .await?
            .ok_or_else(|| ZoningError::NoZone(code.to_owned()))
    }

    /// Makes the change once the whole set compiles, audited, and hands the set to
    /// fan-out (the caller holds `changing_zones`).
    async fn save(&self, change: Change, caller: &Caller) -> Result<(), ZoningError> {
        let code = match &change {
            Change::Put(zone) => {
                self.fanout.compile(std::slice::from_ref(zone))?;
                &zone.code
            }
            Change::Delete(code) => code,
        };
        let key = fold(code);
        let mut all: Vec<ZoneDefinition> = self.store.read(queries::all).await?;
        all.retain(|z| fold(&z.code) != key);
        if let Change::Put(zone) = &change {
            all.push((**zone).clone());
        }
        let zones = self.fanout.compile(&all)?;
        let now = self.store.now_ms();
        let (who, subject) = (caller.who.clone(), format!("zone {key}"));
        self.store
            .write(move |c| {
                let (action, detail) = stored(c, &change, now)?;
                audit::append(c, &who, action, &subject, &detail, now)
            })
            .await?;
        self.fanout.set_zones(zones);
        Ok(())
    }
}

/// Stores the change; its audit action and detail.
fn stored(conn: &Db<'_>, change: &Change, now: i64) -> Result<(&'static str, Value), StoreError> {
    Ok(match change {
        Change::Put(zone) => {
            let created = queries::put(conn, zone, now)?;
            let action = if created {
                "zone.create"
            } else {
                "zone.update"
            };
            // The definition may hold responders' numbers: not in the log.
            (
                action,
                json!({ "units": zone.units, "parent": zone.parent }),
            )
        }
        Change::Delete(code) => {
            queries::delete(conn, code)?;
            ("zone.delete", json!({}))
        }
    })
}

/// A zone as the caller may see it: escalation and subscribed numbers for admins only.
fn as_seen(zone: ZoneDefinition, caller: &Caller) -> ZoneDefinition {
    if caller.sees_numbers() {
        return zone;
    }
    ZoneDefinition {
        escalation: Vec::new(),
        subscribers: Vec::new(),
        ..zone
    }
}

/// The zones in force, for a command run beside the gateway (`vigie token`, `vigie
/// import`): those stored (the configuration's once the gateway has started) and the
/// configuration's, compiled.
pub async fn in_force(
    store: &Store,
    config: &crate::config::Config,
    gazetteer: &crate::gazetteer::Gazetteer,
) -> anyhow::Result<Arc<Zones>> {
    let mut definitions = store.read(queries::all).await?;
    definitions.extend(config.zones.iter().cloned());
    let zones = Zones::compile(&definitions, gazetteer, &config.alerts)
        .map_err(|e| anyhow::anyhow!("invalid zone: {e}"))?;
    Ok(Arc::new(zones))
}
