//! Zones: which of them contain an incident, with the rules each alerts by, and what lies
//! above each (where an unanswered alert escalates). A defined zone is admin units,
//! circles and polygons; any gazetteer admin unit is a zone by its name or id, its parent
//! the unit above it. Pure: built once from the definitions, asked per incident.

mod lookup;
pub mod names;

use std::collections::HashMap;

use geo::{Contains, MultiPolygon, Point};

use crate::config::{AlertsConfig, Circle, Subscription, ZoneDefinition};
use crate::gazetteer::{Gazetteer, Kind, shape};
use crate::incident::fuse::{Spot, km_between};
use crate::keywords::Category;
use crate::text::fold;

/// A zone definition that does not hold; `field` names what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ZoneError {
    pub field: String,
    pub reason: String,
}

/// When a zone alerts, and how long it waits for an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneRule {
    pub severity_threshold: u8,
    pub sources: u32,
    pub deadline_ms: i64,
    /// Empty: every category.
    pub categories: Vec<Category>,
    /// An incident below the severity threshold alerts only once a coordinator verified it.
    pub verify_low_severity: bool,
}

impl ZoneRule {
    /// Whether an incident this severe, with this many sources, alerts here.
    pub fn alerts(&self, category: Category, severity: u8, sources: u32, verified: bool) -> bool {
        let corroborated = sources >= self.sources && (verified || !self.verify_low_severity);
        (self.categories.is_empty() || self.categories.contains(&category))
            && (severity >= self.severity_threshold || corroborated)
    }
}

/// Where an incident is, as zones see it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Whereabouts {
    pub lat: f64,
    pub lon: f64,
    /// Region, cercle, commune names, folded; empty where unknown.
    pub chain: [String; 3],
}

impl Whereabouts {
    /// Where a stored incident is: its point and its admin chain, folded.
    pub fn of_incident(i: &crate::store::incident_views::IncidentView) -> Self {
        Self {
            lat: i.lat,
            lon: i.lon,
            chain: i.chain.clone().map(|name| fold(&name)),
        }
    }
}

/// A zone containing an incident.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneMatch {
    /// The folded names contacts may give it (a code; a unit's name and id).
    pub keys: Vec<String>,
    pub rule: ZoneRule,
    /// Numbers subscribed in the zone's definition.
    pub subscribers: Vec<Subscription>,
    /// An admin unit's level (1 region, 2 cercle, 3 commune); `None` for a defined zone.
    pub level: Option<usize>,
}

#[derive(Debug)]
struct Defined {
    key: String,
    /// Admin units as folded chains (`["mopti", "koro"]` is the cercle of Koro).
    units: Vec<Vec<String>>,
    circles: Vec<Circle>,
    shapes: Vec<MultiPolygon<f64>>,
    parent: Option<String>,
    escalation: Vec<String>,
    rule: ZoneRule,
    subscribers: Vec<Subscription>,
    /// As shown: its name, else its code.
    label: String,
    checkin_every_hours: Option<u32>,
}

/// Every defined zone, compiled, and the rules of the others.
#[derive(Debug)]
pub struct Zones {
    defined: Vec<Defined>,
    by_key: HashMap<String, usize>,
    defaults: ZoneRule,
}

impl Zones {
    /// Resolves each definition's units in the gazetteer and reads its polygons.
    pub fn compile(
        definitions: &[ZoneDefinition],
        gazetteer: &Gazetteer,
        alerts: &AlertsConfig,
    ) -> Result<Self, ZoneError> {
        let defaults = ZoneRule {
            severity_threshold: alerts.severity_threshold,
            sources: alerts.sources,
            deadline_ms: minutes_ms(alerts.deadline_mins),
            categories: Vec::new(),
            verify_low_severity: false,
        };
        let mut defined = Vec::with_capacity(definitions.len());
        for (i, d) in definitions.iter().enumerate() {
            defined.push(compile_one(
                d,
                &format!("zones[{i}]"),
                gazetteer,
                &defaults,
            )?);
        }
        let by_key = defined
            .iter()
            .enumerate()
            .map(|(i, d)| (d.key.clone(), i))
            .collect();
        let zones = Self {
            defined,
            by_key,
            defaults,
        };
        zones.check_parents(gazetteer)?;
        Ok(zones)
    }

