//! A zone by the key contacts name it with (folded), as the silence sweep and its notices
//! read it: its label, where it sits on a map, its own cadence and escalation numbers.

use super::Zones;
use crate::gazetteer::Gazetteer;

impl Zones {
    /// A zone as contacts name it (`key`, folded), as people read it: a defined zone's
    /// name, an admin unit's.
    pub fn label(&self, key: &str, gazetteer: &Gazetteer) -> String {
        if let Some(&i) = self.by_key.get(key) {
            return self.defined[i].label.clone();
        }
        unit_row(key, gazetteer)
            .map_or_else(|| key.to_owned(), |r| gazetteer.place(r).name.to_string())
    }

    /// Where to show a zone on a map (latitude, longitude): a defined zone's first circle,
    /// else its first unit; an admin unit's own place.
    pub fn centre(&self, key: &str, gazetteer: &Gazetteer) -> Option<(f64, f64)> {
        let unit = match self.by_key.get(key) {
            Some(&i) => {
                let d = &self.defined[i];
                if let Some(c) = d.circles.first() {
                    return Some((c.lat, c.lon));
                }
                d.units.first()?.last()?.clone()
            }
            None => key.to_owned(),
        };
        unit_row(&unit, gazetteer).map(|r| {
            let place = gazetteer.place(r);
            (place.lat, place.lon)
        })
    }

    /// A defined zone's own cadence for its monitors (`checkin_every_hours`).
    pub fn checkin_every_hours(&self, key: &str) -> Option<u32> {
        self.by_key
            .get(key)
            .and_then(|&i| self.defined[i].checkin_every_hours)
    }

    /// A defined zone's escalation numbers, by its key.
    pub fn escalation_of(&self, key: &str) -> &[String] {
        self.by_key
            .get(key)
            .map_or(&[], |&i| &self.defined[i].escalation)
    }
}

/// The gazetteer row a zone key names: by id, else the widest admin unit of that name,
/// else any place of it.
fn unit_row(key: &str, gazetteer: &Gazetteer) -> Option<u32> {
    if let Some(row) = gazetteer.by_id(key) {
        return Some(row);
    }
    let named = gazetteer.named(key);
    named
        .iter()
        .copied()
        .min_by_key(|&r| gazetteer.place(r).kind.level())
}
