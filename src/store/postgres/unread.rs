//! The intake's view of `inbound_messages` on PostgreSQL, where several nodes read: each
//! claims a round for a lease. A message goes to one node; a sender's messages go to one
//! node at a time, oldest first, so a digit still follows the question it answers; a
//! node that dies leaves its claims to the others when their lease is over.

use tokio_postgres::{Client, Row};

use super::PostgresError;
use crate::store::unread::Unread;

/// Claims up to `limit` unread messages for `node` until `now + lease_ms`: each sender's
/// oldest, of senders no node holds a live claim on, the most urgent first (a sender's
/// urgency is that of their most urgent unread message, as on SQLite). Rows another node
/// is claiming at this instant are skipped, not waited for.
pub async fn claim(
    client: &Client,
    node: &str,
    now: i64,
    lease_ms: i64,
    limit: i64,
) -> Result<Vec<Unread>, PostgresError> {
    let rows = client
        .query(
            "UPDATE inbound_messages SET claimed_by = $1, claimed_until = $2 + $3
             WHERE id IN (
                 SELECT id FROM inbound_messages
                 -- Checked again on the row as locked: a claim another node committed
                 -- since this statement began shows here, and the row is passed over.
                 WHERE state = 'new' AND (claimed_until IS NULL OR claimed_until <= $2)
                   AND id IN (
                     SELECT DISTINCT ON (sender) id FROM inbound_messages m
                     WHERE state = 'new'
                       AND NOT EXISTS (
                           SELECT 1 FROM inbound_messages o
                           WHERE o.sender = m.sender AND o.state = 'new'
                             AND o.claimed_until > $2)
                     ORDER BY sender, id)
                 ORDER BY (SELECT min(u.priority) FROM inbound_messages u
                           WHERE u.sender = inbound_messages.sender AND u.state = 'new'), id
                 LIMIT $4
                 FOR UPDATE SKIP LOCKED)
             RETURNING id, sender, text, coalesce(provider_ts, received_at), throttled,
                       is_loop, language, channel,
                       (SELECT min(u.priority) FROM inbound_messages u
                        WHERE u.sender = inbound_messages.sender AND u.state = 'new')",
            &[&node, &now, &lease_ms, &limit],
        )
        .await?;
    let mut claimed: Vec<(i64, Unread)> = rows.iter().map(unread).collect();
    claimed.sort_by_key(|(priority, m)| (*priority, m.id));
    Ok(claimed.into_iter().map(|(_, m)| m).collect())
}

/// A claimed row, with its sender's urgency.
fn unread(r: &Row) -> (i64, Unread) {
    (
        r.get(8),
        Unread {
            id: r.get(0),
            sender: r.get(1),
            text: r.get(2),
            received_at: r.get(3),
            throttled: r.get::<_, i64>(4) != 0,
            is_loop: r.get::<_, i64>(5) != 0,
            language: r.get(6),
            channel: r.get(7),
        },
    )
}

/// Marks message `id` read (`state`), if `node` still holds it: `false` when its lease
/// ran out and another node took it, whose reading stands.
pub async fn mark_read(
    client: &Client,
    id: i64,
    node: &str,
    state: &str,
) -> Result<bool, PostgresError> {
    let n = client
        .execute(
            "UPDATE inbound_messages SET state = $3, claimed_until = NULL
             WHERE id = $1 AND state = 'new' AND claimed_by = $2",
            &[&id, &node, &state],
        )
        .await?;
    Ok(n == 1)
}
