//! Opening a store: SQLite's file, migrated, with its writer thread and readers; or a
//! PostgreSQL database, migrated, with its pool and a listener for other nodes' changes.
//! The keys (audit, pseudonyms) are files beside `storage.path`, checked against the
//! database either way.

use std::sync::{Arc, Mutex};

use prometheus_client::metrics::histogram::Histogram;
use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

use super::writer::{self, WriterThread};
use super::{Engine, ReaderPool, Store, StoreError, audit, blocking, db, keys, postgres};
use crate::clock::Clock;
use crate::config::{StorageConfig, Synchronous};
use crate::privacy::Pseudonyms;

/// Listens for the changes other nodes commit (`NOTIFY vigie_changes`, sent by the
/// schema's triggers) and wakes this node's consoles for them, while the pool lives;
/// listens again after a lost connection.
async fn hear_other_nodes(url: String, pool: std::sync::Weak<postgres::engine::Pool>) {
    while pool.strong_count() > 0 {
        match postgres::changes::listen(&url).await {
            Ok(mut heard) => loop {
                let got = tokio::time::timeout(POOL_CHECK, heard.recv()).await;
                let Some(pool) = pool.upgrade() else { return };
                match got {
                    Ok(Some(_)) => pool.announce(),
                    Ok(None) => break,
                    Err(_) => {}
                }
            },
            Err(e) => tracing::warn!(error = %e, "cannot listen for other nodes' changes"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

/// How often a listener with nothing heard checks that its pool still lives.
const POOL_CHECK: std::time::Duration = std::time::Duration::from_secs(5);

fn node_name() -> Arc<str> {
    format!("{}-{:08x}", std::process::id(), fastrand::u32(..)).into()
}

/// Prepared statements kept per connection: more than the gateway has.
pub(super) const STATEMENTS_CACHED: usize = 256;

pub(super) fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("migrations/0001_foundation.sql")),
        M::up(include_str!("migrations/0002_outbound_queue.sql")),
        M::up(include_str!("migrations/0003_reports.sql")),
        M::up(include_str!("migrations/0004_incidents.sql")),
        M::up(include_str!("migrations/0005_alerts.sql")),
        M::up(include_str!("migrations/0006_tokens.sql")),
        M::up(include_str!("migrations/0007_audit.sql")),
        M::up(include_str!("migrations/0008_review.sql")),
        M::up(include_str!("migrations/0009_broadcasts.sql")),
        M::up(include_str!("migrations/0010_sms_broadcasts.sql")),
        M::up(include_str!("migrations/0011_corrections.sql")),
        M::up(include_str!("migrations/0012_ussd.sql")),
        M::up(include_str!("migrations/0013_incident_tally.sql")),
        M::up(include_str!("migrations/0014_ussd_expiry.sql")),
        M::up(include_str!("migrations/0015_set_aside.sql")),
        M::up(include_str!("migrations/0016_checkins.sql")),
        M::up(include_str!("migrations/0017_purge_indexes.sql")),
        M::up(include_str!("migrations/0018_console.sql")),
        M::up(include_str!("migrations/0019_reading_order.sql")),
        M::up(include_str!("migrations/0020_silence.sql")),
        M::up(include_str!("migrations/0021_outcomes_index.sql")),
        M::up(include_str!("migrations/0022_queue_indexes.sql")),
        M::up(include_str!("migrations/0023_report_indexes.sql")),
    ])
}

/// Opens (creating if needed) the database and brings its schema up to date.
pub fn migrate(config: &StorageConfig) -> Result<Connection, StoreError> {
    if let crate::config::Backend::Postgres(_) = config.backend() {
        return Err(StoreError::NotSqlite);
    }
    let mut conn = Connection::open(&config.path)?;
    let sync = match config.synchronous {
        Synchronous::Full => "FULL",
        Synchronous::Normal => "NORMAL",
    };
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", sync)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // The writer runs every query of the pipeline; rusqlite's default of 16 cached
    // statements made it parse SQL again on most calls.
    conn.set_prepared_statement_cache_capacity(STATEMENTS_CACHED);
    migrations()
        .to_latest(&mut conn)
        .map_err(|e| StoreError::Migration(e.to_string()))?;
    let (key, new_key) = audit::key(&db::Db::sqlite(&conn), &config.audit_key_path())?;
    audit::install(&conn, &key, new_key)?;
    let key = keys::pseudonym_key(&db::Db::sqlite(&conn), &config.pseudonym_key_path())?;
    install_pseudonyms(&conn, &key)?;
    Ok(conn)
}

/// The pseudonym key, from its file (made or moved there by `migrate`).
pub fn pseudonyms(config: &StorageConfig) -> Result<Pseudonyms, StoreError> {
    let path = config.pseudonym_key_path();
    let key = std::fs::read_to_string(&path)
        .map_err(|e| StoreError::PseudonymKey(format!("{}: {e}", path.display())))?;
    Ok(Pseudonyms::new(key.trim()))
}

