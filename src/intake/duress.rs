//! A duress word said in a message: the message is read as if it were not there, so its
//! reply is the one any monitor would get, and the word is taken out of what is stored.
//! The monitor is marked, the event audited (without the word), and the safety contacts
//! of their zones, only they, get an urgent alert naming the monitor by pseudonym.

use minijinja::context;

use super::apply::Out;
use super::plan::Plan;
use crate::outbound::{NewMessage, Purpose};
use crate::store::outbound as queued;
use crate::store::{StoreError, audit, contacts, silence};

/// What the plan keeps of a duress word said.
#[derive(Debug, Clone)]
pub(super) struct Said {
    /// The word as typed, to take out of the stored message.
    pub typed: String,
    /// The message without it.
    pub cleaned: String,
    /// How the alert names the monitor, where and when.
    pub monitor: String,
    pub zone: String,
    pub time: String,
}

/// Carries a duress word out, in the message's transaction; the channels to wake.
pub(super) fn raise(
    out: &Out<'_>,
    plan: &Plan,
    said: &Said,
    inbound_id: i64,
) -> Result<Vec<String>, StoreError> {
    let Some(contact) = plan.contact.as_ref() else {
        return Ok(Vec::new());
    };
    crate::store::reports::strip(out.conn, inbound_id, &said.cleaned, &said.typed)?;
    let at = plan.sign.map_or(out.now, |(at, _)| at);
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
    let values = context! { monitor => &said.monitor, zone => &said.zone, time => &said.time };
    let mut channels = Vec::new();
    for to in silence::with_role(out.conn, &zones, "safety")? {
        let language = to
            .language
            .clone()
            .unwrap_or_else(|| out.reports.vocabulary.default_language().code.clone());
        let Ok(text) = out.reports.replies.render(&language, "duress", &values) else {
            tracing::error!("the duress alert was not rendered");
            continue;
        };
        let (Ok(address), true) = (out.outbound.address(&to.phone), !text.is_empty()) else {
            continue;
        };
        match out
            .outbound
            .prepare_one(&NewMessage::new(address, text, Purpose::Alert))
        {
            Ok(row) => {
                queued::insert(out.conn, std::slice::from_ref(&row), out.now)?;
                channels.push(row.channel);
            }
            Err(e) => tracing::error!(error = %e, "the duress alert was not queued"),
        }
    }
    Ok(channels)
}
