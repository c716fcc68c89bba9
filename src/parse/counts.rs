//! Counts: a number next to a marker word, either side (`3 morts`, `morts 3`,
//! `blesses:2`), up to three words between (`2 jeunes bergers tues`); a number of people
//! said without a marker (`200 personnes ont fui`) for the category's own field; the
//! shorthand glued to the number (`3M 2B`); the keyed form (`M:3`). Numbers in digits or
//! words (`trois`, `vingt et un`); `plusieurs` is "more than one".

use std::ops::Range;

use super::Words;
use crate::keywords::{Category, CountField, KeyedField, Language};

/// Most words between a number and its marker: a noun phrase (`jeunes bergers`).
const MAX_GAP: usize = 3;

/// A counted number of people or animals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum Count {
    Exact(u32),
    /// More than one, number unknown.
    Several,
}

impl Count {
    pub fn at_least(self, n: u32) -> bool {
        match self {
            Self::Exact(v) => v >= n,
            Self::Several => n <= 2,
        }
    }
}

/// Every counted field; `None` when not given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub killed: Option<Count>,
    pub injured: Option<Count>,
    pub abducted: Option<Count>,
    pub displaced: Option<Count>,
    pub households: Option<Count>,
    pub livestock: Option<Count>,
}

/// Reads one count of a report.
pub type CountOf = fn(&Counts) -> Option<Count>;

/// Each count's name (as in JSON and templates) and how to read it, in a fixed order.
pub const COUNT_FIELDS: [(&str, CountOf); 6] = [
    ("killed", |c| c.killed),
    ("injured", |c| c.injured),
    ("abducted", |c| c.abducted),
    ("displaced", |c| c.displaced),
    ("households", |c| c.households),
    ("livestock", |c| c.livestock),
];

