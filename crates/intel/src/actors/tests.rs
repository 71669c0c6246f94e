use super::*;

#[test]
fn builtin_profiles_load_and_any_alias_finds_the_actor() {
    let db = ActorDb::from_profiles(profiles::BUILTIN, "actors.toml").unwrap();
    assert!(db.len() >= 8, "{}", db.len());
    for n in [
        "apt 35",
        "Charming-Kitten",
        "PHOSPHORUS",
        "ta453",
        "Mint Sandstorm",
    ] {
        assert_eq!(
            db.get(n).map(|a| a.name.as_str()),
            Some("Mint Sandstorm"),
            "{n}"
        );
    }
    for (n, want) in [
        ("Emennet Pasargad", "Cotton Sandstorm"),
        ("neptunium", "Cotton Sandstorm"),
        ("Fancy Bear", "Forest Blizzard"),
        ("strontium", "Forest Blizzard"),
        ("APT-29", "Midnight Blizzard"),
        ("Cozy Bear", "Midnight Blizzard"),
        ("Judgment Panda", "Violet Typhoon"),
        ("zirconium", "Violet Typhoon"),
        ("unc1151", "Ghostwriter"),
        ("Sandworm", "Seashell Blizzard"),
    ] {
        assert_eq!(db.get(n).map(|a| a.name.as_str()), Some(want), "{n}");
    }
    assert!(db.get("APT1").is_none());
    assert!(db.get("").is_none());
    // Every profile cites public sources.
    assert!(db.actors().iter().all(|a| !a.sources.is_empty()));
    assert!(!db.attack_loaded());
}

#[test]
fn suggestions_for_a_near_miss() {
    let db = ActorDb::builtin();
    assert_eq!(db.suggest("Mint Sandstrom", 3)[0], "Mint Sandstorm");
    assert!(db
        .suggest("Charming Kiten", 3)
        .contains(&"Charming Kitten (Mint Sandstorm)".to_string()));
    assert!(db.suggest("zzzzzzzz", 3).is_empty());
}

#[test]
fn bad_profiles_are_rejected_with_where() {
    let e = ActorDb::from_profiles(
        "[[actor]]\nname = \"X\"\ntechniques = [\"1595\"]\n",
        "p.toml",
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        "p.toml: actor 1 (X): \"1595\" is not an ATT&CK technique id"
    );
    let e = ActorDb::from_profiles("[[actor]]\nname = \"X\"\nwork_hours = [8, 18]\n", "p.toml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("work_hours and utc_offset go together"), "{e}");
    assert!(ActorDb::from_profiles("[[actor]]\nnom = 1\n", "p.toml").is_err());
}

#[test]
fn attack_bundle_merges_by_id_and_alias() {
    let Some(path) = haboob_testdata::corpus_file_or_skip(
        "attack_bundle_merges_by_id_and_alias",
        "attack/enterprise-attack-18.1-groups-reduced.json",
    ) else {
        return;
    };
    let db = ActorDb::with_attack(&path).unwrap();
    assert!(db.attack_loaded());
    // 187 intrusion sets, 15 revoked or deprecated; 7 of 9 profiles merge
    // (Cotton Sandstorm and Ghostwriter are no ATT&CK groups in v18.1).
    let mint = db.get("Magic Hound").unwrap();
    assert_eq!(mint.name, "Mint Sandstorm");
    assert_eq!(mint.attack_id.as_deref(), Some("G0059"));
    assert_eq!(mint.origin, ActorOrigin::ProfileAndAttack);
    // Profile spelling kept, ATT&CK's upper-case duplicates dropped.
    assert!(mint.aliases.iter().any(|a| a == "Cobalt Illusion"));
    assert!(!mint.aliases.iter().any(|a| a == "COBALT ILLUSION"));
    assert!(!mint.aliases.iter().any(|a| a == "Mint Sandstorm"));
    assert!(mint.techniques.len() > 50, "{}", mint.techniques.len());
    assert_eq!(db.technique_name("T1595"), Some("Active Scanning"));
    assert_eq!(
        db.get("g0007").map(|a| a.name.as_str()),
        Some("Forest Blizzard")
    );
    assert_eq!(db.get("APT28").unwrap().attack_id.as_deref(), Some("G0007"));
    assert_eq!(
        db.get("Cotton Sandstorm").unwrap().origin,
        ActorOrigin::Profile
    );
    let lazarus = db.get("Lazarus Group").unwrap();
    assert_eq!(lazarus.origin, ActorOrigin::Attack);
    assert_eq!(lazarus.attack_id.as_deref(), Some("G0032"));
    assert!(lazarus
        .summary
        .as_deref()
        .unwrap()
        .starts_with("Lazarus Group is"));
    let merged = db
        .actors()
        .iter()
        .filter(|a| a.origin == ActorOrigin::ProfileAndAttack)
        .count();
    let only_attack = db
        .actors()
        .iter()
        .filter(|a| a.origin == ActorOrigin::Attack)
        .count();
    assert_eq!(merged, 7);
    assert_eq!(merged + only_attack, 187 - 15);
    // The revoked G0058 "Charming Kitten" does not steal the alias.
    assert_eq!(db.get("Charming Kitten").unwrap().name, "Mint Sandstorm");
}
