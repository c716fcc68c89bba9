//! Carrying out a plan inside the intake's transaction: a report stored and filed under
//! its incident (alerting if it now calls for it), a contact updated, an `OK` or `INFO`
//! answered, a reply queued.

use super::broadcast;
pub(super) use super::out::Out;
use super::plan::{Plan, Step};
use super::record::{record, spot_of};
use crate::fanout::{Answered, Asker};
use crate::gazetteer::{Found, FoundBy};
use crate::incident::{self, fuse::ReportFacts};
use crate::parse::{Parsed, Report};
use crate::reply::{Receipt, receipt_for_choice, reply_for};
use crate::reports::Reports;
use crate::store::StoreError;
use crate::store::contacts;
use crate::store::incidents;
use crate::store::reports::{self as queries, Expired, NewReport};
use crate::store::unread;

/// Marks a message read and carries out its plan (one whose reading failed is set aside).
pub(super) fn one(out: &Out<'_>, inbound_id: i64, plan: Option<&Plan>) -> Result<(), StoreError> {
    let state = plan.map_or("error", Plan::state);
    match plan {
        Some(plan) if unread::mark_read(out.conn, inbound_id, state)? => {
            out.sign_of_life(plan)?;
            if plan.duress.is_some()
                || !matches!(plan.step, Step::File { .. } | Step::Choice { .. })
            {
                // Only filing keeps what the round read of incidents true.
                out.nearby.borrow_mut().forget();
            }
            if let Some(said) = &plan.duress {
                super::duress::raise(out, plan, said, inbound_id)?;
            }
            apply(out, plan, inbound_id)?;
            let marked = plan
                .contact
                .as_ref()
                .is_some_and(|c| c.duress_since.is_some());
            if marked || plan.duress.is_some() {
                queries::mark_duress(out.conn, inbound_id)?;
            }
            Ok(())
        }
        Some(_) => Ok(()),
        None => unread::mark_read(out.conn, inbound_id, state).map(|_| ()),
    }
}

/// Carries out the plan.
fn apply(out: &Out<'_>, plan: &Plan, inbound_id: i64) -> Result<(), StoreError> {
    let Some(answered) = answer(out, plan, inbound_id)? else {
        return Ok(());
    };
    if let Some(text) = answered.reply {
        out.queue(&plan.sender, text, Some(inbound_id))?;
    }
    Ok(())
}

/// Reports and the commands that change the sender's standing; `None`: nothing to say.
fn answer(out: &Out<'_>, plan: &Plan, inbound_id: i64) -> Result<Option<Answered>, StoreError> {
    let (conn, reports, now) = (out.conn, out.reports, out.now);
    let reply_to = |parsed: &Parsed| {
        just(reply_for(&reports.replies, parsed, &reports.gazetteer, 0, false).ok())
    };
    Ok(Some(match &plan.step {
        Step::Skip => return Ok(None),
        Step::File {
            parsed,
            unverified,
            draft,
            receipt,
        } => match draft {
            // Finished by dialling again, or by an earlier SMS, since it was read.
            Some(session) if !crate::store::ussd::taken_up(conn, *session)? => {
                let language = plan.language(parsed.language());
                let values = minijinja::context! {};
                just(
                    reports
                        .replies
                        .render(&language, "draft_unknown", &values)
                        .ok(),
                )
            }
            _ => file(out, plan, inbound_id, parsed, *unverified, receipt.as_ref())?,
        },
        Step::Reply(parsed) => reply_to(parsed),
        Step::CheckIn(report) => super::checkin::store(out, plan, inbound_id, report)?,
        Step::OptOut { out: stop, parsed } => {
            contacts::set_opted_out(conn, &plan.sender, *stop, now)?;
            reply_to(parsed)
        }
        Step::Language { code, parsed } => {
            contacts::set_language(conn, &plan.sender, code, now)?;
            reply_to(parsed)
        }
        Step::Choice { n, parsed } => choose(out, plan, *n, parsed)?,
        Step::Withdraw { incident, language } => just(withdraw(out, plan, *incident, language)?),
        _ => return others(out, plan, inbound_id).map(Some),
    }))
}

