//! The example corpus (`tests/fixtures/reports.jsonl`, a copy of the shared corpus) through
//! the `vigie parse --json` contract, and the parser's safety on any input.
#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

use std::path::PathBuf;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use serde_json::Value;
use vigie::config::ReportsConfig;
use vigie::reports::Reports;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped resources, loaded once (as `vigie parse` loads them).
fn reports() -> &'static Reports {
    static LOADED: OnceLock<Reports> = OnceLock::new();
    LOADED.get_or_init(|| {
        let defaults = ReportsConfig::default();
        let config = ReportsConfig {
            keywords_dir: root().join(defaults.keywords_dir),
            templates_dir: root().join(defaults.templates_dir),
            gazetteers: defaults.gazetteers.iter().map(|p| root().join(p)).collect(),
            boundaries: defaults.boundaries.as_ref().map(|p| root().join(p)),
            ..defaults
        };
        Reports::load(&config).unwrap()
    })
}

fn received() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-06T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn every_corpus_message_parses_as_expected() {
    let corpus = std::fs::read_to_string(root().join("tests/fixtures/reports.jsonl")).unwrap();
    let reports = reports();
    for line in corpus.lines().filter(|l| !l.trim().is_empty()) {
        let case: Value = serde_json::from_str(line).unwrap();
        let id = case["id"].as_str().unwrap();
        let home = case["home"]
            .as_str()
            .map(|h| reports.home(h).unwrap_or_else(|| panic!("{id}: home {h}")));
        let text = case["text"].as_str().unwrap();
        let got = reports.parse_json(text, case["lang"].as_str(), home, received());
        let expect = &case["expect"];
        let place = &got["place"];
        let fold = |v: &Value| v.as_str().map(vigie::text::fold);
        for (key, value) in expect.as_object().unwrap() {
            let actual = match key.as_str() {
                "status" | "category" | "error" => got[key].clone(),
                "place" => place["name"].clone(),
                "admin1" | "found_by" => place[key].clone(),
                count => got["counts"][count].clone(),
            };
            let same = match (fold(value), fold(&actual)) {
                (Some(a), Some(b)) => a == b,
                _ => *value == actual,
            };
            assert!(
                same,
                "{id} `{text}`: {key} is {actual}, expected {value}\n{got:#}"
            );
        }
        let reply = got["reply"].as_str().unwrap();
        assert!(
            !reply.is_empty() && vigie::gsm7::segments(reply) == 1,
            "{id}: reply `{reply}`"
        );
    }
}

#[test]
fn the_cli_prints_one_json_object() {
    let run = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_vigie"))
            .current_dir(root())
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert_eq!(stdout.trim().lines().count(), 1, "{stdout}");
        serde_json::from_str::<Value>(&stdout).unwrap()
    };
    let ok = run(&[
        "parse",
        "--json",
        "--at",
        "2026-11-06T10:00:00Z",
        "--",
        "ATT",
        "Koro",
        "3",
        "morts",
        "2",
        "blesses",
    ]);
    assert_eq!(ok["status"], "ok");
    assert_eq!(ok["place"]["admin1"], "Mopti");
    assert_eq!(ok["counts"]["killed"], 3);
    assert_eq!(
        ok["reply"],
        "Recu 1042: ATTAQUE Koro (Mopti), 3 morts 2 blesses"
    );
    let home = run(&[
        "parse",
        "--json",
        "--lang",
        "fr",
        "--home",
        "Koro",
        "--",
        "ATT 2 morts",
    ]);
    assert_eq!(home["place"]["found_by"], "reporter_home");
    let empty = run(&["parse", "--json", "--", ""]);
    assert_eq!(
        (empty["status"].as_str(), empty["error"].as_str()),
        (Some("error"), Some("empty"))
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Whatever arrives, the answer is a report, a command or an error, with a reply.
    #[test]
    fn any_text_gets_an_answer(text in "\\PC{0,2000}") {
        let got = reports().parse_json(&text, None, None, received());
        check_answer(&got)?;
    }

    /// Report-shaped noise: categories, places, numbers and punctuation in any order.
    #[test]
    fn report_shaped_text_gets_an_answer(words in proptest::collection::vec(
        prop_oneof![
            Just("ATT"), Just("attaque"), Just("Koro"), Just("Mopti"), Just("3"), Just("morts"),
            Just("L:"), Just("M:"), Just("14.06,-3.07"), Just("hier"), Just("il y a"), Just("2h"),
            Just(","), Just("#"), Just("/"), Just("plusieurs"), Just("vingt"), Just("et"), Just("de"),
            Just("99999999999999999999"), Just("N14.06"), Just("06/11"), Just("14h30"), Just("OK"),
        ],
        0..40,
    )) {
        let text = words.join(" ");
        let got = reports().parse_json(&text, None, None, received());
        check_answer(&got)?;
    }
}

/// A status from the allowed set and a reply of one GSM-7 segment.
fn check_answer(got: &Value) -> Result<(), TestCaseError> {
    let status = got["status"].as_str().unwrap_or_default();
    prop_assert!(["ok", "error", "ambiguous"].contains(&status), "{}", got);
    let reply = got["reply"].as_str().unwrap_or_default();
    prop_assert!(!reply.is_empty(), "no reply: {}", got);
    prop_assert!(
        vigie::gsm7::is_gsm7(reply) && vigie::gsm7::segments(reply) == 1,
        "reply `{}` is not one GSM-7 segment",
        reply
    );
    Ok(())
}

#[test]
fn a_networks_own_gazetteer_file_adds_its_villages() {
    let dir = tempfile::tempdir().unwrap();
    let extra = dir.path().join("our_villages.csv");
    std::fs::write(
        &extra,
        "id,name,alt_names,kind,lat,lon,country,admin1,admin2,admin3,source\n\
         wanep:1,Tinkarebougou,Tinkare|Tin-Kare,locality,14.10000,-3.10000,ML,Mopti,Koro,Koro,WANEP focal points\n",
    )
    .unwrap();
    let defaults = ReportsConfig::default();
    let config = ReportsConfig {
        keywords_dir: root().join(&defaults.keywords_dir),
        templates_dir: root().join(&defaults.templates_dir),
        gazetteers: vec![root().join("tests/fixtures/gazetteer_mopti.csv")],
        extra_gazetteers: vec![extra],
        boundaries: None,
        ..defaults
    };
    let reports = Reports::load(&config).unwrap();
    for text in [
        "ATT Tinkarebougou 2 morts",
        "ATT Tin Kare 2 morts",
        "ATT tinkare 2 morts",
    ] {
        let got = reports.parse_json(text, None, None, received());
        assert_eq!(got["place"]["id"], "wanep:1", "{text}: {got}");
    }
}
