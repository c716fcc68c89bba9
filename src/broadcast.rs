//! Broadcasts: a coordinator's text to the contacts of a zone, asked for by the API or by
//! a phone (`DIFF <PIN> <ZONE> <TEXT>`, sent after `OUI <code>`). Who a broadcast reaches,
//! and its messages queued in the caller's transaction, with broadcast priority.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rusqlite::Connection;
use serde_json::json;

use crate::fanout::{Fanout, Whereabouts};
use crate::gazetteer::{Gazetteer, Kind};
use crate::outbound::{NewMessage, Outbound, Purpose};
use crate::reports::Reports;
use crate::store::broadcasts::{self as queries, NewBroadcast, Reachable};
use crate::store::{StoreError, audit, outbound as queued};
use crate::text::fold;

/// Who a broadcast is for: the contacts of a zone, of these roles and languages (empty:
/// any).
#[derive(Debug, Clone, Copy)]
pub struct Audience<'a> {
    pub zone: &'a str,
    pub roles: &'a [String],
    pub languages: &'a [String],
}

/// A broadcast's text in each language; a contact whose language has none gets the
/// default language's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Texts {
    pub default: String,
    pub by_language: BTreeMap<String, String>,
}

impl Texts {
    /// One text for everyone.
    pub fn same(text: String) -> Self {
        Self {
            default: text,
            by_language: BTreeMap::new(),
        }
    }

    fn for_language(&self, language: Option<&str>) -> &str {
        language
            .and_then(|l| self.by_language.get(l))
            .unwrap_or(&self.default)
    }
}

/// What finding a broadcast's recipients needs: the gazetteer and the zones.
#[derive(Debug, Clone, Copy)]
pub struct Reach<'a> {
    pub reports: &'a Reports,
    pub fanout: &'a Fanout,
}

impl Reach<'_> {
    /// Whether a broadcast may name the zone: a zone of the configuration, an admin unit's
    /// name, or an admin unit's gazetteer id.
    pub fn knows(&self, zone: &str) -> bool {
        self.fanout.knows_zone(zone) || self.unit_by_id(zone).is_some()
    }

    /// The admin units a name shared by several would mean, as `id (name, cercle, region)`:
    /// such a zone is refused, to be named again by its id. Empty for a zone that means
    /// one thing.
    pub fn shared(&self, zone: &str) -> Vec<String> {
        if self.fanout.is_defined_zone(zone) || self.unit_by_id(zone).is_some() {
            return Vec::new();
        }
        let units = self.units_named(zone);
        if units.len() < 2 {
            return Vec::new();
        }
        let gazetteer = &self.reports.gazetteer;
        units
            .iter()
            .map(|&row| {
                let p = gazetteer.place(row);
                format!("{} ({})", p.id, chain_of(gazetteer, row).join(", "))
            })
            .collect()
    }

    /// A zone's name and the units above it: a coordinator limited to Mopti covers Koro.
    /// A unit is taken by its place in the tree, never by its name alone.
    pub fn zone_and_above(&self, zone: &str) -> Vec<String> {
        let gazetteer = &self.reports.gazetteer;
        if let Some(row) = self.unit(zone) {
            return chain_of(gazetteer, row).iter().map(|n| fold(n)).collect();
        }
        vec![fold(zone)]
    }

    /// The places a contact's attached zone may be: the unit of an id, the units of a name,
    /// else the first place so named (a zone of the configuration has none).
    fn attachments(&self, zone: &str) -> Vec<Option<u32>> {
        if let Some(row) = self.unit_by_id(zone) {
            return vec![Some(row)];
        }
        let units = self.units_named(zone);
        if !units.is_empty() {
            return units.into_iter().map(Some).collect();
        }
        vec![self.reports.gazetteer.named(&fold(zone)).first().copied()]
    }

    /// The one admin unit a zone means: by its id, or by a name only one unit bears.
    fn unit(&self, zone: &str) -> Option<u32> {
        if let Some(row) = self.unit_by_id(zone) {
            return Some(row);
        }
        if self.fanout.is_defined_zone(zone) {
            return None;
        }
        match self.units_named(zone).as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }

    fn unit_by_id(&self, zone: &str) -> Option<u32> {
        let gazetteer = &self.reports.gazetteer;
        let row = gazetteer.by_id(zone.trim())?;
        (gazetteer.place(row).kind != Kind::Locality).then_some(row)
    }

    /// The admin units named `zone`, one row each: the data repeat some units, and a unit
    /// named as the one above it (the commune of Koro in the cercle of Koro) is that one.
    fn units_named(&self, zone: &str) -> Vec<u32> {
        let gazetteer = &self.reports.gazetteer;
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

    /// The active, not opted-out contacts of the audience.
    pub fn recipients(
        &self,
        conn: &Connection,
        audience: &Audience<'_>,
    ) -> Result<Vec<Reachable>, StoreError> {
        let default = &self.reports.vocabulary.default_language().code;
        let contacts = queries::reachable(conn)?
            .into_iter()
            .filter(|c| {
                audience.roles.is_empty() || c.roles.iter().any(|r| audience.roles.contains(r))
            })
            .filter(|c| {
                let language = c.language.as_deref().unwrap_or(default);
                audience.languages.is_empty() || audience.languages.iter().any(|l| l == language)
            })
            .collect();
        Ok(self.in_zone(&fold(audience.zone), contacts))
    }

    /// The contacts in the zone: attached to it or to a unit inside it, or living in it.
    /// An admin unit contains what lies under it in the tree, whatever its name.
    fn in_zone(&self, zone: &str, contacts: Vec<Reachable>) -> Vec<Reachable> {
        let gazetteer = &self.reports.gazetteer;
        let unit = self.unit(zone).map(|row| {
            let chain: Vec<String> = chain_of(gazetteer, row).iter().map(|n| fold(n)).collect();
            chain
        });
        let mut inside: HashMap<(String, Option<u32>), bool> = HashMap::new();
        let mut place_inside = |name: &str, row: Option<u32>| -> bool {
            let key = (name.to_owned(), row);
            if let Some(&known) = inside.get(&key) {
                return known;
            }
            let at = row.map(|r| whereabouts_of(gazetteer, r));
            let yes = match (&unit, &at) {
                (Some(unit), Some(at)) => at.chain.starts_with(unit),
                (Some(_), None) => false,
                (None, _) => name == zone || at.is_some_and(|at| self.fanout.in_zone(zone, &at)),
            };
            inside.insert(key, yes);
            yes
        };
        contacts
            .into_iter()
            .filter(|c| {
                let home = c.home.as_deref().and_then(|h| gazetteer.by_id(h));
                c.zones.iter().any(|z| {
                    // A contact attached to a shared name (`Bamba`) may be in either unit:
                    // they hear from both rather than from neither.
                    self.attachments(z)
                        .into_iter()
                        .any(|unit| place_inside(z, unit))
                }) || home.is_some_and(|h| place_inside("", Some(h)))
            })
            .collect()
    }
}

