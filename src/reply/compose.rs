//! Which reply a parsed message gets, with its values: a receipt echoing the report
//! (only the reference for a discreet reporter), or the error's template with an
//! example, or a command's answer. Always one segment: a receipt too long for it falls
//! back to the bare reference, a choice to fewer places.

use minijinja::{Value, context};

use super::{Replies, ReplyError};
use crate::gazetteer::{Gazetteer, Place};
use crate::keywords::Category;
use crate::parse::{CommandKind, Count, Counts, ParseError, Parsed, Report};

/// The reply to `parsed`, rendered. `reference` numbers a filed report.
pub fn reply_for(
    replies: &Replies,
    parsed: &Parsed,
    gazetteer: &Gazetteer,
    reference: u64,
    discreet: bool,
) -> Result<String, ReplyError> {
    let language = parsed.language();
    let render = |name: &str, values: Value| replies.render(language, name, &values);
    match parsed {
        // A check-in: acknowledged, with no incident to give a number of.
        Parsed::Report(report) if report.category == Category::RAS => {
            render("checkin", context! {})
        }
        Parsed::Report(report) if !discreet => {
            let text = render("receipt", receipt(report, gazetteer, reference.into()))?;
            if Replies::fits(&text) {
                return Ok(text);
            }
            render("receipt_discreet", context! { ref => reference })
        }
        Parsed::Report(_) => render("receipt_discreet", context! { ref => reference }),
        Parsed::Ambiguous { choices, words, .. } => {
            for n in (2..=choices.len()).rev() {
                let text = render(
                    "ambiguous_place",
                    ambiguous(&choices[..n], words, gazetteer),
                )?;
                if Replies::fits(&text) || n == 2 {
                    return Ok(text);
                }
            }
            render("ambiguous_place", ambiguous(choices, words, gazetteer))
        }
        Parsed::Error { error, .. } => {
            let (name, values) = error_values(error, gazetteer);
            render(name, values)
        }
        Parsed::Command(command) => {
            let name = match &command.kind {
                CommandKind::Stop => "stopped",
                CommandKind::Start => "started",
                CommandKind::Language(Some(_)) => "language_set",
                CommandKind::Choice(_) => "no_choice",
                _ => "help",
            };
            let language = match &command.kind {
                CommandKind::Language(Some(code)) => code.as_str(),
                _ => language,
            };
            replies.render(language, name, &context! {})
        }
    }
}

/// The receipt of a report filed by a place choice: the place echoed, not the counts.
pub fn receipt_for_choice(
    replies: &Replies,
    language: &str,
    reference: u64,
    category: &str,
    place: &Place,
    discreet: bool,
) -> Result<String, ReplyError> {
    if discreet {
        return replies.render(language, "receipt_discreet", &context! { ref => reference });
    }
    let values = context! {
        ref => reference,
        category => category,
        place => place.label(1),
        counts => Vec::<Value>::new(),
    };
    replies.render(language, "receipt", &values)
}

/// A receipt's values; `reference` is a number, or `ahead`'s mark.
pub(super) fn receipt(report: &Report, gazetteer: &Gazetteer, reference: Value) -> Value {
    let place = report
        .place
        .as_ref()
        .map(|f| gazetteer.place(f.place).label(1));
    context! {
        ref => reference,
        category => report.category.code(),
        place => place.unwrap_or_default(),
        counts => counts(&report.counts),
    }
}

/// The counts given, in a fixed order, as `{n, field}`.
fn counts(c: &Counts) -> Vec<Value> {
    c.fields()
        .filter_map(|(field, count)| {
            let n = match count? {
                Count::Exact(n) => Value::from(n),
                Count::Several => Value::from("several"),
            };
            Some(context! { n => n, field => field })
        })
        .collect()
}

/// Numbered places, each named down to the level that tells it from the others.
fn ambiguous(choices: &[u32], words: &str, gazetteer: &Gazetteer) -> Value {
    let places: Vec<_> = choices.iter().map(|&c| gazetteer.place(c)).collect();
    let depth = |i: usize| {
        let shares = |level: usize| {
            places
                .iter()
                .enumerate()
                .any(|(j, p)| j != i && (1..=level).all(|l| p.admin(l) == places[i].admin(l)))
        };
        (1..=3).find(|&level| !shares(level)).unwrap_or(3)
    };
    let listed: Vec<Value> = places
        .iter()
        .enumerate()
        .map(|(i, p)| context! { n => i + 1, label => p.label(depth(i)) })
        .collect();
    context! { name => words, choices => listed }
}

fn error_values(error: &ParseError, gazetteer: &Gazetteer) -> (&'static str, Value) {
    let values = match error {
        ParseError::UnknownCategory { word } => context! { word => word },
        ParseError::UnknownPlace { words, suggestion } => context! {
            words => words,
            suggestion => suggestion.map(|s| gazetteer.place(s).label(1)),
        },
        _ => context! {},
    };
    (error.code(), values)
}
