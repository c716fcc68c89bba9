//! Live changes across nodes: every change the schema's triggers note is also announced
//! with `NOTIFY vigie_changes` (`incident 12`, `broadcast 3`, `delivery 40`), so a node
//! whose consoles wait hears of what another node committed, at once, and reads `changes`
//! as it does after its own commits.

use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, NoTls};
use tokio_stream::StreamExt;

use super::PostgresError;
use crate::store::changes::Kind;

/// Announcements kept waiting for a slow reader; more are dropped (the reader catches up
/// from `changes` anyway).
const WAITING: usize = 1024;

/// Listens on its own connection; each announcement arrives as (kind, subject). The
/// stream ends when the connection does.
pub async fn listen(url: &str) -> Result<mpsc::Receiver<(Kind, i64)>, PostgresError> {
    let (client, mut connection) = tokio_postgres::connect(url, NoTls)
        .await
        .map_err(PostgresError::Connect)?;
    let (tx, rx) = mpsc::channel(WAITING);
    let keep = tx.clone();
    tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            let Ok(AsyncMessage::Notification(n)) = message else {
                if message.is_err() {
                    break;
                }
                continue;
            };
            if let Some(change) = parse(n.payload()) {
                // A full queue drops the wake-up; the reader reads `changes` regardless.
                let _ = tx.try_send(change);
            }
        }
    });
    client.batch_execute("LISTEN vigie_changes").await?;
    // The connection lives as long as its client: kept until the reader goes.
    tokio::spawn(async move {
        keep.closed().await;
        drop(client);
    });
    Ok(rx)
}

/// `incident 12` as (Incident, 12).
fn parse(payload: &str) -> Option<(Kind, i64)> {
    let (kind, subject) = payload.split_once(' ')?;
    Some((Kind::of(kind), subject.parse().ok()?))
}
