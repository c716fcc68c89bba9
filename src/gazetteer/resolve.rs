//! Picking one place among rows named alike (spec section 2): a qualifier in the message,
//! then the sender's home area, then "the same place at several levels" (a unit, its seat
//! and its duplicates are one place; a unit's name beats villages of that name elsewhere).
//! What is still several far-apart places is ambiguous.

use super::{Gazetteer, Kind, Place};
use crate::text::squeeze;

/// Localities closer than this are one place (the data files repeat many villages).
const SAME_PLACE_KM: f64 = 5.0;
/// Most choices offered for an ambiguous name.
const MAX_CHOICES: usize = 5;

/// How a report's place was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FoundBy {
    Text,
    Coordinates,
    ReporterHome,
}

/// A located report: the row, and the point when coordinates were given.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub place: u32,
    pub found_by: FoundBy,
    pub point: Option<(f64, f64)>,
}

/// Who is asking, as the rules weigh homonyms: the sender's home place, and the country of
/// the channel the message came by (its places first, then `reports.countries`').
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Near<'a> {
    pub home: Option<u32>,
    pub country: Option<&'a str>,
}

impl Near<'_> {
    pub fn home(home: Option<u32>) -> Self {
        Self {
            home,
            country: None,
        }
    }

    /// The same country, without the home.
    pub fn country(self) -> Self {
        Self { home: None, ..self }
    }
}

/// What a name comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    One(u32),
    /// Several far-apart places; the sender chooses.
    Several(Vec<u32>),
    None,
}

impl Gazetteer {
    /// Whether `qualifier` (folded) names a unit above some of `candidates`.
    pub fn qualifies(&self, candidates: &[u32], qualifier: &str) -> bool {
        candidates
            .iter()
            .any(|&c| is_under(self.place(c), qualifier))
    }

    /// Applies the rules to the rows named `name` (folded words).
    pub fn resolve(&self, name: &str, qualifier: Option<&str>, near: Near<'_>) -> Resolution {
        let mut kept: Vec<u32> = self.named(name).to_vec();
        if let Some(q) = qualifier {
            kept.retain(|&c| is_under(self.place(c), q));
        }
        if let Some(home) = near.home.map(|h| self.place(h)) {
            narrow_to_home(self, &mut kept, home);
        }
        self.narrow_to_countries(&mut kept, name, near.country);
        let groups = self.same_places(&kept);
        let with_units: Vec<&Vec<u32>> = groups
            .iter()
            .filter(|g| g.iter().any(|&c| self.place(c).kind != Kind::Locality))
            .collect();
        // A unit's name means the unit (and its seat), not villages so named elsewhere.
        let groups: Vec<&Vec<u32>> = if with_units.is_empty() {
            groups.iter().collect()
        } else {
            with_units
        };
        let mut chosen: Vec<u32> = groups
            .iter()
            .map(|g| self.representative(g, name))
            .collect();
        // A choice lists the deployment's own country first.
        chosen.sort_by_key(|&c| self.country_rank(c, near.country));
        match chosen.len() {
            0 => Resolution::None,
            1 => Resolution::One(chosen[0]),
            _ => {
                chosen.truncate(MAX_CHOICES);
                Resolution::Several(chosen)
            }
        }
    }

    /// A name that is a place's own name in the channel's country, else in the deployment's
    /// first country that has one, means those places: not places elsewhere, nor places
    /// that only carry it as an alternate name.
    fn narrow_to_countries(&self, kept: &mut Vec<u32>, name: &str, first: Option<&str>) {
        let squeezed = squeeze(name);
        let own = |c: u32| {
            let folded = &*self.place(c).folded_name;
            folded == name || squeeze(folded) == squeezed
        };
        let best = kept
            .iter()
            .filter(|&&c| own(c))
            .map(|&c| self.country_rank(c, first))
            .min();
        if let Some(best) = best.filter(|&rank| rank <= self.countries.len()) {
            kept.retain(|&c| own(c) && self.country_rank(c, first) == best);
        }
    }

    /// Candidates grouped into places: a unit with what lies in it, localities of one
    /// commune or a few kilometres apart.
    fn same_places(&self, candidates: &[u32]) -> Vec<Vec<u32>> {
        let mut parent: Vec<usize> = (0..candidates.len()).collect();
        for i in 0..candidates.len() {
            for j in i + 1..candidates.len() {
                if same_place(self.place(candidates[i]), self.place(candidates[j])) {
                    let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                    parent[b] = a;
                }
            }
        }
        let mut groups: Vec<(usize, Vec<u32>)> = Vec::new();
        for (i, &c) in candidates.iter().enumerate() {
            let r = root(&mut parent, i);
            match groups.iter_mut().find(|(root, _)| *root == r) {
                Some((_, group)) => group.push(c),
                None => groups.push((r, vec![c])),
            }
        }
        groups.into_iter().map(|(_, g)| g).collect()
    }

