//! Broadcasts from a phone, inside the intake's transaction. `DIFF <PIN> <ZONE> <TEXT>`
//! stores the broadcast as pending and answers with its reach and a code; `OUI <code>`
//! within the choice timeout queues it. Wrong PINs are counted and audited; the third in
//! a row locks the coordinator out until an admin sets a new PIN.

use minijinja::{Value, context};
use serde_json::json;

use super::apply::Out;
use super::plan::{PIN_TRIES, Pin, Plan};
use crate::broadcast::{Audience, Reach, Texts, send};
use crate::fanout::{Answered, ZoneNames};
use crate::outbound::{ComposeError, OutboundError, Purpose};
use crate::store::broadcasts::{self as queries, NewBroadcast};
use crate::store::contacts::{self, Contact};
use crate::store::{StoreError, audit};

/// Words a zone's name may take (`Mopti Ville Nord`).
const ZONE_WORDS: usize = 4;

/// `DIFF <PIN> <ZONE> <TEXT>`: the coordinator's request, checked and held for `OUI`.
pub(super) fn ask(
    out: &Out<'_>,
    plan: &Plan,
    pin: Pin,
    rest: &str,
    language: &str,
) -> Result<Answered, StoreError> {
    let Some(contact) = &plan.contact else {
        return Ok(Answered::default());
    };
    match pin {
        Pin::Locked => return Ok(say(out, language, "pin_locked", &context! {})),
        Pin::Wrong => return wrong_pin(out, contact, language),
        Pin::Right => contacts::pin_right(out.conn, contact.id)?,
    }
    let (zone, text) = match checked(out, contact, rest) {
        Ok(asked) => asked,
        Err((name, values)) => return Ok(say(out, language, name, &values)),
    };
    let everyone = Audience {
        zone: &zone,
        roles: &[],
        languages: &[],
    };
    let recipients = reach(out).recipients(out.conn, &everyone)?.len();
    queries::drop_pending(out.conn, contact.id)?;
    let broadcast = NewBroadcast {
        zone: zone.clone(),
        text,
        created_by: who(contact),
        contact_id: Some(contact.id),
        ..NewBroadcast::default()
    };
    let id = queries::create(out.conn, &broadcast, out.now)?;
    let code = queries::confirmation_code(id);
    let minutes = (plan.choice_timeout.as_secs() / 60).max(1);
    let values = context! { recipients, zone, code, minutes };
    Ok(say(out, language, "broadcast_confirm", &values))
}

/// The zone and the text of a request, or the reply that refuses it.
fn checked(
    out: &Out<'_>,
    contact: &Contact,
    rest: &str,
) -> Result<(String, String), (&'static str, Value)> {
    let names = out.fanout.zone_names();
    let Some((zone, text)) = split_zone(&names, rest) else {
        let zone = rest.split_whitespace().next().unwrap_or_default();
        return Err(("unknown_zone", context! { zone }));
    };
    let shared = names.shared(zone);
    if !shared.is_empty() {
        let ids: Vec<&str> = shared.iter().filter_map(|s| s.split(' ').next()).collect();
        return Err(("zone_shared", context! { zone, ids => ids.join(" ") }));
    }
    if !contact.zones.is_empty() && !covers(&names, contact, zone) {
        return Err(("zone_not_yours", context! { zone }));
    }
    if let Err(OutboundError::Compose {
        source: ComposeError::TooLong { segments, max, .. },
        ..
    }) = out.outbound.check(text, Purpose::Broadcast)
    {
        return Err(("broadcast_too_long", context! { segments, max }));
    }
    Ok((zone.to_owned(), text.to_owned()))
}

/// The longest run of first words that names a zone, and the text after it.
fn split_zone<'r>(names: &ZoneNames<'_>, rest: &'r str) -> Option<(&'r str, &'r str)> {
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in rest.char_indices().chain([(rest.len(), ' ')]) {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                words.push((s, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    (1..words.len().min(ZONE_WORDS + 1)).rev().find_map(|n| {
        let zone = rest.get(words[0].0..words[n - 1].1)?;
        let text = rest.get(words[n].0..)?.trim();
        names.knows(zone).then_some((zone, text))
    })
}

/// `OUI <code>`: the coordinator's pending broadcast with that code, queued and audited.
pub(super) fn confirm(
    out: &Out<'_>,
    plan: &Plan,
    code: i64,
    language: &str,
) -> Result<Answered, StoreError> {
    let Some(contact) = &plan.contact else {
        return Ok(Answered::default());
    };
    let timeout = i64::try_from(plan.choice_timeout.as_millis()).unwrap_or(i64::MAX);
    let Some((id, broadcast)) =
        queries::pending(out.conn, contact.id, code, out.now.saturating_sub(timeout))?
    else {
        return Ok(say(out, language, "nothing_to_confirm", &context! {}));
    };
    let everyone = Audience {
        zone: &broadcast.zone,
        roles: &[],
        languages: &[],
    };
    let to = reach(out).recipients(out.conn, &everyone)?;
    let texts = Texts::same(broadcast.text.clone());
    let recipients = send(out.conn, out.outbound, id, &texts, &to, out.now)?;
    let detail = json!({ "zone": broadcast.zone, "recipients": recipients, "by": "sms" });
    let subject = format!("broadcast {id}");
    audit::append(
        out.conn,
        &broadcast.created_by,
        "broadcast.create",
        &subject,
        &detail,
        out.now,
    )?;
    Ok(say(
        out,
        language,
        "broadcast_sent",
        &context! { broadcast => id, recipients },
    ))
}

/// A wrong PIN: counted and audited; the last try locks.
fn wrong_pin(out: &Out<'_>, contact: &Contact, language: &str) -> Result<Answered, StoreError> {
    let failures = contacts::pin_failed(out.conn, contact.id, out.now)?;
    let locked = failures >= PIN_TRIES;
    if locked {
        // A broadcast asked for before the lock is not sent after it.
        queries::drop_pending(out.conn, contact.id)?;
    }
    let action = if locked {
        "contact.pin_locked"
    } else {
        "contact.pin_wrong"
    };
    let detail = json!({ "failures": failures });
    audit::append(
        out.conn,
        &who(contact),
        action,
        &format!("contact {}", contact.id),
        &detail,
        out.now,
    )?;
    Ok(if locked {
        say(out, language, "pin_locked", &context! {})
    } else {
        let left = PIN_TRIES - failures;
        say(out, language, "pin_wrong", &context! { left })
    })
}

/// Whether a coordinator attached to zones may broadcast to this one: it is one of them
/// or lies inside one. An attachment by a name several units share covers neither.
fn covers(names: &ZoneNames<'_>, contact: &Contact, zone: &str) -> bool {
    let theirs: Vec<String> = contact
        .zones
        .iter()
        .filter_map(|z| names.key(z).ok())
        .collect();
    names.keys_up(zone).iter().any(|z| theirs.contains(z))
}

/// Who the audit log names: the contact, never their number.
fn who(contact: &Contact) -> String {
    format!("contact {}", contact.id)
}

fn reach<'a>(out: &Out<'a>) -> Reach<'a> {
    Reach {
        reports: out.reports,
        fanout: out.fanout,
    }
}

fn say(out: &Out<'_>, language: &str, name: &str, values: &Value) -> Answered {
    Answered {
        reply: out.reports.replies.render(language, name, values).ok(),
    }
}
