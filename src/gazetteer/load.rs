//! Reading the gazetteer CSV files (`id,name,alt_names,kind,lat,lon,country,admin1,admin2,
//! admin3,source`) and the boundaries GeoJSON into one indexed gazetteer.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde::Deserialize;

use super::{Boundaries, Gazetteer, Kind, Place};
use crate::text::{fold, squeeze};

/// A gazetteer file that cannot be used. Start-up stops with it.
#[derive(Debug, thiserror::Error)]
pub enum GazetteerError {
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{path}, line {line}: {reason}")]
    Row {
        path: String,
        line: u64,
        reason: String,
    },
}

#[derive(Debug, Deserialize)]
struct Row {
    id: String,
    name: String,
    alt_names: String,
    kind: String,
    lat: f64,
    lon: f64,
    country: String,
    admin1: String,
    admin2: String,
    admin3: String,
}

/// Shares one allocation per distinct admin name, and one for its folded form.
#[derive(Default)]
struct Interner(HashMap<String, (Arc<str>, Arc<str>)>);

impl Interner {
    fn get(&mut self, text: &str) -> (Arc<str>, Arc<str>) {
        if let Some((shared, folded)) = self.0.get(text) {
            return (Arc::clone(shared), Arc::clone(folded));
        }
        let entry: (Arc<str>, Arc<str>) = (Arc::from(text), Arc::from(fold(text)));
        self.0.insert(text.to_owned(), entry.clone());
        entry
    }
}

impl Gazetteer {
    /// Loads `files` in order (a later file's rows add to the earlier ones') and, if
    /// given, the admin boundaries.
    pub fn load(files: &[PathBuf], boundaries: Option<&Path>) -> Result<Self, GazetteerError> {
        let mut places = Vec::new();
        let mut names = Interner::default();
        for path in files {
            read_csv(path, &mut places, &mut names)?;
        }
        let boundaries = boundaries.map(Boundaries::load).transpose()?;
        Ok(Self::index(places, boundaries))
    }

    fn index(places: Vec<Loaded>, boundaries: Option<Boundaries>) -> Self {
        let mut by_name: HashMap<Box<str>, Vec<u32>> = HashMap::new();
        let mut by_id = HashMap::with_capacity(places.len());
        let mut longest_name = 1;
        for (i, place) in places.iter().enumerate() {
            let Ok(i) = u32::try_from(i) else { break };
            by_id.insert(fold(&place.id).into_boxed_str(), i);
            let mut add = |name: &str| {
                let folded = fold(name);
                if folded.is_empty() {
                    return;
                }
                longest_name = longest_name.max(folded.split(' ').count());
                let squeezed = squeeze(&folded);
                for key in [folded, squeezed] {
                    let rows = by_name.entry(key.into_boxed_str()).or_default();
                    if rows.last() != Some(&i) {
                        rows.push(i);
                    }
                }
            };
            add(&place.name);
            for alt in place.alt_names.split('|') {
                add(alt);
            }
        }
        let places = places.into_iter().map(|p| p.place).collect();
        Self {
            places,
            by_name,
            by_id,
            longest_name,
            boundaries,
            suggestions: OnceLock::new(),
            countries: Vec::new(),
        }
    }
}

/// A row before indexing: alt names are only needed to build the index.
struct Loaded {
    place: Place,
    alt_names: String,
}

impl std::ops::Deref for Loaded {
    type Target = Place;

    fn deref(&self) -> &Place {
        &self.place
    }
}

fn read_csv(
    path: &Path,
    places: &mut Vec<Loaded>,
    names: &mut Interner,
) -> Result<(), GazetteerError> {
    let shown = path.display().to_string();
    let mut reader = csv::Reader::from_path(path).map_err(|e| GazetteerError::Read {
        path: shown.clone(),
        reason: e.to_string(),
    })?;
    for (n, record) in reader.deserialize::<Row>().enumerate() {
        // The header is line 1.
        let line = n as u64 + 2;
        let row_error = |line: u64, reason: String| GazetteerError::Row {
            path: shown.clone(),
            line,
            reason,
        };
        let row = record.map_err(|e| row_error(line, e.to_string()))?;
        let kind = Kind::parse(&row.kind).ok_or_else(|| {
            row_error(
                line,
                format!(
                    "kind `{}` is not region, cercle, commune or locality",
                    row.kind
                ),
            )
        })?;
        if !(-90.0..=90.0).contains(&row.lat) || !(-180.0..=180.0).contains(&row.lon) {
            return Err(row_error(line, "lat/lon out of range".into()));
        }
        let (admin1, folded1) = names.get(&row.admin1);
        let (admin2, folded2) = names.get(&row.admin2);
        let (admin3, folded3) = names.get(&row.admin3);
        let place = Place {
            id: Arc::from(row.id.as_str()),
            name: Arc::from(row.name.as_str()),
            kind,
            lat: row.lat,
            lon: row.lon,
            country: names.get(&row.country).0,
            admin1,
            admin2,
            admin3,
            folded_name: fold(&row.name).into_boxed_str(),
            folded_admin: [folded1, folded2, folded3],
        };
        places.push(Loaded {
            place,
            alt_names: row.alt_names,
        });
    }
    Ok(())
}
