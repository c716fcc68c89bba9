//! Fusion: whether a new report is another account of an open incident, and what the
//! incident becomes with it. Pure: the caller brings the candidate incidents (found by an
//! index on time and place) and stores the outcome.
//!
//! A report joins an incident of the same category (or family: an attack and a killing
//! may be one event) whose time is within the category's window and whose place is within
//! its radius or in the same commune; the nearest in space and time wins. Corroboration is
//! the number of distinct reporters: a monitor who repeats themselves confirms nothing.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use crate::keywords::Category;
use crate::parse::{Count, CountOf, Counts};

/// How reports of one event are recognised.
#[derive(Debug, Clone)]
pub struct FusionRules {
    /// Categories reported for one event by different eyes (an attack, a killing).
    pub families: Vec<Vec<Category>>,
    /// How far apart in time two reports of one event may be.
    pub window: Duration,
    /// Categories whose events last longer (displacement: days).
    pub windows: HashMap<Category, Duration>,
    /// How far apart in space.
    pub radius_km: f64,
    pub radii_km: HashMap<Category, f64>,
}

impl Default for FusionRules {
    fn default() -> Self {
        Self {
            families: vec![vec![Category::ATT, Category::ASS]],
            window: Duration::from_secs(6 * 3600),
            windows: HashMap::from([(Category::DEP, Duration::from_secs(48 * 3600))]),
            radius_km: 15.0,
            radii_km: HashMap::new(),
        }
    }
}

impl FusionRules {
    /// From the validated `[incidents]` settings.
    pub fn from_config(config: &crate::config::IncidentsConfig) -> Self {
        let code = |c: &str| Category::ALL.into_iter().find(|k| k.code() == c);
        let hours = |h: u64| Duration::from_secs(h.saturating_mul(3600));
        Self {
            families: config
                .families
                .iter()
                .map(|f| f.iter().filter_map(|c| code(c)).collect())
                .collect(),
            window: hours(config.window_hours),
            windows: config
                .windows_hours
                .iter()
                .filter_map(|(c, h)| Some((code(c)?, hours(*h))))
                .collect(),
            radius_km: config.radius_km,
            radii_km: config
                .radii_km
                .iter()
                .filter_map(|(c, km)| Some((code(c)?, *km)))
                .collect(),
        }
    }

    fn related(&self, a: Category, b: Category) -> bool {
        a == b
            || self
                .families
                .iter()
                .any(|f| f.contains(&a) && f.contains(&b))
    }

    /// The longest window of any category: how far back candidates are looked for.
    pub fn longest_window(&self) -> Duration {
        self.windows
            .values()
            .copied()
            .fold(self.window, Duration::max)
    }

    /// The widest radius of any category.
    pub fn widest_radius_km(&self) -> f64 {
        self.radii_km
            .values()
            .copied()
            .fold(self.radius_km, f64::max)
    }

    fn window(&self, c: Category) -> Duration {
        self.windows.get(&c).copied().unwrap_or(self.window)
    }

    fn radius_km(&self, c: Category) -> f64 {
        self.radii_km.get(&c).copied().unwrap_or(self.radius_km)
    }
}

/// Where a report or an incident is: a point, its commune, and how precise it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Spot {
    pub lat: f64,
    pub lon: f64,
    /// `admin1/admin2/admin3`, empty when the place is coarser than a commune.
    pub commune: String,
    /// 3 a point (locality or coordinates), 2 a commune, 1 a cercle, 0 a region.
    pub precision: u8,
    /// How the place is named back to people.
    pub name: String,
}

/// A coordinator's correction of an incident: what it sets stands over what the reports
/// say, and the reports stay as they were sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Correction {
    pub category: Option<Category>,
    pub place: Option<CorrectedPlace>,
    pub counts: Option<Counts>,
}

/// A corrected place: the spot and its admin chain (`admin1/admin2/admin3`).
#[derive(Debug, Clone, PartialEq)]
pub struct CorrectedPlace {
    pub spot: Spot,
    pub chain: String,
}

impl Correction {
    pub fn is_empty(&self) -> bool {
        self.category.is_none() && self.place.is_none() && self.counts.is_none()
    }

    /// Adds a newer correction: what it sets replaces what this one set.
    pub fn merge(&mut self, newer: Self) {
        self.category = newer.category.or(self.category);
        self.place = newer.place.or_else(|| self.place.take());
        self.counts = newer.counts.or(self.counts);
    }
}

/// What fusion needs of a report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportFacts {
    pub reporter: String,
    pub category: Category,
    /// Unix ms.
    pub event_time: i64,
    pub spot: Spot,
    pub counts: Counts,
}

/// An incident as fusion sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    pub id: i64,
    pub category: Category,
    pub first_time: i64,
    pub last_time: i64,
    /// The most precise place reported.
    pub spot: Spot,
    pub tally: Tally,
    pub correction: Correction,
}

/// What an incident's reports add up to, kept up to date as each report comes, so that
/// filing one never re-reads the others (an incident may gather thousands).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// Distinct reporters: a repeat by the same monitor is not corroboration.
    pub sources: usize,
    /// The lowest of each count reported.
    pub low: Counts,
    /// The highest of each count reported.
    pub high: Counts,
}

/// Whether a report's sender already has a report in the incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    New,
    Repeat,
}

