//! Fusion serialised per area across nodes: two reports of one event reaching two nodes at
//! once must make one incident, so a node fusing a report first locks the area it could
//! fuse in. The map is cut into cells at least a fusion radius wide; a report locks its
//! cell and the eight around it, in one order everywhere (no deadlock). Two reports close
//! enough to fuse are in the same or neighbouring cells, so their blocks overlap and the
//! second waits for the first to commit. Far-apart reports never wait for each other.

use crate::store::StoreError;
use crate::store::db::{Db, ToArg};

/// Kilometres in a degree of longitude at 63° of latitude (less nearer the equator): cells
/// this conservative are wide enough wherever Vigie serves.
const KM_PER_DEGREE_AT_WORST: f64 = 50.0;

/// The advisory-lock class of fusion areas (the two-key form: its own key space).
const FUSION_CLASS: i32 = 0x5647;
const FUSION_KEY_CLASS: i64 = FUSION_CLASS as i64;

/// The cells a report at (`lat`, `lon`) locks when fusing within `radius_km`: its own and
/// its neighbours', as lock keys, sorted.
pub fn cells(lat: f64, lon: f64, radius_km: f64) -> Vec<i32> {
    let size = (radius_km.max(0.1) / KM_PER_DEGREE_AT_WORST).max(1e-3);
    let row = ((lat + 90.0) / size).floor() as i64;
    let col = ((lon + 180.0) / size).floor() as i64;
    let mut keys: Vec<i32> = (-1..=1)
        .flat_map(|dr| (-1..=1).map(move |dc| key(row + dr, col + dc)))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// A cell's lock key; two cells may share one (they then wait for each other: safe).
fn key(row: i64, col: i64) -> i32 {
    let mixed = (row.wrapping_mul(73_856_093)) ^ (col.wrapping_mul(19_349_663));
    (mixed & 0x7fff_ffff) as i32
}

/// Locks the area a report at (`lat`, `lon`) may fuse in, until the transaction ends: the
/// cells in one statement, in key order.
pub fn lock_area(db: &Db<'_>, lat: f64, lon: f64, radius_km: f64) -> Result<(), StoreError> {
    let keys: Vec<i64> = cells(lat, lon, radius_km)
        .into_iter()
        .map(i64::from)
        .collect();
    let args: Vec<&dyn ToArg> = std::iter::once(&FUSION_KEY_CLASS as &dyn ToArg)
        .chain(keys.iter().map(|k| k as &dyn ToArg))
        .collect();
    let values: Vec<String> = (2..=keys.len() + 1).map(|n| format!("(?{n})")).collect();
    let sql = format!(
        "SELECT count(pg_advisory_xact_lock(CAST(?1 AS INTEGER), CAST(k AS INTEGER)))
         FROM (SELECT k FROM (VALUES {}) AS cells (k) ORDER BY k) AS ordered",
        values.join(", ")
    );
    let _: i64 = db.value(&sql, &args)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_close_enough_to_fuse_share_a_cell_and_far_ones_do_not() {
        let radius = 15.0;
        // (a, b, whether their blocks overlap)
        let cases = [
            ((14.35, -3.60), (14.35, -3.60), true),
            ((14.35, -3.60), (14.44, -3.60), true),
            ((14.299, -3.60), (14.301, -3.60), true),
            ((14.35, -3.60), (14.35, -3.47), true),
            ((14.35, -3.60), (16.27, -0.04), false),
            ((14.35, -3.60), (15.50, -3.60), false),
        ];
        for (a, b, overlap) in cases {
            let (ca, cb) = (cells(a.0, a.1, radius), cells(b.0, b.1, radius));
            let shared = ca.iter().any(|k| cb.contains(k));
            assert_eq!(shared, overlap, "{a:?} {b:?}");
        }
        assert_eq!(cells(14.35, -3.60, radius).len(), 9);
    }
}
