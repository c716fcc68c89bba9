//! Queries on `incidents`, and on reports as fusion sees them.

use super::StoreError;
use super::db::{Db, Dialect, Row, args};
use crate::incident::fuse::{CorrectedPlace, Correction, Incident, ReportFacts, Spot, Tally};
use crate::keywords::Category;
use crate::parse::{Count, Counts};

const KM_PER_DEGREE_OF_LATITUDE: f64 = 111.2;

/// A box of time and space to look for incidents in.
#[derive(Debug, Clone, Copy)]
pub struct Around {
    pub from: i64,
    pub to: i64,
    pub lat: (f64, f64),
    pub lon: (f64, f64),
}

impl Around {
    /// Whether `incident` (open) is one `candidates` finds in this box: the same test, in
    /// memory. The R-tree's minutes add nothing to the exact times.
    pub fn holds(&self, incident: &Incident) -> bool {
        let (lat, lon) = (micro(incident.spot.lat), micro(incident.spot.lon));
        (micro(self.lat.0)..=micro(self.lat.1)).contains(&lat)
            && (micro(self.lon.0)..=micro(self.lon.1)).contains(&lon)
            && incident.last_time >= self.from
            && incident.first_time <= self.to
    }

    /// Whether every incident in `inner` is in this box.
    pub fn covers(&self, inner: &Around) -> bool {
        micro(self.lat.0) <= micro(inner.lat.0)
            && micro(self.lat.1) >= micro(inner.lat.1)
            && micro(self.lon.0) <= micro(inner.lon.0)
            && micro(self.lon.1) >= micro(inner.lon.1)
            && self.from <= inner.from
            && self.to >= inner.to
    }
}

/// Open incidents in the box. On PostgreSQL the box's area is locked first, until the
/// transaction ends: a report of the same event on another node waits to see what this
/// one makes of it, instead of both making an incident.
pub fn candidates(db: &Db<'_>, around: &Around) -> Result<Vec<Incident>, StoreError> {
    let a = around;
    if db.dialect() == Dialect::Postgres {
        let (lat, lon) = ((a.lat.0 + a.lat.1) / 2.0, (a.lon.0 + a.lon.1) / 2.0);
        let radius_km = (a.lat.1 - a.lat.0) / 2.0 * KM_PER_DEGREE_OF_LATITUDE;
        super::postgres::fusion::lock_area(db, lat, lon, radius_km)?;
    }
    let rows = db.query_map(
        "SELECT i.id, i.category, i.first_time, i.last_time, i.lat, i.lon, i.commune,
                i.precision, i.place_name, i.corrected, i.sources, i.counts_low, i.counts_high
         FROM incidents_where w JOIN incidents i ON i.id = w.id
         WHERE w.max_minute >= ?1 AND w.min_minute <= ?2
           AND w.max_lat >= ?3 AND w.min_lat <= ?4 AND w.max_lon >= ?5 AND w.min_lon <= ?6
           AND i.status = 'open' AND i.last_time >= ?7 AND i.first_time <= ?8",
        args![
            minute(a.from),
            minute(a.to) + 1,
            micro(a.lat.0),
            micro(a.lat.1),
            micro(a.lon.0),
            micro(a.lon.1),
            a.from,
            a.to
        ],
        incident_row,
    )?;
    Ok(rows.into_iter().flatten().collect())
}

/// An incident of a row (columns as in `candidates`); `None` for an unknown category code.
fn incident_row(r: &Row<'_>) -> Result<Option<Incident>, StoreError> {
    let corrected: Option<String> = r.get(9)?;
    let category: String = r.get(1)?;
    let Some(category) = category_of(&category) else {
        return Ok(None);
    };
    Ok(Some(Incident {
        id: r.get(0)?,
        category,
        first_time: r.get(2)?,
        last_time: r.get(3)?,
        spot: spot_at(r, 4)?,
        tally: Tally {
            sources: usize::try_from(r.get::<i64>(10)?).unwrap_or_default(),
            low: counts_of(&r.get::<String>(11)?),
            high: counts_of(&r.get::<String>(12)?),
        },
        correction: corrected.as_deref().map(correction_of).unwrap_or_default(),
    }))
}

/// The place columns from `start`: lat, lon, commune, precision, name.
fn spot_at(r: &Row<'_>, start: usize) -> Result<Spot, StoreError> {
    Ok(Spot {
        lat: r.get(start)?,
        lon: r.get(start + 1)?,
        commune: r.get(start + 2)?,
        precision: r.get(start + 3)?,
        name: r.get(start + 4)?,
    })
}

const FACTS: &str = "SELECT reporter, category, event_time, coalesce(lat, 0), coalesce(lon, 0),
        CASE WHEN coalesce(admin3, '') != '' THEN admin1 || '/' || admin2 || '/' || admin3 ELSE '' END,
        precision,
        coalesce(place_name, ''), counts FROM reports";

