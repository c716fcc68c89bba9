//! The map's base without a tile server: the admin boundaries of the deployment's
//! countries (regions and cercles; communes would weigh a megabyte), simplified and rounded
//! to a few hundred metres, as one small GeoJSON made once at start-up; and each unit's
//! outline, for the zones made of units.

use std::collections::HashMap;
use std::path::Path;

use geo::{MultiPolygon, Simplify};
use serde_json::{Value, json};

use crate::gazetteer::shape;
use crate::text::fold;

/// Douglas-Peucker tolerance, in degrees (about a kilometre).
const TOLERANCE: f64 = 0.01;

/// The admin boundaries the console draws: the basemap (regions and cercles) and each
/// unit's outline by its id (folded), for zones made of units.
#[derive(Debug, Default)]
pub struct Boundaries {
    pub basemap: String,
    pub units: HashMap<String, Value>,
}

/// The boundaries of `countries` (ISO codes) from the file at `path`.
pub fn boundaries(path: &Path, countries: &[String]) -> Result<Boundaries, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let json: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut base = Vec::new();
    let mut units = HashMap::new();
    for feature in json["features"].as_array().into_iter().flatten() {
        let properties = &feature["properties"];
        let ours = properties["country"]
            .as_str()
            .is_some_and(|c| countries.iter().any(|k| k.eq_ignore_ascii_case(c)));
        let (Some(level), Some(geometry)) = (properties["level"].as_u64(), outline(feature)) else {
            continue;
        };
        if !ours {
            continue;
        }
        if level <= 2 {
            base.push(json!({
                "type": "Feature",
                "properties": { "level": level, "name": properties["name"] },
                "geometry": geometry,
            }));
        }
        if let Some(id) = properties["id"].as_str() {
            units.insert(fold(id), geometry);
        }
    }
    Ok(Boundaries {
        basemap: json!({ "type": "FeatureCollection", "features": base }).to_string(),
        units,
    })
}

/// A feature's outline, simplified and rounded, as a GeoJSON MultiPolygon.
fn outline(feature: &Value) -> Option<Value> {
    let shape: MultiPolygon<f64> = shape(&feature["geometry"])?.simplify(TOLERANCE);
    let polygons: Vec<Value> = shape
        .iter()
        .map(|polygon| {
            let rings = std::iter::once(polygon.exterior()).chain(polygon.interiors());
            Value::Array(
                rings
                    .map(|ring| {
                        ring.coords()
                            .map(|c| json!([round(c.x), round(c.y)]))
                            .collect()
                    })
                    .collect(),
            )
        })
        .collect();
    Some(json!({ "type": "MultiPolygon", "coordinates": polygons }))
}

fn round(degrees: f64) -> f64 {
    (degrees * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_basemap_of_mali_is_small() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sahel_admin_boundaries.geojson");
        let drawn = boundaries(&path, &["ML".to_owned()]).unwrap();
        let map = drawn.basemap;
        let parsed: Value = serde_json::from_str(&map).unwrap();
        assert_eq!(
            drawn.units.len(),
            9 + 49 + 701,
            "Mali's regions, cercles, communes"
        );
        assert_eq!(parsed["features"].as_array().unwrap().len(), 9 + 49);
        assert!(map.len() < 400_000, "{} bytes", map.len());
    }
}
