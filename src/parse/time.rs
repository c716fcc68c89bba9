//! When it happened: `hier`, `ce matin`, `cette nuit`, `il y a 2h`, `14h30`, `06/11`,
//! `yesterday`, `2 hours ago`, resolved against the receive time in the monitors' time
//! zone. Without one, the event time is the receive time; never later than it.

use std::ops::Range;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

use super::Words;
use super::counts::{Count, number_at};
use super::tokens::Special;
use crate::keywords::{KeyedField, Language, TimePhrase};

/// A time expression as written, before resolution.
#[derive(Debug, Clone, Copy, PartialEq)]
enum When {
    Ago(Duration),
    Phrase(TimePhrase, Option<(u32, u32)>),
    Clock(u32, u32),
    Date {
        day: u32,
        month: u32,
        clock: Option<(u32, u32)>,
    },
}

pub(super) fn read(
    words: &mut Words<'_>,
    language: &Language,
    keyed: &[(KeyedField, Range<usize>)],
    received: DateTime<Utc>,
    tz: Tz,
) -> DateTime<Utc> {
    let keyed_range = keyed
        .iter()
        .find(|(f, _)| *f == KeyedField::Time)
        .map(|(_, r)| r.clone());
    let range = keyed_range.unwrap_or(0..words.len());
    let found = range.clone().find_map(|i| {
        when_at(words, i, language)
            .filter(|(_, n)| i + n <= range.end)
            .map(|(w, n)| (w, i, n))
    });
    let Some((when, i, n)) = found else {
        return received;
    };
    words.take(i, n);
    resolve(when, received, tz).min(received)
}

/// A time expression starting at `i`, and its length in words.
fn when_at(words: &Words<'_>, i: usize, language: &Language) -> Option<(When, usize)> {
    if !words.free(i) {
        return None;
    }
    if let Some(found) = ago(words, i, language) {
        return Some(found);
    }
    if let Some((phrase, n)) = words.longest(i, language.longest_phrase, |p| {
        language.time_phrases.get(p).copied()
    }) {
        // `hier 14h`, `hier a 14h`.
        let gap = usize::from(language.prepositions.contains(words.folded(i + n)));
        let clock = clock_at(words, i + n + gap);
        let len = n + clock.map_or(0, |_| gap + 1);
        return Some((When::Phrase(phrase, clock), len));
    }
    if let Some(Special::Date { day, month }) = words.tokens.get(i).map(|t| t.special) {
        let clock = clock_at(words, i + 1);
        return Some((
            When::Date { day, month, clock },
            1 + usize::from(clock.is_some()),
        ));
    }
    clock_at(words, i).map(|(h, m)| (When::Clock(h, m), 1))
}

/// `il y a 2h`, `il y a 3 jours`, `2 hours ago`.
fn ago(words: &Words<'_>, i: usize, language: &Language) -> Option<(When, usize)> {
    let lead = (1..=3).rev().find(|&k| {
        words
            .phrase(i, k)
            .is_some_and(|p| language.ago_before.contains(&p))
    });
    let start = i + lead.unwrap_or(0);
    let (amount, unit, len) = amount_and_unit(words, start, language)?;
    let mut n = lead.unwrap_or(0) + len;
    if lead.is_none() {
        let tail = (1..=2).rev().find(|&k| {
            words
                .phrase(start + len, k)
                .is_some_and(|p| language.ago_after.contains(&p))
        })?;
        n += tail;
    }
    // Nobody reports what happened years ago; a huge number must not overflow the clock.
    let amount = i32::try_from(amount).ok().filter(|a| *a <= 10_000)?;
    Some((When::Ago(unit * amount), n))
}

/// `2h`, `2 heures`, `3 jours`: the amount and the unit's length.
fn amount_and_unit(
    words: &Words<'_>,
    i: usize,
    language: &Language,
) -> Option<(u32, Duration, usize)> {
    let unit = |word: &str| {
        if language.minutes.contains(word) {
            Some(Duration::minutes(1))
        } else if language.hours.contains(word) {
            Some(Duration::hours(1))
        } else if language.days.contains(word) {
            Some(Duration::days(1))
        } else {
            None
        }
    };
    let word = words.folded(i);
    if words.free(i)
        && let Some(split) = word.find(|c: char| !c.is_ascii_digit()).filter(|s| *s > 0)
        && let (Ok(amount), Some(u)) = (word[..split].parse::<u32>(), unit(&word[split..]))
    {
        return Some((amount, u, 1));
    }
    let (Count::Exact(amount), n) = number_at(words, i, language)? else {
        return None;
    };
    let u = words
        .free(i + n)
        .then(|| unit(words.folded(i + n)))
        .flatten()?;
    Some((amount, u, n + 1))
}

/// `14h30`, `14:30` (read whole by the tokenizer) or `14h`.
fn clock_at(words: &Words<'_>, i: usize) -> Option<(u32, u32)> {
    let token = words.tokens.get(i).filter(|_| words.free(i))?;
    if let Special::Clock { hour, minute } = token.special {
        return Some((hour, minute));
    }
    let hour: u32 = token.folded.strip_suffix('h')?.parse().ok()?;
    (hour < 24).then_some((hour, 0))
}

fn resolve(when: When, received: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    let local = received.with_timezone(&tz);
    let today = local.date_naive();
    let at = |date: NaiveDate, (h, m): (u32, u32)| -> Option<DateTime<Utc>> {
        let naive = date.and_hms_opt(h, m, 0)?;
        Some(
            tz.from_local_datetime(&naive)
                .earliest()?
                .with_timezone(&Utc),
        )
    };
    let resolved = match when {
        When::Ago(d) => received.checked_sub_signed(d),
        When::Phrase(p, clock) => {
            let date = today + Duration::days(p.day);
            let hour = match (clock, p.hour) {
                (Some(c), _) => Some(c),
                (None, Some(_)) if p.night && local.hour() >= 12 => Some((22, 0)),
                (None, Some(h)) => Some((h, 0)),
                (None, None) if p.day == 0 => None,
                (None, None) => Some((12, 0)),
            };
            hour.map_or(Some(received), |c| at(date, c))
        }
        When::Clock(h, m) => at(today, (h, m)).map(|t| {
            if t > received {
                t - Duration::days(1)
            } else {
                t
            }
        }),
        When::Date { day, month, clock } => {
            let this_year = NaiveDate::from_ymd_opt(local.year(), month, day);
            let date = this_year
                .filter(|d| *d <= today)
                .or_else(|| NaiveDate::from_ymd_opt(local.year() - 1, month, day));
            date.and_then(|d| at(d, clock.unwrap_or((12, 0))))
        }
    };
    resolved.unwrap_or(received)
}
