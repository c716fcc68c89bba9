//! Queries on `audit_log`, and its key: kept in a file beside the database (never in it),
//! installed on the connection as the SQL function `audit_mac`, so every write that appends
//! an entry hashes it under the key without being handed it.

use std::path::Path;

use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use sha2::{Digest, Sha256};

use super::StoreError;
use super::db::{Db, args};
use crate::audit::{AuditKey, Entry, hash_of};

/// The `settings` row that says the chain is keyed.
const KEYED: &str = "audit_chain";
const HMAC: &str = "hmac-sha256";

/// Appends an entry chained to the last one; in the caller's transaction, so a change and
/// its entry commit together.
pub fn append(
    db: &Db<'_>,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &serde_json::Value,
    now: i64,
) -> Result<(), StoreError> {
    let prev: String = db
        .query_opt(
            "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1",
            args![],
            |r| r.get(0),
        )?
        .unwrap_or_default();
    let detail = detail.to_string();
    let hash = db.audit_mac(&prev, now, [actor, action, subject, &detail])?;
    db.execute(
        "INSERT INTO audit_log (at, actor, action, subject, detail, prev, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        args![now, actor, action, subject, detail, prev, hash],
    )?;
    Ok(())
}

/// Every entry, oldest first.
pub fn all(db: &Db<'_>) -> Result<Vec<Entry>, StoreError> {
    db.query_map(
        "SELECT id, at, actor, action, subject, detail, prev, hash FROM audit_log ORDER BY id",
        args![],
        |r| {
            Ok(Entry {
                id: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                action: r.get(3)?,
                subject: r.get(4)?,
                detail: r.get(5)?,
                prev: r.get(6)?,
                hash: r.get(7)?,
            })
        },
    )
}

/// The key in `path`, and whether it was made just now. Made there the first time, unless
/// the log was keyed already: a lost key is said, never silently replaced by one that
/// would show every entry as edited.
pub fn key(db: &Db<'_>, path: &Path) -> Result<(AuditKey, bool), StoreError> {
    let bad = |reason: String| StoreError::AuditKey(format!("{}: {reason}", path.display()));
    match std::fs::read_to_string(path) {
        Ok(text) => AuditKey::from_hex(&text)
            .map(|key| (key, false))
            .ok_or_else(|| bad("does not hold a key (64 hex digits)".into())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if keyed(db)? && !all(db)?.is_empty() {
                return Err(bad(
                    "is missing, and the audit log was keyed with it: restore it to check or \
                     extend the log"
                        .into(),
                ));
            }
            let key = AuditKey::generate();
            super::keys::write_new(path, &key.to_hex()).map_err(|e| bad(e.to_string()))?;
            Ok((key, true))
        }
        Err(e) => Err(bad(e.to_string())),
    }
}

/// Installs `audit_mac(prev, at, actor, action, subject, detail)` on `conn`, and keys a
/// log written before the chain was (re-hashed once, if it held). Only with a key made just
/// now (`new_key`): with a key that already existed, an unkeyed log is a forgery (someone
/// rewrote it and removed the mark), and it is left for `vigie audit verify` to name.
pub fn install(conn: &Connection, key: &AuditKey, new_key: bool) -> Result<(), StoreError> {
    let mac_key = key.clone();
    // Direct calls only: a trigger or view planted in the database cannot use the key.
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DIRECTONLY;
    conn.create_scalar_function("audit_mac", 6, flags, move |ctx| {
        let text = |i: usize| ctx.get::<String>(i);
        let fields = [text(2)?, text(3)?, text(4)?, text(5)?];
        let fields = [fields[0].as_str(), &fields[1], &fields[2], &fields[3]];
        Ok(hash_of(&mac_key, &text(0)?, ctx.get::<i64>(1)?, fields))
    })?;
    if !keyed(&Db::sqlite(conn))? {
        if new_key {
            rekey(conn, key)?;
        } else {
            mark_keyed(&Db::sqlite(conn))?;
        }
    }
    Ok(())
}

/// Marks a log begun under a key as keyed (PostgreSQL's, made keyed from its first entry).
pub(super) fn mark_new_keyed(db: &Db<'_>) -> Result<(), StoreError> {
    if !keyed(db)? {
        mark_keyed(db)?;
    }
    Ok(())
}

fn mark_keyed(db: &Db<'_>) -> Result<(), StoreError> {
    db.execute(
        "INSERT INTO settings (name, value) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        args![KEYED, HMAC],
    )?;
    Ok(())
}

