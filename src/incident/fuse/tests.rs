use super::*;

const HOUR: i64 = 3_600_000;
/// Koro (Mopti): the town.
const KORO: (f64, f64) = (14.064, -3.0754);

fn spot(lat: f64, lon: f64, commune: &str, precision: u8) -> Spot {
    Spot {
        lat,
        lon,
        commune: commune.into(),
        precision,
        name: String::new(),
    }
}

fn report(
    reporter: &str,
    category: Category,
    hours: i64,
    spot: Spot,
    killed: Option<u32>,
) -> ReportFacts {
    ReportFacts {
        reporter: reporter.into(),
        category,
        event_time: hours * HOUR,
        spot,
        counts: Counts {
            killed: killed.map(Count::Exact),
            ..Counts::default()
        },
    }
}

/// Feeds reports in order; returns the incidents they make.
fn run(reports: Vec<ReportFacts>) -> Vec<Incident> {
    let rules = FusionRules::default();
    let mut incidents: Vec<Incident> = Vec::new();
    let mut reporters = BTreeSet::new();
    for (n, r) in reports.into_iter().enumerate() {
        match fuse(&r, &incidents, &rules) {
            Fusion::Join(id) => {
                let source = if reporters.insert((id, r.reporter.clone())) {
                    Source::New
                } else {
                    Source::Repeat
                };
                let incident = incidents.iter_mut().find(|i| i.id == id).unwrap();
                incident.absorb(r, source);
            }
            Fusion::Open => {
                let id = n as i64 + 1;
                reporters.insert((id, r.reporter.clone()));
                incidents.push(Incident::open(id, r));
            }
        }
    }
    incidents
}

#[test]
fn reports_of_one_event_fuse_and_others_do_not() {
    let koro = || spot(KORO.0, KORO.1, "Mopti/Koro/Koro", 3);
    // About 8 km north of Koro, another commune.
    let village = || spot(KORO.0 + 0.072, KORO.1, "Mopti/Koro/Bamba", 3);
    // About 60 km north.
    let far = || spot(KORO.0 + 0.54, KORO.1, "Mopti/Douentza/Haire", 3);
    let cases: Vec<(&str, Vec<ReportFacts>, Vec<usize>)> = vec![
        (
            "three monitors an hour apart, Koro and a village 8 km away: one incident, three sources",
            vec![
                report("a", Category::ATT, 0, koro(), Some(3)),
                report("b", Category::ATT, 1, village(), Some(5)),
                report("c", Category::ATT, 2, koro(), None),
            ],
            vec![3],
        ),
        (
            "the same category 60 km away is another incident",
            vec![
                report("a", Category::ATT, 0, koro(), None),
                report("b", Category::ATT, 1, far(), None),
            ],
            vec![1, 1],
        ),
        (
            "two days later is another incident",
            vec![
                report("a", Category::ATT, 0, koro(), None),
                report("b", Category::ATT, 48, koro(), None),
            ],
            vec![1, 1],
        ),
        (
            "displacement lasts: 40 hours later is the same",
            vec![
                report("a", Category::DEP, 0, koro(), None),
                report("b", Category::DEP, 40, koro(), None),
            ],
            vec![2],
        ),
        (
            "an attack and a killing are one family",
            vec![
                report("a", Category::ATT, 0, koro(), None),
                report("b", Category::ASS, 1, village(), None),
            ],
            vec![2],
        ),
        (
            "a theft is not an attack",
            vec![
                report("a", Category::ATT, 0, koro(), None),
                report("b", Category::VOL, 1, koro(), None),
            ],
            vec![1, 1],
        ),
        (
            "a repeat from one monitor is not corroboration",
            vec![
                report("a", Category::ATT, 0, koro(), None),
                report("a", Category::ATT, 1, koro(), None),
            ],
            vec![1],
        ),
        (
            "the same commune joins even beyond the radius",
            vec![
                report(
                    "a",
                    Category::ATT,
                    0,
                    spot(KORO.0, KORO.1, "Mopti/Koro/Koro", 2),
                    None,
                ),
                report(
                    "b",
                    Category::ATT,
                    1,
                    spot(KORO.0 + 0.2, KORO.1, "Mopti/Koro/Koro", 3),
                    None,
                ),
            ],
            vec![2],
        ),
    ];
    for (name, reports, sources) in cases {
        let incidents = run(reports);
        let got: Vec<usize> = incidents.iter().map(Incident::sources).collect();
        assert_eq!(got, sources, "{name}");
    }
}

#[test]
fn the_nearest_incident_in_space_and_time_wins() {
    let rules = FusionRules::default();
    let near = Incident::open(
        1,
        report(
            "a",
            Category::ATT,
            0,
            spot(KORO.0 + 0.02, KORO.1, "", 3),
            None,
        ),
    );
    let nearer = Incident::open(
        2,
        report(
            "b",
            Category::ATT,
            0,
            spot(KORO.0 + 0.005, KORO.1, "", 3),
            None,
        ),
    );
    let new = report("c", Category::ATT, 1, spot(KORO.0, KORO.1, "", 3), None);
    assert_eq!(fuse(&new, &[near, nearer], &rules), Fusion::Join(2));
}

