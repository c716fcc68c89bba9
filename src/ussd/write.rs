//! One USSD step's write: the step recorded and what it calls for (a report filed for the
//! intake, a language set, the caller's sign of life), in one transaction.

use crate::provider::UssdStep;
use crate::store::StoreError;
use crate::store::contacts;
use crate::store::db::Db;
use crate::store::signs::{self, Sign, Via};
use crate::store::ussd::{self as queries, MenuReport};

/// What one step writes, together.
pub(super) struct Write {
    pub(super) channel: String,
    pub(super) step: UssdStep,
    pub(super) phone: String,
    pub(super) state: String,
    pub(super) screen: String,
    pub(super) ended: bool,
    pub(super) filed: Option<String>,
    pub(super) language: String,
    pub(super) set_language: Option<String>,
    pub(super) resumed: Option<i64>,
    /// The session was open when read.
    pub(super) was_open: bool,
    /// A session begun by a contact: their sign of life (their id, their operator).
    pub(super) sign: Option<(i64, Option<String>)>,
}

impl Write {
    /// Records the step and does what it calls for; `None` if the session, or the draft it
    /// takes up, was closed since it was read (the sweep expired it, or it was finished by
    /// SMS).
    pub(super) fn commit(&self, conn: &Db<'_>, now: i64) -> Result<Option<String>, StoreError> {
        let (channel, session_id) = (&self.channel, &self.step.session_id);
        if self.was_open && !queries::open(conn, channel, session_id)? {
            return Ok(None);
        }
        // The draft this new session takes up was finished by SMS since it was read. (If
        // the session exists, a replay of this first step got here first, and took it.)
        if let Some(id) = self.resumed
            && queries::session(conn, channel, session_id)?.is_none()
            && !queries::taken_up(conn, id)?
        {
            return Ok(None);
        }
        let step = queries::Step {
            channel: &self.channel,
            session_id: &self.step.session_id,
            phone: &self.phone,
            text: &self.step.text,
            state: &self.state,
            screen: &self.screen,
            ended: self.ended,
        };
        let answer = queries::record(conn, &step, now)?;
        if answer != self.screen {
            // A replay got here first: its answer stands, and what it did.
            return Ok(Some(answer));
        }
        if let Some(text) = &self.filed {
            let report = MenuReport {
                channel: &self.channel,
                session_id: &self.step.session_id,
                phone: &self.phone,
                text,
                language: &self.language,
            };
            queries::file(conn, &report, now)?;
        }
        if let Some(code) = &self.set_language {
            contacts::set_language(conn, &self.phone, code, now)?;
        }
        if let Some((contact, operator)) = &self.sign {
            let sign = Sign {
                at: now,
                via: Via::Ussd,
                operator: operator.as_deref(),
            };
            signs::record(conn, *contact, &sign)?;
        }
        Ok(Some(answer))
    }
}