    /// The most specific point of a place, under the name the sender used: a locality of
    /// that name (the seat of a unit), else the most specific unit of that name, else any
    /// locality (found by an alternative spelling), else the most specific unit.
    fn representative(&self, group: &[u32], name: &str) -> u32 {
        let squeezed = squeeze(name);
        let named = |c: &u32| {
            let own = &*self.place(*c).folded_name;
            own == name || squeeze(own) == squeezed
        };
        let locality = |c: &u32| self.place(*c).kind == Kind::Locality;
        let most_specific = |rows: &mut dyn Iterator<Item = u32>| {
            rows.max_by_key(|&c| (self.place(c).kind.level(), std::cmp::Reverse(c)))
        };
        group
            .iter()
            .copied()
            .find(|c| locality(c) && named(c))
            .or_else(|| {
                most_specific(&mut group.iter().copied().filter(|c| !locality(c) && named(c)))
            })
            .or_else(|| group.iter().copied().find(locality))
            .or_else(|| most_specific(&mut group.iter().copied()))
            .unwrap_or(group[0])
    }
}

fn root(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// `qualifier` is the name of one of the place's admin units.
fn is_under(place: &Place, qualifier: &str) -> bool {
    (1..=3).any(|level| {
        let unit = place.folded_admin(level);
        !unit.is_empty() && (unit == qualifier || unit.trim_end_matches(" commune") == qualifier)
    })
}

/// Keeps the candidates in the home cercle, else in the home region, if there are any.
fn narrow_to_home(gazetteer: &Gazetteer, kept: &mut Vec<u32>, home: &Place) {
    let same = |c: &u32, level: usize| {
        let place = gazetteer.place(*c);
        (1..=level).all(|l| !home.admin(l).is_empty() && place.admin(l) == home.admin(l))
    };
    for level in [2, 1] {
        if kept.iter().any(|c| same(c, level)) {
            kept.retain(|c| same(c, level));
            return;
        }
    }
}

/// One place seen twice: a unit and something inside it, or two localities of one commune
/// or a few kilometres apart.
fn same_place(a: &Place, b: &Place) -> bool {
    if a.country != b.country {
        return false;
    }
    let contains = |unit: &Place, inner: &Place| {
        unit.kind != Kind::Locality
            && (1..=unit.kind.level())
                .all(|l| !unit.admin(l).is_empty() && unit.admin(l) == inner.admin(l))
    };
    if contains(a, b) || contains(b, a) {
        return true;
    }
    if a.kind != Kind::Locality || b.kind != Kind::Locality {
        return false;
    }
    let same_commune = !a.admin3.is_empty() && (1..=3).all(|l| a.admin(l) == b.admin(l));
    let (a, b) = ((a.lat, a.lon), (b.lat, b.lon));
    same_commune || (!surely_apart(a, b, SAME_PLACE_KM) && km_between(a, b) < SAME_PLACE_KM)
}

/// Kilometres in a degree of latitude, or of longitude on the equator (`km_between`'s
/// radius).
const KM_PER_DEGREE: f64 = 6371.0 * std::f64::consts::PI / 180.0;

/// Whether `a` and `b` are `km` or more apart by a bound cheaper than `km_between`: most
/// homonyms are hundreds of kilometres apart. The great-circle distance is at least the
/// gap in latitude, and at least 2/π of the gap in longitude along the parallel nearer a
/// pole (from the haversine formula, as sin x ≥ 2x/π up to π/2).
fn surely_apart((lat1, lon1): Point, (lat2, lon2): Point, km: f64) -> bool {
    let dlon = (lon1 - lon2).abs();
    let dlon = dlon.min(360.0 - dlon);
    let polar = lat1.abs().max(lat2.abs()).to_radians().cos();
    (lat1 - lat2).abs() * KM_PER_DEGREE >= km
        || std::f64::consts::FRAC_2_PI * polar * dlon * KM_PER_DEGREE >= km
}

/// Latitude and longitude, in degrees.
type Point = (f64, f64);

/// Great-circle distance.
fn km_between((lat1, lon1): Point, (lat2, lon2): Point) -> f64 {
    let (la1, la2) = (lat1.to_radians(), lat2.to_radians());
    let (dlat, dlon) = ((lat2 - lat1).to_radians(), (lon2 - lon1).to_radians());
    let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Homonyms in Mali, Niger and Burkina Faso, and a Malian town that carries the name
    /// as an alternate name.
    fn gazetteer(countries: &[&str]) -> Gazetteer {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("places.csv");
        std::fs::write(
            &path,
            "id,name,alt_names,kind,lat,lon,country,admin1,admin2,admin3,source\n\
             ml:1,Tessit,,locality,15.93,0.33,ML,Gao,Ansongo,Tessit,t\n\
             ne:1,Tessit,,locality,13.50,2.10,NE,Tillaberi,Tera,Tera,t\n\
             ml:2,Kossaba,Tessit,locality,14.50,-4.50,ML,Mopti,Djenne,Djenne,t\n\
             bf:1,Sebba,,locality,13.43,0.53,BF,Sahel,Yagha,Sebba,t\n\
             ne:2,Sebba,,locality,14.90,3.90,NE,Tahoua,Tahoua,Tahoua,t\n\
             ml:3,Sebbare,Sebba,locality,16.20,-2.00,ML,Tombouctou,Goundam,Goundam,t\n",
        )
        .unwrap();
        let countries: Vec<String> = countries.iter().map(|c| (*c).to_owned()).collect();
        Gazetteer::load(&[path], None)
            .unwrap()
            .preferring(&countries)
    }

    fn ids(g: &Gazetteer, resolution: Resolution) -> Vec<String> {
        let rows = match resolution {
            Resolution::One(row) => vec![row],
            Resolution::Several(rows) => rows,
            Resolution::None => Vec::new(),
        };
        rows.iter().map(|&r| g.place(r).id.to_string()).collect()
    }

    #[test]
    fn the_deployments_countries_come_first() {
        let cases: [(&[&str], &str, &[&str]); 7] = [
            (&[], "tessit", &["ml:1", "ne:1", "ml:2"]),
            (&["ML"], "tessit", &["ml:1"]),
            (&["NE", "ML"], "tessit", &["ne:1"]),
            (&["BF"], "tessit", &["ml:1", "ne:1", "ml:2"]),
            (&["NE", "BF"], "sebba", &["ne:2"]),
            (&["ML", "BF"], "sebba", &["bf:1"]),
            // Only an alternate name in Mali: no narrowing, but Mali listed first.
            (&["ML"], "sebba", &["ml:3", "bf:1", "ne:2"]),
        ];
        for (countries, name, expected) in cases {
            let g = gazetteer(countries);
            let got = ids(&g, g.resolve(name, None, Near::default()));
            assert_eq!(got, expected, "{countries:?} {name}");
        }
    }

    #[test]
    fn the_channels_country_comes_before_the_deployments() {
        // The deployment's countries, the channel's, the name, the places it means.
        type Case<'a> = (&'a [&'a str], Option<&'a str>, &'a str, &'a [&'a str]);
        let cases: [Case<'_>; 5] = [
            (&["ML"], Some("NE"), "tessit", &["ne:1"]),
            (&["ML"], Some("ne"), "sebba", &["ne:2"]),
            (&["ML", "BF"], Some("ML"), "sebba", &["bf:1"]),
            (&["ML"], Some("BF"), "tessit", &["ml:1"]),
            (&[], Some("NE"), "tessit", &["ne:1"]),
        ];
        for (countries, country, name, expected) in cases {
            let g = gazetteer(countries);
            let near = Near {
                home: None,
                country,
            };
            let got = ids(&g, g.resolve(name, None, near));
            assert_eq!(got, expected, "{countries:?} {country:?} {name}");
        }
    }

    proptest::proptest! {
        /// The cheap bound never parts places the great circle puts closer: near pairs
        /// (within 0.1°) and pairs anywhere, against distances from 1 to 500 km.
        #[test]
        fn places_surely_apart_are_apart(
            lat in -89.0f64..89.0,
            lon in -180.0f64..180.0,
            dlat in -0.1f64..0.1,
            dlon in -0.1f64..0.1,
            far in (-89.0f64..89.0, -180.0f64..180.0),
            km in 1.0f64..500.0,
        ) {
            for b in [(lat + dlat, lon + dlon), far] {
                let a = (lat, lon);
                if surely_apart(a, b, km) {
                    proptest::prop_assert!(km_between(a, b) >= km * (1.0 - 1e-9), "{a:?} {b:?} {km}");
                }
            }
        }
    }
}
