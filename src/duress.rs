//! A monitor's duress word. Said in a report or `RAS`, it means "I am forced to write
//! this": the message is answered exactly as if the word were not there (nothing on the
//! phone may differ), filed without it, and raises an urgent alert to the safety contacts
//! of the monitor's zones only. The word is kept as a keyed hash (the pseudonym key, which
//! is never in the database), so neither the database nor an export can tell it.
//!
//! An admin or coordinator sets the word; the monitor's reports are marked from the first
//! time it is said until an admin clears the mark. Both are audited, without the word.

use std::sync::Arc;

use serde_json::json;

use crate::access::{Caller, Role};
use crate::fanout::Fanout;
use crate::keywords::Category;
use crate::privacy::Pseudonyms;
use crate::store::{Store, StoreError, audit, contacts};
use crate::text::fold;

/// Why a duress word was not set or cleared.
#[derive(Debug, thiserror::Error)]
pub enum DuressError {
    #[error("word: {0}")]
    Invalid(&'static str),
    #[error("no contact {0}")]
    NoContact(i64),
    #[error("contact {0} is not a monitor")]
    NotMonitor(i64),
    #[error("contact {0} is outside your zones")]
    OutsideZones(i64),
    #[error("only an admin clears a duress mark")]
    NotAdmin,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The keyed hash of a word as contact `id` would type it (folded).
pub fn hash(pseudonyms: &Pseudonyms, contact_id: i64, word: &str) -> String {
    pseudonyms.keyed(&format!("duress:{contact_id}:{}", fold(word)))
}

/// Where in `text` a word with `hash` stands: the byte range of the word as typed, with
/// any punctuation stuck to it.
pub fn find(
    text: &str,
    pseudonyms: &Pseudonyms,
    contact_id: i64,
    hash_of_word: &str,
) -> Option<(usize, usize)> {
    let mut at = 0;
    for token in text.split_whitespace() {
        let start = at + text[at..].find(token)?;
        at = start + token.len();
        let word = token.trim_matches(|c: char| !c.is_alphanumeric());
        if word.is_empty() {
            continue;
        }
        if hash(pseudonyms, contact_id, word) == hash_of_word {
            return Some((start, at));
        }
    }
    None
}

/// `text` without the word at `range`, its spaces closed up.
pub fn without(text: &str, (start, end): (usize, usize)) -> String {
    let (before, after) = (text[..start].trim_end(), text[end..].trim_start());
    match (before.is_empty(), after.is_empty()) {
        (true, _) => after.to_owned(),
        (_, true) => before.to_owned(),
        _ => format!("{before} {after}"),
    }
}

/// Setting and clearing duress words, audited.
#[derive(Debug, Clone)]
pub struct Duress {
    pub store: Store,
    pub pseudonyms: Pseudonyms,
    /// Zones (a coordinator's limits) and the words and places a report may use.
    pub fanout: Arc<Fanout>,
}

impl Duress {
    /// Sets (or replaces) monitor `id`'s duress word: one word of 4 to 30 letters that
    /// no report would use otherwise (a report word, a command, a place).
    pub async fn set(&self, caller: &Caller, id: i64, word: &str) -> Result<(), DuressError> {
        let word = word.trim();
        self.check_word(word)?;
        self.check_contact(caller, id).await?;
        let hashed = hash(&self.pseudonyms, id, word);
        let (now, who) = (self.store.now_ms(), caller.who.clone());
        let set = self.store.write(move |c| {
            let set = contacts::set_duress_hash(c, id, &hashed)?;
            if set {
                audit::append(
                    c,
                    &who,
                    "contact.duress_word",
                    &format!("contact {id}"),
                    &json!({}),
                    now,
                )?;
            }
            Ok(set)
        });
        if set.await? {
            Ok(())
        } else {
            Err(DuressError::NoContact(id))
        }
    }

    /// A word that could not be mistaken for anything else in a message.
    fn check_word(&self, word: &str) -> Result<(), DuressError> {
        if !(4..=30).contains(&word.chars().count()) {
            return Err(DuressError::Invalid("one word of 4 to 30 letters"));
        }
        if !word.chars().all(char::is_alphabetic) {
            return Err(DuressError::Invalid("letters only, one word"));
        }
        let folded = fold(word);
        let reports = self.fanout.reports();
        let known = reports.vocabulary.languages().iter().any(|l| {
            l.familiarity(&[folded.as_str()]) > 0
                || l.commands.contains_key(&folded)
                || l.several.contains(&folded)
        });
        if known || Category::ALL.iter().any(|c| fold(c.code()) == folded) {
            return Err(DuressError::Invalid(
                "a word reports use: it would be taken out of every report",
            ));
        }
        if !reports.gazetteer.named(&folded).is_empty() {
            return Err(DuressError::Invalid(
                "a place name: choose a word no report needs",
            ));
        }
        Ok(())
    }

    /// Contact `id` is a monitor in the caller's zones.
    async fn check_contact(&self, caller: &Caller, id: i64) -> Result<(), DuressError> {
        let found = self
            .store
            .read(move |c| Ok((contacts::by_id(c, id)?, contacts::zone_keys(c, id)?)))
            .await?;
        let (Some(contact), zones) = found else {
            return Err(DuressError::NoContact(id));
        };
        if !contact.has_role("monitor") {
            return Err(DuressError::NotMonitor(id));
        }
        let names = self.fanout.zone_names();
        if !caller.covers(zones.iter().flat_map(|z| names.keys_up(z))) {
            return Err(DuressError::OutsideZones(id));
        }
        Ok(())
    }

    /// Clears contact `id`'s duress mark: their next reports are not marked (admins only).
    pub async fn clear(&self, caller: &Caller, id: i64) -> Result<(), DuressError> {
        if caller.role != Role::Admin {
            return Err(DuressError::NotAdmin);
        }
        let (now, who) = (self.store.now_ms(), caller.who.clone());
        let cleared = self.store.write(move |c| {
            let cleared = contacts::clear_duress(c, id)?;
            if cleared {
                audit::append(
                    c,
                    &who,
                    "contact.duress_clear",
                    &format!("contact {id}"),
                    &json!({}),
                    now,
                )?;
            }
            Ok(cleared)
        });
        if cleared.await? {
            Ok(())
        } else {
            Err(DuressError::NoContact(id))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_is_found_as_typed_and_taken_out() {
        let keys = Pseudonyms::new("key");
        let word = hash(&keys, 7, "soleil");
        let cases = [
            ("RAS soleil", Some("RAS")),
            ("RAS Soleil.", Some("RAS")),
            ("SOLEIL ATT Koro 2 morts", Some("ATT Koro 2 morts")),
            ("ATT Koro soleil 2 morts", Some("ATT Koro 2 morts")),
            ("ATT Koro 2 morts", None),
            ("RAS soleils", None),
            ("RAS", None),
        ];
        for (text, expected) in cases {
            let found = find(text, &keys, 7, &word).map(|range| without(text, range));
            assert_eq!(found.as_deref(), expected, "{text}");
        }
        assert_eq!(
            find("RAS soleil", &keys, 8, &word),
            None,
            "another contact's word"
        );
    }
}
