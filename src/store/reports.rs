//! Queries on `reports`.

use super::StoreError;
use super::db::{Db, args};

/// When the SMS of an incident's newest report reached the webhook (unix ms).
pub fn arrival_of_newest(db: &Db<'_>, incident_id: i64) -> Result<Option<i64>, StoreError> {
    db.query_opt(
        "SELECT m.received_at FROM reports r JOIN inbound_messages m ON m.id = r.inbound_id
             WHERE r.incident_id = ?1 ORDER BY r.id DESC LIMIT 1",
        args![incident_id],
        |r| r.get(0),
    )
}

/// Hides a secret a message carried (a coordinator's PIN): replaced in its text and its
/// parts', and the provider's raw payloads dropped.
pub fn mask(db: &Db<'_>, id: i64, secret: &str) -> Result<(), StoreError> {
    if secret.is_empty() {
        return Ok(());
    }
    db.execute(
        "UPDATE inbound_messages SET text = replace(text, ?2, '****'), raw = '' WHERE id = ?1",
        args![id, secret],
    )?;
    db.execute(
        "UPDATE inbound_parts SET text = replace(text, ?2, '****'), raw = ''
         WHERE message_id = ?1",
        args![id, secret],
    )?;
    Ok(())
}

/// Takes a duress word out of stored message `id`: its text becomes `cleaned`; its raw
/// form and its parts' texts are dropped (a word may straddle two parts); its content
/// hash, which a dictionary could turn back into the word, becomes one no text has.
pub fn strip(db: &Db<'_>, id: i64, cleaned: &str) -> Result<(), StoreError> {
    db.execute(
        "UPDATE inbound_messages SET text = ?2, raw = '', content_hash = -id WHERE id = ?1",
        args![id, cleaned],
    )?;
    db.execute(
        "UPDATE inbound_parts SET text = '', raw = '' WHERE message_id = ?1",
        args![id],
    )?;
    Ok(())
}

/// Marks the report of message `id`, if it made one, as written under duress.
pub fn mark_duress(db: &Db<'_>, inbound_id: i64) -> Result<(), StoreError> {
    db.execute(
        "UPDATE reports SET duress = 1 WHERE inbound_id = ?1",
        args![inbound_id],
    )?;
    Ok(())
}

/// Where a report happened, as recorded.
#[derive(Debug, Clone, Default)]
pub struct PlaceRecord {
    pub id: String,
    pub name: String,
    pub admin1: String,
    pub admin2: String,
    pub admin3: String,
    pub country: String,
    pub lat: f64,
    pub lon: f64,
    pub found_by: String,
}

/// A report to store.
#[derive(Debug, Clone, Default)]
pub struct NewReport {
    pub inbound_id: i64,
    pub contact_id: Option<i64>,
    pub reporter: String,
    pub unverified: bool,
    /// `filed`, or `pending` while the sender picks among `choices`.
    pub status: &'static str,
    pub category: String,
    pub place: Option<PlaceRecord>,
    /// Pending: the gazetteer ids offered, and the name as typed.
    pub choices: Vec<String>,
    pub typed_place: Option<String>,
    pub counts: String,
    pub event_time: i64,
    pub severity: Option<u8>,
    pub description: String,
    pub language: String,
    /// A filed report's incident, and its place's precision there.
    pub filed_under: Option<(i64, u8)>,
}

/// Whether the inbound message has a report.
pub fn exists_for(db: &Db<'_>, inbound_id: i64) -> Result<bool, StoreError> {
    db.value(
        "SELECT EXISTS (SELECT 1 FROM reports WHERE inbound_id = ?1)",
        args![inbound_id],
    )
}