fn keyed(db: &Db<'_>) -> Result<bool, StoreError> {
    let found: Option<String> = db.query_opt(
        "SELECT value FROM settings WHERE name = ?1",
        args![KEYED],
        |r| r.get(0),
    )?;
    Ok(found.as_deref() == Some(HMAC))
}

/// The unkeyed chain of earlier versions, re-hashed under the key if it holds; one that
/// does not is left as it is, for `vigie audit verify` to name its first broken entry.
fn rekey(conn: &Connection, key: &AuditKey) -> Result<(), StoreError> {
    let tx = conn.unchecked_transaction()?;
    let db = Db::sqlite(&tx);
    let entries = all(&db)?;
    let mut prev = String::new();
    let held = entries.iter().all(|e| {
        let ok = e.prev == prev && unkeyed_hash(e) == e.hash;
        prev.clone_from(&e.hash);
        ok
    });
    if held && !entries.is_empty() {
        // The one rewrite the log ever gets, in the transaction that marks it keyed.
        db.execute_batch("DROP TRIGGER audit_log_no_update")?;
        let mut prev = String::new();
        for e in &entries {
            let fields = [e.actor.as_str(), &e.action, &e.subject, &e.detail];
            let hash = hash_of(key, &prev, e.at, fields);
            db.execute(
                "UPDATE audit_log SET prev = ?2, hash = ?3 WHERE id = ?1",
                args![e.id, prev, hash],
            )?;
            prev = hash;
        }
        db.execute_batch(
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
             BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
        )?;
    } else if !held {
        tracing::error!("the audit log's chain was already broken; it is left as it is");
    }
    mark_keyed(&db)?;
    tx.commit()?;
    Ok(())
}

/// The SHA-256 chain entries had before it was keyed.
fn unkeyed_hash(e: &Entry) -> String {
    let mut h = Sha256::new();
    let at = e.at.to_string();
    let fields = [&e.prev, &at, &e.actor, &e.action, &e.subject, &e.detail];
    crate::audit::feed(&mut h, fields.map(String::as_str));
    crate::access::hex(&h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::StorageConfig;

    /// A log written by an earlier version (unkeyed) is keyed once at start-up.
    #[test]
    fn an_unkeyed_chain_is_keyed_once() {
        let dir = tempfile::tempdir().unwrap();
        let config = StorageConfig {
            path: dir.path().join("v.db"),
            ..StorageConfig::default()
        };
        let conn = crate::store::migrate(&config).unwrap();
        let db = Db::sqlite(&conn);
        conn.execute_batch("DELETE FROM settings WHERE name = 'audit_chain'")
            .unwrap();
        let mut prev = String::new();
        for id in 1..=3 {
            let mut entry = Entry {
                id,
                at: id,
                actor: "cli".into(),
                action: "token.create".into(),
                subject: format!("token {id}"),
                detail: "{}".into(),
                prev: prev.clone(),
                hash: String::new(),
            };
            entry.hash = unkeyed_hash(&entry);
            conn.execute(
                "INSERT INTO audit_log (at, actor, action, subject, detail, prev, hash)
                 VALUES (?1, 'cli', 'token.create', ?2, '{}', ?3, ?4)",
                rusqlite::params![id, entry.subject, entry.prev, entry.hash],
            )
            .unwrap();
            prev = entry.hash;
        }
        let (key, _) = key(&Db::sqlite(&conn), &config.audit_key_path()).unwrap();
        assert!(crate::audit::verify(&all(&db).unwrap(), &key).is_err());
        // With the key that was already there, an unkeyed log is a forgery: left as it is.
        install(&conn, &key, false).unwrap();
        assert!(crate::audit::verify(&all(&db).unwrap(), &key).is_err());
        conn.execute_batch("DELETE FROM settings WHERE name = 'audit_chain'")
            .unwrap();
        // A key made at this start keys the log it finds, once.
        install(&conn, &key, true).unwrap();
        assert_eq!(crate::audit::verify(&all(&db).unwrap(), &key), Ok(()));
        append(
            &db,
            "cli",
            "token.revoke",
            "token 1",
            &serde_json::json!({}),
            9,
        )
        .unwrap();
        assert_eq!(crate::audit::verify(&all(&db).unwrap(), &key), Ok(()));
        let edit = conn.execute("UPDATE audit_log SET subject = 'x' WHERE id = 1", []);
        assert!(edit.is_err(), "append-only again");
    }
}
