//! Reports left unfinished in the USSD menu, finished by SMS: `SUITE 12 Koro 3 morts` reads
//! session 12's draft back (the caller's own, still fresh) and plans the report the draft
//! and the added words make, as if it had been sent as one SMS. When the provider ends a
//! session that holds a draft, its caller is sent the code.

use super::apply::Out;
use super::plan::{Plan, Step};
use super::{Intake, Unread};
use crate::parse::parse_report;
use crate::store::StoreError;
use crate::store::ussd::{self as sessions, Expired};
use crate::ussd::{RESUME_MS, draft};

impl Intake {
    /// Turns each `SUITE <code>` plan whose draft is found into the plan of the report it
    /// finishes. Without one (or with nothing in it), a message that reads as a report is
    /// one (`Suite 2 morts a Koro ATT`); the others stay as they are (and are told no such
    /// draft waits).
    pub(super) async fn complete_drafts(
        &self,
        round: &[Unread],
        mut plans: Vec<(i64, Option<Plan>)>,
    ) -> Result<Vec<(i64, Option<Plan>)>, StoreError> {
        let wanted: Vec<(usize, i64, String)> = plans
            .iter()
            .enumerate()
            .filter_map(|(i, (_, plan))| match plan.as_ref()?.step {
                Step::Draft { code, .. } => Some((i, code, plan.as_ref()?.sender.clone())),
                _ => None,
            })
            .collect();
        if wanted.is_empty() {
            return Ok(plans);
        }
        let since = self.store.now_ms() - RESUME_MS;
        let found = self
            .store
            .read(move |c| {
                let mut found = Vec::new();
                for (i, code, phone) in &wanted {
                    if let Some(state) = sessions::draft(c, *code, phone, since)? {
                        found.push((*i, *code, state));
                    }
                }
                Ok(found)
            })
            .await?;
        for (i, (_, plan)) in plans.iter_mut().enumerate() {
            let Some(asked) = plan
                .as_ref()
                .filter(|p| matches!(p.step, Step::Draft { .. }))
            else {
                continue;
            };
            let draft = found.iter().find(|(at, _, _)| *at == i);
            let replanned = draft
                .and_then(|(_, code, state)| self.finish(&round[i], asked, *code, state))
                .or_else(|| self.as_report(&round[i], asked));
            if let Some(replanned) = replanned {
                *plan = Some(replanned);
            }
        }
        Ok(plans)
    }

    /// A message that starts like `SUITE <code>` without such a draft, read as a report if
    /// it is one.
    fn as_report(&self, message: &Unread, plan: &Plan) -> Option<Plan> {
        let report = self.plan_with(message, plan.contact.clone(), parse_report)?;
        matches!(report.step, Step::File { .. }).then_some(report)
    }

    /// The plan of the report session `code`'s draft and the words added after the code
    /// make; `None` if the draft holds nothing to finish.
    fn finish(&self, message: &Unread, plan: &Plan, code: i64, state: &str) -> Option<Plan> {
        let Step::Draft { rest, .. } = &plan.step else {
            return None;
        };
        // Written in the language it will be read in: the sender's, else the session's.
        let language = plan.contact.as_ref().and_then(|c| c.language.as_deref());
        let (text, language) = draft::finished(state, rest, language, &self.reports.vocabulary)?;
        let message = Unread {
            text,
            language: Some(language),
            ..message.clone()
        };
        let mut finished = self.plan_one(&message, plan.contact.clone())?;
        if let Step::File { draft, .. } = &mut finished.step {
            *draft = Some(code);
        }
        Some(finished)
    }
}

/// Each caller whose session ended with a draft is sent its code (`ussd_draft`).
pub(super) fn notices(out: &Out<'_>, expired: &[Expired]) -> Result<(), StoreError> {
    let (vocabulary, gazetteer) = (&out.reports.vocabulary, &out.reports.gazetteer);
    for session in expired {
        let Some((language, values)) =
            draft::notice(&session.state, session.id, vocabulary, gazetteer)
        else {
            continue;
        };
        let values = minijinja::Value::from_serialize(&values);
        match out.reports.replies.render(&language, "ussd_draft", &values) {
            Ok(text) => out.queue(&session.phone, text, None)?,
            Err(e) => tracing::warn!(error = %e, session = session.id, "draft notice not sent"),
        }
    }
    Ok(())
}

/// Open sessions the provider has ended by now are expired, their callers told.
pub(super) fn expire(out: &Out<'_>, timeout_ms: i64) -> Result<(), StoreError> {
    let expired = sessions::expire(out.conn, out.now.saturating_sub(timeout_ms))?;
    notices(out, &expired)
}
