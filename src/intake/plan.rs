//! What one message calls for: pure but for the parse, so a message that trips a bug is
//! set aside before anything is written. `apply` carries the plan out.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::Unread;
use crate::config::UnknownSenders;
use crate::parse::{CommandKind, Input, Parsed, parse};
use crate::reports::Reports;
use crate::store::contacts::Contact;

#[derive(Debug, Clone, Copy)]
pub(super) struct Policy {
    pub unknown_senders: UnknownSenders,
    pub choice_timeout: Duration,
}

/// One message's plan.
#[derive(Debug)]
pub(super) struct Plan {
    pub sender: String,
    pub contact: Option<Contact>,
    pub step: Step,
    pub choice_timeout: Duration,
}

#[derive(Debug)]
pub(super) enum Step {
    /// A flood or a loop: read, nothing else.
    Skip,
    /// The first flood message in a while: a notice that the next ones are ignored.
    Throttled {
        language: String,
    },
    /// A report (or one waiting for a place choice) to store and acknowledge.
    File {
        parsed: Parsed,
        unverified: bool,
    },
    /// An error or a command that only needs its reply.
    Reply(Parsed),
    /// `ANNULE <n>`: the sender's own report leaves incident `n`.
    Withdraw {
        incident: u64,
        language: String,
    },
    /// `OK <n>`: a responder takes the alert up.
    Acknowledge {
        incident: u64,
        language: String,
    },
    /// `INFO <n>`: the incident's status.
    Info {
        incident: u64,
        language: String,
    },
    OptOut {
        out: bool,
        parsed: Parsed,
    },
    Language {
        code: String,
        parsed: Parsed,
    },
    Choice {
        n: u32,
        parsed: Parsed,
    },
    Refuse {
        language: String,
    },
}

impl Plan {
    pub(super) fn state(&self) -> &'static str {
        if matches!(self.step, Step::Skip | Step::Throttled { .. }) {
            "skipped"
        } else {
            "done"
        }
    }
}

/// `notice_flood`: a throttled message gets the rate-limit notice (the first in a while).
pub(super) fn plan(
    message: &Unread,
    contact: Option<Contact>,
    received: DateTime<Utc>,
    reports: &Reports,
    policy: &Policy,
    notice_flood: bool,
) -> Plan {
    let contact = contact.filter(|c| c.active);
    let step = if message.is_loop || (message.throttled && !notice_flood) {
        Step::Skip
    } else if message.throttled {
        let language = contact.as_ref().and_then(|c| c.language.clone());
        Step::Throttled {
            language: language
                .unwrap_or_else(|| reports.vocabulary.default_language().code.clone()),
        }
    } else {
        let home = contact
            .as_ref()
            .and_then(|c| c.home.as_deref())
            .and_then(|h| reports.gazetteer.by_id(h));
        let input = Input {
            text: &message.text,
            language: contact.as_ref().and_then(|c| c.language.as_deref()),
            home,
            received,
        };
        step_for(
            parse(&input, &reports.context()),
            contact.is_some(),
            reports,
            policy,
        )
    };
    Plan {
        sender: message.sender.clone(),
        contact,
        step,
        choice_timeout: policy.choice_timeout,
    }
}

fn step_for(parsed: Parsed, registered: bool, reports: &Reports, policy: &Policy) -> Step {
    match parsed {
        Parsed::Report(_) | Parsed::Ambiguous { .. } => {
            match (registered, policy.unknown_senders) {
                (false, UnknownSenders::Refuse) => Step::Refuse {
                    language: parsed.language().to_owned(),
                },
                (registered, policy) => Step::File {
                    unverified: !registered && policy == UnknownSenders::Unverified,
                    parsed,
                },
            }
        }
        Parsed::Command(ref c) => match &c.kind {
            CommandKind::Stop => Step::OptOut { out: true, parsed },
            CommandKind::Start => Step::OptOut { out: false, parsed },
            CommandKind::Language(Some(code)) if reports.vocabulary.get(code).is_some() => {
                Step::Language {
                    code: code.clone(),
                    parsed,
                }
            }
            CommandKind::Choice(n) => Step::Choice { n: *n, parsed },
            CommandKind::Cancel(Some(incident)) => Step::Withdraw {
                incident: *incident,
                language: c.language.clone(),
            },
            CommandKind::Ok(Some(incident)) => Step::Acknowledge {
                incident: *incident,
                language: c.language.clone(),
            },
            CommandKind::Info(Some(incident)) => Step::Info {
                incident: *incident,
                language: c.language.clone(),
            },
            _ => Step::Reply(parsed),
        },
        Parsed::Error { .. } => Step::Reply(parsed),
    }
}