/// Stores the report of an inbound message; `None` if that message already has one.
pub fn insert(db: &Db<'_>, r: &NewReport, now: i64) -> Result<Option<i64>, StoreError> {
    let p = r.place.clone().unwrap_or_default();
    let place = |s: &str| (r.place.is_some()).then(|| s.to_owned());
    db.insert_id(
        "INSERT INTO reports
                (inbound_id, contact_id, reporter, unverified, status, category, place_id,
                 place_name, admin1, admin2, admin3, country, lat, lon, found_by, choices,
                 counts, event_time, severity, description, language, created_at, updated_at,
                 incident_id, precision)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                     ?17, ?18, ?19, ?20, ?21, ?22, ?22, ?23, ?24)
         ON CONFLICT DO NOTHING",
        args![
            r.inbound_id,
            r.contact_id,
            r.reporter,
            r.unverified,
            r.status,
            r.category,
            place(&p.id),
            place(&p.name).or_else(|| r.typed_place.clone()),
            place(&p.admin1),
            place(&p.admin2),
            place(&p.admin3),
            place(&p.country),
            r.place.as_ref().map(|p| p.lat),
            r.place.as_ref().map(|p| p.lon),
            place(&p.found_by),
            (!r.choices.is_empty()).then(|| r.choices.join("|")),
            r.counts,
            r.event_time,
            r.severity,
            r.description,
            r.language,
            now,
            r.filed_under.map(|(incident, _)| incident),
            // The column's default until a pending report is filed.
            r.filed_under.map_or(3, |(_, precision)| precision)
        ],
    )
}

/// A report waiting for its sender's place choice.
#[derive(Debug, Clone)]
pub struct Pending {
    pub id: i64,
    pub choices: Vec<String>,
    pub category: String,
    pub language: String,
    /// The place name as typed.
    pub name: String,
}

/// The sender's newest pending report created after `since`.
pub fn pending_for(db: &Db<'_>, reporter: &str, since: i64) -> Result<Option<Pending>, StoreError> {
    db.query_opt(
        "SELECT id, choices, category, language, coalesce(place_name, '') FROM reports
             WHERE reporter = ?1 AND status = 'pending' AND created_at >= ?2
             ORDER BY id DESC LIMIT 1",
        args![reporter, since],
        |r| {
            Ok(Pending {
                id: r.get(0)?,
                choices: r
                    .get::<Option<String>>(1)?
                    .unwrap_or_default()
                    .split('|')
                    .map(str::to_owned)
                    .collect(),
                category: r.get(2)?,
                language: r.get(3)?,
                name: r.get(4)?,
            })
        },
    )
}

/// Files a pending report at the chosen place.
pub fn file_pending(
    db: &Db<'_>,
    id: i64,
    place: &PlaceRecord,
    now: i64,
) -> Result<bool, StoreError> {
    let n = db.execute(
        "UPDATE reports SET status = 'filed', place_id = ?2, place_name = ?3, admin1 = ?4,
                 admin2 = ?5, admin3 = ?6, country = ?7, lat = ?8, lon = ?9, found_by = ?10,
                 choices = NULL, updated_at = ?11
             WHERE id = ?1 AND status = 'pending'",
        args![
            id,
            place.id,
            place.name,
            place.admin1,
            place.admin2,
            place.admin3,
            place.country,
            place.lat,
            place.lon,
            place.found_by,
            now
        ],
    )?;
    Ok(n == 1)
}

/// A pending report that expired, for the notice to its sender.
#[derive(Debug, Clone)]
pub struct Expired {
    pub reporter: String,
    pub language: String,
    pub category: String,
    pub name: String,
}

/// Pending reports created before `before` expire.
pub fn expire_pending(db: &Db<'_>, before: i64, now: i64) -> Result<Vec<Expired>, StoreError> {
    db.query_map(
        "UPDATE reports SET status = 'expired', updated_at = ?2
         WHERE status = 'pending' AND created_at < ?1
         RETURNING reporter, language, category, coalesce(place_name, '')",
        args![before, now],
        |r| {
            Ok(Expired {
                reporter: r.get(0)?,
                language: r.get(1)?,
                category: r.get(2)?,
                name: r.get(3)?,
            })
        },
    )
}

/// How many reports an inbound message produced (0 or 1).
pub fn count_for_inbound(db: &Db<'_>, inbound_id: i64) -> Result<i64, StoreError> {
    db.value(
        "SELECT count(*) FROM reports WHERE inbound_id = ?1",
        args![inbound_id],
    )
}
