use std::path::PathBuf;
use std::sync::OnceLock;

use super::*;
use crate::config::Circle;

fn gazetteer() -> &'static Gazetteer {
    static LOADED: OnceLock<Gazetteer> = OnceLock::new();
    LOADED.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        Gazetteer::load(&[root.join("tests/fixtures/gazetteer_mopti.csv")], None).unwrap()
    })
}

fn zone(code: &str) -> ZoneDefinition {
    ZoneDefinition {
        code: code.into(),
        ..ZoneDefinition::default()
    }
}

fn at(lat: f64, lon: f64, chain: [&str; 3]) -> Whereabouts {
    Whereabouts {
        lat,
        lon,
        chain: chain.map(fold),
    }
}

/// Bondo, a commune of the cercle of Koro; Konna, of the cercle of Mopti.
fn bondo() -> Whereabouts {
    at(14.15769, -2.94518, ["Mopti", "Koro", "Bondo"])
}

fn konna() -> Whereabouts {
    at(14.95624, -3.91761, ["Mopti", "Mopti", "Konna"])
}

fn zones() -> Zones {
    let units = ZoneDefinition {
        units: vec!["Koro".into()],
        parent: Some("Mopti".into()),
        ..zone("koro-zone")
    };
    let circle = ZoneDefinition {
        circles: vec![Circle {
            lat: 14.94,
            lon: -3.89,
            radius_km: 10.0,
        }],
        escalation: vec!["+22370000099".into()],
        ..zone("Konna-10km")
    };
    let square = serde_json::json!({ "type": "Polygon", "coordinates":
        [[[-3.0, 14.0], [-2.9, 14.0], [-2.9, 14.2], [-3.0, 14.2], [-3.0, 14.0]]] });
    let polygon = ZoneDefinition {
        polygons: vec![square],
        severity_threshold: Some(5),
        sources: Some(4),
        ..zone("carre")
    };
    Zones::compile(
        &[units, circle, polygon],
        gazetteer(),
        &AlertsConfig::default(),
    )
    .unwrap()
}

fn keys(found: &[ZoneMatch]) -> Vec<&str> {
    found.iter().map(|z| z.keys[0].as_str()).collect()
}

#[test]
fn an_incident_lies_in_defined_zones_and_in_its_admin_units() {
    let zones = zones();
    let cases = [
        (
            "Bondo: the units zone, the polygon, its commune, cercle and region",
            bondo(),
            vec!["koro zone", "carre", "bondo", "koro", "mopti"],
        ),
        (
            "Konna: the circle, its commune, cercle and region",
            konna(),
            vec!["konna 10km", "konna", "mopti", "mopti"],
        ),
        (
            "a point with no admin chain: only the shapes",
            at(14.1, -2.95, ["", "", ""]),
            vec!["carre"],
        ),
        ("nowhere", at(0.0, 0.0, ["", "", ""]), vec![]),
    ];
    for (name, place, expected) in cases {
        assert_eq!(
            keys(&zones.containing(&place, gazetteer())),
            expected,
            "{name}"
        );
    }
}

#[test]
fn an_admin_unit_is_named_by_its_name_or_its_id_folded_as_contacts_zones_are() {
    let found = zones().containing(&bondo(), gazetteer());
    let koro = found.iter().find(|z| z.keys[0] == "koro").unwrap();
    assert!(koro.keys.contains(&fold("wof:421184495")), "{koro:?}");
}

#[test]
fn rules_come_from_the_zone_else_from_alerts() {
    let found = zones().containing(&bondo(), gazetteer());
    let rule = |key: &str| {
        found
            .iter()
            .find(|z| z.keys[0] == key)
            .unwrap()
            .rule
            .clone()
    };
    let cases = [
        ("carre", Category::ATT, 4, 1, false),
        ("carre", Category::ATT, 5, 1, true),
        ("carre", Category::MEN, 2, 4, true),
        ("bondo", Category::MEN, 2, 1, false),
        ("bondo", Category::MEN, 2, 2, true),
        ("bondo", Category::ATT, 3, 1, true),
    ];
    for (zone, category, severity, sources, alerts) in cases {
        assert_eq!(
            rule(zone).alerts(category, severity, sources, false),
            alerts,
            "{zone} {category:?} severity {severity} sources {sources}"
        );
    }
}

#[test]
fn a_zone_that_waits_for_verification_alerts_on_sources_only_once_verified() {
    let mut rule = zones().defaults().clone();
    rule.verify_low_severity = true;
    assert!(!rule.alerts(Category::MEN, 2, 5, false));
    assert!(rule.alerts(Category::MEN, 2, 2, true));
    assert!(
        rule.alerts(Category::ATT, 4, 1, false),
        "severe enough: no wait"
    );
}

#[test]
fn escalation_goes_to_named_numbers_else_up_the_parents() {
    let zones = zones();
    let g = gazetteer();
    let found = zones.containing(&bondo(), g);
    let by = |key: &str| found.iter().find(|z| z.keys[0] == key).unwrap().clone();
    let parent = |z: &ZoneMatch| zones.parent(z, &bondo(), g).map(|p| p.keys[0].clone());
    assert_eq!(parent(&by("koro zone")).as_deref(), Some("mopti"));
    assert_eq!(parent(&by("bondo")).as_deref(), Some("koro"));
    assert_eq!(parent(&by("koro")).as_deref(), Some("mopti"));
    assert_eq!(parent(&by("mopti")), None, "a region is the top");
    assert_eq!(parent(&by("carre")), None, "a zone without a parent");
    let around_konna = zones.containing(&konna(), g);
    assert_eq!(zones.numbers(&around_konna[0]), ["+22370000099"]);
    // Konna's cercle and region are both `Mopti`: the region is still the top.
    let region = around_konna.last().unwrap();
    assert_eq!(region.level, Some(1));
    assert_eq!(zones.parent(region, &konna(), g), None);
    let cercle = &around_konna[around_konna.len() - 2];
    assert_eq!(zones.parent(cercle, &konna(), g).unwrap().level, Some(1));
    assert!(zones.numbers(&by("koro")).is_empty());
}

#[test]
fn a_zone_that_does_not_hold_is_named_with_its_field() {
    let g = gazetteer();
    let alerts = AlertsConfig::default();
    let unknown = ZoneDefinition {
        units: vec!["Atlantis".into()],
        ..zone("x")
    };
    let locality = ZoneDefinition {
        units: vec!["Nomono-Bondo".into()],
        ..zone("x")
    };
    let point = ZoneDefinition {
        polygons: vec![serde_json::json!({ "type": "Point", "coordinates": [0, 0] })],
        ..zone("x")
    };
    let orphan = ZoneDefinition {
        parent: Some("Atlantis".into()),
        ..ZoneDefinition {
            units: vec!["Koro".into()],
            ..zone("x")
        }
    };
    let own = ZoneDefinition {
        parent: Some("X".into()),
        ..orphan.clone()
    };
    let cases = [
        (orphan, "zones[0].parent"),
        (own, "zones[0].parent"),
        (unknown, "zones[0].units"),
        (locality, "zones[0].units"),
        (point, "zones[0].polygons[0]"),
        (zone("empty"), "zones[0].units"),
    ];
    for (definition, field) in cases {
        let error = Zones::compile(&[definition], g, &alerts).unwrap_err();
        assert_eq!(error.field, field, "{error}");
    }
}
