//! A menu's report written as an SMS report in the caller's language (`ATT L:wof:123 M:3
//! hier`), so it takes the SMS path whole: parsed, filed, fused, alerted, receipted by
//! SMS. The words come from the language's keyword file, none from here.

use super::menu::{Draft, When};
use crate::keywords::{KeyedField, Language, TimePhrase};

/// The report's text; `None` if the language lacks a keyed letter it needs.
pub fn text(draft: &Draft, language: &Language) -> Option<String> {
    let mut words = vec![draft.category.clone()?];
    if let Some(place) = &draft.place {
        words.push(format!("{}:{place}", letter(language, KeyedField::Place)?));
    }
    let fields = [
        KeyedField::Killed,
        KeyedField::Injured,
        KeyedField::Abducted,
    ];
    for (field, count) in fields.into_iter().zip(draft.counts) {
        if let Some(n) = count {
            words.push(format!("{}:{n}", letter(language, field)?));
        }
    }
    if let Some(phrase) = draft.when.and_then(|w| phrase(language, w)) {
        words.push(phrase.to_owned());
    }
    Some(words.join(" "))
}

/// A nothing-to-report check-in, at the caller's home place if they have one.
pub fn nothing_to_report(home: Option<&str>, language: &Language) -> String {
    match home.zip(letter(language, KeyedField::Place)) {
        Some((home, l)) => format!("RAS {l}:{home}"),
        None => "RAS".to_owned(),
    }
}

fn letter(language: &Language, field: KeyedField) -> Option<char> {
    let mut letters: Vec<char> = language
        .keyed
        .iter()
        .filter(|(_, f)| **f == field)
        .map(|(c, _)| *c)
        .collect();
    letters.sort_unstable();
    letters.first().copied()
}

/// The language's shortest phrase for the moment (none for now: a report is of now).
fn phrase(language: &Language, when: When) -> Option<&str> {
    let wanted = match when {
        When::Now => return None,
        When::EarlierToday => TimePhrase {
            day: 0,
            hour: None,
            night: false,
        },
        When::LastNight => TimePhrase {
            day: 0,
            hour: Some(2),
            night: true,
        },
        When::Yesterday => TimePhrase {
            day: -1,
            hour: None,
            night: false,
        },
    };
    language
        .time_phrases
        .iter()
        .filter(|(_, p)| **p == wanted)
        .map(|(words, _)| words.as_str())
        .min_by_key(|words| (words.len(), *words))
}
