//! `[storage]`: the SQLite database and the keys kept beside it.

use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// Storage: SQLite (the embedded default) or PostgreSQL (several nodes).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// `sqlite:PATH` (the same as `path`) or `postgres://user:password@host/db`; secret,
    /// since it may hold a password.
    pub url: Option<SecretString>,
    pub path: PathBuf,
    pub synchronous: Synchronous,
    /// Most writes committed together in one transaction (group commit).
    pub batch_max: usize,
    /// Read connections kept open for API queries (SQLite).
    pub readers: usize,
    /// Connections a node opens to PostgreSQL, at most; calls wait for a free one.
    pub connections: usize,
    /// Raw SMS texts and reporters' numbers older than this many days are purged (the
    /// incidents and their counts stay; reporters become pseudonyms). 0 keeps everything.
    pub retention_days: u64,
    /// The audit log's key (made at first start); beside the database unless set. Kept
    /// out of the database, so whoever can write it cannot recompute the log's chain.
    pub audit_key_file: Option<PathBuf>,
    /// The key of reporters' pseudonyms (made at first start); beside the database unless
    /// set. Kept out of the database, so a copy of it cannot be searched for a number.
    pub pseudonym_key_file: Option<PathBuf>,
}

/// Which database the gateway keeps its data in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend<'a> {
    Sqlite(&'a std::path::Path),
    /// A PostgreSQL connection URL.
    Postgres(&'a str),
}

impl StorageConfig {
    /// `url`'s database: a `sqlite:` URL becomes `path`; anything but it or a PostgreSQL
    /// URL is refused, naming the field.
    pub(super) fn resolve_url(&mut self) -> Result<(), super::ConfigError> {
        let Some(url) = self.url.as_ref().map(ExposeSecret::expose_secret) else {
            return Ok(());
        };
        if let Some(path) = url.strip_prefix("sqlite:") {
            if path.is_empty() {
                return Err(super::ConfigError::invalid(
                    "storage.url",
                    "sqlite: needs a file",
                ));
            }
            self.path = PathBuf::from(path);
            return Ok(());
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(());
        }
        Err(super::ConfigError::invalid(
            "storage.url",
            "sqlite:PATH or postgres://user:password@host/database",
        ))
    }

    /// The database in use.
    pub fn backend(&self) -> Backend<'_> {
        match self.url.as_ref().map(ExposeSecret::expose_secret) {
            Some(url) if !url.starts_with("sqlite:") => Backend::Postgres(url),
            _ => Backend::Sqlite(&self.path),
        }
    }

    /// Where the audit key is: `audit_key_file`, else `<path>.audit-key`.
    pub fn audit_key_path(&self) -> PathBuf {
        self.key_path(self.audit_key_file.as_ref(), ".audit-key")
    }

    /// Where the pseudonym key is: `pseudonym_key_file`, else `<path>.pseudonym-key`.
    pub fn pseudonym_key_path(&self) -> PathBuf {
        self.key_path(self.pseudonym_key_file.as_ref(), ".pseudonym-key")
    }

    fn key_path(&self, set: Option<&PathBuf>, suffix: &str) -> PathBuf {
        set.cloned().unwrap_or_else(|| {
            let mut path = self.path.clone().into_os_string();
            path.push(suffix);
            PathBuf::from(path)
        })
    }
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            url: None,
            path: PathBuf::from("vigie.db"),
            synchronous: Synchronous::Full,
            batch_max: 256,
            retention_days: 0,
            readers: 4,
            connections: 16,
            audit_key_file: None,
            pseudonym_key_file: None,
        }
    }
}

/// SQLite's `synchronous` pragma. `full` survives power loss; `normal` may lose the last
/// commits on power loss (never on a process crash).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Synchronous {
    Full,
    Normal,
}
