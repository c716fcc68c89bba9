//! Where: the keyed `L:`/`G:`, then coordinates or a name right after the category
//! (behind a preposition if any), then a name elsewhere (after a preposition first), then
//! the sender's home place. A name is the longest run of words the gazetteer knows, and
//! may be followed by a unit above it (`Koro Mopti`, `Dire/Tombouctou`).

use std::ops::Range;

use super::counts::number_at;
use super::tokens::Special;
use super::{ParseError, Words};
use crate::gazetteer::{Found, FoundBy, Gazetteer, Near, Resolution};
use crate::keywords::{KeyedField, Language};

/// Place names are not looked up beyond this many words.
const MAX_NAME_WORDS: usize = 4;

#[derive(Debug)]
pub(super) enum Located {
    One(Found),
    /// The places, and the name as typed.
    Several(Vec<u32>, String),
}

pub(super) fn find(
    words: &mut Words<'_>,
    language: &Language,
    gazetteer: &Gazetteer,
    keyed: &[(KeyedField, Range<usize>)],
    after_category: usize,
    near: Near<'_>,
) -> Result<Located, ParseError> {
    let finder = Finder {
        language,
        gazetteer,
        near,
    };
    for (field, range) in keyed {
        if matches!(field, KeyedField::Place | KeyedField::Coordinates)
            && let Some(found) = range.clone().find_map(|i| finder.at(words, i, true))
        {
            return found;
        }
    }
    let first = finder.skip_prepositions(words, after_category);
    if let Some(found) = finder.at(words, first, true) {
        finder.take_prepositions_before(words, first);
        return found;
    }
    let after_preposition: Vec<usize> = (1..words.len())
        .filter(|&i| finder.preposition_ends_at(words, i))
        .collect();
    let anywhere = 0..words.len();
    for i in after_preposition.into_iter().chain(anywhere) {
        if let Some(found) = finder.at(words, i, false) {
            finder.take_prepositions_before(words, i);
            return found;
        }
    }
    // A word where a place goes (after the category, after a preposition, in `L:`) is a
    // place the sender meant: unknown, it is an error even for a sender with a home.
    let keyed_place = keyed
        .iter()
        .find(|(f, _)| *f == KeyedField::Place)
        .map(|(_, r)| r.start);
    let meant = keyed_place
        .into_iter()
        .chain([first])
        .chain((1..words.len()).filter(|&i| finder.preposition_ends_at(words, i)))
        .find(|&i| finder.eligible(words, i, true));
    if let (Some(home), None) = (near.home, meant) {
        return Ok(Located::One(Found {
            place: home,
            found_by: FoundBy::ReporterHome,
            point: None,
        }));
    }
    let unknown = meant.or_else(|| (first..words.len()).find(|&i| finder.eligible(words, i, true)));
    match unknown {
        Some(i) => {
            let folded = words.folded(i).to_owned();
            let suggestion = gazetteer.suggest(&folded).and_then(|name| {
                match gazetteer.resolve(name, None, near) {
                    Resolution::One(place) => Some(place),
                    Resolution::Several(places) => places.first().copied(),
                    Resolution::None => None,
                }
            });
            let words = words
                .tokens
                .get(i)
                .map_or(String::new(), |t| t.raw.to_owned());
            Err(ParseError::UnknownPlace { words, suggestion })
        }
        None => Err(ParseError::MissingPlace),
    }
}

struct Finder<'a> {
    language: &'a Language,
    gazetteer: &'a Gazetteer,
    near: Near<'a>,
}