/// The other commands: `OK`, `INFO`, broadcasts, and the fixed answers.
fn others(out: &Out<'_>, plan: &Plan, inbound_id: i64) -> Result<Answered, StoreError> {
    let say = |name: &str, language: &str| {
        let values = minijinja::context! {};
        just(
            out.reports
                .replies
                .render(&plan.language(language), name, &values)
                .ok(),
        )
    };
    Ok(match &plan.step {
        Step::Acknowledge { incident, language } => {
            let language = plan.language(language);
            let by = plan.asker(&language);
            out.fanout
                .acknowledge(&out.tx(), reference(*incident), &by)?
        }
        Step::Info { incident, language } => {
            let language = plan.language(language);
            out.fanout
                .info(&out.tx(), reference(*incident), &plan.asker(&language))?
        }
        Step::Refuse { language } => say("not_registered", language),
        Step::Throttled { language } => say("rate_limited", language),
        Step::Say { name, language } => say(name, language),
        Step::Draft { language, .. } => say("draft_unknown", language),
        Step::Broadcast {
            pin,
            typed,
            rest,
            language,
        } => {
            queries::mask(out.conn, inbound_id, typed)?;
            broadcast::ask(out, plan, *pin, rest, &plan.language(language))?
        }
        Step::Confirm { code, language } => {
            broadcast::confirm(out, plan, *code, &plan.language(language))?
        }
        _ => Answered::default(),
    })
}

/// A reply and nothing else.
pub(super) fn just(reply: Option<String>) -> Answered {
    Answered { reply }
}

/// An incident number as typed; one past any id is no incident.
fn reference(typed: u64) -> i64 {
    i64::try_from(typed).unwrap_or(i64::MAX)
}

/// `ANNULE <n>`.
fn withdraw(
    out: &Out<'_>,
    plan: &Plan,
    incident: u64,
    language: &str,
) -> Result<Option<String>, StoreError> {
    let withdrawn = incident::withdraw(
        out.conn,
        reference(incident),
        &plan.sender,
        &out.reports.severity,
        out.now,
    )?;
    let name = if withdrawn {
        "withdrawn"
    } else {
        "nothing_to_withdraw"
    };
    Ok(out
        .reports
        .replies
        .render(
            &plan.language(language),
            name,
            &minijinja::context! { ref => incident },
        )
        .ok())
}

impl Plan {
    /// The sender, as `OK` and `INFO` see them.
    fn asker<'a>(&'a self, language: &'a str) -> Asker<'a> {
        Asker {
            phone: &self.sender,
            contact: self.contact.as_ref(),
            language,
        }
    }

    /// A registered contact's language, else the one they wrote in.
    fn language(&self, written: &str) -> String {
        self.contact
            .as_ref()
            .and_then(|c| c.language.clone())
            .unwrap_or_else(|| written.to_owned())
    }
}

/// A notice to each sender whose place choice expired.
pub(super) fn notices(out: &Out<'_>, expired: &[Expired]) -> Result<(), StoreError> {
    let reports = out.reports;
    for e in expired {
        let values = minijinja::context! { category => e.category, name => e.name };
        if let Ok(text) = reports
            .replies
            .render(&e.language, "choice_expired", &values)
        {
            out.queue(&e.reporter, text, None)?;
        }
    }
    Ok(())
}

fn file(
    out: &Out<'_>,
    plan: &Plan,
    inbound_id: i64,
    parsed: &Parsed,
    unverified: bool,
    receipt: Option<&Receipt>,
) -> Result<Answered, StoreError> {
    let (report, choices, typed) = match parsed {
        Parsed::Report(r) => (r, Vec::new(), None),
        Parsed::Ambiguous {
            report,
            choices,
            words,
        } => (report, choices.clone(), Some(words.clone())),
        _ => return Ok(Answered::default()),
    };
    let gazetteer = &out.reports.gazetteer;
    let filed = match &report.place {
        Some(found) if choices.is_empty() => Some(found),
        _ => None,
    };
    // A message that already has a report changes nothing. A filed one is placed before
    // it is stored, so its row is written once, with its incident.
    if queries::exists_for(out.conn, inbound_id)? {
        return Ok(Answered::default());
    }
    let filed_under = filed
        .map(|found| place(out, plan, report, found))
        .transpose()?;
    let new = NewReport {
        inbound_id,
        contact_id: plan.contact.as_ref().map(|c| c.id),
        reporter: plan.sender.clone(),
        unverified,
        status: if choices.is_empty() {
            "filed"
        } else {
            "pending"
        },
        choices: choices
            .iter()
            .map(|&c| gazetteer.place(c).id.to_string())
            .collect(),
        typed_place: typed,
        filed_under,
        ..report_row(out.reports, report)
    };
    let Some(id) = queries::insert(out.conn, &new, out.now)? else {
        // Looked for above, in this transaction: undo any filing rather than count a
        // report that is not stored.
        return Err(StoreError::Sqlite(format!(
            "message {inbound_id} has a report already"
        )));
    };
    // A filed report's incident number is the reference; a pending one's own, until it
    // has a place.
    let reference = filed_under.map_or(id, |(incident, _)| incident);
    Ok(acknowledged(out, plan, parsed, reference, receipt))
}

