//! Who does what when several nodes share one database: each channel is sent by one node
//! at a time (a lease in `channel_owners`, renewed by its owner, taken over when it runs
//! out), so a channel's send rate holds across nodes; and each periodic sweep (escalation,
//! silence, retention) runs on one node, the one holding its advisory lock, which
//! PostgreSQL releases when that node's connection dies.

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
