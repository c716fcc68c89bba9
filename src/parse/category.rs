//! The category of a report: the word that leads it (an alias, a code, a word one typo
//! away), else what the sentence says: category words further on and words naming an act
//! anywhere, the act outranking the words that name actors.

use super::Words;
use crate::keywords::{Category, CountField, Language};

/// The category: at `start` an alias, a code, or a word of 5+ letters one typo away;
/// else what the sentence says (`3 morts a Koro attaque`, `des bandits ont enleve 2
/// commercants`).
pub(super) fn category(
    words: &mut Words<'_>,
    start: usize,
    language: &Language,
) -> Option<Category> {
    let code = words.folded(start).to_owned();
    match first_word_category(words, start, language) {
        // Words naming actors (`hommes armes`, `bandits`) lead: an act named further on
        // (`ont tue`) outranks them. A code (`PRES`) is the monitor's own choice, and a
        // check-in, a threat or a flood that mentions an act stays what it says it is.
        Some(leading @ (Category::PRES | Category::VOL))
            if code != leading.code().to_lowercase() =>
        {
            let act = cued_category(&mut words.clone(), start, language);
            Some(act.filter(|a| a.rank() < LESSER).unwrap_or(leading))
        }
        Some(leading) => Some(leading),
        None => cued_category(words, start, language),
    }
}

/// The rank of actors and lesser acts (`Category::rank`).
const LESSER: u8 = 3;

/// The category of a sentence: of every category word further on and every word naming an
/// act anywhere, the one of the lowest rank (the act over the actors: `bandits` who
/// `enleve` make an abduction), the first of those. A category word is taken; an act stays
/// in the description.
fn cued_category(words: &mut Words<'_>, start: usize, language: &Language) -> Option<Category> {
    // Only category words that cannot mean something else: `feu`, `vol`, `rien` or
    // `accord` in a sentence are not a category.
    let alias = |p: &str| {
        let category = language.categories.get(p).copied()?;
        let plain =
            p.len() >= 6 && !matches!(category, Category::RAS | Category::PAIX | Category::CAT);
        (plain || p == category.code().to_lowercase()).then_some(category)
    };
    // Animals taken are a theft, not an abduction (`ont enleve 50 boeufs`).
    let animals = (start..words.len())
        .any(|i| language.counts.get(words.folded(i)) == Some(&CountField::Livestock));
    let act = |p: &str| {
        language
            .acts
            .get(p)
            .copied()
            .filter(|&c| !(animals && c == Category::ENL))
    };
    let cues = (start..words.len()).filter_map(|i| {
        let named = (i > start)
            .then(|| words.longest(i, language.longest_phrase, alias))
            .flatten()
            .map(|(category, n)| (category, i, Some(n)));
        named.or_else(|| {
            let (category, _) = words.longest(i, language.longest_phrase, act)?;
            Some((category, i, None))
        })
    });
    let (category, at, taken) = cues.min_by_key(|&(category, i, _)| (category.rank(), i))?;
    if let Some(n) = taken {
        words.take(at, n);
    }
    Some(category)
}

fn first_word_category(
    words: &mut Words<'_>,
    start: usize,
    language: &Language,
) -> Option<Category> {
    if let Some((category, n)) = words.longest(start, language.longest_phrase, |p| {
        language.categories.get(p).copied()
    }) {
        words.take(start, n);
        return Some(category);
    }
    let word = words.folded(start).to_owned();
    // A word of the language (`suite`) is no misspelt category (`fuite`).
    if word.chars().count() < 5 || language.stop.contains(&word) {
        return None;
    }
    let close = language
        .categories
        .iter()
        .filter(|(alias, _)| !alias.contains(' ') && alias.chars().count() >= 4)
        .find(|(alias, _)| strsim::osa_distance(alias, &word) <= 1)
        .map(|(_, category)| *category);
    if close.is_some() {
        words.take(start, 1);
    }
    close
}