impl Counts {
    /// Each count by name, in a fixed order.
    pub fn fields(&self) -> impl Iterator<Item = (&'static str, Option<Count>)> + '_ {
        COUNT_FIELDS
            .into_iter()
            .map(|(name, get)| (name, get(self)))
    }

    /// The first count of a field stands.
    fn set(&mut self, field: CountField, count: Count) {
        let slot = match field {
            CountField::Killed => &mut self.killed,
            CountField::Injured => &mut self.injured,
            CountField::Abducted => &mut self.abducted,
            CountField::Displaced => &mut self.displaced,
            CountField::Households => &mut self.households,
            CountField::Livestock => &mut self.livestock,
        };
        slot.get_or_insert(count);
    }
}

pub(super) fn read(
    words: &mut Words<'_>,
    language: &Language,
    keyed: &[(KeyedField, Range<usize>)],
    category: Category,
) -> Counts {
    let mut counts = Counts::default();
    for (field, range) in keyed {
        let Some(field) = count_field(*field) else {
            continue;
        };
        let found = range.clone().find_map(|i| {
            let (count, n) = number_at(words, i, language)?;
            (i + n <= range.end).then_some((count, i, n))
        });
        if let Some((count, i, n)) = found {
            words.take(i, n);
            counts.set(field, count);
        }
    }
    let mut i = 0;
    while i < words.len() {
        i += read_one(words, i, language, category, &mut counts).unwrap_or(1);
    }
    counts
}

/// The field a number of people counts for when nothing says what befell them.
fn natural_field(category: Category) -> Option<CountField> {
    match category {
        Category::DEP => Some(CountField::Displaced),
        Category::ASS => Some(CountField::Killed),
        Category::ENL => Some(CountField::Abducted),
        _ => None,
    }
}

fn count_field(field: KeyedField) -> Option<CountField> {
    Some(match field {
        KeyedField::Killed => CountField::Killed,
        KeyedField::Injured => CountField::Injured,
        KeyedField::Abducted => CountField::Abducted,
        KeyedField::Displaced => CountField::Displaced,
        _ => return None,
    })
}

/// A count starting at `i`, taken; how many words to move on.
fn read_one(
    words: &mut Words<'_>,
    i: usize,
    language: &Language,
    category: Category,
    counts: &mut Counts,
) -> Option<usize> {
    if !words.free(i) {
        return None;
    }
    if let Some((field, count)) = glued(words.folded(i), language) {
        words.take(i, 1);
        counts.set(field, count);
        return Some(1);
    }
    let (count, n) = number_at(words, i, language)?;
    let marker = |j: usize| {
        words
            .free(j)
            .then(|| language.counts.get(words.folded(j)).copied())
            .flatten()
    };
    let after = i + n;
    let left = i.checked_sub(1).and_then(|j| marker(j).map(|f| (f, j)));
    // `morts: 3`, or `morts 2 blesses 3`: the marker on the left owns the number.
    let left_first = left.is_some_and(|(_, j)| {
        words.tokens[j].colon
            || (marker(after).is_some() && number_at(words, after + 1, language).is_some())
    });
    // A marker after the number, past up to `MAX_GAP` free words that are no number (a
    // marker after another number is that number's).
    let ahead = || {
        for j in after..=after + MAX_GAP {
            if !words.free(j) || number_at(words, j, language).is_some() {
                return None;
            }
            if let Some(field) = marker(j) {
                return Some((field, j));
            }
        }
        None
    };
    let people = || {
        let field = natural_field(category)?;
        (words.free(after) && language.people.contains(words.folded(after)))
            .then_some((field, after))
    };
    let (field, at) = if left_first {
        left?
    } else if let Some(found) = ahead() {
        found
    } else {
        left.or_else(people)?
    };
    words.take(i, n);
    words.take(at, 1);
    counts.set(field, count);
    Some(n)
}

/// `4morts`, `3m`: digits glued to a marker or a shorthand letter.
fn glued(word: &str, language: &Language) -> Option<(CountField, Count)> {
    let split = word.find(|c: char| !c.is_ascii_digit())?;
    let (digits, rest) = word.split_at(split);
    let n: u32 = digits.parse().ok()?;
    let mut letters = rest.chars();
    let field = match (letters.next(), letters.next()) {
        (Some(c), None) => language.shorthand.get(&c).copied(),
        _ => language.counts.get(rest).copied(),
    }?;
    Some((field, Count::Exact(n)))
}

/// A number at `i`: digits, `plusieurs`, or number words (`vingt et un`, `deux cents`).
pub(super) fn number_at(
    words: &Words<'_>,
    i: usize,
    language: &Language,
) -> Option<(Count, usize)> {
    if !words.free(i) {
        return None;
    }
    if let Some(n) = words.tokens.get(i).and_then(|t| t.digits()) {
        return Some((Count::Exact(n), 1));
    }
    if language.several.contains(words.folded(i)) {
        return Some((Count::Several, 1));
    }
    let value = |j: usize| {
        words
            .free(j)
            .then(|| language.numbers.get(words.folded(j)).copied())
            .flatten()
    };
    let mut j = i;
    let (mut total, mut current, mut seen) = (0u32, 0u32, false);
    loop {
        if let Some(v) = value(j) {
            match v {
                // `quatre vingts`: four twenties.
                20 if current == 4 => current = 80,
                100 => current = current.max(1).saturating_mul(100),
                1000 => {
                    total = total.saturating_add(current.max(1).saturating_mul(1000));
                    current = 0;
                }
                _ => current = current.saturating_add(v),
            }
            seen = true;
            j += 1;
        } else if seen && is_connector(words.folded(j)) && value(j + 1).is_some() {
            j += 1;
        } else {
            break;
        }
    }
    seen.then(|| (Count::Exact(total.saturating_add(current)), j - i))
}

/// `vingt et un`, `one hundred and five`.
fn is_connector(word: &str) -> bool {
    matches!(word, "et" | "and")
}