#[test]
fn an_incident_keeps_the_precise_place_the_count_range_and_its_sources() {
    let cercle = spot(14.44, -2.83, "", 1);
    let town = spot(KORO.0, KORO.1, "Mopti/Koro/Koro", 3);
    let reports = [
        report("a", Category::ATT, 0, cercle.clone(), Some(3)),
        report("b", Category::ATT, 1, town.clone(), Some(5)),
        report("c", Category::ATT, 2, cercle, Some(4)),
    ];
    let mut incident = Incident::open(1, reports[0].clone());
    incident.absorb(reports[1].clone(), Source::New);
    incident.absorb(reports[2].clone(), Source::New);
    assert_eq!(incident.spot, town, "the most precise place stands");
    assert_eq!(
        incident.count_range(|c| c.killed),
        Some((Count::Exact(3), Count::Exact(5)))
    );
    assert_eq!(incident.counts().killed, Some(Count::Exact(5)));
    assert_eq!((incident.first_time, incident.last_time), (0, 2 * HOUR));

    assert_eq!(incident.sources(), 3);
    let mut repeated = incident.clone();
    repeated.absorb(
        report("a", Category::ATT, 3, town.clone(), None),
        Source::Repeat,
    );
    assert_eq!(repeated.sources(), 3, "a repeat is no corroboration");

    let left = incident
        .clone()
        .rebuilt(vec![reports[0].clone(), reports[2].clone()]);
    assert_eq!(
        (left.sources(), left.count_range(|c| c.killed)),
        (2, Some((Count::Exact(3), Count::Exact(4)))),
        "rebuilt from the reports left once one is withdrawn"
    );
    assert_eq!(left.spot.precision, 1);
    assert!(
        incident.rebuilt(Vec::new()).is_empty(),
        "an incident with no report left is withdrawn"
    );
}

#[test]
fn rules_come_from_the_config() {
    let config = crate::config::IncidentsConfig {
        window_hours: 1,
        families: vec![vec!["ATT".into(), "VOL".into()]],
        ..Default::default()
    };
    let rules = FusionRules::from_config(&config);
    let koro = || spot(KORO.0, KORO.1, "", 3);
    let first = Incident::open(1, report("a", Category::ATT, 0, koro(), None));
    let theft = report("b", Category::VOL, 0, koro(), None);
    assert_eq!(
        fuse(&theft, std::slice::from_ref(&first), &rules),
        Fusion::Join(1),
        "a configured family"
    );
    let late = report("c", Category::ATT, 2, koro(), None);
    assert_eq!(
        fuse(&late, &[first], &rules),
        Fusion::Open,
        "a one-hour window"
    );
    assert_eq!(
        rules.longest_window(),
        Duration::from_secs(48 * 3600),
        "DEP keeps its own"
    );
}

#[test]
fn a_correction_stands_over_the_reports_and_later_ones() {
    let bondo = spot(14.157, -2.945, "Mopti/Koro/Bondo", 2);
    let mut incident = Incident::open(
        1,
        report("a", Category::ATT, 0, spot(KORO.0, KORO.1, "", 1), Some(3)),
    );
    incident.correct(Correction {
        category: Some(Category::ENL),
        place: Some(CorrectedPlace {
            spot: bondo.clone(),
            chain: "Mopti/Koro/Bondo".into(),
        }),
        counts: None,
    });
    assert_eq!(incident.category, Category::ENL);
    assert_eq!(incident.spot, bondo);
    assert_eq!(
        incident.counts().killed,
        Some(Count::Exact(3)),
        "counts not corrected"
    );

    let exact = spot(14.1, -2.9, "Mopti/Koro/Bondo", 3);
    incident.absorb(
        report("b", Category::ENL, 1, exact.clone(), Some(9)),
        Source::New,
    );
    assert_eq!(
        incident.spot, bondo,
        "a more precise report does not move a corrected place"
    );
    assert_eq!(
        incident.count_range(|c| c.killed),
        Some((Count::Exact(3), Count::Exact(9)))
    );

    let counts = Counts {
        killed: Some(Count::Exact(4)),
        ..Counts::default()
    };
    incident.correct(Correction {
        counts: Some(counts),
        ..Correction::default()
    });
    assert_eq!(incident.category, Category::ENL, "earlier corrections kept");
    assert_eq!(
        incident.count_range(|c| c.killed),
        Some((Count::Exact(4), Count::Exact(4)))
    );
    assert_eq!(incident.counts().injured, None);

    let reports = vec![
        report("a", Category::ATT, 0, spot(KORO.0, KORO.1, "", 1), Some(3)),
        report("b", Category::ENL, 1, exact, Some(9)),
    ];
    let rebuilt = incident.clone().rebuilt(reports);
    assert_eq!(
        (rebuilt.category, rebuilt.spot.clone()),
        (Category::ENL, bondo)
    );
    assert_eq!(rebuilt.counts(), counts);
}