impl Finder<'_> {
    fn skip_prepositions(&self, words: &Words<'_>, mut i: usize) -> usize {
        while let Some((_, n)) = words.longest(i, 3, |p| {
            self.language.prepositions.contains(p).then_some(())
        }) {
            i += n;
        }
        i
    }

    /// The preposition right before a place is part of it, not of the description.
    fn take_prepositions_before(&self, words: &mut Words<'_>, i: usize) {
        let n = (1..=3.min(i)).rev().find(|&n| {
            words
                .phrase(i - n, n)
                .is_some_and(|p| self.language.prepositions.contains(&p))
        });
        if let Some(n) = n {
            words.take(i - n, n);
        }
    }

    /// Whether a preposition ends right before `i`.
    fn preposition_ends_at(&self, words: &Words<'_>, i: usize) -> bool {
        (1..=3.min(i)).any(|n| {
            words
                .phrase(i - n, n)
                .is_some_and(|p| self.language.prepositions.contains(&p))
        })
    }

    /// A word that may start a place name. `strict`: category words may too (right after
    /// the category, `VOL Betail` is a place); elsewhere they are the report's words.
    fn eligible(&self, words: &Words<'_>, i: usize, strict: bool) -> bool {
        let w = words.folded(i);
        words.free(i)
            && words
                .tokens
                .get(i)
                .is_some_and(|t| t.special == Special::Word)
            && !self.language.stop.contains(w)
            && !self.language.prepositions.contains(w)
            && !self.language.fillers.contains(w)
            && number_at(words, i, self.language).is_none()
            && (strict || !self.language.categories.contains_key(w))
    }

    /// A place at `i`: coordinates, a gazetteer id, or a name.
    fn at(
        &self,
        words: &mut Words<'_>,
        i: usize,
        strict: bool,
    ) -> Option<Result<Located, ParseError>> {
        let token = words.tokens.get(i).filter(|_| words.free(i))?;
        match token.special {
            Special::Coordinates { lat, lon } => {
                let raw = token.raw.to_owned();
                words.take(i, 1);
                let found = self.gazetteer.locate(lat, lon).map(|place| {
                    Located::One(Found {
                        place,
                        found_by: FoundBy::Coordinates,
                        point: Some((lat, lon)),
                    })
                });
                Some(found.ok_or(ParseError::UnknownPlace {
                    words: raw,
                    suggestion: None,
                }))
            }
            Special::PlaceId => {
                let place = self.gazetteer.by_id(token.raw)?;
                words.take(i, 1);
                Some(Ok(Located::One(Found {
                    place,
                    found_by: FoundBy::Text,
                    point: None,
                })))
            }
            Special::Word if self.eligible(words, i, strict) => self.name(words, i),
            _ => None,
        }
    }

    /// Another place the message names unambiguously (nothing is taken): it tells which
    /// of several homonyms is meant.
    fn other_place(&self, words: &Words<'_>) -> Option<u32> {
        let max = MAX_NAME_WORDS.min(self.gazetteer.longest_name());
        (0..words.len())
            .filter(|&j| self.eligible(words, j, false))
            .find_map(|j| {
                let (_, n) = words.longest(j, max, |p| {
                    (!self.gazetteer.named(p).is_empty()).then_some(())
                })?;
                match self
                    .gazetteer
                    .resolve(&words.phrase(j, n)?, None, self.near.country())
                {
                    Resolution::One(place) => Some(place),
                    _ => None,
                }
            })
    }

    fn name(&self, words: &mut Words<'_>, i: usize) -> Option<Result<Located, ParseError>> {
        let max = MAX_NAME_WORDS.min(self.gazetteer.longest_name());
        let gazetteer = self.gazetteer;
        let (mut candidates, mut n) = words.longest(i, max, |p| {
            let rows = gazetteer.named(p);
            (!rows.is_empty()).then_some(rows)
        })?;
        // `Koro 2 morts`: the 2 is a count, not Koro 2 in Chad, when Koro alone is a place.
        while n > 1
            && words
                .tokens
                .get(i + n - 1)
                .and_then(|t| t.digits())
                .is_some()
        {
            let shorter = words
                .phrase(i, n - 1)
                .map(|p| gazetteer.named(&p))
                .unwrap_or_default();
            if shorter.is_empty() {
                break;
            }
            (candidates, n) = (shorter, n - 1);
        }
        let name = words.phrase(i, n)?;
        words.take(i, n);
        let typed = words.tokens[i..i + n]
            .iter()
            .map(|t| t.raw)
            .collect::<Vec<_>>()
            .join(" ");
        let qualifier = (1..=3).rev().find_map(|k| {
            let phrase = words.phrase(i + n, k)?;
            gazetteer
                .qualifies(candidates, &phrase)
                .then_some((phrase, k))
        });
        if let Some((_, k)) = &qualifier {
            words.take(i + n, *k);
        }
        let qualifier = qualifier.as_ref().map(|(p, _)| p.as_str());
        let mut resolution = gazetteer.resolve(&name, qualifier, self.near);
        if matches!(resolution, Resolution::Several(_))
            && let Some(near) = self.other_place(words)
        {
            // `axe Boni Hombori`: the Boni near Hombori.
            let near = Near {
                home: Some(near),
                ..self.near
            };
            if let one @ Resolution::One(_) = gazetteer.resolve(&name, qualifier, near) {
                resolution = one;
            }
        }
        Some(match resolution {
            Resolution::One(place) => Ok(Located::One(Found {
                place,
                found_by: FoundBy::Text,
                point: None,
            })),
            Resolution::Several(choices) => Ok(Located::Several(choices, typed)),
            Resolution::None => Err(ParseError::UnknownPlace {
                words: words
                    .tokens
                    .get(i)
                    .map_or(String::new(), |t| t.raw.to_owned()),
                suggestion: None,
            }),
        })
    }
}
