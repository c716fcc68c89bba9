//! Stage 2, parse: what a monitor typed becomes a report (category, place, counts, time,
//! description), a command, or an error that says what to fix. A pure function of the
//! text, the language, the sender's home place and the receive time (spec:
//! `spec/sms-reports.md`, and `keywords/<lang>.toml` for the words).

mod category;
mod command;
mod counts;
mod place;
mod time;
mod tokens;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::config::SeverityRules;
use crate::gazetteer::{Found, Gazetteer, Near};
use crate::keywords::{Category, KeyedField, Language, Vocabulary};
pub use command::{CommandKind, CommandMessage};
pub use counts::{COUNT_FIELDS, Count, CountOf, Counts};
use tokens::{Special, Token, tokenize};

/// Longer messages are refused: a report is a few words, not a letter.
pub const MAX_CHARS: usize = 480;

/// What parsing needs besides the message.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub vocabulary: &'a Vocabulary,
    pub gazetteer: &'a Gazetteer,
    pub time_zone: Tz,
    pub severity: &'a SeverityRules,
}

/// One message to parse.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    pub text: &'a str,
    /// The sender's registered language, if any.
    pub language: Option<&'a str>,
    /// The sender's registered home place (a gazetteer row).
    pub home: Option<u32>,
    /// The country of the channel the message came by (ISO 3166-1 alpha-2), if set: its
    /// places come first among homonyms.
    pub country: Option<&'a str>,
    pub received: DateTime<Utc>,
}

/// A report as understood.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub category: Category,
    pub language: String,
    /// `None` only while the sender chooses among several places.
    pub place: Option<Found>,
    pub counts: Counts,
    pub event_time: DateTime<Utc>,
    /// 1 to 5; `None` for a check-in (RAS).
    pub severity: Option<u8>,
    pub description: String,
}

/// Why a message is not a report. Codes are the spec's.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParseError {
    #[error("empty message")]
    Empty,
    #[error("message over {MAX_CHARS} characters")]
    TooLong,
    #[error("unknown category `{word}`")]
    UnknownCategory { word: String },
    #[error("no place given")]
    MissingPlace,
    #[error("unknown place `{words}`")]
    UnknownPlace {
        words: String,
        /// A known name a typo away, as written in the gazetteer.
        suggestion: Option<u32>,
    },
}

impl ParseError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::TooLong => "too_long",
            Self::UnknownCategory { .. } => "unknown_category",
            Self::MissingPlace => "missing_place",
            Self::UnknownPlace { .. } => "unknown_place",
        }
    }
}

/// What a message is.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    Report(Report),
    /// A report whose place name fits several far-apart places: the sender picks one.
    Ambiguous {
        report: Report,
        choices: Vec<u32>,
        /// The name as typed.
        words: String,
    },
    Command(CommandMessage),
    Error {
        error: ParseError,
        language: String,
    },
}

impl Parsed {
    /// The language the message was read in, for the reply.
    pub fn language(&self) -> &str {
        match self {
            Self::Report(r) | Self::Ambiguous { report: r, .. } => &r.language,
            Self::Command(c) => &c.language,
            Self::Error { language, .. } => language,
        }
    }
}

/// Tokens of one message and which are used up.
#[derive(Clone)]
struct Words<'t> {
    tokens: Vec<Token<'t>>,
    used: Vec<bool>,
}

impl<'t> Words<'t> {
    fn new(tokens: Vec<Token<'t>>) -> Self {
        let used = vec![false; tokens.len()];
        Self { tokens, used }
    }

    fn len(&self) -> usize {
        self.tokens.len()
    }

    fn folded(&self, i: usize) -> &str {
        self.tokens.get(i).map_or("", |t| t.folded.as_str())
    }

    fn free(&self, i: usize) -> bool {
        i < self.tokens.len() && !self.used[i]
    }

    fn take(&mut self, from: usize, n: usize) {
        for used in self.used.iter_mut().skip(from).take(n) {
            *used = true;
        }
    }

