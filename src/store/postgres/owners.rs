//! Who does what when several nodes share one database: each channel is sent by one node
//! at a time (a lease in `channel_owners`, renewed by its owner, taken over when it runs
//! out), so a channel's send rate holds across nodes; and each periodic sweep (escalation,
//! silence, retention) runs on one node, the one holding its advisory lock, which
//! PostgreSQL releases when that node's connection dies.

use crate::store::StoreError;
use crate::store::db::{Db, args};

/// The sweeps that run on one node at a time, each under its own advisory lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sweep {
    /// Due updates and escalations.
    Alerts,
    Silence,
    Retention,
}

impl Sweep {
    pub(crate) fn lock(self) -> i64 {
        0x5649_4749_4500_0100
            + match self {
                Self::Alerts => 1,
                Self::Silence => 2,
                Self::Retention => 3,
            }
    }
}

/// Takes or renews `channel` for `node` until `until`, unless another node's lease runs
/// past `now`: `None` then, else how many claims of the previous owner went back to the
/// queue (a node whose lease ran out died or lost the database; only its owner sends a
/// channel, so those claims are orphans). PostgreSQL only: SQLite has one node.
pub fn own_channel(
    db: &Db<'_>,
    channel: &str,
    node: &str,
    now: i64,
    until: i64,
) -> Result<Option<usize>, StoreError> {
    let owner: Option<(String, i64)> = db.query_opt(
        "SELECT node, lease_until FROM channel_owners WHERE channel = ?1",
        args![channel],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if owner
        .as_ref()
        .is_some_and(|(n, lease)| n != node && *lease > now)
    {
        return Ok(None);
    }
    db.execute(
        "INSERT INTO channel_owners (channel, node, lease_until) VALUES (?1, ?2, ?3)
         ON CONFLICT (channel) DO UPDATE SET node = excluded.node,
             lease_until = excluded.lease_until",
        args![channel, node, until],
    )?;
    if owner.is_some_and(|(n, _)| n == node) {
        return Ok(Some(0));
    }
    let released = db.execute(
        "UPDATE outbound_messages SET status = 'queued', claimed_at = NULL, updated_at = ?2
             WHERE channel = ?1 AND status = 'sending'",
        args![channel, now],
    )?;
    Ok(Some(released))
}
