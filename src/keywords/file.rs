//! A keyword file as written, and its compilation into folded lookups, checked: an alias
//! under two categories, an empty word or a letter used twice stops start-up.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Deserialize;

use super::{Language, TimePhrase};
use crate::text::fold;

/// The report categories: stable codes, the same in every language.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, serde::Serialize,
)]
pub enum Category {
    ATT,
    EEI,
    ENL,
    ASS,
    CONF,
    DEP,
    VBG,
    VOL,
    MEN,
    PRES,
    MAN,
    CAT,
    SAN,
    PAIX,
    RAS,
}

impl Category {
    pub const ALL: [Category; 15] = [
        Self::ATT,
        Self::EEI,
        Self::ENL,
        Self::ASS,
        Self::CONF,
        Self::DEP,
        Self::VBG,
        Self::VOL,
        Self::MEN,
        Self::PRES,
        Self::MAN,
        Self::CAT,
        Self::SAN,
        Self::PAIX,
        Self::RAS,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::ATT => "ATT",
            Self::EEI => "EEI",
            Self::ENL => "ENL",
            Self::ASS => "ASS",
            Self::CONF => "CONF",
            Self::DEP => "DEP",
            Self::VBG => "VBG",
            Self::VOL => "VOL",
            Self::MEN => "MEN",
            Self::PRES => "PRES",
            Self::MAN => "MAN",
            Self::CAT => "CAT",
            Self::SAN => "SAN",
            Self::PAIX => "PAIX",
            Self::RAS => "RAS",
        }
    }

    /// Which category a sentence with several cues is read as: the lowest rank. Violent
    /// acts outrank violence and conflict, which outrank flight, which outrank the words
    /// naming actors or lesser acts (presence, banditry, threat).
    pub fn rank(self) -> u8 {
        match self {
            Self::ATT | Self::EEI | Self::ENL | Self::ASS => 0,
            Self::VBG | Self::CONF => 1,
            Self::DEP => 2,
            _ => 3,
        }
    }
}

/// What a count marker counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CountField {
    Killed,
    Injured,
    Abducted,
    Displaced,
    Households,
    Livestock,
}

/// What a keyed-form letter (`L:`, `M:`) introduces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyedField {
    Place,
    Killed,
    Injured,
    Abducted,
    Displaced,
    Time,
    Coordinates,
}

