//! Contacts as admins manage them, by the API, the console or `vigie import contacts`:
//! listed with their activity; added, changed, deleted and imported from a CSV, each step
//! audited with roles and zones, never a number.

use std::sync::Arc;

use crate::store::db::Db;
use phonenumber::country::Id as Country;
use serde::Serialize;
use serde_json::{Value, json};

use super::{Checks, ContactInput, Rejected, check, check_keeping, read_csv};
use crate::access::Caller;
use crate::fanout::{ZoneNames, Zones};
use crate::reports::Reports;
use crate::store::contacts::{self as queries, Contact};
use crate::store::{Store, StoreError, audit, checkins};

/// Why a contact was not listed, stored or removed.
#[derive(Debug, thiserror::Error)]
pub enum ContactError {
    /// A field that does not pass its check, named.
    #[error("{0}")]
    Invalid(String),
    #[error("a contact with this number exists; change that one")]
    Exists,
    #[error("no contact {0}")]
    NoContact(i64),
    #[error("phone: a contact's number does not change; create another")]
    PhoneChanges,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A contact as listed, with their last report and their last check-in (`RAS`).
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    #[serde(flatten)]
    pub contact: Contact,
    pub last_report_at: Option<String>,
    pub last_checkin_at: Option<String>,
    pub last_checkin_place: Option<String>,
}

/// What managing contacts needs.
#[derive(Debug, Clone)]
pub struct Contacts {
    pub store: Store,
    pub reports: Arc<Reports>,
    /// Whose national numbers are written without a country code.
    pub country: Country,
    /// The zones in force, which a contact's zones are checked against.
    pub zones: Arc<Zones>,
}

impl Contacts {
    /// Contacts whose name or number contains `words`, newest first, each with its last
    /// report and check-in; and the id to go on below.
    pub async fn listing(
        &self,
        words: &str,
        limit: u32,
        before: Option<i64>,
    ) -> Result<(Vec<Listed>, Option<i64>), ContactError> {
        let words = words.to_owned();
        let listed = self
            .store
            .read(move |c| {
                let contacts = queries::search(c, &words, limit, before)?;
                let with_activity = contacts.into_iter().map(|contact| {
                    let activity = checkins::activity(c, contact.id)?;
                    Ok(listed(contact, activity))
                });
                with_activity.collect::<Result<Vec<_>, StoreError>>()
            })
            .await?;
        let next = listed.last().map(|l| l.contact.id);
        Ok((listed, next))
    }

    /// Contact `id`, or `NoContact`.
    pub async fn get(&self, id: i64) -> Result<Contact, ContactError> {
        self.store
            .read(move |c| queries::by_id(c, id))
            .await?
            .ok_or(ContactError::NoContact(id))
    }

    /// A new contact, checked, stored and audited; `Exists` if the number is known.
    pub async fn add(&self, caller: &Caller, input: ContactInput) -> Result<Contact, ContactError> {
        let contact = self.checked(move |checks| check(input, checks)).await??;
        let phone = contact.phone.clone();
        if self
            .store
            .read(move |c| queries::by_phone(c, &phone))
            .await?
            .is_some()
        {
            return Err(ContactError::Exists);
        }
        self.save(contact, caller, "contact.create").await
    }

    /// Contact `id` with the fields of `patch` (a JSON object) changed, checked, stored
    /// and audited.
    pub async fn change(
        &self,
        caller: &Caller,
        id: i64,
        patch: &Value,
    ) -> Result<Contact, ContactError> {
        let current = self.get(id).await?;
        let input: ContactInput =
            crate::patch::patched(&input_of(&current), patch).map_err(ContactError::Invalid)?;
        let kept = current.zones.clone();
        let contact = self
            .checked(move |checks| check_keeping(input, checks, &kept))
            .await??;
        if contact.phone != current.phone {
            return Err(ContactError::PhoneChanges);
        }
        self.save(contact, caller, "contact.update").await
    }

    /// Removes contact `id`, audited.
    pub async fn delete(&self, caller: &Caller, id: i64) -> Result<(), ContactError> {
        let now = self.store.now_ms();
        let who = caller.who.clone();
        let deleted = self.store.write(move |c| {
            let deleted = queries::delete(c, id)?;
            if deleted {
                let subject = format!("contact {id}");
                audit::append(c, &who, "contact.delete", &subject, &json!({}), now)?;
            }
            Ok(deleted)
        });
        if deleted.await? {
            Ok(())
        } else {
            Err(ContactError::NoContact(id))
        }
    }

