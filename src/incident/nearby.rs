//! The open incidents a round of reports may join, read once per round instead of once
//! per report: the R-tree lookup was a tenth of the writer's time under a flood.
//!
//! On SQLite the writer is the only one to change incidents, and a round's reports are
//! filed one after the other in its transaction: what the round read, plus what it opened
//! and changed, is all there is in the boxes it read. PostgreSQL's nodes write
//! concurrently (each lookup locks its area first), so there every lookup is a query.

use std::collections::BTreeMap;

use crate::store::StoreError;
use crate::store::db::{Db, Dialect};
use crate::store::incidents::{self as queries, Around};

use super::fuse::Incident;

/// A report's box is read wider in time by this much, so the next reports of a flood,
/// which arrive minutes later, find theirs already read.
const MARGIN_MS: i64 = 15 * 60 * 1000;

/// What one round has read of the open incidents, and made of them since.
#[derive(Debug, Default)]
pub struct Nearby {
    /// The boxes read, in full.
    read: Vec<Around>,
    /// Every open incident in those boxes, as this transaction left it; and those opened
    /// or joined since, wherever they are.
    known: BTreeMap<i64, Incident>,
}

impl Nearby {
    /// The open incidents in `around`, as `queries::candidates` would find them now.
    pub fn candidates(
        &mut self,
        db: &Db<'_>,
        around: &Around,
    ) -> Result<Vec<Incident>, StoreError> {
        if db.dialect() != Dialect::Sqlite {
            return queries::candidates(db, around);
        }
        if !self.read.iter().any(|read| read.covers(around)) {
            let wider = Around {
                from: around.from.saturating_sub(MARGIN_MS),
                to: around.to.saturating_add(MARGIN_MS),
                ..*around
            };
            for incident in queries::candidates(db, &wider)? {
                self.known.entry(incident.id).or_insert(incident);
            }
            self.read.push(wider);
        }
        Ok(self
            .known
            .values()
            .filter(|incident| around.holds(incident))
            .cloned()
            .collect())
    }

    /// `incident` as it was just stored (opened or joined).
    pub fn keep(&mut self, incident: &Incident) {
        self.known.insert(incident.id, incident.clone());
    }

    /// Something else changed incidents (a withdrawal): read them again.
    pub fn forget(&mut self) {
        self.read.clear();
        self.known.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::fuse::{ReportFacts, Spot};
    use crate::keywords::Category;
    use crate::parse::Counts;
    use crate::store::testing::on_both;

    const MINUTE: i64 = 60_000;

    fn open(db: &Db<'_>, lat: f64, lon: f64, minutes: i64) -> Result<Incident, StoreError> {
        let spot = Spot {
            lat,
            lon,
            commune: String::new(),
            precision: 3,
            name: String::new(),
        };
        let report = ReportFacts {
            reporter: "+22370000001".into(),
            category: Category::ATT,
            event_time: minutes * MINUTE,
            spot,
            counts: Counts::default(),
        };
        let mut incident = Incident::open(0, report);
        incident.id = queries::open(db, &incident, None, "{}", 0)?;
        Ok(incident)
    }

    fn boxed(minutes: (i64, i64), lat: (f64, f64), lon: (f64, f64)) -> Around {
        Around {
            from: minutes.0 * MINUTE,
            to: minutes.1 * MINUTE,
            lat,
            lon,
        }
    }

    fn ids(incidents: &[Incident]) -> Vec<i64> {
        let mut ids: Vec<i64> = incidents.iter().map(|i| i.id).collect();
        ids.sort_unstable();
        ids
    }

    #[test]
    fn what_a_round_read_finds_what_the_query_finds() {
        on_both(|db| {
            // Around Koro: on the edges of the boxes below, and beyond them.
            for (lat, lon, minutes) in [
                (14.0, -3.0, 100),
                (14.1, -3.0, 100),
                (14.10001, -3.0, 100),
                (14.0, -2.9, 160),
                (14.0, -3.2, 40),
                (13.9, -3.1, 99),
                (14.05, -3.05, 161),
            ] {
                open(db, lat, lon, minutes)?;
            }
            let wide = boxed((0, 300), (13.5, 14.5), (-3.5, -2.5));
            let boxes = [
                boxed((40, 160), (13.9, 14.1), (-3.2, -2.9)),
                boxed((100, 100), (14.0, 14.1), (-3.0, -3.0)),
                boxed((41, 159), (13.95, 14.1), (-3.15, -2.95)),
                boxed((0, 99), (13.0, 15.0), (-4.0, -2.0)),
                boxed((161, 300), (14.0, 14.2), (-3.1, -3.0)),
            ];
            let mut nearby = Nearby::default();
            nearby.candidates(db, &wide)?;
            for around in &boxes {
                let expected = ids(&queries::candidates(db, around)?);
                assert_eq!(ids(&nearby.candidates(db, around)?), expected, "{around:?}");
            }
            // Opened after the read: found where the query finds it.
            let late = open(db, 14.0, -3.0, 150)?;
            nearby.keep(&late);
            for around in &boxes {
                let expected = ids(&queries::candidates(db, around)?);
                assert_eq!(ids(&nearby.candidates(db, around)?), expected, "{around:?}");
            }
            Ok(())
        });
    }

    #[test]
    fn a_box_not_read_is_read() {
        on_both(|db| {
            let near = open(db, 14.0, -3.0, 100)?;
            let far = open(db, 16.0, -1.0, 100)?;
            let mut nearby = Nearby::default();
            let at_koro = boxed((0, 200), (13.9, 14.1), (-3.1, -2.9));
            assert_eq!(ids(&nearby.candidates(db, &at_koro)?), [near.id]);
            // Later than the margin read around the first box, and elsewhere.
            let later = boxed((0, 200 + 16), (13.9, 14.1), (-3.1, -2.9));
            assert_eq!(ids(&nearby.candidates(db, &later)?), [near.id]);
            let at_gao = boxed((0, 200), (15.9, 16.1), (-1.1, -0.9));
            assert_eq!(ids(&nearby.candidates(db, &at_gao)?), [far.id]);
            Ok(())
        });
    }
}
