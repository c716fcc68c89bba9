//! The Sahel gazetteer: place names to coordinates and admin chains, looked up by folded
//! name in constant time; coordinates to admin units by point in polygon (`boundaries`);
//! the spec's rules to pick one place among homonyms (`resolve`).
//!
//! Sources (see `data/README.md`): Who's On First / GeoNames / geoBoundaries (CC BY 4.0),
//! OpenStreetMap places (ODbL 1.0, kept in its own file), and any extra files a network
//! adds in the same CSV format.

mod boundaries;
mod load;
mod resolve;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

pub use boundaries::{Boundaries, shape};
pub use load::GazetteerError;
pub use resolve::{Found, FoundBy, Near, Resolution};

use crate::text::{fold, squeeze};

/// The level of a gazetteer row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Region,
    Cercle,
    Commune,
    Locality,
}

impl Kind {
    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "region" => Self::Region,
            "cercle" => Self::Cercle,
            "commune" => Self::Commune,
            "locality" => Self::Locality,
            _ => return None,
        })
    }

    /// 1 for a region, 2 a cercle, 3 a commune; localities are below every unit.
    pub fn level(self) -> usize {
        match self {
            Self::Region => 1,
            Self::Cercle => 2,
            Self::Commune => 3,
            Self::Locality => 4,
        }
    }
}

/// One gazetteer row. Admin names are shared (`Arc`), so 90,000 rows stay small.
#[derive(Debug, Clone)]
pub struct Place {
    pub id: Arc<str>,
    pub name: Arc<str>,
    pub kind: Kind,
    pub lat: f64,
    pub lon: f64,
    pub country: Arc<str>,
    pub admin1: Arc<str>,
    pub admin2: Arc<str>,
    pub admin3: Arc<str>,
    /// The name and admin names folded, once: matching compares these all the time.
    folded_name: Box<str>,
    folded_admin: [Arc<str>; 3],
}

impl Place {
    /// The admin name at `level` (1 to 3), folded; empty when none.
    fn folded_admin(&self, level: usize) -> &str {
        self.folded_admin
            .get(level.wrapping_sub(1))
            .map_or("", |a| a)
    }

    /// The admin name at `level` (1 to 3); empty when none.
    pub fn admin(&self, level: usize) -> &str {
        match level {
            1 => &self.admin1,
            2 => &self.admin2,
            3 => &self.admin3,
            _ => "",
        }
    }

    /// `Koro (Mopti)`; with `depth` 2 or 3 the cercle and commune too (`Dire (Kayes,
    /// Kenieba)`), to tell homonyms apart: how a place is named back to a monitor.
    pub fn label(&self, depth: usize) -> String {
        let parts: Vec<&str> = (1..=depth.clamp(1, 3))
            .map(|level| self.admin(level))
            .filter(|p| !p.is_empty() && *p != &*self.name)
            .collect();
        if parts.is_empty() {
            return self.name.to_string();
        }
        format!("{} ({})", self.name, parts.join(", "))
    }
}

/// The places, indexed.
#[derive(Debug)]
pub struct Gazetteer {
    places: Vec<Place>,
    /// Folded name or alt name (and the same without spaces) to rows.
    by_name: HashMap<Box<str>, Vec<u32>>,
    by_id: HashMap<Box<str>, u32>,
    /// The most words in any name: longer phrases are not looked up.
    longest_name: usize,
    boundaries: Option<Boundaries>,
    /// Built on the first unknown place: most runs never need it.
    suggestions: OnceLock<Suggestions>,
    /// The deployment's countries, most preferred first (ISO codes, as in the data).
    countries: Vec<String>,
}

/// Known names by edit distance.
struct Suggestions(bk_tree::BKTree<String>);

impl std::fmt::Debug for Suggestions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Suggestions")
    }
}

impl Gazetteer {
    pub fn place(&self, index: u32) -> &Place {
        &self.places[index as usize]
    }

    /// The same, preferring places in `countries` (in that order) among homonyms.
    pub fn preferring(self, countries: &[String]) -> Self {
        Self {
            countries: countries.iter().map(|c| c.to_ascii_uppercase()).collect(),
            ..self
        }
    }

    /// Where a place's country stands: the channel's own first (0), then the deployment's
    /// in order (1..=n), then the rest (n + 1).
    fn country_rank(&self, place: u32, first: Option<&str>) -> usize {
        let country = &*self.place(place).country;
        if first.is_some_and(|f| f.eq_ignore_ascii_case(country)) {
            return 0;
        }
        1 + self
            .countries
            .iter()
            .position(|c| c == country)
            .unwrap_or(self.countries.len())
    }

