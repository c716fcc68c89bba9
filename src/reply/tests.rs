use std::path::PathBuf;

use minijinja::context;

use super::*;

fn shipped() -> Replies {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("templates/sms");
    Replies::load(&dir, "fr").unwrap()
}

#[test]
fn every_shipped_template_fits_one_segment_with_the_longest_values() {
    shipped().check().unwrap();
}

#[test]
fn receipts_echo_the_report_in_the_senders_language() {
    let replies = shipped();
    let counts = vec![
        context! { n => 3, field => "killed" },
        context! { n => "several", field => "injured" },
    ];
    let values =
        context! { ref => 1042, category => "ATT", place => "Koro (Mopti)", counts => counts };
    let cases = [
        (
            "fr",
            "Recu 1042: ATTAQUE Koro (Mopti), 3 morts plusieurs blesses",
        ),
        (
            "en",
            "Got 1042: ATTACK Koro (Mopti), 3 killed several injured",
        ),
        (
            "bm",
            "Recu 1042: ATTAQUE Koro (Mopti), 3 morts plusieurs blesses",
        ),
    ];
    for (language, expected) in cases {
        assert_eq!(
            replies.render(language, "receipt", &values).unwrap(),
            expected,
            "{language}"
        );
    }
    let bare = context! { ref => 1042, category => "RAS", place => "Sévaré (Mopti)", counts => Vec::<minijinja::Value>::new() };
    assert_eq!(
        replies.render("fr", "receipt", &bare).unwrap(),
        "Recu 1042: RAS Sévaré (Mopti)"
    );
}

#[test]
fn a_template_that_can_exceed_one_segment_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("templates/sms/fr");
    let fr = dir.path().join("fr");
    std::fs::create_dir(&fr).unwrap();
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, fr.join(path.file_name().unwrap())).unwrap();
        }
    }
    std::fs::write(fr.join("help.txt"), "x".repeat(150) + " {{ place }}").unwrap();
    let error = Replies::load(dir.path(), "fr")
        .unwrap()
        .check()
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("fr/help can exceed one SMS segment"),
        "{error}"
    );
    std::fs::remove_file(fr.join("stopped.txt")).unwrap();
    let error = Replies::load(dir.path(), "fr").unwrap_err().to_string();
    assert!(error.contains("fr/stopped"), "{error}");
}
