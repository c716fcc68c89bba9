//! PostgreSQL, for several gateway nodes on one database: the schema and its migrations,
//! the engine (a pool of serializable transactions) the stages' queries run on through
//! `store::db`, and what only several nodes need (fusion areas, sweep leaders, live
//! changes heard from other nodes, `copy-to`).
//!
//! Migrations are numbered SQL files applied in order, each in its own transaction and
//! recorded in `schema_migrations`. Nodes started together may migrate at once: an
//! advisory lock makes them take turns, and each applies only what is missing.

pub mod changes;
pub mod copy;
pub mod engine;
pub mod fusion;
pub mod owners;

use tokio_postgres::NoTls;

/// The migrations, in order: (version, SQL).
const MIGRATIONS: [(i32, &str); 6] = [
    (1, include_str!("0001_schema.sql")),
    (2, include_str!("0002_claims.sql")),
    (3, include_str!("0003_owners.sql")),
    (4, include_str!("0004_change_visibility.sql")),
    (5, include_str!("0005_queue_indexes.sql")),
    (6, include_str!("0006_report_indexes.sql")),
];

/// The advisory lock nodes take while migrating (any number: every node uses this one).
const MIGRATION_LOCK: i64 = 0x5649_4749_4500_0001;

/// Why PostgreSQL could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum PostgresError {
    #[error("cannot reach PostgreSQL: {0}")]
    Connect(#[source] tokio_postgres::Error),
    #[error("migration {version} failed: {source}")]
    Migration {
        version: i32,
        #[source]
        source: tokio_postgres::Error,
    },
    #[error("PostgreSQL: {0}")]
    Query(#[from] tokio_postgres::Error),
}

/// A connection to the database at `url`, driven on its own task.
pub async fn connect(url: &str) -> Result<tokio_postgres::Client, PostgresError> {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .map_err(PostgresError::Connect)?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::error!(error = %e, "a PostgreSQL connection ended");
        }
    });
    Ok(client)
}

/// Brings the database at `url` up to date; returns the migrations applied now.
pub async fn migrate(url: &str) -> Result<Vec<i32>, PostgresError> {
    let (mut client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .map_err(PostgresError::Connect)?;
    let driving = tokio::spawn(connection);
    let applied = migrate_with(&mut client).await;
    drop(client);
    // The connection ends with its client; how it ended adds nothing to the outcome.
    let _ = driving.await;
    applied
}

async fn migrate_with(client: &mut tokio_postgres::Client) -> Result<Vec<i32>, PostgresError> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    let applied = apply_missing(client).await;
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await?;
    applied
}

async fn apply_missing(client: &mut tokio_postgres::Client) -> Result<Vec<i32>, PostgresError> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version    INTEGER PRIMARY KEY,
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
             )",
        )
        .await?;
    let done: i32 = client
        .query_one(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            &[],
        )
        .await?
        .get(0);
    let mut applied = Vec::new();
    for (version, sql) in MIGRATIONS.into_iter().filter(|(v, _)| *v > done) {
        let failed = |source| PostgresError::Migration { version, source };
        let tx = client.transaction().await?;
        tx.batch_execute(sql).await.map_err(failed)?;
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[&version],
        )
        .await?;
        tx.commit().await.map_err(failed)?;
        applied.push(version);
    }
    Ok(applied)
}
