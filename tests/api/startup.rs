//! Start-up refuses what would break a promise later: a reply template or a USSD screen
//! that can exceed its one message, checked with the longest places actually loaded.

use std::path::Path;

use vigie::app::Application;
use vigie::config::Config;

/// A copy of the shipped templates of `kind` (`sms`, `ussd`) in `dir`, `fr/help.txt`
/// replaced by `help`.
fn templates_with_help(dir: &Path, kind: &str, help: &str) -> std::path::PathBuf {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("templates")
        .join(kind);
    let copy = dir.join(kind);
    for language in ["fr", "en"] {
        std::fs::create_dir_all(copy.join(language)).unwrap();
        for entry in std::fs::read_dir(shipped.join(language)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                std::fs::copy(&path, copy.join(language).join(path.file_name().unwrap())).unwrap();
            }
        }
    }
    std::fs::write(copy.join("fr/help.txt"), help).unwrap();
    copy
}

/// Starts the gateway with `reports` settings; the error it stops with, if any.
async fn start(dir: &Path, reports: &str) -> Option<String> {
    let root = env!("CARGO_MANIFEST_DIR");
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[storage]\npath = {:?}\n[reports]\n\
         gazetteers = [\"{root}/tests/fixtures/gazetteer_mopti.csv\"]\n{reports}\n\
         [[channels]]\nid = \"sim\"\nkind = \"sim\"\n",
        dir.join("vigie.db")
    );
    let config = Config::from_toml(&text).unwrap();
    Application::build(config)
        .await
        .err()
        .map(|e| format!("{e:#}"))
}

#[tokio::test]
async fn an_sms_template_that_can_exceed_one_segment_stops_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let sms = templates_with_help(dir.path(), "sms", &"x".repeat(161));
    let error = start(dir.path(), &format!("templates_dir = {sms:?}")).await;
    let error = error.expect("started with a 161-character reply");
    assert!(
        error.contains("fr/help can exceed one SMS segment (161 characters)"),
        "{error}"
    );
}

#[tokio::test]
async fn a_ussd_screen_over_182_characters_stops_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let ussd = templates_with_help(dir.path(), "ussd", &"x".repeat(183));
    let error = start(dir.path(), &format!("ussd_templates_dir = {ussd:?}")).await;
    let error = error.expect("started with a 183-character screen");
    assert!(
        error.contains("screen ussd fr/help can exceed one USSD message (183 characters"),
        "{error}"
    );
}

#[tokio::test]
async fn templates_are_checked_with_the_longest_place_loaded() {
    // The help text names a place as it comes: it fits with the places of Mopti...
    let dir = tempfile::tempdir().unwrap();
    let help = format!("{} {{{{ suggestion }}}}", "x".repeat(100));
    let sms = templates_with_help(dir.path(), "sms", &help);
    let setting = format!("templates_dir = {sms:?}");
    assert_eq!(start(dir.path(), &setting).await, None);
    // ...not once a network's own file adds a longer name.
    let extra = dir.path().join("villages.csv");
    std::fs::write(
        &extra,
        "id,name,alt_names,kind,lat,lon,country,admin1,admin2,admin3,source\n\
         net:1,Tinkarebougou Koundabalalaye Sud Extension Nouvelle Cite des Eleveurs,,locality,14.1,-3.1,ML,Mopti,Koro,Koro,net\n",
    )
    .unwrap();
    let error = start(
        dir.path(),
        &format!("{setting}\nextra_gazetteers = [{extra:?}]"),
    )
    .await;
    let error = error.expect("started with a reply the new place makes too long");
    assert!(
        error.contains("fr/help can exceed one SMS segment"),
        "{error}"
    );
}
