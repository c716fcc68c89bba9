//! The audit log's chain: each entry's hash is an HMAC, under a key kept outside the
//! database, of its content and the hash before it. `verify` finds the first entry edited,
//! inserted or removed; whoever can write the database but lacks the key cannot recompute
//! the chain. A removed tail leaves a chain that holds, so an operator keeps the `Head`
//! (count and hash) now and then, and `check_head` names a log that no longer reaches it
//! or reaches it by another path. Pure.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::access::hex;

/// The chain's key: 32 bytes, never shown.
#[derive(Clone, PartialEq, Eq)]
pub struct AuditKey([u8; 32]);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(..)")
    }
}

impl AuditKey {
    /// A new random key.
    pub fn generate() -> Self {
        use argon2::password_hash::rand_core::{OsRng, RngCore};
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        Self(key)
    }

    /// From its 64 hex digits (the key file's content); `None` if it is not that.
    pub fn from_hex(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.len() != 64 {
            return None;
        }
        let mut key = [0u8; 32];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Self(key))
    }

    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }
}

/// The hash of an entry's content after `prev`, under `key`. Fields are length-prefixed,
/// so no two contents hash alike by moving text from one field to the next.
pub fn hash_of(key: &AuditKey, prev: &str, at: i64, fields: [&str; 4]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&key.0) else {
        unreachable!("HMAC takes a key of any length")
    };
    let at = at.to_string();
    feed(&mut mac, [prev, at.as_str()].into_iter().chain(fields));
    hex(&mac.finalize().into_bytes())
}

/// Feeds `fields` length-prefixed, as every chain of the log hashes them.
pub(crate) fn feed<'a, D: hmac::digest::Update>(
    digest: &mut D,
    fields: impl IntoIterator<Item = &'a str>,
) {
    for field in fields {
        digest.update(&(field.len() as u64).to_be_bytes());
        digest.update(field.as_bytes());
    }
}

/// One entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
    pub prev: String,
    pub hash: String,
}

impl Entry {
    fn expected(&self, key: &AuditKey) -> String {
        let fields = [
            self.actor.as_str(),
            &self.action,
            &self.subject,
            &self.detail,
        ];
        hash_of(key, &self.prev, self.at, fields)
    }
}

/// How far the log reached when an operator looked: its number of entries and the last
/// one's hash, written `COUNT:HASH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub count: usize,
    pub hash: String,
}

impl std::fmt::Display for Head {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.count, self.hash)
    }
}

impl std::str::FromStr for Head {
    type Err = &'static str;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        const FORM: &str = "a head is COUNT:HASH, as `vigie audit head` prints it";
        let (count, hash) = text.trim().split_once(':').ok_or(FORM)?;
        let count = count.parse().map_err(|_| FORM)?;
        // An empty log's head is `0:`.
        let empty = count == 0 && hash.is_empty();
        let hex = empty || (hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()));
        hex.then(|| Self {
            count,
            hash: hash.to_ascii_lowercase(),
        })
        .ok_or(FORM)
    }
}

/// The head of `entries` now.
pub fn head(entries: &[Entry]) -> Head {
    Head {
        count: entries.len(),
        hash: entries.last().map(|e| e.hash.clone()).unwrap_or_default(),
    }
}

/// Why the chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Broken {
    #[error(
        "entry {0}: its hash does not match its content under the key (edited, or the chain recomputed)"
    )]
    Edited(i64),
    #[error("entry {0}: it does not follow the entry before it (one removed or inserted)")]
    Unlinked(i64),
    #[error("the log has {found} entries, the head kept had {kept}: its last entries were removed")]
    Truncated { kept: usize, found: usize },
    #[error("entry {0} is not the head kept: the log up to it was rewritten")]
    Rewritten(i64),
}

/// Checks entries in order; the first broken one is named.
pub fn verify(entries: &[Entry], key: &AuditKey) -> Result<(), Broken> {
    let mut prev = "";
    for e in entries {
        if e.prev != prev {
            return Err(Broken::Unlinked(e.id));
        }
        if e.expected(key) != e.hash {
            return Err(Broken::Edited(e.id));
        }
        prev = &e.hash;
    }
    Ok(())
}

/// Checks that the log still reaches the head an operator kept, by the same entries.
pub fn check_head(entries: &[Entry], kept: &Head) -> Result<(), Broken> {
    if kept.count == 0 {
        return Ok(());
    }
    let Some(entry) = entries.get(kept.count - 1) else {
        return Err(Broken::Truncated {
            kept: kept.count,
            found: entries.len(),
        });
    };
    if entry.hash == kept.hash {
        Ok(())
    } else {
        Err(Broken::Rewritten(entry.id))
    }
}

#[cfg(test)]
mod tests;
