//! The intake's periodic sweeps: what expires unanswered, and alerts that waited their
//! interval or deadline. Each runs in a write of its own, like a round.

use std::time::Duration;

use super::{Intake, apply, drafts};
use crate::store::StoreError;

impl Intake {
    /// Pending place choices past their time expire, with a notice to their senders; so
    /// do broadcasts by phone never confirmed, and USSD sessions the provider has ended
    /// (a caller who left a report unfinished is sent its code).
    pub async fn expire_choices(&self) -> Result<(), StoreError> {
        let millis = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let timeout = millis(self.config.choice_timeout);
        let ussd_timeout = millis(self.config.ussd_timeout);
        self.carry_out(move |out| {
            let before = out.now.saturating_sub(timeout);
            crate::store::broadcasts::expire_pending(out.conn, before)?;
            let expired = crate::store::reports::expire_pending(out.conn, before, out.now)?;
            apply::notices(out, &expired)?;
            drafts::expire(out, ussd_timeout)
        })
        .await
    }

    /// Updates that waited their interval, and escalations past their deadline.
    pub async fn sweep_alerts(&self) -> Result<(), StoreError> {
        if !self.store.leads(crate::store::Sweep::Alerts).await? {
            return Ok(());
        }
        self.carry_out(|out| out.fanout.sweep(&out.tx())).await?;
        self.fanout.metrics().alerts_swept();
        Ok(())
    }
}