/// The filed reports of an incident, as fusion sees them.
pub fn reports_of(db: &Db<'_>, incident: i64) -> Result<Vec<ReportFacts>, StoreError> {
    facts(
        db,
        "WHERE incident_id = ?1 AND status = 'filed' ORDER BY id",
        incident,
    )
}

/// Whether `reporter` already has a filed report in the incident (so is no new source).
pub fn has_reported(db: &Db<'_>, incident: i64, reporter: &str) -> Result<bool, StoreError> {
    let found = db.query_opt(
        "SELECT 1 FROM reports
             WHERE reporter = ?2 AND incident_id = ?1 AND status = 'filed' LIMIT 1",
        args![incident, reporter],
        |_| Ok(()),
    )?;
    Ok(found.is_some())
}

/// One filed report, as fusion sees it.
pub fn report_facts(db: &Db<'_>, report: i64) -> Result<Option<ReportFacts>, StoreError> {
    Ok(facts(db, "WHERE id = ?1 AND status = 'filed'", report)?.pop())
}

fn facts(db: &Db<'_>, filter: &str, key: i64) -> Result<Vec<ReportFacts>, StoreError> {
    let rows = db.query_map(&format!("{FACTS} {filter}"), args![key], |r| {
        Ok((
            r.get::<String>(0)?,
            r.get::<String>(1)?,
            r.get::<i64>(2)?,
            spot_at(r, 3)?,
            r.get::<String>(8)?,
        ))
    })?;
    let mut reports = Vec::new();
    for (reporter, category, event_time, spot, counts) in rows {
        let Some(category) = category_of(&category) else {
            continue;
        };
        reports.push(ReportFacts {
            reporter,
            category,
            event_time,
            spot,
            counts: counts_of(&counts),
        });
    }
    Ok(reports)
}

/// Stores a new incident; returns its id, the next after the highest: incidents are
/// numbered without gaps (their numbers are typed back in `OK 12`), where PostgreSQL's
/// sequences would skip the numbers of transactions retried after a conflict. Two
/// transactions taking one number conflict, and one is retried.
pub fn open(
    db: &Db<'_>,
    incident: &Incident,
    severity: Option<u8>,
    counts: &str,
    now: i64,
) -> Result<i64, StoreError> {
    let id = db.insert_id(
        "INSERT INTO incidents (id, category, first_time, last_time, lat, lon, precision,
             created_at, updated_at)
         VALUES ((SELECT coalesce(max(id), 0) + 1 FROM incidents), ?1, ?2, ?2, 0, 0, 0, ?3, ?3)",
        args![incident.category.code(), incident.first_time, now],
    )?;
    let id = id.ok_or(StoreError::NoRow)?;
    save(
        db,
        &Incident {
            id,
            ..incident.clone()
        },
        severity,
        counts,
        now,
    )?;
    Ok(id)
}

/// Notes that a report joined an incident without changing it.
pub fn touch(db: &Db<'_>, id: i64, now: i64) -> Result<(), StoreError> {
    db.execute(
        "UPDATE incidents SET updated_at = ?2 WHERE id = ?1",
        args![id, now],
    )?;
    Ok(())
}

/// Writes an incident's aggregates after a report joined or left it.
pub fn save(
    db: &Db<'_>,
    incident: &Incident,
    severity: Option<u8>,
    counts: &str,
    now: i64,
) -> Result<(), StoreError> {
    db.execute(
        "UPDATE incidents SET first_time = ?2, last_time = ?3, lat = ?4, lon = ?5, commune = ?6,
             precision = ?7, place_name = ?8, sources = ?9, severity = ?10, counts = ?11,
             status = CASE WHEN ?9 = 0 THEN 'withdrawn' ELSE status END, updated_at = ?12,
             category = ?13, corrected = ?14, counts_low = ?15, counts_high = ?16
         WHERE id = ?1",
        args![
            incident.id,
            incident.first_time,
            incident.last_time,
            incident.spot.lat,
            incident.spot.lon,
            incident.spot.commune,
            incident.spot.precision,
            incident.spot.name,
            incident.sources() as i64,
            severity,
            counts,
            now,
            incident.category.code(),
            correction_json(&incident.correction),
            crate::reports::counts_json(&incident.tally.low).to_string(),
            crate::reports::counts_json(&incident.tally.high).to_string(),
        ],
    )?;
    index(db, incident)
}

/// `ANNULE`: the sender's own filed reports in an incident are withdrawn; returns how many.
pub fn withdraw(db: &Db<'_>, incident: i64, reporter: &str, now: i64) -> Result<usize, StoreError> {
    let n = db.execute(
        "UPDATE reports SET status = 'withdrawn', updated_at = ?3
             WHERE incident_id = ?1 AND reporter = ?2 AND status = 'filed'",
        args![incident, reporter, now],
    )?;
    Ok(n)
}

