//! What a zone's name means when a person names one: a token's limits, a read's filter, a
//! broadcast's audience. A zone of the configuration by its code; an admin unit by its
//! gazetteer id, or by a name only one unit bears. A name several units share (Bamba, a
//! commune of Koro and of Bourem) means none of them: it is refused with its candidates,
//! and a limit stored with it covers nothing. Scopes compare ids, never names.

use std::sync::Arc;

use super::{Whereabouts, Zones, unit_keys};
use crate::gazetteer::{Gazetteer, Kind};
use crate::text::fold;

/// A zone name that means no one zone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NamingError {
    #[error("`{0}` is no zone and no admin unit")]
    Unknown(String),
    #[error("`{zone}` names several admin units; give one by its id: {}", candidates.join("; "))]
    Shared {
        zone: String,
        /// `id (region, cercle, commune)` of each.
        candidates: Vec<String>,
    },
}

/// The zones and admin units a name may mean.
#[derive(Debug, Clone)]
pub struct ZoneNames<'a> {
    gazetteer: &'a Gazetteer,
    zones: Arc<Zones>,
}

impl<'a> ZoneNames<'a> {
    pub fn new(gazetteer: &'a Gazetteer, zones: Arc<Zones>) -> Self {
        Self { gazetteer, zones }
    }

    /// Whether the name is a zone of the configuration, an admin unit's name, or an admin
    /// unit's gazetteer id (shared names included: see `canonical`).
    pub fn knows(&self, zone: &str) -> bool {
        self.zones.knows(zone, self.gazetteer) || self.unit_by_id(zone).is_some()
    }

    /// Whether fan-out matches a contact's zone so named: a zone of the configuration by
    /// its code, an admin unit by its id or its own name (not an alternative spelling,
    /// which `knows` takes for a place).
    pub fn reaches(&self, zone: &str) -> bool {
        self.zones.is_defined(zone)
            || self.unit_by_id(zone).is_some()
            || !self.units_named(zone).is_empty()
    }

    /// The one zone a name means, as it is best stored: a defined zone's code, an admin
    /// unit's gazetteer id.
    pub fn canonical(&self, zone: &str) -> Result<String, NamingError> {
        if let Some(row) = self.unit_by_id(zone) {
            return Ok(self.gazetteer.place(row).id.to_string());
        }
        if self.zones.is_defined(zone) {
            return Ok(zone.trim().to_owned());
        }
        if let [row] = self.units_named(zone).as_slice() {
            return Ok(self.gazetteer.place(*row).id.to_string());
        }
        let candidates = self.shared(zone);
        Err(if candidates.is_empty() {
            NamingError::Unknown(zone.to_owned())
        } else {
            NamingError::Shared {
                zone: zone.to_owned(),
                candidates,
            }
        })
    }

    /// The key a limit or a filter compares with an incident's zones (`Zones::containing`).
    pub fn key(&self, zone: &str) -> Result<String, NamingError> {
        self.canonical(zone).map(|c| fold(&c))
    }

    /// The admin units a name shared by several would mean, as `id (region, cercle,
    /// commune)`. Empty for a name that means one thing.
    pub fn shared(&self, zone: &str) -> Vec<String> {
        if self.zones.is_defined(zone) || self.unit_by_id(zone).is_some() {
            return Vec::new();
        }
        let units = self.units_named(zone);
        if units.len() < 2 {
            return Vec::new();
        }
        units
            .iter()
            .map(|&row| {
                let p = self.gazetteer.place(row);
                format!("{} ({})", p.id, chain_of(self.gazetteer, row).join(", "))
            })
            .collect()
    }

    /// The keys of a zone and of every unit above it: a limit to Mopti covers Koro. A unit
    /// is taken by its place in the tree, never by its name alone.
    pub fn keys_up(&self, zone: &str) -> Vec<String> {
        let Some(row) = self.unit(zone) else {
            return vec![fold(zone)];
        };
        let at = whereabouts_of(self.gazetteer, row);
        // A unit's name that a defined zone took as its code means that zone, not this
        // unit: a limit to the defined zone `mopti` does not cover the region's Koro.
        (1..=self.gazetteer.place(row).kind.level())
            .flat_map(|level| unit_keys(&at, level, self.gazetteer))
            .filter(|key| !self.zones.is_defined(key))
            .collect()
    }

    /// Whether the zone (folded) contains the place.
    pub fn contains(&self, zone: &str, at: &Whereabouts) -> bool {
        self.zones
            .containing(at, self.gazetteer)
            .iter()
            .any(|z| z.keys.iter().any(|k| k == zone))
    }

    /// The places a contact's attached zone may be: the unit of an id, the units of a name,
    /// else the first place so named (a zone of the configuration has none).
    pub fn attachments(&self, zone: &str) -> Vec<Option<u32>> {
        if let Some(row) = self.unit_by_id(zone) {
            return vec![Some(row)];
        }
        let units = self.units_named(zone);
        if !units.is_empty() {
            return units.into_iter().map(Some).collect();
        }
        vec![self.gazetteer.named(&fold(zone)).first().copied()]
    }

    /// The one admin unit a zone means: by its id, or by a name only one unit bears.
    pub fn unit(&self, zone: &str) -> Option<u32> {
        if let Some(row) = self.unit_by_id(zone) {
            return Some(row);
        }
        if self.zones.is_defined(zone) {
            return None;
        }
        match self.units_named(zone).as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }

    fn unit_by_id(&self, zone: &str) -> Option<u32> {
        let row = self.gazetteer.by_id(zone.trim())?;
        (self.gazetteer.place(row).kind != Kind::Locality).then_some(row)
    }

    /// The admin units named `zone`, one row each: the data repeat some units, and a unit
    /// named as the one above it (the commune of Koro in the cercle of Koro) is that one.
    fn units_named(&self, zone: &str) -> Vec<u32> {
        let gazetteer = self.gazetteer;
        let key = fold(zone);
        let mut units: Vec<(Vec<String>, u32)> = gazetteer
            .named(&key)
            .iter()
            .copied()
            .filter(|&row| {
                let p = gazetteer.place(row);
                p.kind != Kind::Locality && fold(&p.name) == key
            })
            .map(|row| (chain_of(gazetteer, row), row))
            .collect();
        units.sort();
        let mut kept: Vec<(Vec<String>, u32)> = Vec::new();
        for (chain, row) in units {
            if !kept.iter().any(|(above, _)| chain.starts_with(above)) {
                kept.push((chain, row));
            }
        }
        kept.into_iter().map(|(_, row)| row).collect()
    }
}

/// An admin unit's names from its region down to itself.
pub fn chain_of(gazetteer: &Gazetteer, row: u32) -> Vec<String> {
    let p = gazetteer.place(row);
    (1..=p.kind.level())
        .map(|l| p.admin(l).to_owned())
        .collect()
}

/// Where a gazetteer row is, as zones see it.
pub fn whereabouts_of(gazetteer: &Gazetteer, row: u32) -> Whereabouts {
    let p = gazetteer.place(row);
    Whereabouts {
        lat: p.lat,
        lon: p.lon,
        chain: [1, 2, 3].map(|l| fold(p.admin(l))),
    }
}
