use super::*;

fn key() -> AuditKey {
    AuditKey::from_hex(&"ab".repeat(32)).unwrap()
}

fn chain(n: i64, key: &AuditKey) -> Vec<Entry> {
    let mut prev = String::new();
    (1..=n)
        .map(|id| {
            let subject = format!("token {id}");
            let hash = hash_of(key, &prev, id, ["cli", "token.create", &subject, "{}"]);
            Entry {
                id,
                at: id,
                actor: "cli".into(),
                action: "token.create".into(),
                subject,
                detail: "{}".into(),
                prev: std::mem::replace(&mut prev, hash.clone()),
                hash,
            }
        })
        .collect()
}

#[test]
fn the_first_broken_entry_is_named() {
    let key = key();
    assert_eq!(verify(&chain(4, &key), &key), Ok(()));
    assert_eq!(verify(&[], &key), Ok(()));
    let mut edited = chain(4, &key);
    edited[2].subject = "token 9".into();
    assert_eq!(verify(&edited, &key), Err(Broken::Edited(3)));
    let mut removed = chain(4, &key);
    removed.remove(1);
    assert_eq!(verify(&removed, &key), Err(Broken::Unlinked(3)));
    let mut rehashed = chain(4, &key);
    rehashed[1].detail = "{\"x\":1}".into();
    rehashed[1].hash = rehashed[1].expected(&key);
    assert_eq!(
        verify(&rehashed, &key),
        Err(Broken::Unlinked(3)),
        "a forged entry breaks the next link"
    );
}

#[test]
fn a_chain_recomputed_without_the_key_does_not_hold() {
    let key = key();
    let other = AuditKey::from_hex(&"cd".repeat(32)).unwrap();
    // Whoever rewrote the log recomputed every hash, but under a key of their own.
    let forged = chain(3, &other);
    assert_eq!(verify(&forged, &key), Err(Broken::Edited(1)));
}

#[test]
fn the_head_kept_names_a_removed_tail_or_a_rewritten_log() {
    let key = key();
    let log = chain(5, &key);
    let kept = head(&log[..4]);
    assert_eq!(kept.count, 4);
    let cases = [
        ("grown since", log.clone(), Ok(())),
        ("as kept", log[..4].to_vec(), Ok(())),
        (
            "tail removed",
            log[..2].to_vec(),
            Err(Broken::Truncated { kept: 4, found: 2 }),
        ),
        (
            "rewritten",
            chain(6, &AuditKey::generate()),
            Err(Broken::Rewritten(4)),
        ),
    ];
    for (name, entries, expected) in cases {
        assert_eq!(check_head(&entries, &kept), expected, "{name}");
    }
    assert_eq!(
        head(&[]).to_string().parse::<Head>(),
        Ok(head(&[])),
        "an empty log"
    );
    let written = kept.to_string();
    assert_eq!(written.parse::<Head>(), Ok(kept));
    for bad in ["", "4", "x:ab", "4:abc", &format!("4:{}", "zz".repeat(32))] {
        assert!(bad.parse::<Head>().is_err(), "{bad}");
    }
}

#[test]
fn moving_text_between_fields_changes_the_hash() {
    let key = key();
    assert_ne!(
        hash_of(&key, "", 1, ["ab", "c", "", ""]),
        hash_of(&key, "", 1, ["a", "bc", "", ""])
    );
}

#[test]
fn a_key_reads_back_from_its_hex() {
    let key = AuditKey::generate();
    assert_eq!(AuditKey::from_hex(&key.to_hex()), Some(key.clone()));
    assert_eq!(AuditKey::from_hex("abc"), None);
    assert_eq!(format!("{key:?}"), "AuditKey(..)");
}