/// The commands a message can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Command {
    Help,
    Ok,
    Cancel,
    Info,
    Stop,
    Start,
    Language,
    Broadcast,
    /// `OUI 7`: sends the broadcast waiting for that code.
    Confirm,
    /// `SUITE 12 ...`: finishes a report left unfinished in the USSD menu.
    Draft,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    language: String,
    name: String,
    categories: BTreeMap<Category, Vec<String>>,
    counts: BTreeMap<String, Vec<String>>,
    shorthand: BTreeMap<String, String>,
    keyed: BTreeMap<String, String>,
    numbers: RawNumbers,
    time: RawTime,
    words: RawWords,
    commands: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    names: BTreeMap<Category, String>,
    /// Words naming an act (`ont enleve`, `killed`): anywhere in a sentence, they say the
    /// category when no category word leads.
    #[serde(default)]
    acts: BTreeMap<Category, Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNumbers {
    several: Vec<String>,
    /// Words for people that say nothing of what befell them (`personnes`, `people`).
    #[serde(default)]
    people: Vec<String>,
    words: BTreeMap<String, u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTime {
    phrases: BTreeMap<String, RawPhrase>,
    ago: RawAgo,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPhrase {
    day: i64,
    hour: Option<u32>,
    #[serde(default)]
    night: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgo {
    before: Vec<String>,
    after: Vec<String>,
    minutes: Vec<String>,
    hours: Vec<String>,
    days: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWords {
    prepositions: Vec<String>,
    stop: Vec<String>,
    fillers: Vec<String>,
}

/// Parses and checks one file.
pub(super) fn compile(text: &str) -> Result<Language, String> {
    let raw: RawFile = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut longest = 1;
    let mut word = |field: &str, w: &str| -> Result<String, String> {
        let folded = fold(w);
        if folded.is_empty() {
            return Err(format!("{field}: `{w}` is empty once folded"));
        }
        longest = longest.max(folded.split(' ').count());
        Ok(folded)
    };
    let categories = categories(&raw, &mut word)?;
    let mut counts = HashMap::new();
    for (field, words) in &raw.counts {
        let what = parse_enum::<CountField>(&format!("counts.{field}"), field)?;
        for w in words {
            counts.insert(word(&format!("counts.{field}"), w)?, what);
        }
    }
    let mut acts = HashMap::new();
    for (category, words) in &raw.acts {
        for w in words {
            acts.insert(word(&format!("acts.{}", category.code()), w)?, *category);
        }
    }
    let shorthand = letters::<CountField>("shorthand", &raw.shorthand)?;
    let keyed = letters::<KeyedField>("keyed", &raw.keyed)?;
    let mut numbers = HashMap::new();
    for (w, n) in &raw.numbers.words {
        numbers.insert(word("numbers.words", w)?, *n);
    }
    let mut time_phrases = HashMap::new();
    for (w, p) in &raw.time.phrases {
        if p.hour.is_some_and(|h| h > 23) {
            return Err(format!("time.phrases.\"{w}\": hour must be 0 to 23"));
        }
        let phrase = TimePhrase {
            day: p.day,
            hour: p.hour,
            night: p.night,
        };
        time_phrases.insert(word("time.phrases", w)?, phrase);
    }
    let mut set = |field: &str, words: &[String]| -> Result<HashSet<String>, String> {
        words.iter().map(|w| word(field, w)).collect()
    };
    let ago = &raw.time.ago;
    let (ago_before, ago_after) = (
        set("time.ago.before", &ago.before)?,
        set("time.ago.after", &ago.after)?,
    );
    let (minutes, hours, days) = (
        set("time.ago.minutes", &ago.minutes)?,
        set("time.ago.hours", &ago.hours)?,
        set("time.ago.days", &ago.days)?,
    );
    let several = set("numbers.several", &raw.numbers.several)?;
    let people = set("numbers.people", &raw.numbers.people)?;
    let prepositions = set("words.prepositions", &raw.words.prepositions)?;
    let stop = set("words.stop", &raw.words.stop)?;
    let fillers = set("words.fillers", &raw.words.fillers)?;
    let mut commands = HashMap::new();
    for (name, words) in &raw.commands {
        let command = parse_enum::<Command>(&format!("commands.{name}"), name)?;
        for w in words {
            // `?` folds to nothing: kept as written.
            let folded = fold(w);
            let key = if folded.is_empty() {
                w.trim().to_owned()
            } else {
                folded
            };
            commands.insert(key, command);
        }
    }
    let known = (categories.keys())
        .chain(counts.keys())
        .chain(numbers.keys())
        .chain(acts.keys())
        .chain(time_phrases.keys())
        .chain(
            [&people, &ago_before, &ago_after, &minutes, &hours, &days]
                .into_iter()
                .flatten(),
        )
        .chain([&prepositions, &stop, &fillers].into_iter().flatten())
        .cloned()
        .collect();
    Ok(Language {
        code: fold(&raw.language),
        name: raw.name,
        categories,
        counts,
        shorthand,
        keyed,
        numbers,
        several,
        people,
        acts,
        time_phrases,
        ago_before,
        ago_after,
        minutes,
        hours,
        days,
        prepositions,
        stop,
        fillers,
        commands,
        names: raw.names.clone().into_iter().collect(),
        longest_phrase: longest,
        known,
    })
}

/// Category aliases; an alias under two categories is an error naming both.
fn categories(
    raw: &RawFile,
    word: &mut impl FnMut(&str, &str) -> Result<String, String>,
) -> Result<HashMap<String, Category>, String> {
    let mut out: HashMap<String, Category> = HashMap::new();
    for (category, aliases) in &raw.categories {
        let field = format!("categories.{}", category.code());
        for alias in aliases.iter().map(String::as_str).chain([category.code()]) {
            let folded = word(&field, alias)?;
            match out.insert(folded.clone(), *category) {
                Some(other) if other != *category => {
                    return Err(format!(
                        "categories: `{alias}` is listed under both {} and {}",
                        other.code(),
                        category.code()
                    ));
                }
                _ => {}
            }
        }
    }
    Ok(out)
}

/// One-letter tables (`killed = "m"`); a letter used twice is an error.
fn letters<T>(field: &str, raw: &BTreeMap<String, String>) -> Result<HashMap<char, T>, String>
where
    T: for<'de> Deserialize<'de> + Copy,
{
    let mut out = HashMap::new();
    for (name, letter) in raw {
        let what = parse_enum::<T>(&format!("{field}.{name}"), name)?;
        let folded = fold(letter);
        let mut chars = folded.chars();
        let (Some(c), None) = (chars.next(), chars.next()) else {
            return Err(format!("{field}.{name}: `{letter}` is not one letter"));
        };
        if out.insert(c, what).is_some() {
            return Err(format!("{field}: the letter `{letter}` is used twice"));
        }
    }
    Ok(out)
}

fn parse_enum<T: for<'de> Deserialize<'de>>(field: &str, name: &str) -> Result<T, String> {
    T::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(name))
        .map_err(|_| format!("{field}: `{name}` is not a known name"))
}
