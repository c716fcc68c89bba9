//! The words of the report grammar, one TOML file per language (`keywords/fr.toml`):
//! category aliases, count markers, shorthand and keyed-form letters, number and time
//! words, prepositions, stop and filler words, commands. The code holds no vocabulary;
//! adding a language is adding a file. Every word is stored folded (`crate::text::fold`).

mod file;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::text::fold;
pub use file::{Category, Command, CountField, KeyedField};

/// Why the keyword files cannot be used. Start-up stops with it.
#[derive(Debug, thiserror::Error)]
pub enum KeywordError {
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{path}: {reason}")]
    Invalid { path: String, reason: String },
}

/// A relative time phrase: `hier soir` is the day before, at 19:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimePhrase {
    pub day: i64,
    pub hour: Option<u32>,
    /// A night: before noon it is the night just gone, after it the coming one.
    pub night: bool,
}

/// One language's vocabulary, folded and indexed.
#[derive(Debug, Clone)]
pub struct Language {
    pub code: String,
    pub name: String,
    pub categories: HashMap<String, Category>,
    pub counts: HashMap<String, CountField>,
    pub shorthand: HashMap<char, CountField>,
    pub keyed: HashMap<char, KeyedField>,
    pub numbers: HashMap<String, u32>,
    pub several: HashSet<String>,
    /// People named without what befell them: they count for the category's own field.
    pub people: HashSet<String>,
    /// Words naming an act, and the category it makes.
    pub acts: HashMap<String, Category>,
    pub time_phrases: HashMap<String, TimePhrase>,
    pub ago_before: HashSet<String>,
    pub ago_after: HashSet<String>,
    pub minutes: HashSet<String>,
    pub hours: HashSet<String>,
    pub days: HashSet<String>,
    pub prepositions: HashSet<String>,
    pub stop: HashSet<String>,
    pub fillers: HashSet<String>,
    pub commands: HashMap<String, Command>,
    /// Each category in words (`Attaque armée`), for documents read by people; a
    /// category without one is shown by its code.
    pub names: HashMap<Category, String>,
    /// The most words in any phrase above, so matching tries no longer runs.
    pub longest_phrase: usize,
    /// Every word of the vocabulary that reads a report, for `familiarity`: one look per
    /// word, not one per list.
    known: HashSet<String>,
}

impl Language {
    /// How many of `words` (folded) this language knows: detects a sender's language.
    pub fn familiarity(&self, words: &[&str]) -> usize {
        words.iter().filter(|w| self.known.contains(**w)).count()
    }
}

/// Every language, the default first.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    languages: Vec<Language>,
}

impl Vocabulary {
    /// Reads every `*.toml` in `dir`; `default` must be among them.
    pub fn load(dir: &Path, default: &str) -> Result<Self, KeywordError> {
        let read_error = |reason: String| KeywordError::Read {
            path: dir.display().to_string(),
            reason,
        };
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| read_error(e.to_string()))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        paths.sort();
        let mut languages = Vec::new();
        for path in paths {
            let text = std::fs::read_to_string(&path).map_err(|e| KeywordError::Read {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            let language = file::compile(&text).map_err(|reason| KeywordError::Invalid {
                path: path.display().to_string(),
                reason,
            })?;
            languages.push(language);
        }
        Self::new(languages, default).map_err(|reason| KeywordError::Invalid {
            path: dir.display().to_string(),
            reason,
        })
    }

    /// From already compiled languages (tests, benchmarks).
    pub fn new(mut languages: Vec<Language>, default: &str) -> Result<Self, String> {
        let Some(at) = languages.iter().position(|l| l.code == default) else {
            return Err(format!(
                "no keyword file for the default language `{default}`"
            ));
        };
        let first = languages.remove(at);
        languages.insert(0, first);
        Ok(Self { languages })
    }

    /// A language by code (`fr`), if there is a file for it.
    pub fn get(&self, code: &str) -> Option<&Language> {
        let code = fold(code);
        self.languages.iter().find(|l| l.code == code)
    }

    pub fn default_language(&self) -> &Language {
        &self.languages[0]
    }

    pub fn languages(&self) -> &[Language] {
        &self.languages
    }

    /// The language whose words `words` uses most; the default on a tie.
    pub fn detect(&self, words: &[&str]) -> &Language {
        let default = self.default_language();
        self.languages
            .iter()
            .map(|l| (l.familiarity(words), l))
            .fold((default.familiarity(words), default), |best, next| {
                if next.0 > best.0 { next } else { best }
            })
            .1
    }
}

#[cfg(test)]
mod tests;