/// An admin unit's names from its region down to itself.
fn chain_of(gazetteer: &Gazetteer, row: u32) -> Vec<String> {
    let p = gazetteer.place(row);
    (1..=p.kind.level())
        .map(|l| p.admin(l).to_owned())
        .collect()
}

fn whereabouts_of(gazetteer: &Gazetteer, row: u32) -> Whereabouts {
    let p = gazetteer.place(row);
    Whereabouts {
        lat: p.lat,
        lon: p.lon,
        chain: [1, 2, 3].map(|l| fold(p.admin(l))),
    }
}

/// A broadcast asked for by the API: stored, its messages queued to the audience and
/// audited, in the caller's transaction; returns its id, its number of recipients and the
/// channels with messages waiting.
pub fn queue(
    conn: &Connection,
    reach: &Reach<'_>,
    outbound: &Outbound,
    broadcast: &NewBroadcast,
    texts: &Texts,
    now: i64,
) -> Result<(i64, usize, BTreeSet<String>), StoreError> {
    let audience = Audience {
        zone: &broadcast.zone,
        roles: &broadcast.roles,
        languages: &broadcast.languages,
    };
    let to = reach.recipients(conn, &audience)?;
    let id = queries::create(conn, broadcast, now)?;
    let (n, channels) = send(conn, outbound, id, texts, &to, now)?;
    let detail = json!({ "zone": broadcast.zone, "recipients": n });
    let subject = format!("broadcast {id}");
    audit::append(
        conn,
        &broadcast.created_by,
        "broadcast.create",
        &subject,
        &detail,
        now,
    )?;
    Ok((id, n, channels))
}

/// Queues broadcast `id`'s message to each recipient and marks it sent with their number;
/// returns that number and the channels with messages waiting. The texts were checked
/// (`Outbound::check`); a stored number that cannot be read or routed is skipped, not a
/// reason to tell nobody.
pub fn send(
    conn: &Connection,
    outbound: &Outbound,
    id: i64,
    texts: &Texts,
    to: &[Reachable],
    now: i64,
) -> Result<(usize, BTreeSet<String>), StoreError> {
    let mut rows = Vec::with_capacity(to.len());
    for contact in to {
        let Ok(address) = outbound.address(&contact.phone) else {
            continue;
        };
        let text = texts.for_language(contact.language.as_deref());
        let mut message = NewMessage::new(address, text, Purpose::Broadcast);
        message.broadcast_id = Some(id);
        match outbound.prepare_one(&message) {
            Ok(row) => rows.push(row),
            Err(e) => tracing::warn!(broadcast = id, error = %e, "a broadcast message not queued"),
        }
    }
    let n = queued::insert(conn, &rows, now)?.iter().flatten().count();
    queries::set_sent(conn, id, n)?;
    Ok((n, rows.into_iter().map(|r| r.channel).collect()))
}
