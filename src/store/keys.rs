//! Keys kept outside the database, in files beside it: whoever copies or writes the
//! database alone can neither recompute the audit chain nor turn a pseudonym back into a
//! number by trying every number of a country.

use std::path::Path;

use super::db::Db;
use super::{StoreError, settings};
use crate::privacy::Pseudonyms;

/// Where the pseudonym key lived before it moved out of the database.
const IN_DATABASE: &str = "pseudonym_key";
/// A pseudonym made with the key: tells a wrong key from the right one.
const CHECK: &str = "pseudonym_key_check";

/// The pseudonym key in `path`. A key kept in the database until now moves there (and out
/// of the database); a key lost after pseudonyms were made with it is said, never replaced
/// (a STOP kept as a pseudonym would no longer hold).
pub(super) fn pseudonym_key(db: &Db<'_>, path: &Path) -> Result<String, StoreError> {
    let bad = |reason: &str| StoreError::PseudonymKey(format!("{}: {reason}", path.display()));
    let stored = settings::get(db, IN_DATABASE)?;
    let check = settings::get(db, CHECK)?;
    let key = match std::fs::read_to_string(path) {
        Ok(text) if text.trim().is_empty() => return Err(bad("is empty")),
        Ok(text) if stored.as_deref().is_some_and(|db| db != text.trim()) => {
            return Err(bad(
                "differs from the key this database kept until now: pseudonyms made with \
                 one would not match the other (a STOP would no longer hold); point \
                 storage.pseudonym_key_file at a new file to move the database's key there",
            ));
        }
        Ok(text) => text.trim().to_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if stored.is_none() && check.is_some() {
                return Err(bad(
                    "is missing, and this database's pseudonyms were made with it: restore it",
                ));
            }
            let key = stored.clone().unwrap_or_else(Pseudonyms::make_key);
            write_new(path, &key).map_err(|e| bad(&e.to_string()))?;
            key
        }
        Err(e) => return Err(bad(&e.to_string())),
    };
    let made = Pseudonyms::new(&key).of(CHECK);
    match check {
        Some(check) if check != made => {
            return Err(bad(
                "is not the key this database's pseudonyms were made with",
            ));
        }
        Some(_) => {}
        None => settings::set(db, CHECK, &made)?,
    }
    if stored.is_some() {
        settings::remove(db, IN_DATABASE)?;
    }
    Ok(key)
}

/// Writes a file readable by its owner only, failing if it exists.
pub(super) fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    // The file's name must survive a power loss too: what is made with the key is
    // committed at once.
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    fn database() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join("v.db")).unwrap();
        conn.execute_batch("CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
            .unwrap();
        (dir, conn)
    }

    #[test]
    fn a_key_in_the_database_moves_to_its_file_and_is_kept() {
        let (dir, conn) = database();
        let path = dir.path().join("v.db.pseudonym-key");
        settings::set(&Db::sqlite(&conn), IN_DATABASE, "old-key").unwrap();
        assert_eq!(pseudonym_key(&Db::sqlite(&conn), &path).unwrap(), "old-key");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old-key");
        assert_eq!(
            settings::get(&Db::sqlite(&conn), IN_DATABASE).unwrap(),
            None
        );
        assert_eq!(pseudonym_key(&Db::sqlite(&conn), &path).unwrap(), "old-key");
    }

    #[test]
    fn a_lost_or_wrong_key_is_said_not_replaced() {
        let (dir, conn) = database();
        let path = dir.path().join("v.db.pseudonym-key");
        let key = pseudonym_key(&Db::sqlite(&conn), &path).unwrap();
        assert_eq!(key.len(), 64);
        std::fs::remove_file(&path).unwrap();
        let lost = pseudonym_key(&Db::sqlite(&conn), &path)
            .unwrap_err()
            .to_string();
        assert!(
            lost.contains("missing") && lost.contains("pseudonym-key"),
            "{lost}"
        );
        std::fs::write(&path, "another key").unwrap();
        let wrong = pseudonym_key(&Db::sqlite(&conn), &path)
            .unwrap_err()
            .to_string();
        assert!(wrong.contains("not the key"), "{wrong}");
    }

    #[test]
    fn a_key_file_that_differs_from_the_databases_key_is_refused() {
        let (dir, conn) = database();
        let path = dir.path().join("shared.key");
        std::fs::write(&path, "someone else's key").unwrap();
        settings::set(&Db::sqlite(&conn), IN_DATABASE, "old-key").unwrap();
        let refused = pseudonym_key(&Db::sqlite(&conn), &path)
            .unwrap_err()
            .to_string();
        assert!(refused.contains("differs"), "{refused}");
        assert_eq!(
            settings::get(&Db::sqlite(&conn), IN_DATABASE)
                .unwrap()
                .as_deref(),
            Some("old-key")
        );
    }
}