    /// A contacts CSV: the good rows stored together and audited; each bad row with why.
    pub async fn import(
        &self,
        caller: &Caller,
        csv: String,
    ) -> Result<(usize, Vec<Rejected>), ContactError> {
        let (contacts, rejected) = self.checked(move |checks| read_csv(&csv, checks)).await?;
        let count = contacts.len();
        let now = self.store.now_ms();
        let who = caller.who.clone();
        self.store
            .write(move |c| store_imported(c, &contacts, &who, now))
            .await?;
        Ok((count, rejected))
    }

    /// Runs `f` with the checks off the request threads: a PIN is hashed with argon2, tens
    /// of milliseconds of CPU each, which would hold up every request on that thread.
    async fn checked<T, F>(&self, f: F) -> Result<T, ContactError>
    where
        T: Send + 'static,
        F: FnOnce(&Checks<'_>) -> T + Send + 'static,
    {
        let (reports, country) = (Arc::clone(&self.reports), self.country);
        let zones = Arc::clone(&self.zones);
        tokio::task::spawn_blocking(move || {
            f(&Checks {
                country,
                vocabulary: &reports.vocabulary,
                gazetteer: &reports.gazetteer,
                zones: ZoneNames::new(&reports.gazetteer, zones),
            })
        })
        .await
        .map_err(|e| ContactError::Store(crate::store::joined(e)))
    }

    /// Stores the contact and its audit entry together; the contact as stored.
    async fn save(
        &self,
        contact: Contact,
        caller: &Caller,
        action: &'static str,
    ) -> Result<Contact, ContactError> {
        let now = self.store.now_ms();
        let who = caller.who.clone();
        let id = self
            .store
            .write(move |c| {
                let id = queries::upsert(c, &contact, now)?;
                let detail = json!({ "roles": contact.roles, "zones": contact.zones });
                audit::append(c, &who, action, &format!("contact {id}"), &detail, now)?;
                Ok(id)
            })
            .await?;
        self.get(id).await
    }
}

impl From<String> for ContactError {
    fn from(reason: String) -> Self {
        Self::Invalid(reason)
    }
}

/// Imports a contacts CSV into the configured database as `who` (`vigie import contacts`,
/// the demo), the good rows in one transaction with their audit entry; returns how many
/// were imported and the rows refused, with why.
pub async fn import_file(
    store: &Store,
    config: &crate::config::Config,
    who: &str,
    text: &str,
) -> anyhow::Result<(usize, Vec<Rejected>)> {
    let reports = Reports::load(&config.reports)?;
    let country = config
        .inbound
        .default_country
        .parse()
        .map_err(|_| anyhow::anyhow!("inbound.default_country: not a country code"))?;
    let zones = crate::zoning::in_force(store, config, &reports.gazetteer).await?;
    let checks = Checks {
        country,
        vocabulary: &reports.vocabulary,
        gazetteer: &reports.gazetteer,
        zones: ZoneNames::new(&reports.gazetteer, zones),
    };
    let (contacts, rejected) = read_csv(text, &checks);
    let (imported, who, now) = (contacts.len(), who.to_owned(), store.now_ms());
    let contacts = std::sync::Arc::new(contacts);
    store
        .write(move |db| store_imported(db, &contacts, &who, now))
        .await?;
    Ok((imported, rejected))
}

/// Imported contacts and the import's audit entry, in the caller's transaction.
fn store_imported(
    conn: &Db<'_>,
    contacts: &[Contact],
    who: &str,
    now: i64,
) -> Result<(), StoreError> {
    for contact in contacts {
        queries::upsert(conn, contact, now)?;
    }
    let detail = json!({ "imported": contacts.len() });
    audit::append(conn, who, "contact.import", "contacts", &detail, now)
}

fn listed(contact: Contact, activity: checkins::Activity) -> Listed {
    let time = |ms: Option<i64>| ms.and_then(crate::clock::to_rfc3339);
    Listed {
        contact,
        last_report_at: time(activity.last_report_at),
        last_checkin_at: time(activity.last_checkin_at),
        last_checkin_place: activity.last_checkin_place,
    }
}

/// A stored contact as input again, for a change to edit.
fn input_of(c: &Contact) -> ContactInput {
    ContactInput {
        phone: c.phone.clone(),
        name: c.name.clone(),
        roles: c.roles.clone(),
        language: c.language.clone(),
        home: c.home.clone(),
        zones: c.zones.clone(),
        discreet: c.discreet,
        active: Some(c.active),
        categories: c.categories.clone(),
        min_severity: c.min_severity,
        checkin_every_hours: c.checkin_every_hours,
        pin: None,
    }
}