/// Installs `pseudonym(phone)` on `conn`: the keyed hash a number becomes once purged, so
/// what must still hold of it (a STOP) holds without the number.
pub(super) fn install_pseudonyms(conn: &Connection, key: &str) -> Result<(), StoreError> {
    let pseudonyms = Pseudonyms::new(key);
    conn.create_scalar_function(
        "pseudonym",
        1,
        rusqlite::functions::FunctionFlags::SQLITE_UTF8
            | rusqlite::functions::FunctionFlags::SQLITE_DETERMINISTIC
            | rusqlite::functions::FunctionFlags::SQLITE_DIRECTONLY,
        move |ctx| Ok(pseudonyms.of(&ctx.get::<String>(0)?)),
    )?;
    Ok(())
}

impl Store {
    /// Opens the database, runs migrations and starts the writer thread.
    pub fn open(
        config: &StorageConfig,
        batch_sizes: Option<Histogram>,
    ) -> Result<(Self, WriterThread), StoreError> {
        let conn = migrate(config)?;
        let (writer, thread) = writer::spawn(conn, config.batch_max, batch_sizes)
            .map_err(|e| StoreError::Sqlite(e.to_string()))?;
        let readers = ReaderPool {
            path: config.path.clone(),
            idle: Mutex::new(Vec::new()),
            keep: config.readers,
        };
        let engine = Engine::Sqlite {
            writer,
            readers: Arc::new(readers),
        };
        Ok((
            Self {
                engine,
                clock: Clock::system(),
                node: node_name(),
                waker: Arc::default(),
            },
            thread,
        ))
    }

    /// Opens the PostgreSQL database at `url`, bringing its schema up to date, with the
    /// keys in `config`'s files (made there for a new database); keeps up to
    /// `config.readers` idle connections.
    pub async fn open_postgres(config: &StorageConfig, url: &str) -> Result<Self, StoreError> {
        postgres::migrate(url)
            .await
            .map_err(|e| StoreError::Migration(e.to_string()))?;
        let (owned_url, audit_path) = (url.to_owned(), config.audit_key_path());
        let pseudonym_path = config.pseudonym_key_path();
        let keys = blocking(move || {
            let conn = db::PgConn::connect(&owned_url, None)?;
            conn.transaction(db::Isolation::Serializable, |db| {
                let (audit, _) = audit::key(db, &audit_path)?;
                audit::mark_new_keyed(db)?;
                let pseudonyms = Pseudonyms::new(&keys::pseudonym_key(db, &pseudonym_path)?);
                Ok(db::Keys { audit, pseudonyms })
            })
        })
        .await?;
        let pool = Arc::new(postgres::engine::Pool::new(url, config.connections, keys)?);
        tokio::spawn(hear_other_nodes(url.to_owned(), Arc::downgrade(&pool)));
        Ok(Self {
            engine: Engine::Postgres(pool),
            clock: Clock::system(),
            node: node_name(),
            waker: Arc::default(),
        })
    }

