//! Triage at the door: which messages may alert, by a cheap look at their first words,
//! so that under a flood the intake reads them before routine ones. A report's category
//! word (`ATT`, `attaque`, `coups de feu`, in any language) or a responder's `OK` or `INFO`
//! may alert; a check-in (`RAS`), a digit, a help request or free text does not. The look is
//! a few set lookups: the parser proper runs later, in the intake, once per message.

use std::collections::HashSet;

use crate::keywords::{Category, Command, Vocabulary};
use crate::text::fold;

/// Words looked at: a greeting or a filler before the category still leaves it in view.
const FIRST_WORDS: usize = 4;
/// Characters folded to find them: a long text is not folded whole at the door.
const FIRST_CHARS: usize = 80;

/// What may alert, in every language's words.
#[derive(Debug, Clone, Default)]
pub struct Triage {
    phrases: HashSet<String>,
    /// The most words in any phrase.
    longest: usize,
}

/// How urgent an inbound message looks at the door.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Urgency {
    /// A report or a responder's command that may alert.
    MayAlert,
    /// Anything else.
    Routine,
}

impl Triage {
    pub fn new(vocabulary: &Vocabulary) -> Self {
        let mut phrases = HashSet::new();
        for category in Category::ALL.into_iter().filter(|c| *c != Category::RAS) {
            phrases.insert(fold(category.code()));
        }
        for language in vocabulary.languages() {
            let categories = language.categories.iter();
            let alerting = categories.filter(|(_, c)| **c != Category::RAS);
            phrases.extend(alerting.map(|(word, _)| word.clone()));
            let commands = language.commands.iter();
            let answers = commands.filter(|(_, c)| matches!(c, Command::Ok | Command::Info));
            phrases.extend(answers.map(|(word, _)| word.clone()));
        }
        let longest = phrases
            .iter()
            .map(|p| p.split(' ').count())
            .max()
            .unwrap_or(1);
        Self { phrases, longest }
    }

    /// How urgent `text` looks: whether one of its first words starts a phrase that may
    /// alert.
    pub fn look(&self, text: &str) -> Urgency {
        let head: String = text.chars().take(FIRST_CHARS).collect();
        let folded = fold(&head);
        // Folded words are one space apart, so a phrase of them is a slice of `folded`:
        // each word's span, and phrases looked up without building them.
        let spans: Vec<(usize, usize)> = folded
            .split(' ')
            .scan(0, |at, word| {
                let span = (*at, *at + word.len());
                *at = span.1 + 1;
                Some(span)
            })
            .filter(|(from, to)| to > from)
            .collect();
        let starts = spans.len().min(FIRST_WORDS);
        for (i, &(from, _)) in spans.iter().enumerate().take(starts) {
            let mut ends = spans.iter().skip(i).take(self.longest);
            if ends.any(|&(_, to)| self.phrases.contains(&folded[from..to])) {
                return Urgency::MayAlert;
            }
        }
        Urgency::Routine
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn triage() -> Triage {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("keywords");
        Triage::new(&Vocabulary::load(&dir, "fr").unwrap())
    }

    #[test]
    fn reports_and_responders_answers_may_alert_the_rest_is_routine() {
        let triage = triage();
        let cases = [
            ("ATT Koro 3 morts", Urgency::MayAlert),
            ("att koro", Urgency::MayAlert),
            ("Attaque à Dinangourou ce matin", Urgency::MayAlert),
            (
                "Bonjour, enlèvement de 2 personnes a Bankass",
                Urgency::MayAlert,
            ),
            ("coups de feu a Mondoro", Urgency::MayAlert),
            ("Attack in Koro, 2 killed", Urgency::MayAlert),
            ("EEI route Boni", Urgency::MayAlert),
            ("OK 1042", Urgency::MayAlert),
            ("ok", Urgency::MayAlert),
            ("INFO 1042", Urgency::MayAlert),
            ("RAS", Urgency::Routine),
            ("ras Koro", Urgency::Routine),
            ("2", Urgency::Routine),
            ("AIDE", Urgency::Routine),
            ("STOP", Urgency::Routine),
            ("ANNULE 1042", Urgency::Routine),
            ("", Urgency::Routine),
            (
                "Salut la famille, on va bien ici, merci ATT",
                Urgency::Routine,
            ),
        ];
        for (text, urgency) in cases {
            assert_eq!(triage.look(text), urgency, "{text}");
        }
    }

    #[test]
    fn a_long_text_is_looked_at_by_its_head_only() {
        let long = format!("ATT Koro {}", "x".repeat(10_000));
        assert_eq!(triage().look(&long), Urgency::MayAlert);
    }
}
