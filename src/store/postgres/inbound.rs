//! Storing an inbound message once on PostgreSQL, whichever node the provider reached: by
//! its provider id (the unique index decides), else by its content within the window. Two
//! nodes checking the same content at once would both find nothing; a transaction-scoped
//! advisory lock on the content makes them take turns.

use tokio_postgres::Client;

use super::PostgresError;
use crate::store::inbound::{Limits, NewInbound, Stored};

/// Stores `msg` once, as `store::inbound::insert` does on SQLite.
pub async fn insert(
    client: &mut Client,
    msg: &NewInbound,
    limits: &Limits,
) -> Result<Stored, PostgresError> {
    let tx = client.transaction().await?;
    if msg.provider_message_id.is_none() {
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, $2))",
            &[&msg.channel, &msg.content_hash],
        )
        .await?;
        let at = msg.provider_ts.unwrap_or(msg.received_at);
        let same = tx
            .query_opt(
                "SELECT id FROM inbound_messages
                 WHERE channel = $1 AND content_hash = $2 AND provider_message_id IS NULL
                   AND abs(coalesce(provider_ts, received_at) - $3) <= $4
                 LIMIT 1",
                &[&msg.channel, &msg.content_hash, &at, &limits.window_ms],
            )
            .await?;
        if let Some(row) = same {
            tx.commit().await?;
            return Ok(Stored::Duplicate(row.get(0)));
        }
    }
    let inserted = tx
        .query_opt(
            "INSERT INTO inbound_messages (channel, provider_message_id, sender, recipient, text,
                 truncated, is_loop, parts, incomplete, provider_ts, received_at, content_hash,
                 raw, priority)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
                 CASE WHEN NOT $14 OR $7 = 1::BIGINT THEN 2
                      WHEN EXISTS (SELECT 1 FROM contacts WHERE phone = $3 AND active = 1) THEN 0
                      ELSE 1 END)
             ON CONFLICT (channel, provider_message_id) WHERE provider_message_id IS NOT NULL
             DO NOTHING
             RETURNING id",
            &[
                &msg.channel,
                &msg.provider_message_id,
                &msg.sender,
                &msg.recipient,
                &msg.text,
                &i64::from(msg.truncated),
                &i64::from(msg.is_loop),
                &i64::from(msg.parts),
                &i64::from(msg.incomplete),
                &msg.provider_ts,
                &msg.received_at,
                &msg.content_hash,
                &msg.raw,
                &msg.may_alert,
            ],
        )
        .await?;
    let stored = match inserted {
        Some(row) => Stored::New(row.get(0)),
        None => {
            let row = tx
                .query_one(
                    "SELECT id FROM inbound_messages
                     WHERE channel = $1 AND provider_message_id = $2",
                    &[&msg.channel, &msg.provider_message_id],
                )
                .await?;
            Stored::Duplicate(row.get(0))
        }
    };
    tx.commit().await?;
    Ok(stored)
}
