//! Queries on `checkins`: monitors saying `RAS`, nothing to report.

use super::StoreError;
use super::db::{Db, args};

/// A check-in to store.
#[derive(Debug, Clone)]
pub struct NewCheckIn<'a> {
    pub inbound_id: i64,
    pub phone: &'a str,
    pub at: i64,
    pub place_id: Option<&'a str>,
    pub place_name: Option<&'a str>,
    pub comment: &'a str,
}

/// Stores it, tied to the sender's contact if there is one.
pub fn insert(db: &Db<'_>, c: &NewCheckIn<'_>, now: i64) -> Result<(), StoreError> {
    db.execute(
        "INSERT INTO checkins
             (inbound_id, contact_id, phone, at, place_id, place_name, comment, created_at)
         VALUES (?1, (SELECT id FROM contacts WHERE phone = ?2), ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT DO NOTHING",
        args![
            c.inbound_id,
            c.phone,
            c.at,
            c.place_id,
            c.place_name,
            c.comment,
            now
        ],
    )?;
    Ok(())
}

/// A contact's last report and last check-in (unix ms), and where that check-in was.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Activity {
    pub last_report_at: Option<i64>,
    pub last_checkin_at: Option<i64>,
    pub last_checkin_place: Option<String>,
}

pub fn activity(db: &Db<'_>, contact_id: i64) -> Result<Activity, StoreError> {
    let last_report_at: Option<i64> = db.value(
        "SELECT max(created_at) FROM reports WHERE contact_id = ?1 AND category != 'RAS'",
        args![contact_id],
    )?;
    let checkin: Option<(i64, Option<String>)> = db.query_opt(
        "SELECT at, place_name FROM checkins WHERE contact_id = ?1 ORDER BY at DESC LIMIT 1",
        args![contact_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(Activity {
        last_report_at,
        last_checkin_at: checkin.as_ref().map(|c| c.0),
        last_checkin_place: checkin.and_then(|c| c.1),
    })
}
