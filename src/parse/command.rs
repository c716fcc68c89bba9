//! Commands (spec section 4): `AIDE`, `STOP`, `REPRISE`, `LANGUE EN`, `OK 1042`,
//! `ANNULE 1042`, `INFO 1042`, `DIFF PIN ZONE TEXT`, `OUI 7`, `SUITE 12 ...`, and a lone
//! digit answering a numbered place choice. The command word comes first; case and accents do not matter.

use super::Words;
use crate::keywords::{Command, Language, Vocabulary};

/// A command message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandMessage {
    pub kind: CommandKind,
    pub language: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandKind {
    Help,
    Stop,
    Start,
    /// `LANGUE EN`: the language code asked for, if any.
    Language(Option<String>),
    /// `OK 1042`: the incident reference, if given.
    Ok(Option<u64>),
    Cancel(Option<u64>),
    Info(Option<u64>),
    /// `DIFF <PIN> <ZONE> <TEXT>`: the PIN, and the rest as typed (where the zone ends
    /// depends on which zones exist: `Mopti Ville`, `Bandiagara`).
    Broadcast {
        pin: String,
        rest: String,
    },
    /// `OUI 7`: the code of the broadcast to send, if given.
    Confirm(Option<u64>),
    /// `SUITE 12 Koro 3 morts`: the code of a report left unfinished in the USSD menu (none
    /// for a bare `SUITE`), and what the sender adds to it, as typed.
    Draft {
        code: Option<u64>,
        rest: String,
    },
    /// A lone digit: the sender's pick in a numbered place choice.
    Choice(u32),
}

/// A message that is only a command word without letters or digits (`?`).
pub(super) fn bare(text: &str, language: &Language) -> Option<CommandMessage> {
    let command = language.commands.get(text.trim())?;
    (*command == Command::Help).then(|| CommandMessage {
        kind: CommandKind::Help,
        language: language.code.clone(),
    })
}

/// The command in the sender's language, or a deliberate one in another (`YES 7` from a
/// French speaker), answered in the sender's.
pub(super) fn any(
    text: &str,
    words: &Words<'_>,
    start: usize,
    language: &Language,
    vocabulary: &Vocabulary,
) -> Option<CommandMessage> {
    read(text, words, start, language).or_else(|| {
        let others = vocabulary.languages().iter();
        let mut found = others
            .filter(|l| l.code != language.code)
            .find_map(|l| read(text, words, start, l))
            .filter(|c| c.kind.is_deliberate())?;
        found.language.clone_from(&language.code);
        Some(found)
    })
}

/// The command at `start` of `text`'s words, if any.
pub(super) fn read(
    text: &str,
    words: &Words<'_>,
    start: usize,
    language: &Language,
) -> Option<CommandMessage> {
    let kind = choice(words, start).or_else(|| command(text, words, start, language))?;
    // `AIDE attaque a Koro 3 morts` is a report with a word in front, not a request for
    // help: a command is short (a broadcast carries its text).
    let short = words.len() - start <= 3;
    if !short
        && !matches!(
            kind,
            CommandKind::Broadcast { .. } | CommandKind::Draft { .. }
        )
    {
        return None;
    }
    Some(CommandMessage {
        kind,
        language: language.code.clone(),
    })
}

fn choice(words: &Words<'_>, start: usize) -> Option<CommandKind> {
    if words.len() != start + 1 {
        return None;
    }
    let n = words.tokens.get(start)?.digits()?;
    (1..=9).contains(&n).then_some(CommandKind::Choice(n))
}

fn command(
    text: &str,
    words: &Words<'_>,
    start: usize,
    language: &Language,
) -> Option<CommandKind> {
    let (command, n) = words.longest(start, 2, |p| language.commands.get(p).copied())?;
    let next = start + n;
    let reference = || {
        words
            .tokens
            .get(next)
            .and_then(|t| t.digits())
            .map(u64::from)
    };
    Some(match command {
        Command::Help => CommandKind::Help,
        Command::Stop => CommandKind::Stop,
        Command::Start => CommandKind::Start,
        Command::Language => {
            CommandKind::Language(words.tokens.get(next).map(|t| t.folded.clone()))
        }
        Command::Ok => CommandKind::Ok(reference()),
        Command::Cancel => CommandKind::Cancel(reference()),
        Command::Info => CommandKind::Info(reference()),
        // Only `OUI` or `OUI 7`: `Oui attaque a Koro` is a report.
        Command::Confirm => match (words.len() - next, reference()) {
            (0, _) => CommandKind::Confirm(None),
            (1, Some(code)) => CommandKind::Confirm(Some(code)),
            _ => return None,
        },
        Command::Broadcast => broadcast(text, words, next),
        Command::Draft => draft(text, words, next)?,
    })
}

/// Only `SUITE` or `SUITE 12 ...`: `Suite a l attaque de Koro` is a report.
fn draft(text: &str, words: &Words<'_>, next: usize) -> Option<CommandKind> {
    if next == words.len() {
        return Some(CommandKind::Draft {
            code: None,
            rest: String::new(),
        });
    }
    let code = words.tokens.get(next)?.digits()?;
    Some(CommandKind::Draft {
        code: Some(u64::from(code)),
        rest: after(text, words, next + 1),
    })
}

/// `DIFF <PIN> <rest>`: the rest as typed, punctuation and all.
fn broadcast(text: &str, words: &Words<'_>, next: usize) -> CommandKind {
    let pin = words
        .tokens
        .get(next)
        .map_or(String::new(), |t| t.raw.to_owned());
    let rest = after(text, words, next + 1);
    CommandKind::Broadcast { pin, rest }
}

/// The text from word `from` on, as typed.
fn after(text: &str, words: &Words<'_>, from: usize) -> String {
    words
        .tokens
        .get(from)
        .and_then(|t| text.get(t.at..))
        .unwrap_or_default()
        .trim()
        .to_owned()
}

impl CommandKind {
    /// A command no one types by chance: one with its number, or a broadcast. Only these
    /// are understood in another language than the sender's (`YES 7` from a French
    /// speaker), so a word of a report is never taken for one.
    pub(super) fn is_deliberate(&self) -> bool {
        matches!(
            self,
            Self::Broadcast { .. }
                | Self::Confirm(Some(_))
                | Self::Ok(Some(_))
                | Self::Cancel(Some(_))
                | Self::Info(Some(_))
                | Self::Draft { code: Some(_), .. }
        )
    }
}