    /// Opens the database `config` names (see `open` and `open_postgres`).
    pub async fn connect(
        config: &StorageConfig,
        batch_sizes: Option<Histogram>,
    ) -> Result<(Self, WriterThread), StoreError> {
        match config.backend() {
            crate::config::Backend::Sqlite(_) => Self::open(config, batch_sizes),
            crate::config::Backend::Postgres(url) => {
                let store = Self::open_postgres(config, url).await?;
                Ok((store, WriterThread::none()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::migrations;

    /// A statement's opcodes, as `EXPLAIN` lists them; none if it does not compile (a
    /// table without rowid).
    fn opcodes(conn: &Connection, sql: &str) -> Vec<String> {
        let Ok(mut statement) = conn.prepare(&format!("EXPLAIN {sql}")) else {
            return Vec::new();
        };
        let rows = statement.query_map([], |r| r.get::<_, String>(1)).unwrap();
        rows.map(Result::unwrap).collect()
    }

    /// An incident's reports are read through one index: the most precise filed one
    /// first, without sorting; all of them, by arrival, without reading the table.
    #[test]
    fn an_incident_s_reports_are_read_through_one_index() {
        let most_precise = "SELECT admin1 FROM reports WHERE incident_id = ?1
                            AND status = 'filed' ORDER BY precision DESC, id LIMIT 1";
        let plan = crate::store::testing::plan(most_precise, 1);
        assert!(plan.contains("INDEX reports_incident_precise"), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
        for all in [
            "SELECT id, status FROM reports WHERE incident_id = ?1 ORDER BY id",
            "SELECT id FROM reports WHERE incident_id = ?1 AND status = 'filed' ORDER BY id",
            "SELECT id FROM reports WHERE incident_id = ?1 ORDER BY id DESC LIMIT 1",
        ] {
            let plan = crate::store::testing::plan(all, 1);
            assert!(plan.contains("INDEX reports_incident"), "{all}: {plan}");
        }
    }

    /// No insert or single-row update builds a temporary table: SQLite evaluates partial
    /// indexes' conditions on every write, and an `IN` list of three or more in one costs
    /// a temporary table each time (it was a sixth of a reply's queueing and sending).
    #[test]
    fn no_write_to_one_row_builds_a_temporary_table() {
        let mut conn = Connection::open_in_memory().unwrap();
        super::migrations().to_latest(&mut conn).unwrap();
        let tables: Vec<String> = conn
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let mut costly = Vec::new();
        for table in &tables {
            let columns: Vec<String> = conn
                .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            let Some(last) = columns.last() else { continue };
            let mut writes = vec![format!("INSERT INTO {table} ({last}) VALUES (NULL)")];
            writes.extend(
                columns
                    .iter()
                    .map(|c| format!("UPDATE {table} SET {c} = NULL WHERE rowid = 1")),
            );
            for sql in writes {
                if opcodes(&conn, &sql).iter().any(|op| op == "OpenEphemeral") {
                    costly.push(sql);
                }
            }
        }
        assert!(costly.is_empty(), "{costly:#?}");
    }

    #[test]
    fn migrations_are_valid() {
        assert!(migrations().validate().is_ok());
    }

    #[test]
    fn incidents_stored_before_the_tally_are_tallied_from_their_filed_reports() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrations().to_version(&mut conn, 12).unwrap();
        conn.execute_batch(
            "INSERT INTO incidents (id, category, first_time, last_time, lat, lon, precision,
                 sources, counts, created_at, updated_at)
             VALUES (1, 'ATT', 0, 0, 14, -3, 3, 3, '{}', 0, 0), (2, 'VOL', 0, 0, 14, -3, 3, 1, '{}', 0, 0);
             INSERT INTO inbound_messages (channel, sender, text, received_at, content_hash, raw)
             VALUES ('at', 'x', '', 0, 1, ''), ('at', 'x', '', 0, 2, ''), ('at', 'x', '', 0, 3, ''),
                    ('at', 'x', '', 0, 4, ''), ('at', 'x', '', 0, 5, '');
             INSERT INTO reports (inbound_id, reporter, status, category, counts, event_time,
                 language, created_at, updated_at, incident_id)
             VALUES (1, 'a', 'filed', 'ATT', '{\"killed\":3,\"injured\":\"several\"}', 0, 'fr', 0, 0, 1),
                    (2, 'b', 'filed', 'ATT', '{\"killed\":5,\"injured\":null}', 0, 'fr', 0, 0, 1),
                    (3, 'c', 'filed', 'ATT', '{\"killed\":4,\"injured\":2}', 0, 'fr', 0, 0, 1),
                    (4, 'd', 'withdrawn', 'ATT', '{\"killed\":1}', 0, 'fr', 0, 0, 1),
                    (5, 'e', 'filed', 'VOL', '{}', 0, 'fr', 0, 0, 2);",
        )
        .unwrap();
        migrations().to_latest(&mut conn).unwrap();
        let tally = |id: i64| -> (String, String) {
            conn.query_row(
                "SELECT counts_low, counts_high FROM incidents WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
        };
        let (low, high) = tally(1);
        let json = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
        assert_eq!(
            json(&low),
            serde_json::json!({"killed": 3, "injured": "several"})
        );
        assert_eq!(json(&high), serde_json::json!({"killed": 5, "injured": 2}));
        assert_eq!(tally(2), ("{}".into(), "{}".into()), "no counts reported");
    }

    #[test]
    fn ras_incidents_stored_before_check_ins_become_check_ins_and_are_withdrawn() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrations().to_version(&mut conn, 15).unwrap();
        conn.execute_batch(
            "INSERT INTO incidents (id, category, first_time, last_time, lat, lon, precision,
                 sources, counts, created_at, updated_at)
             VALUES (1, 'RAS', 0, 0, 14, -3, 3, 1, '{}', 0, 0), (2, 'ATT', 0, 0, 14, -3, 3, 1, '{}', 0, 0);
             INSERT INTO incidents_where VALUES (1, 0, 0, 0, 0, 0, 0), (2, 0, 0, 0, 0, 0, 0);
             INSERT INTO inbound_messages (channel, sender, text, received_at, content_hash, raw)
             VALUES ('at', 'x', '', 0, 1, ''), ('at', 'y', '', 0, 2, '');
             INSERT INTO reports (inbound_id, reporter, status, category, place_name, counts,
                 event_time, description, language, created_at, updated_at, incident_id)
             VALUES (1, '+22376123456', 'filed', 'RAS', 'Bankass', '{}', 7, 'calme', 'fr', 0, 0, 1),
                    (2, '+22376123457', 'filed', 'ATT', 'Koro', '{}', 0, '', 'fr', 0, 0, 2);",
        )
        .unwrap();
        migrations().to_latest(&mut conn).unwrap();
        let one = |sql: &str| -> String { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(
            one("SELECT group_concat(status, ',') FROM (SELECT status FROM incidents ORDER BY id)"),
            "withdrawn,open"
        );
        assert_eq!(
            one("SELECT phone || ' ' || at || ' ' || place_name || ' ' || comment FROM checkins"),
            "+22376123456 7 Bankass calme"
        );
        assert_eq!(one("SELECT group_concat(id) FROM incidents_where"), "2");
    }
}
