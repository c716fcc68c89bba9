//! The map's base without a tile server: the admin boundaries of the deployment's
//! countries (regions and cercles; communes would weigh a megabyte), simplified and rounded
//! to a few hundred metres, as one small GeoJSON made once at start-up.

use std::path::Path;

use geo::{MultiPolygon, Simplify};
use serde_json::{Value, json};

use crate::gazetteer::shape;

/// Douglas-Peucker tolerance, in degrees (about a kilometre).
const TOLERANCE: f64 = 0.01;

/// The basemap of `countries` (ISO codes) from the boundaries file at `path`.
pub fn basemap(path: &Path, countries: &[String]) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let json: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let features: Vec<Value> = json["features"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| simplified(f, countries))
        .collect();
    Ok(json!({ "type": "FeatureCollection", "features": features }).to_string())
}

/// A region or cercle of one of the countries, simplified; `None` for anything else.
fn simplified(feature: &Value, countries: &[String]) -> Option<Value> {
    let properties = &feature["properties"];
    let level = properties["level"]
        .as_u64()
        .filter(|l| (1..=2).contains(l))?;
    let country = properties["country"].as_str()?;
    if !countries.iter().any(|c| c.eq_ignore_ascii_case(country)) {
        return None;
    }
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
    Some(json!({
        "type": "Feature",
        "properties": { "level": level, "name": properties["name"] },
        "geometry": { "type": "MultiPolygon", "coordinates": polygons },
    }))
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
        let map = basemap(&path, &["ML".to_owned()]).unwrap();
        let parsed: Value = serde_json::from_str(&map).unwrap();
        assert_eq!(parsed["features"].as_array().unwrap().len(), 9 + 49);
        assert!(map.len() < 400_000, "{} bytes", map.len());
    }
}
