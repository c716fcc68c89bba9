//! The reporting menu, pure: a caller's state and one answer give the next state, the
//! screen to show and what the shell must do (file the report, set the language). The
//! words of every screen are in `templates/ussd/<lang>/`; this file only numbers choices.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::gazetteer::{Gazetteer, Near, Resolution};
use crate::keywords::Category;
use crate::text::fold;

/// Categories shown per page (then `8` for more).
pub(super) const PAGE: usize = 7;
/// Places offered for a name several places bear.
const CHOICES: usize = 5;
/// The counts asked, in order.
pub const COUNTS: [&str; 3] = ["killed", "injured", "abducted"];

/// Where a caller is, and what they have answered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub language: Option<String>,
    pub step: Step,
    pub draft: Draft,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    #[default]
    Language,
    /// An unfinished report from an earlier session: take it up (it was at `at`)?
    Resume {
        at: Resumable,
    },
    Main,
    Category {
        page: usize,
    },
    Place,
    Choices,
    /// One of `COUNTS`.
    Count {
        n: usize,
    },
    When,
    Confirm,
    Reports,
    Help,
    Done,
}

/// The steps a report can be taken up at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resumable {
    Place,
    Count { n: usize },
    When,
    Confirm,
}

/// The report as answered so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    /// A category code.
    pub category: Option<String>,
    /// A gazetteer id.
    pub place: Option<String>,
    /// The ids offered for a name several places bear.
    pub choices: Vec<String>,
    /// Killed, injured, abducted; `None`: not known.
    pub counts: [Option<u32>; 3],
    pub when: Option<When>,
}

/// When it happened, as the menu offers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum When {
    Now,
    EarlierToday,
    LastNight,
    Yesterday,
}

const WHENS: [When; 4] = [
    When::Now,
    When::EarlierToday,
    When::LastNight,
    When::Yesterday,
];

/// What the menu needs besides the state.
#[derive(Debug, Clone, Copy)]
pub struct Menu<'a> {
    pub gazetteer: &'a Gazetteer,
    /// Language codes and names, as offered.
    pub languages: &'a [(String, String)],
    /// The caller's home place and the channel's country.
    pub near: Near<'a>,
}

/// A screen: its template, its values, whether it ends the session, and the error shown
/// above it (the same screen again after an invalid answer).
#[derive(Debug, Clone, PartialEq)]
pub struct Screen {
    pub name: &'static str,
    pub values: Value,
    pub end: bool,
    pub error: Option<&'static str>,
}

/// What the shell must do besides answering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Files the draft as a report.
    File,
    /// Files a nothing-to-report check-in.
    NothingToReport,
    /// The caller chose this language.
    Language(String),
    /// The screen lists the caller's last reports.
    ShowReports,
}

/// One answer's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub state: State,
    pub screen: Screen,
    pub action: Option<Action>,
}

impl Menu<'_> {
    /// The first screen of a session.
    pub fn start(&self, state: State) -> Turn {
        let step = match (state.step, &state.language) {
            (Step::Resume { .. }, _) => state.step,
            (_, Some(_)) => Step::Main,
            (_, None) => Step::Language,
        };
        self.show(State { step, ..state }, None)
    }

    /// The caller answered `input` on the current screen.
    pub fn answer(&self, state: &State, input: &str) -> Turn {
        let input = input.trim();
        let mut next = state.clone();
        let choice = input.parse::<usize>().ok();
        let outcome = match state.step {
            Step::Language => self.language(&mut next, choice),
            Step::Resume { at } => resume(&mut next, choice, at),
            Step::Main => main(&mut next, choice),
            Step::Category { page } => category(&mut next, choice, page),
            Step::Place => return self.place(next, input),
            Step::Choices => choose(&mut next, choice),
            Step::Count { n } => return self.count(next, input, n),
            Step::When => when(&mut next, choice),
            Step::Confirm => confirm(&mut next, choice),
            Step::Reports | Step::Help => back_to_main(&mut next, choice),
            Step::Done => Ok(None),
        };
        match outcome {
            Ok(action) => {
                let mut turn = self.show(next, None);
                if turn.screen.end {
                    turn.screen.name = super::show::end_screen(action.as_ref());
                }
                turn.action = action;
                turn
            }
            Err(error) => self.show(state.clone(), Some(error)),
        }
    }

    fn language(&self, next: &mut State, choice: Option<usize>) -> Answered {
        let (code, _) = pick(self.languages, choice)?;
        next.language = Some(code.clone());
        next.step = Step::Main;
        Ok(Some(Action::Language(code.clone())))
    }

    fn place(&self, mut next: State, input: &str) -> Turn {
        let home = self
            .near
            .home
            .map(|h| self.gazetteer.place(h).id.to_string());
        match (input, home) {
            ("0", _) => next.step = Step::Category { page: 0 },
            ("1", Some(home)) => {
                next.draft.place = Some(home);
                next.step = Step::Count { n: 0 };
            }
            _ => match self.places(input) {
                Some(rows) if rows.len() == 1 => {
                    next.draft.place = Some(self.gazetteer.place(rows[0]).id.to_string());
                    next.step = Step::Count { n: 0 };
                }
                Some(rows) => {
                    let ids = rows.iter().map(|&r| self.gazetteer.place(r).id.to_string());
                    next.draft.choices = ids.take(CHOICES).collect();
                    next.step = Step::Choices;
                }
                None => {
                    let mut turn = self.show(next, Some("unknown_place"));
                    turn.screen.values["word"] = json!(input);
                    return turn;
                }
            },
        }
        self.show(next, None)
    }

    /// The places a typed name may be, nearest the caller's home first; a close spelling
    /// when none bears it.
    fn places(&self, typed: &str) -> Option<Vec<u32>> {
        let folded = fold(typed);
        if folded.is_empty() || folded.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let resolved = |name: &str| match self.gazetteer.resolve(name, None, self.near) {
            Resolution::One(row) => Some(vec![row]),
            Resolution::Several(rows) => Some(rows),
            Resolution::None => None,
        };
        resolved(&folded).or_else(|| resolved(&fold(self.gazetteer.suggest(&folded)?)))
    }

    fn count(&self, mut next: State, input: &str, n: usize) -> Turn {
        let count = match input {
            "x" | "X" | "-" | "" => None,
            digits => match digits.parse::<u32>() {
                Ok(count) if count <= 100_000 => Some(count),
                _ => return self.show(next, Some("number")),
            },
        };
        if let Some(slot) = next.draft.counts.get_mut(n) {
            *slot = count;
        }
        next.step = if n + 1 < COUNTS.len() {
            Step::Count { n: n + 1 }
        } else {
            Step::When
        };
        self.show(next, None)
    }
}

