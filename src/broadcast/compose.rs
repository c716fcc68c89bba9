//! Broadcasts as coordinators compose them, by the API or the console: checked (zone
//! within the caller's, roles, languages, a text that fits its SMS limit: refused with its
//! count, never cut), previewed with the number of recipients, sent in one transaction
//! (audited), then followed as queued, sent, delivered or failed.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Audience, Reach, Texts, queue};
use crate::access::Caller;
use crate::contacts::ROLES;
use crate::fanout::Fanout;
use crate::outbound::{Outbound, OutboundError, Purpose};
use crate::reports::Reports;
use crate::store::broadcasts::{self as queries, NewBroadcast};
use crate::store::{Store, StoreError};

/// A broadcast as asked for.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BroadcastInput {
    pub zone: String,
    /// The text, or a template (`templates/sms/<lang>/broadcasts/<name>.txt`) and its
    /// values, rendered in each recipient's language.
    pub text: Option<String>,
    pub template: Option<String>,
    #[serde(default)]
    pub values: serde_json::Map<String, Value>,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub languages: Vec<String>,
}

/// Why a broadcast was not sent or shown.
#[derive(Debug, thiserror::Error)]
pub enum BroadcastError {
    /// A field that does not hold, named.
    #[error("{0}")]
    Invalid(String),
    #[error("{0} is outside this token's zones")]
    OutsideZones(String),
    #[error("no broadcast {0}")]
    NoBroadcast(i64),
    /// A text over its SMS limit, with its count.
    #[error(transparent)]
    NotSendable(#[from] OutboundError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a broadcast would be, before it is sent.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub text: String,
    pub segments: usize,
    pub encoding: &'static str,
    pub recipients: usize,
}

/// How a broadcast's messages stand.
#[derive(Debug, Clone, Serialize)]
pub struct Standing {
    pub id: i64,
    pub zone: String,
    pub text: String,
    pub recipients: i64,
    pub status: String,
    pub created_at: Option<String>,
    pub queued: i64,
    pub sent: i64,
    pub delivered: i64,
    pub failed: i64,
}

/// What broadcasting needs.
#[derive(Debug, Clone)]
pub struct Broadcasts {
    pub store: Store,
    pub reports: Arc<Reports>,
    pub fanout: Arc<Fanout>,
    pub outbound: Arc<Outbound>,
}

impl Broadcasts {
    /// Checks, stores, queues and audits the broadcast, and wakes the senders; its id and
    /// number of recipients.
    pub async fn send(
        &self,
        caller: &Caller,
        input: BroadcastInput,
    ) -> Result<(i64, usize), BroadcastError> {
        let texts = self.checked(caller, &input)?;
        let broadcast = NewBroadcast {
            zone: input.zone,
            text: texts.default.clone(),
            roles: input.roles,
            languages: input.languages,
            created_by: caller.who.clone(),
            contact_id: None,
        };
        let (reports, fanout, outbound) = self.parts();
        let now = self.store.now_ms();
        let (id, n) = self
            .store
            .write(move |conn| {
                let reach = Reach {
                    reports: &reports,
                    fanout: &fanout,
                };
                queue(conn, &reach, &outbound, &broadcast, &texts, now)
            })
            .await?;
        Ok((id, n))
    }

    /// What the broadcast would be, without sending it; refused as `send` would refuse it.
    pub async fn preview(
        &self,
        caller: &Caller,
        input: &BroadcastInput,
    ) -> Result<Preview, BroadcastError> {
        let texts = self.checked(caller, input)?;
        let sms = self.outbound.measure(&texts.default);
        let (zone, roles, languages) = (
            input.zone.clone(),
            input.roles.clone(),
            input.languages.clone(),
        );
        let (reports, fanout, _) = self.parts();
        let recipients = self
            .store
            .read(move |conn| {
                let reach = Reach {
                    reports: &reports,
                    fanout: &fanout,
                };
                let audience = Audience {
                    zone: &zone,
                    roles: &roles,
                    languages: &languages,
                };
                Ok(reach.recipients(conn, &audience)?.len())
            })
            .await?;
        Ok(Preview {
            text: texts.default,
            segments: sms.segments,
            encoding: sms.encoding.label(),
            recipients,
        })
    }

