//! Queueing alerts: each template rendered once per language with as many counts as fit
//! one SMS, queued with alert priority, and recorded under (incident, number, version,
//! level) so no number is sent one version twice.

use std::collections::HashMap;

use super::message::{self, Detail};
use super::{Fanout, Tx};
use crate::incident::fuse::Incident;
use crate::outbound::{NewMessage, Purpose};
use crate::reply::Replies;
use crate::store::StoreError;
use crate::store::alerts::{self as queries, Recipient, Sent};
use crate::store::outbound::{self as queued, NewOutbound};

impl Fanout {
    /// Renders `template` once per language and queues it, alert first in line, to each
    /// recipient not yet sent this version at this level; records what was queued.
    pub(super) fn send(
        &self,
        tx: &Tx<'_>,
        incident: &Incident,
        template: &'static str,
        (version, level): (i64, i64),
        to: &[Recipient],
    ) -> Result<Sending, StoreError> {
        if to.is_empty() {
            return Ok(Sending::default());
        }
        let done = queries::sent_version(tx.conn, incident.id, version, level)?;
        let mut texts: HashMap<String, Option<String>> = HashMap::new();
        let (mut rows, mut sent) = (Vec::with_capacity(to.len()), Vec::new());
        for r in to {
            let language = r
                .language
                .clone()
                .unwrap_or_else(|| self.default_language());
            let text = texts
                .entry(language.clone())
                .or_insert_with(|| self.render(&language, template, incident, level));
            let (Some(text), Ok(address)) = (text, tx.outbound.address(&r.phone)) else {
                continue;
            };
            if done.contains(address.as_str()) {
                continue;
            }
            let mut message = NewMessage::new(address, text.clone(), Purpose::Alert);
            message.incident_id = Some(incident.id);
            let Ok(row) = tx.outbound.prepare_one(&message) else {
                tracing::error!(incident = incident.id, template, "alert not queued");
                continue;
            };
            sent.push(Sent {
                incident_id: incident.id,
                version,
                phone: row.recipient.clone(),
                contact_id: r.contact_id,
                language,
                kind: template,
                level,
                outbound_id: None,
            });
            rows.push(row);
        }
        self.queue(tx, rows, sent)
    }

    /// Queues the alerts and records those queued (a number that sent STOP is not: it
    /// was not sent this version either).
    fn queue(
        &self,
        tx: &Tx<'_>,
        rows: Vec<NewOutbound>,
        sent: Vec<Sent>,
    ) -> Result<Sending, StoreError> {
        let Some(kind) = sent.first().map(|s| s.kind) else {
            return Ok(Sending::default());
        };
        let ids = queued::insert(tx.conn, &rows, tx.now)?;
        let sent: Vec<Sent> = sent
            .into_iter()
            .zip(&ids)
            .filter_map(|(s, id)| {
                id.map(|id| Sent {
                    outbound_id: Some(id),
                    ..s
                })
            })
            .collect();
        queries::record(tx.conn, &sent, tx.now)?;
        let n = sent.len();
        self.count_when_committed(tx.conn, move |m| m.alerts_enqueued(kind, n));
        Ok(Sending {
            queued: sent.iter().filter_map(|s| s.outbound_id).collect(),
        })
    }

    fn default_language(&self) -> String {
        self.reports.vocabulary.default_language().code.clone()
    }

    /// The template with as many of the incident's counts as fit one SMS.
    fn render(
        &self,
        language: &str,
        template: &str,
        incident: &Incident,
        level: i64,
    ) -> Option<String> {
        for detail in Detail::ALL {
            let extra = minijinja::context! { level => level };
            let values = message::values_with(incident, self.reports.time_zone, extra, detail);
            match self.reports.replies.render(language, template, &values) {
                Ok(text) if Replies::fits(&text) => return Some(text),
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(error = %e, template, "alert not rendered");
                    return None;
                }
            }
        }
        tracing::error!(
            incident = incident.id,
            template,
            "alert does not fit one SMS"
        );
        None
    }
}

/// What `send` queued.
#[derive(Default)]
pub(super) struct Sending {
    /// The messages queued.
    pub queued: Vec<i64>,
}