/// An answer's effect: an action or none, or the error to show with the screen again.
type Answered = Result<Option<Action>, &'static str>;

fn pick<T>(list: &[T], choice: Option<usize>) -> Result<&T, &'static str> {
    choice
        .and_then(|c| c.checked_sub(1))
        .and_then(|i| list.get(i))
        .ok_or("invalid")
}

fn resume(next: &mut State, choice: Option<usize>, at: Resumable) -> Answered {
    match choice {
        Some(1) => next.step = at.into(),
        Some(2) => {
            *next = State {
                language: next.language.clone(),
                step: Step::Main,
                draft: Draft::default(),
            }
        }
        _ => return Err("invalid"),
    }
    Ok(None)
}

fn main(next: &mut State, choice: Option<usize>) -> Answered {
    let (step, action) = match choice {
        Some(1) => (Step::Category { page: 0 }, None),
        Some(2) => (Step::Done, Some(Action::NothingToReport)),
        Some(3) => (Step::Reports, Some(Action::ShowReports)),
        Some(4) => (Step::Language, None),
        Some(5) => (Step::Help, None),
        _ => return Err("invalid"),
    };
    next.step = step;
    Ok(action)
}

fn category(next: &mut State, choice: Option<usize>, page: usize) -> Answered {
    let listed = categories();
    let more = (page + 1) * PAGE < listed.len();
    next.step = match choice {
        Some(0) if page == 0 => Step::Main,
        Some(0) => Step::Category { page: page - 1 },
        Some(8) if more => Step::Category { page: page + 1 },
        Some(c @ 1..=PAGE) => {
            let picked = listed.get(page * PAGE + c - 1).ok_or("invalid")?;
            next.draft.category = Some(picked.code().to_owned());
            Step::Place
        }
        _ => return Err("invalid"),
    };
    Ok(None)
}

fn choose(next: &mut State, choice: Option<usize>) -> Answered {
    if choice == Some(0) {
        next.step = Step::Place;
        return Ok(None);
    }
    let id = pick(&next.draft.choices, choice)?.clone();
    next.draft.place = Some(id);
    next.step = Step::Count { n: 0 };
    Ok(None)
}

fn when(next: &mut State, choice: Option<usize>) -> Answered {
    if choice == Some(0) {
        next.step = Step::Count { n: 0 };
        return Ok(None);
    }
    next.draft.when = Some(*pick(&WHENS, choice)?);
    next.step = Step::Confirm;
    Ok(None)
}

fn confirm(next: &mut State, choice: Option<usize>) -> Answered {
    let action = match choice {
        Some(1) => Some(Action::File),
        Some(2) => None,
        _ => return Err("invalid"),
    };
    next.step = Step::Done;
    Ok(action)
}

fn back_to_main(next: &mut State, choice: Option<usize>) -> Answered {
    if choice != Some(0) {
        return Err("invalid");
    }
    next.step = Step::Main;
    Ok(None)
}

/// The categories a report may take, as the menu lists them (not `RAS`: it has its own
/// entry).
pub fn categories() -> Vec<Category> {
    Category::ALL
        .into_iter()
        .filter(|c| *c != Category::RAS)
        .collect()
}

impl From<Resumable> for Step {
    fn from(at: Resumable) -> Self {
        match at {
            Resumable::Place => Step::Place,
            Resumable::Count { n } => Step::Count { n },
            Resumable::When => Step::When,
            Resumable::Confirm => Step::Confirm,
        }
    }
}

impl Step {
    /// Where an unfinished report stood, if this step is one.
    pub fn resumable(self) -> Option<Resumable> {
        Some(match self {
            Step::Place | Step::Choices => Resumable::Place,
            Step::Count { n } => Resumable::Count { n },
            Step::When => Resumable::When,
            Step::Confirm => Resumable::Confirm,
            _ => return None,
        })
    }
}