    /// `n` free words from `i` joined by spaces, if all are free plain words.
    fn phrase(&self, i: usize, n: usize) -> Option<String> {
        let range = i..i.checked_add(n)?;
        if range.end > self.len()
            || !range
                .clone()
                .all(|j| self.free(j) && self.tokens[j].special == Special::Word)
        {
            return None;
        }
        Some(
            range
                .map(|j| self.tokens[j].folded.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        )
    }

    /// The longest phrase from `i` found in `lookup`, with its length.
    fn longest<T: Copy>(
        &self,
        i: usize,
        max: usize,
        lookup: impl Fn(&str) -> Option<T>,
    ) -> Option<(T, usize)> {
        (1..=max)
            .rev()
            .find_map(|n| self.phrase(i, n).and_then(|p| lookup(&p)).map(|v| (v, n)))
    }

    /// What nobody used, as typed.
    fn rest(&self) -> String {
        let free = self
            .tokens
            .iter()
            .zip(&self.used)
            .filter(|(_, used)| !**used);
        free.map(|(t, _)| t.raw).collect::<Vec<_>>().join(" ")
    }
}

/// Parses one message.
pub fn parse(input: &Input<'_>, ctx: &Context<'_>) -> Parsed {
    read(input, ctx, true)
}

/// Parses one message as a report even if it starts like a command: `Suite 2 morts a Koro
/// ATT` from a sender with no unfinished USSD report 2.
pub fn parse_report(input: &Input<'_>, ctx: &Context<'_>) -> Parsed {
    read(input, ctx, false)
}

fn read(input: &Input<'_>, ctx: &Context<'_>, commands: bool) -> Parsed {
    let text = input.text.trim();
    let tokens = tokenize(text);
    let language = pick_language(input, ctx, &tokens);
    let error = |error| Parsed::Error {
        error,
        language: language.code.clone(),
    };
    if tokens.is_empty() {
        if let Some(command) = command::bare(text, language) {
            return Parsed::Command(command);
        }
        return error(ParseError::Empty);
    }
    if text.chars().count() > MAX_CHARS {
        return error(ParseError::TooLong);
    }
    let mut words = Words::new(tokens);
    let start = skip_fillers(&words, language);
    if start == words.len() {
        return error(ParseError::Empty);
    }
    if commands && let Some(command) = command::any(text, &words, start, language, ctx.vocabulary) {
        return Parsed::Command(command);
    }
    let Some(category) = category::category(&mut words, start, language) else {
        let word = words
            .tokens
            .get(start)
            .map_or(String::new(), |t| t.raw.to_owned());
        return error(ParseError::UnknownCategory { word });
    };
    let after_category = words.used.iter().position(|u| *u).map_or(start, |i| {
        (i..words.len())
            .find(|&j| !words.used[j])
            .unwrap_or(words.len())
    });
    let keyed = keyed_fields(&mut words, language);
    let event_time = time::read(&mut words, language, &keyed, input.received, ctx.time_zone);
    let counts = counts::read(&mut words, language, &keyed, category);
    let located = place::find(
        &mut words,
        language,
        ctx.gazetteer,
        &keyed,
        after_category,
        Near {
            home: input.home,
            country: input.country,
        },
    );
    let mut report = Report {
        category,
        language: language.code.clone(),
        place: None,
        severity: severity(category, &counts, ctx.severity),
        counts,
        event_time,
        description: String::new(),
    };
    if category == Category::RAS {
        return check_in(report, located, input.home, &words);
    }
    let outcome = match located {
        Ok(place::Located::One(found)) => Ok(Some(found)),
        Ok(place::Located::Several(choices, words)) => Err((choices, words)),
        Err(e) => return error(e),
    };
    report.description = words.rest();
    match outcome {
        Ok(place) => Parsed::Report(Report { place, ..report }),
        Err((choices, words)) => Parsed::Ambiguous {
            report,
            choices,
            words,
        },
    }
}

/// `RAS` is a check-in: never an error. A place is recorded when the words name one, else
/// the sender's home, else none; the other words are a comment (`RAS calme ici`).
fn check_in(
    report: Report,
    located: Result<place::Located, ParseError>,
    home: Option<u32>,
    words: &Words<'_>,
) -> Parsed {
    let place = match located {
        Ok(place::Located::One(found)) => Some(found),
        _ => home.map(|place| Found {
            place,
            found_by: crate::gazetteer::FoundBy::ReporterHome,
            point: None,
        }),
    };
    Parsed::Report(Report {
        place,
        description: words.rest(),
        ..report
    })
}

fn pick_language<'v>(input: &Input<'_>, ctx: &Context<'v>, tokens: &[Token<'_>]) -> &'v Language {
    if let Some(language) = input.language.and_then(|code| ctx.vocabulary.get(code)) {
        return language;
    }
    let words: Vec<&str> = tokens.iter().map(|t| t.folded.as_str()).collect();
    ctx.vocabulary.detect(&words)
}

/// Greetings and urgency words before the category.
fn skip_fillers(words: &Words<'_>, language: &Language) -> usize {
    (0..words.len())
        .find(|&i| !language.fillers.contains(words.folded(i)))
        .unwrap_or(words.len())
}

/// Keyed-form fields (`L:Koro M:3`): each value is the free words up to the next key.
fn keyed_fields(
    words: &mut Words<'_>,
    language: &Language,
) -> Vec<(KeyedField, std::ops::Range<usize>)> {
    let key_at = |words: &Words<'_>, i: usize| -> Option<KeyedField> {
        let t = words.tokens.get(i)?;
        let mut chars = t.folded.chars();
        match (chars.next(), chars.next(), t.colon && words.free(i)) {
            (Some(c), None, true) => language.keyed.get(&c).copied(),
            _ => None,
        }
    };
    let mut fields = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let Some(field) = key_at(words, i) else {
            i += 1;
            continue;
        };
        let end = (i + 1..words.len())
            .find(|&j| key_at(words, j).is_some())
            .unwrap_or(words.len());
        words.take(i, 1);
        fields.push((field, i + 1..end));
        i = end;
    }
    fields
}

/// Base severity of the category, raised by counts (spec section 3; rules in config).
pub fn severity(category: Category, counts: &Counts, rules: &SeverityRules) -> Option<u8> {
    let base = *rules.base.get(category.code())?;
    let at_least = |count: Option<Count>, n: u32| count.is_some_and(|c| c.at_least(n));
    if at_least(counts.killed, rules.killed_for_max)
        || at_least(counts.abducted, rules.abducted_for_max)
        || at_least(counts.displaced, rules.displaced_for_max)
    {
        return Some(5);
    }
    let victims = at_least(counts.killed, 1) || at_least(counts.abducted, 1);
    let raise = if victims { rules.raise_if_victims } else { 0 };
    Some(base.saturating_add(raise).min(5))
}

#[cfg(test)]
mod tests;
