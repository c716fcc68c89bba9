//! `OK <n>` and `INFO <n>` from responders: the acknowledgement recorded (the first stops
//! escalation and tells the reporters, neutrally, that their alert was taken up), and the
//! incident's status. Only someone alerted about an incident, a coordinator, or (for
//! `INFO`) one of its reporters hears anything about it.

use minijinja::context;

use super::{Fanout, Tx};
use crate::outbound::{NewMessage, Purpose};
use crate::store::StoreError;
use crate::store::alerts as queries;
use crate::store::contacts::Contact;
use crate::store::outbound as queued;

/// Who sent an `OK` or `INFO`, and the language to answer in.
#[derive(Debug, Clone, Copy)]
pub struct Asker<'a> {
    pub phone: &'a str,
    pub contact: Option<&'a Contact>,
    pub language: &'a str,
}

impl Asker<'_> {
    fn coordinator(&self) -> bool {
        self.contact.is_some_and(|c| c.has_role("coordinator"))
    }
}

/// What an `OK` or `INFO` comes to: the reply.
#[derive(Debug, Default)]
pub struct Answered {
    pub reply: Option<String>,
}

impl Fanout {
    /// `OK <n>`.
    pub fn acknowledge(
        &self,
        tx: &Tx<'_>,
        id: i64,
        by: &Asker<'_>,
    ) -> Result<Answered, StoreError> {
        let (sender, language) = (by.phone, by.language);
        let allowed = by.coordinator() || queries::was_alerted(tx.conn, id, sender)?;
        let state = queries::state(tx.conn, id)?.filter(queries::AlertState::live);
        let (Some(state), true) = (state, allowed) else {
            return Ok(self.not_alerted(language, id));
        };
        let first = queries::acknowledge(tx.conn, id, sender, by.contact.map(|c| c.id), tx.now)?;
        if first {
            if let Some(alerted) = state.first_alert_at {
                let after = tx.now.saturating_sub(alerted);
                self.count_when_committed(tx.conn, move |m| m.acknowledged(after));
            }
            tracing::info!(incident = id, "alert acknowledged");
            if self.config.notify_reporters {
                self.tell_reporters(tx, id, sender)?;
            }
        }
        let reply = self
            .reports
            .replies
            .render(language, "ack_thanks", &context! { ref => id })
            .ok();
        Ok(Answered { reply })
    }

    /// `INFO <n>`.
    pub fn info(&self, tx: &Tx<'_>, id: i64, by: &Asker<'_>) -> Result<Answered, StoreError> {
        let (sender, language) = (by.phone, by.language);
        let allowed = by.coordinator()
            || queries::was_alerted(tx.conn, id, sender)?
            || queries::reported(tx.conn, id, sender)?;
        let state = queries::state(tx.conn, id)?;
        let incident = crate::store::incidents::by_id(tx.conn, id)?;
        let (Some(state), Some(incident), true) = (state, incident, allowed) else {
            return Ok(self.not_alerted(language, id));
        };
        let status = match (state.status.as_str(), state.acked_at) {
            ("open", Some(_)) => "acknowledged",
            ("open", None) => "waiting",
            _ => "withdrawn",
        };
        let values = super::message::values(
            &incident,
            self.reports.time_zone,
            context! { status => status },
        );
        let reply = self.reports.replies.render(language, "info", &values).ok();
        Ok(Answered { reply })
    }

    fn not_alerted(&self, language: &str, id: i64) -> Answered {
        let reply = self
            .reports
            .replies
            .render(language, "not_alerted", &context! { ref => id })
            .ok();
        Answered { reply }
    }

    /// The neutral note to the incident's reporters (never the discreet ones, nor the one
    /// who just acknowledged).
    fn tell_reporters(&self, tx: &Tx<'_>, id: i64, by: &str) -> Result<(), StoreError> {
        let mut rows = Vec::new();
        let reporters = queries::reporters_to_tell(tx.conn, id)?;
        for (phone, language) in reporters.into_iter().filter(|(p, _)| p != by) {
            let text = self
                .reports
                .replies
                .render(&language, "taken_up", &context! { ref => id });
            let (Ok(text), Ok(address)) = (text, tx.outbound.address(&phone)) else {
                continue;
            };
            let mut message = NewMessage::new(address, text, Purpose::Reply);
            message.incident_id = Some(id);
            match tx.outbound.prepare_one(&message) {
                Ok(row) => rows.push(row),
                Err(e) => tracing::warn!(error = %e, incident = id, "taken-up note not queued"),
            }
        }
        queued::insert(tx.conn, &rows, tx.now)?;
        Ok(())
    }
}
