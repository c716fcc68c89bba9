//! A duress word said in a message: the message is read as if it were not there, so its
//! reply is the one any monitor would get, and the word is taken out of what is stored.
//! The monitor is marked, the event audited (without the word), and the safety contacts
//! of their zones, only they, get an urgent alert naming the monitor by pseudonym.

use chrono::{DateTime, Utc};
use minijinja::context;

use super::Intake;
use super::apply::Out;
use super::plan::Plan;
use crate::outbound::Purpose;
use crate::store::alerts::Recipient;
use crate::store::contacts::Contact;
use crate::store::unread::Unread;
use crate::store::{StoreError, audit, contacts, silence};

/// What the plan keeps of a duress word said. Its `Debug` shows none of it.
#[derive(Clone)]
pub(super) struct Said {
    /// The message without it.
    pub cleaned: String,
    /// How the alert names the monitor, where and when.
    pub monitor: String,
    pub zone: String,
    pub time: String,
}

impl std::fmt::Debug for Said {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Said(..)")
    }
}

/// Carries a duress word out, in the message's transaction.
pub(super) fn raise(
    out: &Out<'_>,
    plan: &Plan,
    said: &Said,
    inbound_id: i64,
) -> Result<(), StoreError> {
    let Some(contact) = plan.contact.as_ref() else {
        return Ok(());
    };
    crate::store::reports::strip(out.conn, inbound_id, &said.cleaned)?;
    let at = plan.sign.map_or(out.now, |(at, _)| at.min(out.now));
    contacts::mark_duress(out.conn, contact.id, at)?;
    let subject = format!("contact {}", contact.id);
    audit::append(
        out.conn,
        "sms",
        "contact.duress",
        &subject,
        &serde_json::json!({}),
        out.now,
    )?;
    tracing::warn!(contact = contact.id, "a monitor said their duress word");
    let zones = contacts::zone_keys(out.conn, contact.id)?;
    // Never the monitor's own phone, even if they are a safety contact too.
    let to: Vec<Recipient> = silence::with_role(out.conn, &zones, "safety")?
        .into_iter()
        .filter(|r| r.contact_id != Some(contact.id))
        .collect();
    if to.is_empty() {
        tracing::error!(
            contact = contact.id,
            "a duress word, and no safety contact to tell"
        );
    }
    let values = context! { monitor => &said.monitor, zone => &said.zone, time => &said.time };
    for r in &to {
        alert(out, r, &values)?;
    }
    Ok(())
}

/// Queues the duress alert to one safety contact, in their language, first in line.
fn alert(out: &Out<'_>, to: &Recipient, values: &minijinja::Value) -> Result<(), StoreError> {
    let default = &out.reports.vocabulary.default_language().code;
    let language = to.language.as_deref().unwrap_or(default);
    let Ok(text) = out.reports.replies.render(language, "duress", values) else {
        tracing::error!("the duress alert was not rendered");
        return Ok(());
    };
    let message = (to.phone.as_str(), text, Purpose::Alert);
    out.outbound.queue_in(out.conn, message, None, out.now)
}

impl Intake {
    /// The sender's duress word, if the message says it.
    pub(super) fn duress_in(&self, message: &Unread, contact: Option<&Contact>) -> Option<Said> {
        let (keys, contact) = (self.pseudonyms.as_ref()?, contact.filter(|c| c.active)?);
        let hash = contact.duress_hash.as_deref()?;
        let range = crate::duress::find(&message.text, keys, contact.id, hash)?;
        let zones = self.fanout.zones();
        let at =
            DateTime::<Utc>::from_timestamp_millis(message.received_at).unwrap_or_else(Utc::now);
        Some(Said {
            cleaned: crate::duress::without(&message.text, range),
            monitor: keys.of(&contact.phone),
            zone: contact.zones.first().map_or_else(String::new, |z| {
                zones.label(&crate::text::fold(z), &self.reports.gazetteer)
            }),
            time: at
                .with_timezone(&self.reports.time_zone)
                .format("%Hh%M")
                .to_string(),
        })
    }
}