    /// Each parent names a zone or an admin unit, and no chain of parents loops.
    fn check_parents(&self, gazetteer: &Gazetteer) -> Result<(), ZoneError> {
        for (i, d) in self.defined.iter().enumerate() {
            let Some(parent) = &d.parent else { continue };
            let error = |reason: String| ZoneError {
                field: format!("zones[{i}].parent"),
                reason,
            };
            if !self.by_key.contains_key(parent) && admin_units(parent, gazetteer).is_empty() {
                return Err(error(format!("`{parent}` is no zone and no admin unit")));
            }
            let mut up = Some(parent);
            for _ in 0..=self.defined.len() {
                let Some(key) = up else { break };
                if *key == d.key {
                    return Err(error(format!("`{}` is its own ancestor", d.key)));
                }
                up = self
                    .by_key
                    .get(key)
                    .and_then(|&j| self.defined[j].parent.as_ref());
            }
        }
        Ok(())
    }

    /// Every zone containing the incident: defined ones, then its admin units (a unit
    /// whose name a defined zone took is that zone).
    pub fn containing(&self, at: &Whereabouts, gazetteer: &Gazetteer) -> Vec<ZoneMatch> {
        let mut found: Vec<ZoneMatch> = self
            .defined
            .iter()
            .filter(|d| d.contains(at))
            .map(Defined::as_match)
            .collect();
        for level in (1..=3).rev() {
            let keys = unit_keys(at, level, gazetteer);
            let keys: Vec<String> = keys
                .into_iter()
                .filter(|k| !self.by_key.contains_key(k))
                .collect();
            if !keys.is_empty() {
                found.push(self.unit(keys, level));
            }
        }
        found
    }

    /// The named escalation numbers of a defined zone (empty: its parent's contacts).
    pub fn numbers(&self, zone: &ZoneMatch) -> &[String] {
        zone.keys
            .first()
            .and_then(|k| self.by_key.get(k))
            .map_or(&[], |&i| &self.defined[i].escalation)
    }

    /// The zone above: a defined zone's parent, an admin unit's own parent unit; `None`
    /// at the top.
    pub fn parent(
        &self,
        zone: &ZoneMatch,
        at: &Whereabouts,
        gazetteer: &Gazetteer,
    ) -> Option<ZoneMatch> {
        let first = zone.keys.first()?;
        if let Some(&i) = self.by_key.get(first) {
            let parent = self.defined[i].parent.as_deref()?;
            return Some(self.named(parent, at, gazetteer));
        }
        let above = zone.level?.checked_sub(1).filter(|&l| l >= 1)?;
        Some(self.unit(unit_keys(at, above, gazetteer), above))
    }

    /// Whether a name (or gazetteer id) is a defined zone or an admin unit.
    pub fn knows(&self, given: &str, gazetteer: &Gazetteer) -> bool {
        self.by_key.contains_key(&fold(given)) || !admin_units(given, gazetteer).is_empty()
    }

    pub fn is_defined(&self, given: &str) -> bool {
        self.by_key.contains_key(&fold(given))
    }

    /// The rules of a zone that sets none: `[alerts]`'s.
    pub fn defaults(&self) -> &ZoneRule {
        &self.defaults
    }

    /// The zone a parent key names: a defined zone, else an admin unit.
    fn named(&self, key: &str, at: &Whereabouts, gazetteer: &Gazetteer) -> ZoneMatch {
        if let Some(&i) = self.by_key.get(key) {
            return self.defined[i].as_match();
        }
        match (1..=3).find(|&l| at.chain[l - 1] == key) {
            Some(level) => self.unit(unit_keys(at, level, gazetteer), level),
            None => ZoneMatch {
                keys: vec![key.to_owned()],
                rule: self.defaults.clone(),
                subscribers: Vec::new(),
                level: None,
            },
        }
    }

    /// The admin unit at `level` as a zone: `[alerts]`'s rules, no subscribers of its own.
    fn unit(&self, keys: Vec<String>, level: usize) -> ZoneMatch {
        ZoneMatch {
            keys,
            rule: self.defaults.clone(),
            subscribers: Vec::new(),
            level: Some(level),
        }
    }
}

impl Defined {
    fn as_match(&self) -> ZoneMatch {
        ZoneMatch {
            keys: vec![self.key.clone()],
            rule: self.rule.clone(),
            subscribers: self.subscribers.clone(),
            level: None,
        }
    }

