use std::path::PathBuf;

use minijinja::context;

use super::*;

fn shipped() -> Replies {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("templates/sms");
    Replies::load(&dir, "fr").unwrap()
}

#[test]
fn every_shipped_template_fits_one_segment_with_the_longest_values() {
    shipped().check(&long_labels()).unwrap();
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
        .check(&long_labels())
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

#[test]
fn a_long_place_label_is_shortened_keeping_what_tells_it_apart() {
    let cases = [
        ("fits", "Koro (Mopti)", 20, "Koro (Mopti)"),
        ("exactly", "Koro (Mopti)", 12, "Koro (Mopti)"),
        (
            "name cut at a word, units kept",
            "Camp de refugies de Gondje (Logone Oriental)",
            40,
            "Camp de refugies de (Logone Oriental)",
        ),
        (
            "no room for the units",
            "Bourbourdji Peulh Boukar (Diffa, Maine-Soroa, Foulatari)",
            30,
            "Bourbourdji Peulh Boukar",
        ),
        (
            "one long word cut where it must",
            "Tinkarebougoukoundabalalaye (Mopti)",
            20,
            "Tinkarebougo (Mopti)",
        ),
        (
            "no units",
            "Hovratt ehl Cheikh Sid Elemine",
            20,
            "Hovratt ehl Cheikh",
        ),
        (
            "cut at a word's end keeps the word",
            "Hovratt ehl Cheikh Sid",
            18,
            "Hovratt ehl Cheikh",
        ),
    ];
    for (name, label, n, expected) in cases {
        let got = shorten(label, n);
        assert_eq!(got, expected, "{name}");
        assert!(got.chars().count() <= n, "{name}");
    }
    // Counted as sent: folded first, as `œ` and `ŋ` take two letters each.
    let env = environment();
    let folded = env
        .render_str(
            "{{ p | shorten(14) }}",
            context! { p => "Œuvre Ŋaana (Mopti)" },
        )
        .unwrap();
    assert_eq!(folded, "OEuvre Ngaana", "13 letters once folded");
}
