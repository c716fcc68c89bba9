//! Moving a gateway from SQLite to PostgreSQL: every row of every table copied, in one
//! transaction, into a freshly migrated, empty PostgreSQL database. The schemas have the
//! same tables and columns (a test holds them to it), so the copy is generic: each value
//! goes as text and PostgreSQL casts it to its column's type. Triggers stay off during the
//! copy (the live changes are copied, not made again), and each identity goes on from the
//! largest id copied.

use rusqlite::types::ValueRef;
use tokio_postgres::Transaction;
use tokio_postgres::types::ToSql;

use super::PostgresError;

/// Why a copy did not happen.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("the PostgreSQL database already holds messages or contacts: copy into an empty one")]
    NotEmpty,
    #[error("reading SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Postgres(#[from] PostgresError),
}

impl From<tokio_postgres::Error> for CopyError {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Postgres(PostgresError::Query(e))
    }
}

/// Copies every table of `sqlite` into the database at `url`; each table's rows copied.
pub async fn from_sqlite(
    sqlite: &rusqlite::Connection,
    url: &str,
) -> Result<Vec<(String, u64)>, CopyError> {
    super::migrate(url).await?;
    let mut client = super::connect(url).await?;
    let held: i64 = client
        .query_one(
            "SELECT (SELECT count(*) FROM inbound_messages) + (SELECT count(*) FROM contacts)",
            &[],
        )
        .await?
        .get(0);
    if held > 0 {
        return Err(CopyError::NotEmpty);
    }
    let tx = client.transaction().await?;
    let tables = in_reference_order(&tx).await?;
    let mut copied = Vec::with_capacity(tables.len());
    for table in &tables {
        tx.batch_execute(&format!("ALTER TABLE {table} DISABLE TRIGGER USER"))
            .await?;
        copied.push((table.clone(), copy_table(sqlite, &tx, table).await?));
        tx.batch_execute(&format!("ALTER TABLE {table} ENABLE TRIGGER USER"))
            .await?;
        restart_identity(&tx, table).await?;
    }
    tx.commit().await?;
    Ok(copied)
}

/// The tables, each after those it refers to.
async fn in_reference_order(tx: &Transaction<'_>) -> Result<Vec<String>, CopyError> {
    let tables: Vec<String> = tx
        .query(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
               AND table_name NOT IN ('schema_migrations', 'channel_owners')
             ORDER BY table_name",
            &[],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let references: Vec<(String, String)> = tx
        .query(
            "SELECT DISTINCT c.conrelid::regclass::text, c.confrelid::regclass::text
             FROM pg_constraint c WHERE c.contype = 'f'",
            &[],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let mut ordered: Vec<String> = Vec::with_capacity(tables.len());
    while ordered.len() < tables.len() {
        let before = ordered.len();
        for t in &tables {
            let ready = references
                .iter()
                .filter(|(from, to)| from == t && to != t)
                .all(|(_, to)| ordered.contains(to));
            if ready && !ordered.contains(t) {
                ordered.push(t.clone());
            }
        }
        if ordered.len() == before {
            // A cycle: none in this schema; the rest go in name order.
            ordered.extend(
                tables
                    .iter()
                    .filter(|t| !ordered.contains(t))
                    .cloned()
                    .collect::<Vec<_>>(),
            );
        }
    }
    Ok(ordered)
}

/// Columns only PostgreSQL has, by table: leases of several nodes, and which transaction
/// noted a change (ids commit out of order there). SQLite needs neither; a copy leaves
/// them to their defaults.
pub const POSTGRES_ONLY: [(&str, &str); 3] = [
    ("inbound_messages", "claimed_by"),
    ("inbound_messages", "claimed_until"),
    ("changes", "tx"),
];

/// Copies one table's rows, its columns as PostgreSQL names them; the number copied.
async fn copy_table(
    sqlite: &rusqlite::Connection,
    tx: &Transaction<'_>,
    table: &str,
) -> Result<u64, CopyError> {
    let columns: Vec<(String, String)> = tx
        .query(
            "SELECT column_name::text, data_type::text FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name = $1
             ORDER BY ordinal_position",
            &[&table],
        )
        .await?
        .iter()
        .map(|r| (r.get::<_, String>(0), r.get(1)))
        .filter(|(name, _)| !POSTGRES_ONLY.contains(&(table, name.as_str())))
        .collect();
    let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
    let casts: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, (_, kind))| format!("${}::text::{kind}", i + 1))
        .collect();
    let insert = tx
        .prepare(&format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            names.join(", "),
            casts.join(", ")
        ))
        .await?;
    let mut select = sqlite.prepare(&format!("SELECT {} FROM {table}", names.join(", ")))?;
    let mut rows = select.query([])?;
    let mut copied = 0;
    while let Some(row) = rows.next()? {
        let values: Vec<Option<String>> = (0..names.len())
            .map(|i| row.get_ref(i).map(as_text))
            .collect::<Result<_, _>>()?;
        let params: Vec<&(dyn ToSql + Sync)> =
            values.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
        tx.execute(&insert, &params).await?;
        copied += 1;
    }
    Ok(copied)
}

/// A SQLite value as the text PostgreSQL casts back (reals exactly, by their shortest
/// round-trip form).
fn as_text(value: ValueRef<'_>) -> Option<String> {
    match value {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(r) => Some(format!("{r:?}")),
        ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Some(b.iter().map(|x| format!("{x:02x}")).collect()),
    }
}

/// New rows of `table` take ids after the largest copied.
async fn restart_identity(tx: &Transaction<'_>, table: &str) -> Result<(), CopyError> {
    let identity: bool = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM information_schema.columns
                            WHERE table_schema = 'public' AND table_name = $1
                              AND column_name = 'id' AND is_identity = 'YES')",
            &[&table],
        )
        .await?
        .get(0);
    if identity {
        tx.batch_execute(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                           coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
        ))
        .await?;
    }
    Ok(())
}
