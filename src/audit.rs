//! The audit log's chain: each entry's hash covers its content and the hash before it, so
//! `verify` finds the first entry edited, inserted or removed after the fact. Pure.

use sha2::{Digest, Sha256};

use crate::access::hex;

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

/// The hash of an entry's content after `prev`. Fields are length-prefixed, so no two
/// contents hash alike by moving text from one field to the next.
pub fn hash_of(
    prev: &str,
    at: i64,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> String {
    let mut h = Sha256::new();
    for field in [prev, &at.to_string(), actor, action, subject, detail] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    hex(&h.finalize())
}

/// Why the chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Broken {
    #[error("entry {0}: its hash does not match its content (edited)")]
    Edited(i64),
    #[error("entry {0}: it does not follow the entry before it (one removed or inserted)")]
    Unlinked(i64),
}

/// Checks entries in order; the first broken one is named.
pub fn verify(entries: &[Entry]) -> Result<(), Broken> {
    let mut prev = String::new();
    for e in entries {
        if e.prev != prev {
            return Err(Broken::Unlinked(e.id));
        }
        if hash_of(&e.prev, e.at, &e.actor, &e.action, &e.subject, &e.detail) != e.hash {
            return Err(Broken::Edited(e.id));
        }
        prev.clone_from(&e.hash);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<Entry> {
        let mut prev = String::new();
        (1..=n)
            .map(|id| {
                let hash = hash_of(
                    &prev,
                    id,
                    "cli",
                    "token.create",
                    &format!("token {id}"),
                    "{}",
                );
                Entry {
                    id,
                    at: id,
                    actor: "cli".into(),
                    action: "token.create".into(),
                    subject: format!("token {id}"),
                    detail: "{}".into(),
                    prev: std::mem::replace(&mut prev, hash.clone()),
                    hash,
                }
            })
            .collect()
    }

    #[test]
    fn the_first_broken_entry_is_named() {
        assert_eq!(verify(&chain(4)), Ok(()));
        assert_eq!(verify(&[]), Ok(()));
        let mut edited = chain(4);
        edited[2].subject = "token 9".into();
        assert_eq!(verify(&edited), Err(Broken::Edited(3)));
        let mut removed = chain(4);
        removed.remove(1);
        assert_eq!(verify(&removed), Err(Broken::Unlinked(3)));
        let mut rehashed = chain(4);
        rehashed[1].detail = "{\"x\":1}".into();
        rehashed[1].hash = hash_of(
            &rehashed[1].prev,
            2,
            "cli",
            "token.create",
            "token 2",
            "{\"x\":1}",
        );
        assert_eq!(
            verify(&rehashed),
            Err(Broken::Unlinked(3)),
            "a forged entry breaks the next link"
        );
    }

    #[test]
    fn moving_text_between_fields_changes_the_hash() {
        assert_ne!(
            hash_of("", 1, "ab", "c", "", ""),
            hash_of("", 1, "a", "bc", "", "")
        );
    }
}
