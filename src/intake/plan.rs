//! What one message calls for: pure but for the parse, so a message that trips a bug is
//! set aside before anything is written. `apply` carries the plan out.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::Unread;
use crate::config::UnknownSenders;
use crate::parse::{CommandKind, Context, Input, Parsed};
use crate::reply::Receipt;

/// How a message is read: `parse`, or `parse_report` for one known not to be a command.
pub(super) type Parser = fn(&Input<'_>, &Context<'_>) -> Parsed;
use crate::reports::Reports;
use crate::store::contacts::Contact;
use crate::store::signs::Via;

#[derive(Debug, Clone, Copy)]
pub(super) struct Policy {
    pub unknown_senders: UnknownSenders,
    pub choice_timeout: Duration,
    /// The USSD provider's session timeout.
    pub ussd_timeout: Duration,
}

/// One message's plan.
#[derive(Debug)]
pub(super) struct Plan {
    pub sender: String,
    pub contact: Option<Contact>,
    pub step: Step,
    pub choice_timeout: Duration,
    /// The message as a sign of life of its sender's contact: when the provider says it
    /// was sent, and how; `None` for a loop, a sender no contact has, or a report made in
    /// the USSD menu (its session was the sign).
    pub sign: Option<(i64, Via)>,
    /// The sender's duress word, said in this message.
    pub duress: Option<super::duress::Said>,
}

#[derive(Debug)]
pub(super) enum Step {
    /// A flood or a loop: read, nothing else.
    Skip,
    /// The first flood message in a while: a notice that the next ones are ignored.
    Throttled {
        language: String,
    },
    /// A report (or one waiting for a place choice) to store and acknowledge; `draft`: the
    /// USSD session whose unfinished report it finishes.
    File {
        parsed: Parsed,
        unverified: bool,
        draft: Option<i64>,
        /// Its receipt, rendered here rather than on the writer, but for its number.
        receipt: Option<Receipt>,
    },
    /// `RAS`: a check-in to store and acknowledge; no incident, no alert.
    CheckIn(crate::parse::Report),
    /// `SUITE <code> ...`: finishes the report left unfinished in USSD session `code`. The
    /// intake reads the draft and plans the report it makes; one not found stays this.
    Draft {
        code: i64,
        rest: String,
        language: String,
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
    /// A reply from a template without values (`not_allowed`, `broadcast_help`).
    Say {
        name: &'static str,
        language: String,
    },
    /// `DIFF <PIN> <ZONE> <TEXT>` from a coordinator, the PIN checked; `rest` is the zone
    /// and the text, as typed.
    Broadcast {
        pin: Pin,
        /// The PIN as typed, to mask in the stored message.
        typed: String,
        rest: String,
        language: String,
    },
    /// `OUI <code>` from a coordinator: sends their pending broadcast.
    Confirm {
        code: i64,
        language: String,
    },
}

/// A coordinator's PIN, as checked against its hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pin {
    Right,
    Wrong,
    /// Locked by earlier wrong ones: not even checked.
    Locked,
}

/// Wrong PINs in a row that lock a coordinator out of phone broadcasts.
pub(super) const PIN_TRIES: u32 = 3;

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
    parser: Parser,
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
            language: contact
                .as_ref()
                .and_then(|c| c.language.as_deref())
                .or(message.language.as_deref()),
            home,
            country: reports.country_of(&message.channel),
            received,
        };
        step_for(
            parser(&input, &reports.context()),
            contact.as_ref(),
            reports,
            policy,
        )
    };
    // A report made in the USSD menu (it carries the menu's language) was a sign when the
    // session began.
    let by_sms = !message.is_loop && message.language.is_none();
    let sign = (contact.is_some() && by_sms).then_some((message.received_at, Via::Sms));
    Plan {
        sender: message.sender.clone(),
        contact,
        step,
        choice_timeout: policy.choice_timeout,
        sign,
        duress: None,
    }
}

fn is_check_in(parsed: &Parsed) -> bool {
    matches!(parsed, Parsed::Report(r) if r.category == crate::keywords::Category::RAS)
}

