//! Broadcasts: a coordinator's text to the contacts of a zone, asked for by the API or by
//! a phone (`DIFF <PIN> <ZONE> <TEXT>`, sent after `OUI <code>`). Who a broadcast reaches,
//! and its messages queued in the caller's transaction, with broadcast priority.

mod compose;

pub use compose::{BroadcastError, BroadcastInput, Broadcasts, Preview, Standing};

use std::collections::{BTreeMap, HashMap};

use crate::store::db::Db;
use serde_json::json;

use crate::fanout::zones::names::{chain_of, whereabouts_of};
use crate::fanout::{Fanout, ZoneNames};
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
    /// What zone names mean now.
    pub fn names(&self) -> ZoneNames<'_> {
        self.fanout.zone_names()
    }

    /// The active, not opted-out contacts of the audience.
    pub fn recipients(
        &self,
        conn: &Db<'_>,
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
        let names = self.names();
        let unit = names.unit(zone).map(|row| {
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
                (None, _) => name == zone || at.is_some_and(|at| names.contains(zone, &at)),
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
                    names
                        .attachments(z)
                        .into_iter()
                        .any(|unit| place_inside(z, unit))
                }) || home.is_some_and(|h| place_inside("", Some(h)))
            })
            .collect()
    }
}

/// A broadcast asked for by the API: stored, its messages queued to the audience and
/// audited, in the caller's transaction; returns its id and its number of recipients.
pub fn queue(
    conn: &Db<'_>,
    reach: &Reach<'_>,
    outbound: &Outbound,
    broadcast: &NewBroadcast,
    texts: &Texts,
    now: i64,
) -> Result<(i64, usize), StoreError> {
    let audience = Audience {
        zone: &broadcast.zone,
        roles: &broadcast.roles,
        languages: &broadcast.languages,
    };
    let to = reach.recipients(conn, &audience)?;
    let id = queries::create(conn, broadcast, now)?;
    let n = send(conn, outbound, id, texts, &to, now)?;
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
    Ok((id, n))
}

/// Queues broadcast `id`'s message to each recipient and marks it sent with their number;
/// returns that number. The texts were checked
/// (`Outbound::check`); a stored number that cannot be read or routed is skipped, not a
/// reason to tell nobody.
pub fn send(
    conn: &Db<'_>,
    outbound: &Outbound,
    id: i64,
    texts: &Texts,
    to: &[Reachable],
    now: i64,
) -> Result<usize, StoreError> {
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
    Ok(n)
}
