//! What writing in the intake's transaction needs, and what every plan does there: file a
//! report under its incident, queue a reply, and, once the round's plans are carried out,
//! let fan-out look at each incident they touched.

use std::cell::RefCell;
use std::collections::BTreeSet;

use crate::store::db::Db;

use crate::fanout::{Fanout, Tx};
use crate::incident::{
    self, Nearby,
    fuse::{FusionRules, ReportFacts},
};
use crate::outbound::{Outbound, Purpose};
use crate::reports::Reports;
use crate::silence::operators::Operators;
use crate::store::StoreError;
use crate::store::signs::{self, Sign};

/// What writing in the intake's transaction needs.
pub(super) struct Out<'a> {
    pub conn: &'a Db<'a>,
    pub reports: &'a Reports,
    pub outbound: &'a Outbound,
    pub fusion: &'a FusionRules,
    pub fanout: &'a Fanout,
    pub operators: &'a Operators,
    pub now: i64,
    /// Incidents reports joined in this transaction, looked at again by fan-out once at
    /// its end (`settle`): a round of 32 reports of one attack is one look, not 32.
    pub touched: RefCell<BTreeSet<i64>>,
    /// The incidents this transaction has read around its reports (`incident::Nearby`).
    pub nearby: RefCell<Nearby>,
}

impl Out<'_> {
    /// Fan-out's look at each incident reports joined: alerts and updates queued, in this
    /// transaction.
    pub(super) fn settle(&self) -> Result<(), StoreError> {
        let touched = std::mem::take(&mut *self.touched.borrow_mut());
        for id in touched {
            self.fanout.after_change(&self.tx(), id)?;
        }
        Ok(())
    }

    pub(super) fn tx(&self) -> Tx<'_> {
        Tx {
            conn: self.conn,
            outbound: self.outbound,
            now: self.now,
        }
    }

    /// Notes the message as a sign of life of its sender's contact.
    pub(super) fn sign_of_life(&self, plan: &super::plan::Plan) -> Result<(), StoreError> {
        let (Some((at, via)), Some(contact)) = (plan.sign, plan.contact.as_ref()) else {
            return Ok(());
        };
        // `at` is never ahead of the message's arrival (`clock::sent_at`): a provider's
        // date in 2100 hides no monitor's silence.
        let sign = Sign {
            at,
            via,
            operator: self.operators.of(&plan.sender),
        };
        signs::record(self.conn, contact.id, &sign)
    }

    /// Files a report under its incident; fan-out looks at the incident when the
    /// transaction settles.
    pub(super) fn place(&self, facts: ReportFacts) -> Result<i64, StoreError> {
        let placed = incident::place_report(
            self.conn,
            &mut self.nearby.borrow_mut(),
            facts,
            self.fusion,
            &self.reports.severity,
            (self.now, &self.touched.borrow()),
        )?;
        let kind = if placed.opened { "opened" } else { "fused" };
        self.fanout
            .count_when_committed(self.conn, move |m| m.incident(kind));
        let id = placed.incident.id;
        self.touched.borrow_mut().insert(id);
        Ok(id)
    }

    /// Queues a reply in this transaction; a sender we cannot write to gets none.
    pub(super) fn queue(
        &self,
        to: &str,
        text: String,
        inbound_id: Option<i64>,
    ) -> Result<(), StoreError> {
        let message = (to, text, Purpose::Reply);
        self.outbound
            .queue_in(self.conn, message, inbound_id, self.now)
    }
}
