//! Admin boundaries (`sahel_admin_boundaries.geojson`): which units contain a point. An
//! R-tree of bounding boxes finds the few polygons worth testing.

use std::path::Path;

use geo::{Contains, Coord, LineString, MultiPolygon, Point, Polygon};
use rstar::{AABB, RTree, RTreeObject};
use serde_json::Value;

use super::GazetteerError;

/// One unit's polygon, boxed for the R-tree.
#[derive(Debug)]
struct Unit {
    id: Box<str>,
    level: u8,
    shape: MultiPolygon<f64>,
    envelope: AABB<[f64; 2]>,
}

impl RTreeObject for Unit {
    type Envelope = AABB<[f64; 2]>;

    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

/// Every unit's polygon, indexed.
#[derive(Debug)]
pub struct Boundaries {
    tree: RTree<Unit>,
}

impl Boundaries {
    pub fn load(path: &Path) -> Result<Self, GazetteerError> {
        let shown = path.display().to_string();
        let error = |reason: String| GazetteerError::Read {
            path: shown.clone(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
        let json: Value = serde_json::from_str(&text).map_err(|e| error(e.to_string()))?;
        let features = json
            .get("features")
            .and_then(Value::as_array)
            .ok_or_else(|| error("no `features` array".into()))?;
        let mut units = Vec::with_capacity(features.len());
        for (i, feature) in features.iter().enumerate() {
            let unit = unit(feature)
                .ok_or_else(|| error(format!("feature {i} is not an admin unit polygon")))?;
            units.push(unit);
        }
        Ok(Self {
            tree: RTree::bulk_load(units),
        })
    }

    /// The id of the most specific unit containing the point (a commune before its cercle).
    pub fn containing(&self, lat: f64, lon: f64) -> Option<&str> {
        let point = Point::new(lon, lat);
        self.tree
            .locate_in_envelope_intersecting(&AABB::from_point([lon, lat]))
            .filter(|unit| unit.shape.contains(&point))
            .max_by_key(|unit| unit.level)
            .map(|unit| &*unit.id)
    }
}

fn unit(feature: &Value) -> Option<Unit> {
    let properties = feature.get("properties")?;
    let id = properties.get("id")?.as_str()?;
    let level = u8::try_from(properties.get("level")?.as_u64()?).ok()?;
    let shape = shape(feature.get("geometry")?)?;
    let envelope = envelope(&shape)?;
    Some(Unit {
        id: id.into(),
        level,
        shape,
        envelope,
    })
}

/// A GeoJSON Polygon or MultiPolygon geometry (longitude first).
pub fn shape(geometry: &Value) -> Option<MultiPolygon<f64>> {
    let coordinates = geometry.get("coordinates")?;
    let shape = match geometry.get("type")?.as_str()? {
        "Polygon" => MultiPolygon(vec![polygon(coordinates)?]),
        "MultiPolygon" => MultiPolygon(
            coordinates
                .as_array()?
                .iter()
                .map(polygon)
                .collect::<Option<Vec<_>>>()?,
        ),
        _ => return None,
    };
    (!shape.0.is_empty()).then_some(shape)
}

fn polygon(rings: &Value) -> Option<Polygon<f64>> {
    let mut rings = rings.as_array()?.iter().map(ring);
    let exterior = rings.next()??;
    let interiors = rings.collect::<Option<Vec<_>>>()?;
    Some(Polygon::new(exterior, interiors))
}

fn ring(points: &Value) -> Option<LineString<f64>> {
    points
        .as_array()?
        .iter()
        .map(|p| {
            let p = p.as_array()?;
            Some(Coord {
                x: p.first()?.as_f64()?,
                y: p.get(1)?.as_f64()?,
            })
        })
        .collect::<Option<Vec<_>>>()
        .map(LineString::new)
}

fn envelope(shape: &MultiPolygon<f64>) -> Option<AABB<[f64; 2]>> {
    let points: Vec<[f64; 2]> = shape
        .0
        .iter()
        .flat_map(|p| p.exterior().0.iter())
        .map(|c| [c.x, c.y])
        .collect();
    (!points.is_empty()).then(|| AABB::from_points(points.iter()))
}
