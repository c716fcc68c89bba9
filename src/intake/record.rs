//! A parsed place as the stores keep it: the report's place record, and the spot fusion
//! compares.

use crate::gazetteer::{Found, FoundBy, Kind};
use crate::incident::fuse::Spot;
use crate::reports::Reports;
use crate::store::reports::PlaceRecord;

/// Where a report happened, as fusion compares it.
pub(crate) fn spot_of(reports: &Reports, found: &Found) -> Spot {
    let p = reports.gazetteer.place(found.place);
    let (lat, lon) = found.point.unwrap_or((p.lat, p.lon));
    let precision = match (found.found_by, p.kind) {
        (FoundBy::Coordinates, _) | (_, Kind::Locality) => 3,
        (_, Kind::Commune) => 2,
        (_, Kind::Cercle) => 1,
        (_, Kind::Region) => 0,
    };
    let commune = if p.admin3.is_empty() {
        String::new()
    } else {
        format!("{}/{}/{}", p.admin1, p.admin2, p.admin3)
    };
    Spot {
        lat,
        lon,
        commune,
        precision,
        name: p.label(1),
    }
}

pub(super) fn record(reports: &Reports, found: &Found) -> PlaceRecord {
    let p = reports.gazetteer.place(found.place);
    let (lat, lon) = found.point.unwrap_or((p.lat, p.lon));
    let found_by = serde_json::to_value(found.found_by)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned));
    PlaceRecord {
        id: p.id.to_string(),
        name: p.name.to_string(),
        admin1: p.admin1.to_string(),
        admin2: p.admin2.to_string(),
        admin3: p.admin3.to_string(),
        country: p.country.to_string(),
        lat,
        lon,
        found_by: found_by.unwrap_or_default(),
    }
}