    pub fn len(&self) -> usize {
        self.places.len()
    }

    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    pub fn longest_name(&self) -> usize {
        self.longest_name
    }

    /// The longest label at each depth (1 to 3) as a phone shows it (folded to GSM-7):
    /// what templates are checked with, so no place in the loaded data can push a text
    /// past its limit.
    pub fn longest_labels(&self) -> [String; 3] {
        [1, 2, 3].map(|depth| {
            let labels = self
                .places
                .iter()
                .map(|p| crate::gsm7::fold(&p.label(depth)).into_owned());
            labels.max_by_key(|l| l.chars().count()).unwrap_or_default()
        })
    }

    /// Rows named `folded` (already folded words joined by one space). A single word also
    /// finds names written in several (`ntillit` is `N'Tillit`); several words never run
    /// together (`koro a` is not `Koroa`).
    pub fn named(&self, folded: &str) -> &[u32] {
        if let Some(rows) = self.by_name.get(folded) {
            return rows;
        }
        if folded.contains(' ') {
            return &[];
        }
        self.by_name
            .get(squeeze(folded).as_str())
            .map_or(&[], Vec::as_slice)
    }

    /// A row by its `id` column (`wof:421184495`), compared folded.
    pub fn by_id(&self, id: &str) -> Option<u32> {
        self.by_id.get(fold(id).as_str()).copied()
    }

    /// The smallest admin unit containing the point, if boundaries are loaded.
    pub fn locate(&self, lat: f64, lon: f64) -> Option<u32> {
        let unit = self.boundaries.as_ref()?.containing(lat, lon)?;
        self.by_id(unit)
    }

    /// A known name within edit distance 1 (2 for names of 8 letters or more): the name of
    /// an admin unit if one is that close, else the most common. Distance 1 is every
    /// one-letter edit of the word looked up directly; only a long word that has none
    /// searches the edit-distance tree.
    pub fn suggest(&self, folded: &str) -> Option<&str> {
        // No place name is this long; its edits would cost more than they could find.
        if folded.chars().count() > 40 {
            return None;
        }
        let close: Vec<&str> = edits(folded)
            .filter_map(|edit| self.by_name.get_key_value(edit.as_str()).map(|(k, _)| &**k))
            .collect();
        if let Some(best) = self.most_notable(close.into_iter()) {
            return Some(best);
        }
        if folded.chars().count() < 8 {
            return None;
        }
        let tree = self.suggestions.get_or_init(|| {
            let mut tree = bk_tree::BKTree::default();
            for name in self.by_name.keys().filter(|n| n.len() >= 6) {
                tree.add(name.to_string());
            }
            Suggestions(tree)
        });
        self.most_notable(tree.0.find(folded, 2).map(|(_, name)| name.as_str()))
    }

    /// The name of an admin unit first, then the name most places bear.
    fn most_notable<'a>(&self, names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
        names.min_by_key(|name| {
            let rows = self.named(name);
            let unit = rows.iter().any(|&r| self.place(r).kind != Kind::Locality);
            (!unit, std::cmp::Reverse(rows.len()), *name)
        })
    }
}

/// Every string one edit away from `word` (deletion, transposition, substitution,
/// insertion) over the folded alphabet.
fn edits(word: &str) -> impl Iterator<Item = String> + '_ {
    const ALPHABET: &str = "abcdefghijklmnopqrstuvwxyz0123456789";
    let chars: Vec<char> = word.chars().collect();
    let n = chars.len();
    let mut out: Vec<Vec<char>> = Vec::with_capacity(n * 75 + 40);
    for i in 0..n {
        let mut deleted = chars.clone();
        deleted.remove(i);
        out.push(deleted);
        if i > 0 {
            let mut swapped = chars.clone();
            swapped.swap(i - 1, i);
            out.push(swapped);
        }
    }
    for x in ALPHABET.chars() {
        for i in 0..=n {
            let mut inserted = chars.clone();
            inserted.insert(i, x);
            out.push(inserted);
            if i < n {
                let mut replaced = chars.clone();
                replaced[i] = x;
                out.push(replaced);
            }
        }
    }
    out.into_iter()
        .map(|c| c.into_iter().collect::<String>())
        .filter(move |edit| edit != word)
}