fn step_for(parsed: Parsed, contact: Option<&Contact>, reports: &Reports, policy: &Policy) -> Step {
    let registered = contact.is_some();
    match parsed {
        Parsed::Report(_) | Parsed::Ambiguous { .. } => {
            match (registered, policy.unknown_senders) {
                (false, UnknownSenders::Refuse) => Step::Refuse {
                    language: parsed.language().to_owned(),
                },
                (_, _) if is_check_in(&parsed) => match parsed {
                    Parsed::Report(report) => Step::CheckIn(report),
                    other => Step::Reply(other),
                },
                (registered, policy) => Step::File {
                    unverified: !registered && policy == UnknownSenders::Unverified,
                    receipt: Receipt::ahead(
                        &reports.replies,
                        &parsed,
                        &reports.gazetteer,
                        contact.is_some_and(|c| c.discreet),
                    ),
                    parsed,
                    draft: None,
                },
            }
        }
        // A report finished by SMS is refused to unknown numbers where reports are.
        Parsed::Command(c) if matches!(c.kind, CommandKind::Draft { .. }) && !registered => {
            match policy.unknown_senders {
                UnknownSenders::Refuse => Step::Refuse {
                    language: c.language,
                },
                _ => command_step(Parsed::Command(c), contact, reports),
            }
        }
        Parsed::Command(_) => command_step(parsed, contact, reports),
        Parsed::Error { .. } => Step::Reply(parsed),
    }
}

fn command_step(parsed: Parsed, contact: Option<&Contact>, reports: &Reports) -> Step {
    let Parsed::Command(c) = &parsed else {
        return Step::Reply(parsed);
    };
    let language = c.language.clone();
    match &c.kind {
        CommandKind::Stop => Step::OptOut { out: true, parsed },
        CommandKind::Start => Step::OptOut { out: false, parsed },
        CommandKind::Language(Some(code)) if reports.vocabulary.get(code).is_some() => {
            let code = code.clone();
            Step::Language { code, parsed }
        }
        CommandKind::Choice(n) => Step::Choice { n: *n, parsed },
        &CommandKind::Cancel(Some(incident)) => Step::Withdraw { incident, language },
        &CommandKind::Ok(Some(incident)) => Step::Acknowledge { incident, language },
        &CommandKind::Info(Some(incident)) => Step::Info { incident, language },
        CommandKind::Broadcast { pin, rest } => broadcast_step(contact, pin, rest, language),
        CommandKind::Confirm(code) => confirm_step(contact, *code, language),
        CommandKind::Draft {
            code: Some(code),
            rest,
        } => Step::Draft {
            code: i64::try_from(*code).unwrap_or(0),
            rest: rest.clone(),
            language,
        },
        CommandKind::Draft { code: None, .. } => Step::Say {
            name: "draft_unknown",
            language,
        },
        _ => Step::Reply(parsed),
    }
}

/// `DIFF <PIN> <ZONE> <TEXT>`: only a coordinator with a PIN may; a message not of that
/// form (no PIN of 4 to 8 digits, no text after the zone) gets the form, and costs no
/// try. The PIN is checked here, before the intake's transaction, since an argon2 check
/// takes milliseconds.
fn broadcast_step(contact: Option<&Contact>, pin: &str, rest: &str, language: String) -> Step {
    let say = |name| Step::Say {
        name,
        language: language.clone(),
    };
    let allowed = contact
        .filter(|c| c.has_role("coordinator"))
        .and_then(|c| Some((c, c.pin_hash.as_deref()?)));
    let Some((contact, hash)) = allowed else {
        return say("not_allowed");
    };
    let is_pin = (4..=8).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit());
    if !is_pin || rest.split_whitespace().nth(1).is_none() {
        return say("broadcast_help");
    }
    let checked = if contact.pin_failures >= PIN_TRIES {
        Pin::Locked
    } else if crate::contacts::verify_pin(hash, pin) {
        Pin::Right
    } else {
        Pin::Wrong
    };
    Step::Broadcast {
        pin: checked,
        typed: pin.to_owned(),
        rest: rest.to_owned(),
        language,
    }
}

/// `OUI <code>`: a coordinator's, unless locked out (a broadcast asked for before the
/// lock is not sent after it).
fn confirm_step(contact: Option<&Contact>, code: Option<u64>, language: String) -> Step {
    match contact.filter(|c| c.has_role("coordinator")) {
        Some(c) if c.pin_failures >= PIN_TRIES => Step::Say {
            name: "pin_locked",
            language,
        },
        Some(_) => Step::Confirm {
            code: code.and_then(|n| i64::try_from(n).ok()).unwrap_or(0),
            language,
        },
        None => Step::Say {
            name: "not_allowed",
            language,
        },
    }
}
