//! Stage 2 by menu, USSD: a report made step by step on any phone (`*123#`), over Africa's
//! Talking's protocol. Each step reads the session and answers from memory and SQLite
//! alone, no network call, so it returns well inside the provider's timeout; the step and
//! the session's new state commit together before the answer. A replayed step gets the
//! screen it got first and changes nothing. A sent report becomes an inbound message, so
//! it goes the SMS way: filed, fused, alerted, receipted by SMS.

pub mod draft;
pub mod menu;
pub mod report;
pub mod screens;
mod show;
mod write;

use std::sync::Arc;

use serde_json::json;

use crate::config::{ReportsConfig, UnknownSenders};
use crate::gazetteer::Near;
use crate::provider::UssdStep;
use crate::reports::Reports;
use crate::silence::operators::Operators;
use crate::store::contacts::{self, Contact};
use crate::store::db::Db;
use crate::store::ussd::{self as queries, Session};
use crate::store::{Store, StoreError};
use menu::{Action, Menu, State, Step, Turn};
use write::Write;

/// Nothing written with a step (`Ussd::answer_with`'s `None`).
pub type Also = fn(&Db<'_>) -> Result<(), StoreError>;

/// An unfinished report may be taken up for this long after its session was cut.
pub const RESUME_MS: i64 = 30 * 60 * 1000;
/// Reports listed under "my last reports".
const LAST_REPORTS: u32 = 3;

/// The USSD stage.
#[derive(Debug)]
pub struct Ussd {
    store: Store,
    reports: Arc<Reports>,
    unknown_senders: UnknownSenders,
    /// After this long without a step the provider has ended the session (ms).
    timeout_ms: i64,
    /// Which operator each caller is on, for their signs of life.
    operators: Arc<Operators>,
}

/// What one step read: the session, the caller, an unfinished session to offer.
struct Read {
    session: Option<Session>,
    replay: Option<String>,
    contact: Option<Contact>,
    unfinished: Option<(i64, String)>,
}

impl Ussd {
    pub fn new(store: Store, reports: Arc<Reports>, config: &ReportsConfig) -> Self {
        let timeout = config.ussd_session_timeout_secs.saturating_mul(1000);
        Self {
            store,
            reports,
            unknown_senders: config.unknown_senders,
            timeout_ms: i64::try_from(timeout).unwrap_or(i64::MAX),
            operators: Arc::default(),
        }
    }

    /// Names each caller's operator in their signs of life.
    pub fn with_operators(mut self, operators: Arc<Operators>) -> Self {
        self.operators = operators;
        self
    }

    /// Answers one step (`CON ...` or `END ...`); `phone` is the caller's number, normalised.
    /// Returns whether a report was stored for the intake.
    pub async fn answer(
        &self,
        channel: &str,
        step: &UssdStep,
        phone: &str,
    ) -> Result<(String, bool), StoreError> {
        self.answer_with(channel, step, phone, None::<Also>).await
    }

    /// The same, with `also` written in the step's transaction, or alone when the step
    /// writes nothing (a repeat, a session over): the console's simulator audits the steps
    /// it sends, and a step is never taken without its entry.
    pub async fn answer_with<A>(
        &self,
        channel: &str,
        step: &UssdStep,
        phone: &str,
        also: Option<A>,
    ) -> Result<(String, bool), StoreError>
    where
        A: Fn(&Db<'_>) -> Result<(), StoreError> + Send + 'static,
    {
        let read = self.read(channel, step, phone).await?;
        if let Some(screen) = read.replay {
            self.write_alone(also).await?;
            return Ok((screen, false));
        }
        if let Some(session) = read.session.as_ref().filter(|s| self.is_over(s)) {
            self.write_alone(also).await?;
            return Ok((self.over(session, phone).await?, false));
        }
        let (turn, resumed) = self.turn(&read, channel, step);
        let language = self.language_of(&turn.state);
        let text = self.render(&turn, phone, &language).await?;
        let filed = self.report_text(&turn, read.contact.as_ref(), &language);
        let write = Write {
            channel: channel.to_owned(),
            step: step.clone(),
            phone: phone.to_owned(),
            state: serde_json::to_string(&turn.state).unwrap_or_default(),
            screen: text,
            ended: turn.screen.end,
            filed: filed.clone(),
            language: language.clone(),
            set_language: match &turn.action {
                Some(Action::Language(code)) if read.contact.is_some() => Some(code.clone()),
                _ => None,
            },
            resumed,
            was_open: read.session.is_some(),
            sign: read
                .contact
                .as_ref()
                .filter(|_| read.session.is_none())
                .map(|c| (c.id, self.operators.of(phone).map(str::to_owned))),
        };
        let now = self.store.now_ms();
        match self
            .store
            .write(move |conn| {
                let answer = write.commit(conn, now)?;
                if let Some(also) = &also {
                    also(conn)?;
                }
                Ok(answer)
            })
            .await?
        {
            Some(answer) => Ok((answer, filed.is_some())),
            None => {
                let taken = || Session {
                    id: 0,
                    phone: phone.to_owned(),
                    state: String::new(),
                    last_text: String::new(),
                    status: "taken_up".into(),
                    updated_at: 0,
                };
                let session = read.session.unwrap_or_else(taken);
                Ok((self.over(&session, phone).await?, false))
            }
        }
    }

    /// Writes `also` in a transaction of its own, if there is one.
    async fn write_alone<A>(&self, also: Option<A>) -> Result<(), StoreError>
    where
        A: Fn(&Db<'_>) -> Result<(), StoreError> + Send + 'static,
    {
        match also {
            Some(also) => self.store.write(also).await,
            None => Ok(()),
        }
    }

    /// The answer to a step of a session the provider has ended, or the menu closed: it
    /// changes nothing, so a draft stays for its SMS code and a new dial to find.
    async fn over(&self, session: &Session, phone: &str) -> Result<String, StoreError> {
        let turn = expired(session);
        let language = self.language_of(&turn.state);
        self.render(&turn, phone, &language).await
    }

    async fn read(&self, channel: &str, step: &UssdStep, phone: &str) -> Result<Read, StoreError> {
        let (channel, id, text, phone) = (
            channel.to_owned(),
            step.session_id.clone(),
            step.text.clone(),
            phone.to_owned(),
        );
        let since = self.store.now_ms() - RESUME_MS;
        self.store
            .read(move |c| {
                let session = queries::session(c, &channel, &id)?;
                let replay = match &session {
                    Some(s) => queries::answered(c, s.id, &text)?,
                    None => None,
                };
                let unfinished = match session {
                    None => queries::unfinished(c, &phone, since, &id)?,
                    Some(_) => None,
                };
                Ok(Read {
                    contact: contacts::by_phone(c, &phone)?.filter(|c| c.active),
                    session,
                    replay,
                    unfinished,
                })
            })
            .await
    }

    /// The menu's answer: the first screen of a new session (an unfinished report offered
    /// first), or the answer to the new input. Also returns the session taken up, if any.
    fn turn(&self, read: &Read, channel: &str, step: &UssdStep) -> (Turn, Option<i64>) {
        let gazetteer = &self.reports.gazetteer;
        let home = read
            .contact
            .as_ref()
            .and_then(|c| c.home.as_deref())
            .and_then(|h| gazetteer.by_id(h));
        let languages: Vec<(String, String)> = self
            .reports
            .vocabulary
            .languages()
            .iter()
            .map(|l| (l.code.clone(), l.name.clone()))
            .collect();
        let menu = Menu {
            gazetteer,
            languages: &languages,
            near: Near {
                home,
                country: self.reports.country_of(channel),
            },
        };
        let language = read.contact.as_ref().and_then(|c| c.language.clone());
        let Some(session) = &read.session else {
            if read.contact.is_none() && self.unknown_senders == UnknownSenders::Refuse {
                return (refused(language), None);
            }
            let (state, resumed) = match unfinished_state(read, language.clone()) {
                Some((id, state)) => (state, Some(id)),
                None => (
                    State {
                        language,
                        ..State::default()
                    },
                    None,
                ),
            };
            return (menu.start(state), resumed);
        };
        let state: State = serde_json::from_str(&session.state).unwrap_or_default();
        let input = new_input(&session.last_text, &step.text);
        (menu.answer(&state, input), None)
    }

    /// The turn's screen, with the caller's last reports (read only then) when it lists
    /// them.
    async fn render(&self, turn: &Turn, phone: &str, language: &str) -> Result<String, StoreError> {
        let mut screen = turn.screen.clone();
        if turn.action == Some(Action::ShowReports) {
            let phone = phone.to_owned();
            let read = move |c: &Db<'_>| queries::last_reports(c, &phone, LAST_REPORTS);
            let last = self.store.read(read).await?.into_iter();
            let last = last.map(|(r, c, s)| json!({ "ref": r, "category": c, "status": s }));
            screen.values["reports"] = json!(last.collect::<Vec<_>>());
        }
        // Every screen was rendered at start-up: a failure here is a bug, not input.
        self.reports
            .ussd
            .render(language, &screen)
            .map_err(|e| StoreError::Sqlite(format!("ussd screen: {e}")))
    }

    /// Whether the session takes no more steps: the menu ended it, its draft was taken up
    /// elsewhere, or the provider has (the sweep may not have marked it yet).
    fn is_over(&self, session: &Session) -> bool {
        session.status != "open" || self.store.now_ms() - session.updated_at > self.timeout_ms
    }

    fn language_of(&self, state: &State) -> String {
        state
            .language
            .clone()
            .unwrap_or_else(|| self.reports.vocabulary.default_language().code.clone())
    }

    /// The SMS text of the report the turn sends, if it sends one.
    fn report_text(
        &self,
        turn: &Turn,
        contact: Option<&Contact>,
        language: &str,
    ) -> Option<String> {
        let vocabulary = &self.reports.vocabulary;
        let words = vocabulary
            .get(language)
            .unwrap_or(vocabulary.default_language());
        match turn.action {
            Some(Action::File) => report::text(&turn.state.draft, words),
            Some(Action::NothingToReport) => {
                let home = contact.and_then(|c| c.home.as_deref());
                Some(report::nothing_to_report(home, words))
            }
            _ => None,
        }
    }
}

/// A report left unfinished in another session, as the state that offers to take it up.
fn unfinished_state(read: &Read, language: Option<String>) -> Option<(i64, State)> {
    let (id, json) = read.unfinished.as_ref()?;
    let mut state: State = serde_json::from_str(json).ok()?;
    let at = state.step.resumable()?;
    state.draft.category.as_ref()?;
    state.step = Step::Resume { at };
    state.language = state.language.or(language);
    Some((*id, state))
}

/// The new answer in `text`: what follows the text seen last (all of it, `*` included:
/// a place typed with one), else its last part.
fn new_input<'t>(last: &str, text: &'t str) -> &'t str {
    if last.is_empty() {
        return text;
    }
    match text.strip_prefix(last).and_then(|t| t.strip_prefix('*')) {
        Some(input) => input,
        None => text.rsplit('*').next().unwrap_or(text),
    }
}

/// The answer to a step of a session that is over: its draft's code, if it holds one that
/// may still be finished.
fn expired(session: &Session) -> Turn {
    let state: State = serde_json::from_str(&session.state).unwrap_or_default();
    let unfinished = matches!(session.status.as_str(), "open" | "expired");
    let draft = state.step.resumable().and(state.draft.category.as_ref());
    let draft = draft.filter(|_| unfinished);
    Turn {
        screen: menu::Screen {
            name: "expired",
            values: json!({ "code": draft.map(|_| session.id) }),
            end: true,
            error: None,
        },
        state,
        action: None,
    }
}

fn refused(language: Option<String>) -> Turn {
    Turn {
        state: State {
            language,
            step: Step::Done,
            ..State::default()
        },
        screen: menu::Screen {
            name: "not_registered",
            values: json!({}),
            end: true,
            error: None,
        },
        action: None,
    }
}

#[cfg(test)]
mod tests;