/// An incident by id.
pub fn by_id(db: &Db<'_>, id: i64) -> Result<Option<Incident>, StoreError> {
    let incident = db.query_opt(
        "SELECT id, category, first_time, last_time, lat, lon, commune, precision, place_name,
                    corrected, sources, counts_low, counts_high
             FROM incidents WHERE id = ?1",
        args![id],
        incident_row,
    )?;
    Ok(incident.flatten())
}

/// Keeps the incident's box in the R*Tree (and out of it once withdrawn).
fn index(db: &Db<'_>, incident: &Incident) -> Result<(), StoreError> {
    if incident.is_empty() {
        db.execute(
            "DELETE FROM incidents_where WHERE id = ?1",
            args![incident.id],
        )?;
        return Ok(());
    }
    let (lat, lon) = (micro(incident.spot.lat), micro(incident.spot.lon));
    let (first, last) = (minute(incident.first_time), minute(incident.last_time));
    // Most reports joining an incident move neither its place nor its times: an R-tree
    // row replaced costs a delete and an insert, a look costs one lookup.
    let indexed = db.query_opt(
        "SELECT min_minute, max_minute, min_lat, min_lon FROM incidents_where WHERE id = ?1",
        args![incident.id],
        |r| {
            Ok((
                r.get::<i64>(0)?,
                r.get::<i64>(1)?,
                r.get::<i64>(2)?,
                r.get::<i64>(3)?,
            ))
        },
    )?;
    if indexed == Some((first, last, lat, lon)) {
        return Ok(());
    }
    let sql = match db.dialect() {
        // An R-tree takes no upsert.
        Dialect::Sqlite => {
            "INSERT OR REPLACE INTO incidents_where
                 (id, min_minute, max_minute, min_lat, max_lat, min_lon, max_lon)
             VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?5)"
        }
        Dialect::Postgres => {
            "INSERT INTO incidents_where
                 (id, min_minute, max_minute, min_lat, max_lat, min_lon, max_lon)
             VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?5)
             ON CONFLICT (id) DO UPDATE SET min_minute = excluded.min_minute,
                 max_minute = excluded.max_minute, min_lat = excluded.min_lat,
                 max_lat = excluded.max_lat, min_lon = excluded.min_lon,
                 max_lon = excluded.max_lon"
        }
    };
    db.execute(sql, args![incident.id, first, last, lat, lon])?;
    Ok(())
}

/// Unix ms as whole minutes, rounded down.
fn minute(ms: i64) -> i64 {
    ms.div_euclid(60_000)
}

/// Degrees as 1e-5 degrees.
fn micro(degrees: f64) -> i64 {
    (degrees * 100_000.0).round() as i64
}

/// Files a report under its incident.
pub fn attach(db: &Db<'_>, report: i64, incident: i64, precision: u8) -> Result<(), StoreError> {
    db.execute(
        "UPDATE reports SET incident_id = ?2, precision = ?3 WHERE id = ?1",
        args![report, incident, precision],
    )?;
    Ok(())
}

fn category_of(code: &str) -> Option<Category> {
    Category::ALL.into_iter().find(|c| c.code() == code)
}

/// Counts as stored (JSON: a number, "several" or null per field).
fn counts_of(json: &str) -> Counts {
    let value: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    let field = |name: &str| match &value[name] {
        serde_json::Value::Number(n) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Count::Exact),
        serde_json::Value::String(s) if s == "several" => Some(Count::Several),
        _ => None,
    };
    Counts {
        killed: field("killed"),
        injured: field("injured"),
        abducted: field("abducted"),
        displaced: field("displaced"),
        households: field("households"),
        livestock: field("livestock"),
    }
}

/// Corrections as stored (JSON); `None` when there are none.
fn correction_json(c: &Correction) -> Option<String> {
    if c.is_empty() {
        return None;
    }
    let place = c.place.as_ref().map(|p| {
        serde_json::json!({
            "lat": p.spot.lat, "lon": p.spot.lon, "commune": p.spot.commune,
            "precision": p.spot.precision, "name": p.spot.name, "chain": p.chain,
        })
    });
    let json = serde_json::json!({
        "category": c.category.map(Category::code),
        "place": place,
        "counts": c.counts.as_ref().map(crate::reports::counts_json),
    });
    Some(json.to_string())
}

fn correction_of(json: &str) -> Correction {
    let value: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    let place = &value["place"];
    Correction {
        category: value["category"].as_str().and_then(category_of),
        place: place.is_object().then(|| CorrectedPlace {
            spot: Spot {
                lat: place["lat"].as_f64().unwrap_or_default(),
                lon: place["lon"].as_f64().unwrap_or_default(),
                commune: text(&place["commune"]),
                precision: place["precision"]
                    .as_u64()
                    .and_then(|p| u8::try_from(p).ok())
                    .unwrap_or_default(),
                name: text(&place["name"]),
            },
            chain: text(&place["chain"]),
        }),
        counts: value["counts"]
            .is_object()
            .then(|| counts_of(&value["counts"].to_string())),
    }
}