/// What a new report does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fusion {
    Join(i64),
    Open,
}

/// Chooses the incident `report` joins among `candidates`, or says it opens one.
pub fn fuse(report: &ReportFacts, candidates: &[Incident], rules: &FusionRules) -> Fusion {
    let score = |incident: &Incident| -> Option<f64> {
        if !rules.related(report.category, incident.category) {
            return None;
        }
        let window = i64::try_from(rules.window(report.category).as_millis()).unwrap_or(i64::MAX);
        let gap = (report.event_time - incident.first_time)
            .abs()
            .min((report.event_time - incident.last_time).abs());
        let km = km_between(&report.spot, &incident.spot);
        let same_commune =
            !report.spot.commune.is_empty() && report.spot.commune == incident.spot.commune;
        let close = km <= rules.radius_km(report.category) || same_commune;
        // Nearest in space and time: a kilometre weighs as much as ten minutes.
        (gap <= window && close).then(|| km + gap as f64 / 600_000.0)
    };
    candidates
        .iter()
        .filter_map(|i| score(i).map(|s| (s, i.id)))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map_or(Fusion::Open, |(_, id)| Fusion::Join(id))
}

impl Incident {
    /// A new incident from its first report.
    pub fn open(id: i64, report: ReportFacts) -> Self {
        Self {
            id,
            category: report.category,
            first_time: report.event_time,
            last_time: report.event_time,
            spot: report.spot,
            tally: Tally {
                sources: 1,
                low: report.counts,
                high: report.counts,
            },
            correction: Correction::default(),
        }
    }

    /// A coordinator's correction, added to earlier ones.
    pub fn correct(&mut self, correction: Correction) {
        self.correction.merge(correction);
        if let Some(category) = self.correction.category {
            self.category = category;
        }
        if let Some(place) = &self.correction.place {
            self.spot = place.spot.clone();
        }
    }

    /// The incident as the reports left in it tell it (after some were withdrawn): times,
    /// place, counts, sources; its corrections stand. With no report left it is empty.
    pub fn rebuilt(self, reports: Vec<ReportFacts>) -> Self {
        let mut reporters = BTreeSet::new();
        let mut reports = reports.into_iter();
        let Some(first) = reports.next() else {
            return Self {
                tally: Tally::default(),
                ..self
            };
        };
        reporters.insert(first.reporter.clone());
        let mut incident = Self::open(self.id, first);
        for report in reports {
            let source = if reporters.insert(report.reporter.clone()) {
                Source::New
            } else {
                Source::Repeat
            };
            incident.absorb(report, source);
        }
        incident.correct(self.correction);
        incident
    }

    /// Takes in another account of the event; the most precise place stands.
    pub fn absorb(&mut self, report: ReportFacts, source: Source) {
        self.first_time = self.first_time.min(report.event_time);
        self.last_time = self.last_time.max(report.event_time);
        if self.correction.place.is_none() && report.spot.precision > self.spot.precision {
            self.spot = report.spot;
        }
        if source == Source::New {
            self.tally.sources += 1;
        }
        let tally = &mut self.tally;
        tally.low = merge(tally.low, report.counts, lower);
        tally.high = merge(tally.high, report.counts, higher);
    }

    /// Nobody's account is left: the incident is withdrawn.
    pub fn is_empty(&self) -> bool {
        self.tally.sources == 0
    }

    /// Distinct reporters.
    pub fn sources(&self) -> usize {
        self.tally.sources
    }

    /// For each count, the lowest and highest reported (`3-5 morts`), or as corrected.
    pub fn count_range(&self, field: CountOf) -> Option<(Count, Count)> {
        if let Some(corrected) = &self.correction.counts {
            return field(corrected).map(|c| (c, c));
        }
        Some((field(&self.tally.low)?, field(&self.tally.high)?))
    }

    /// The highest of each count: what severity and alerts go by.
    pub fn counts(&self) -> Counts {
        self.correction.counts.unwrap_or(self.tally.high)
    }
}

/// Each count of `a` and `b` as `pick` chooses when both are known, else the known one.
fn merge(a: Counts, b: Counts, pick: fn(Count, Count) -> Count) -> Counts {
    let one = |field: CountOf| match (field(&a), field(&b)) {
        (Some(x), Some(y)) => Some(pick(x, y)),
        (x, y) => x.or(y),
    };
    Counts {
        killed: one(|c| c.killed),
        injured: one(|c| c.injured),
        abducted: one(|c| c.abducted),
        displaced: one(|c| c.displaced),
        households: one(|c| c.households),
        livestock: one(|c| c.livestock),
    }
}

fn rank(c: Count) -> u32 {
    match c {
        Count::Exact(n) => n,
        // More than one: above one, below any other number given.
        Count::Several => 1,
    }
}

fn lower(a: Count, b: Count) -> Count {
    if rank(b) < rank(a) { b } else { a }
}

fn higher(a: Count, b: Count) -> Count {
    if rank(b) > rank(a) { b } else { a }
}

/// Great-circle distance.
pub fn km_between(a: &Spot, b: &Spot) -> f64 {
    let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
    let (dlat, dlon) = ((b.lat - a.lat).to_radians(), (b.lon - a.lon).to_radians());
    let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

#[cfg(test)]
mod tests;
