//! Who does what when several nodes share one database: each channel is sent by one node
//! at a time (a lease in `channel_owners`, renewed by its owner, taken over when it runs
//! out), so a channel's send rate holds across nodes; and each periodic sweep (escalation,
//! silence, retention) runs on one node, the one holding its advisory lock, which
//! PostgreSQL releases when that node's connection dies.

use tokio_postgres::Client;

use super::PostgresError;

/// Takes or renews `channel` for `node` until `now + lease_ms`; `false` while another
/// node's lease runs.
pub async fn own_channel(
    client: &Client,
    channel: &str,
    node: &str,
    now: i64,
    lease_ms: i64,
) -> Result<bool, PostgresError> {
    let owner = client
        .query_opt(
            "INSERT INTO channel_owners (channel, node, lease_until)
             VALUES ($1, $2, $3::BIGINT + $4::BIGINT)
             ON CONFLICT (channel) DO UPDATE
                 SET node = excluded.node, lease_until = excluded.lease_until
                 WHERE channel_owners.node = excluded.node OR channel_owners.lease_until <= $3
             RETURNING node",
            &[&channel, &node, &now, &lease_ms],
        )
        .await?;
    Ok(owner.is_some())
}

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