/// Files a report under its incident before it is stored: the incident's number, and the
/// precision of the report's place there.
fn place(
    out: &Out<'_>,
    plan: &Plan,
    report: &Report,
    found: &Found,
) -> Result<(i64, u8), StoreError> {
    let spot = spot_of(out.reports, found);
    let precision = spot.precision;
    let incident = out.place(ReportFacts {
        reporter: plan.sender.clone(),
        category: report.category,
        event_time: report.event_time.timestamp_millis(),
        spot,
        counts: report.counts,
    })?;
    Ok((incident, precision))
}

/// The receipt of a stored report, under `reference`: the one rendered ahead if there is
/// one, else rendered now.
fn acknowledged(
    out: &Out<'_>,
    plan: &Plan,
    parsed: &Parsed,
    reference: i64,
    receipt: Option<&Receipt>,
) -> Answered {
    let replies = &out.reports.replies;
    let reference = u64::try_from(reference).unwrap_or_default();
    if let Some(receipt) = receipt {
        return just(receipt.complete(replies, reference).ok());
    }
    let discreet = plan.contact.as_ref().is_some_and(|c| c.discreet);
    just(reply_for(replies, parsed, &out.reports.gazetteer, reference, discreet).ok())
}

/// What a report row holds of the parsed report.
fn report_row(reports: &Reports, report: &Report) -> NewReport {
    NewReport {
        category: report.category.code().to_owned(),
        place: report.place.as_ref().map(|f| record(reports, f)),
        counts: crate::reports::counts_json(&report.counts).to_string(),
        event_time: report.event_time.timestamp_millis(),
        severity: report.severity,
        description: report.description.clone(),
        language: report.language.clone(),
        ..NewReport::default()
    }
}

/// A digit answering a numbered place choice.
fn choose(out: &Out<'_>, plan: &Plan, n: u32, parsed: &Parsed) -> Result<Answered, StoreError> {
    let since = out.now - i64::try_from(plan.choice_timeout.as_millis()).unwrap_or(i64::MAX);
    let pending = queries::pending_for(out.conn, &plan.sender, since)?;
    let gazetteer = &out.reports.gazetteer;
    let picked = pending.as_ref().and_then(|p| {
        let id = p.choices.get(usize::try_from(n).ok()?.checked_sub(1)?)?;
        Some((p, gazetteer.by_id(id)?))
    });
    let Some((pending, place)) = picked else {
        return Ok(Answered {
            reply: reply_for(&out.reports.replies, parsed, gazetteer, 0, false).ok(),
        });
    };
    let found = Found {
        place,
        found_by: FoundBy::Text,
        point: None,
    };
    if !queries::file_pending(out.conn, pending.id, &record(out.reports, &found), out.now)? {
        return Ok(Answered::default());
    }
    let incident = match incidents::report_facts(out.conn, pending.id)? {
        Some(facts) => {
            let precision = facts.spot.precision;
            let incident = out.place(facts)?;
            incidents::attach(out.conn, pending.id, incident, precision)?;
            incident
        }
        None => pending.id,
    };
    let discreet = plan.contact.as_ref().is_some_and(|c| c.discreet);
    let reference = u64::try_from(incident).unwrap_or_default();
    let text = receipt_for_choice(
        &out.reports.replies,
        &pending.language,
        reference,
        &pending.category,
        gazetteer.place(place),
        discreet,
    );
    Ok(just(text.ok()))
}