    /// How broadcast `id`'s messages stand, within the caller's zones.
    pub async fn standing(&self, caller: &Caller, id: i64) -> Result<Standing, BroadcastError> {
        let ((zone, text, recipients, at, status), counts) = self
            .store
            .read(move |c| queries::standing(c, id))
            .await?
            .ok_or(BroadcastError::NoBroadcast(id))?;
        let names = self.fanout.zone_names();
        if !caller.covers(names.keys_up(&zone).into_iter()) {
            return Err(BroadcastError::OutsideZones(format!("broadcast {id}")));
        }
        let counts: HashMap<String, i64> = counts.into_iter().collect();
        let count = |s: &str| counts.get(s).copied().unwrap_or(0);
        Ok(Standing {
            id,
            zone,
            text,
            recipients,
            status,
            created_at: crate::clock::to_rfc3339(at),
            queued: count("queued") + count("sending"),
            sent: count("sent"),
            delivered: count("delivered"),
            failed: count("failed") + count("expired"),
        })
    }

    /// The broadcast's texts, once its zone, roles, languages and length are checked.
    fn checked(&self, caller: &Caller, input: &BroadcastInput) -> Result<Texts, BroadcastError> {
        let names = self.fanout.zone_names();
        names
            .canonical(&input.zone)
            .map_err(|e| BroadcastError::Invalid(format!("zone: {e}")))?;
        if !caller.covers(names.keys_up(&input.zone).into_iter()) {
            return Err(BroadcastError::OutsideZones(format!(
                "zone `{}`",
                input.zone
            )));
        }
        if let Some(bad) = input.roles.iter().find(|r| !ROLES.contains(&r.as_str())) {
            return Err(BroadcastError::Invalid(format!(
                "roles: `{bad}` is not monitor, responder or coordinator"
            )));
        }
        let vocabulary = &self.reports.vocabulary;
        if let Some(bad) = input.languages.iter().find(|l| vocabulary.get(l).is_none()) {
            return Err(BroadcastError::Invalid(format!(
                "languages: `{bad}` is not a language Vigie speaks"
            )));
        }
        let texts = self.texts(input)?;
        for text in std::iter::once(&texts.default).chain(texts.by_language.values()) {
            self.outbound.check(text, Purpose::Broadcast)?;
        }
        Ok(texts)
    }

    /// The text, or the template rendered in each of its languages (the default
    /// language's for contacts of a language it lacks).
    fn texts(&self, input: &BroadcastInput) -> Result<Texts, BroadcastError> {
        let name = match (&input.text, &input.template) {
            (Some(text), None) => return Ok(Texts::same(text.clone())),
            (None, Some(name)) => name,
            _ => {
                return Err(BroadcastError::Invalid(
                    "give a text, or a template and its values, not both".into(),
                ));
            }
        };
        let templates = &self.reports.broadcasts;
        let values = minijinja::Value::from_serialize(&input.values);
        let rendered = templates.render(name, &values).ok_or_else(|| {
            let known: Vec<&str> = templates.names().collect();
            BroadcastError::Invalid(format!(
                "template: no broadcast template `{name}`; there are: {}",
                known.join(", ")
            ))
        })?;
        let by_language =
            rendered.map_err(|e| BroadcastError::Invalid(format!("template `{name}`: {e}")))?;
        let default = &self.reports.vocabulary.default_language().code;
        let text = by_language
            .get(default)
            .or_else(|| by_language.values().next())
            .cloned()
            .unwrap_or_default();
        Ok(Texts {
            default: text,
            by_language,
        })
    }

    fn parts(&self) -> (Arc<Reports>, Arc<Fanout>, Arc<Outbound>) {
        (
            self.reports.clone(),
            self.fanout.clone(),
            self.outbound.clone(),
        )
    }
}