    fn contains(&self, at: &Whereabouts) -> bool {
        let spot = Spot {
            lat: at.lat,
            lon: at.lon,
            commune: String::new(),
            precision: 3,
            name: String::new(),
        };
        let in_unit = self
            .units
            .iter()
            .any(|unit| unit.iter().zip(&at.chain).all(|(u, c)| u == c));
        let in_circle = self.circles.iter().any(|c| {
            let centre = Spot {
                lat: c.lat,
                lon: c.lon,
                ..spot.clone()
            };
            km_between(&centre, &spot) <= c.radius_km
        });
        let point = Point::new(at.lon, at.lat);
        in_unit || in_circle || self.shapes.iter().any(|s| s.contains(&point))
    }
}

fn compile_one(
    d: &ZoneDefinition,
    at: &str,
    gazetteer: &Gazetteer,
    defaults: &ZoneRule,
) -> Result<Defined, ZoneError> {
    let error = |field: &str, reason: String| ZoneError {
        field: format!("{at}.{field}"),
        reason,
    };
    d.check(at).map_err(|e| match e {
        crate::config::ConfigError::Invalid { field, reason } => ZoneError { field, reason },
        other => error("code", other.to_string()),
    })?;
    let units = units_of(d, gazetteer).map_err(|reason| error("units", reason))?;
    let mut shapes = Vec::new();
    for (i, geometry) in d.polygons.iter().enumerate() {
        let shape = shape(geometry).ok_or_else(|| {
            error(
                &format!("polygons[{i}]"),
                "not a GeoJSON Polygon or MultiPolygon".into(),
            )
        })?;
        shapes.push(shape);
    }
    let categories = d
        .categories
        .iter()
        .filter_map(|c| Category::ALL.into_iter().find(|k| k.code() == c))
        .collect();
    Ok(Defined {
        key: fold(&d.code),
        units,
        circles: d.circles.clone(),
        shapes,
        parent: d.parent.as_deref().map(fold).filter(|p| !p.is_empty()),
        escalation: d.escalation.clone(),
        subscribers: d.subscribers.clone(),
        label: if d.name.trim().is_empty() {
            d.code.clone()
        } else {
            d.name.trim().to_owned()
        },
        checkin_every_hours: d.checkin_every_hours,
        rule: ZoneRule {
            severity_threshold: d.severity_threshold.unwrap_or(defaults.severity_threshold),
            sources: d.sources.unwrap_or(defaults.sources),
            deadline_ms: d.deadline_mins.map_or(defaults.deadline_ms, minutes_ms),
            categories,
            verify_low_severity: d.verify_low_severity,
        },
    })
}

/// Every admin unit of a zone, as folded chains; the error names the unit not found.
fn units_of(d: &ZoneDefinition, gazetteer: &Gazetteer) -> Result<Vec<Vec<String>>, String> {
    let mut units = Vec::new();
    for given in &d.units {
        let found = admin_units(given, gazetteer);
        if found.is_empty() {
            return Err(format!(
                "`{given}` is no region, cercle or commune of the gazetteer"
            ));
        }
        units.extend(found);
    }
    Ok(units)
}

/// The admin units a zone's unit names (by id, else by name), as folded chains.
fn admin_units(given: &str, gazetteer: &Gazetteer) -> Vec<Vec<String>> {
    let rows: Vec<u32> = match gazetteer.by_id(given) {
        Some(row) => vec![row],
        None => gazetteer.named(&fold(given)).to_vec(),
    };
    rows.into_iter()
        .map(|r| gazetteer.place(r))
        .filter(|p| p.kind != Kind::Locality)
        .map(|p| (1..=p.kind.level()).map(|l| fold(p.admin(l))).collect())
        .collect()
}

/// The names a contact may give the incident's admin unit at `level`: its name and the
/// ids of the gazetteer rows that are that unit.
fn unit_keys(at: &Whereabouts, level: usize, gazetteer: &Gazetteer) -> Vec<String> {
    let name = &at.chain[level - 1];
    if name.is_empty() {
        return Vec::new();
    }
    let mut keys = vec![name.clone()];
    for &row in gazetteer.named(name) {
        let place = gazetteer.place(row);
        let same = place.kind.level() == level
            && (1..=level).all(|l| fold(place.admin(l)) == at.chain[l - 1]);
        if same {
            keys.push(fold(&place.id));
        }
    }
    keys
}

fn minutes_ms(minutes: u64) -> i64 {
    i64::try_from(minutes.saturating_mul(60_000)).unwrap_or(i64::MAX / 2)
}

#[cfg(test)]
mod tests;
