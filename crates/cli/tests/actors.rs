//! `haboob actors list|show` through the binary.

mod common;

use common::*;
use serde_json::Value;

const ATTACK: &str = "attack/enterprise-attack-18.1-groups-reduced.json";

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn list_without_the_bundle_shows_the_own_profiles() {
    let o = run(&["actors", "list"], None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let names: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split("  ").next().unwrap().trim())
        .collect();
    assert_eq!(
        names,
        [
            "APT42",
            "Cotton Sandstorm",
            "Forest Blizzard",
            "Ghostwriter",
            "Midnight Blizzard",
            "Mint Sandstorm",
            "Seashell Blizzard",
            "Star Blizzard",
            "Violet Typhoon",
        ]
    );
    assert!(
        stderr(&o).contains("9 actors: 9 haboob profiles"),
        "{}",
        stderr(&o)
    );
    let o = run(&["actors", "list", "--format", "json"], None);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 9);
    assert_eq!(v[1]["name"], "Cotton Sandstorm");
    assert_eq!(v[1]["origin"], "profile");
}

#[test]
fn show_finds_an_actor_by_any_alias() {
    for name in ["apt 35", "Charming-Kitten", "PHOSPHORUS", "ta453"] {
        let o = run(&["actors", "show", name], None);
        assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
        let text = stdout(&o);
        assert!(
            text.starts_with("Mint Sandstorm (G0059)\n"),
            "{name}: {text}"
        );
        assert!(text.contains("  sponsor        Iran (IRGC)\n"), "{text}");
        assert!(text.contains("  sources        https://"), "{text}");
    }
    let o = run(
        &["actors", "show", "Emennet Pasargad", "--format", "json"],
        None,
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["name"], "Cotton Sandstorm");
    assert!(v["aliases"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a == "Neptunium"));
}

#[test]
fn an_unknown_name_exits_1_with_suggestions() {
    let o = run(&["actors", "show", "Mint Sandstrom"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    assert_eq!(
        stderr(&o).trim_end(),
        "haboob: no actor named \"Mint Sandstrom\"; did you mean: Mint Sandstorm?"
    );
    let o = run(&["actors", "show", "qqqqqqqqqqqq"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("`haboob actors list` names them all"),
        "{}",
        stderr(&o)
    );
    // A missing bundle is an error (2) that names the file.
    let o = run(
        &["actors", "list", "--attack", "/nonexistent/attack.json"],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("/nonexistent/attack.json"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn with_the_attack_bundle_techniques_have_names() {
    let Some(path) = haboob_testdata::corpus_file_or_skip(
        "with_the_attack_bundle_techniques_have_names",
        ATTACK,
    ) else {
        return;
    };
    let p = path.to_str().unwrap();
    let o = run(&["actors", "show", "G0007", "--attack", p], None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.starts_with("Forest Blizzard (G0007)\n"), "{text}");
    assert!(text.contains("T1110.003 Password Spraying\n"), "{text}");
    assert!(text.contains("haboob profile + MITRE ATT&CK"), "{text}");
    // Upper-case duplicates of the profile's aliases are merged away.
    assert!(!text.contains("STRONTIUM"), "{text}");
    let o = run(&["actors", "list", "--attack", p], None);
    assert!(
        stderr(&o).contains("174 actors: 9 haboob profiles, 165 from ATT&CK only"),
        "{}",
        stderr(&o)
    );
    // An ATT&CK-only group by an alias.
    let o = run(
        &[
            "actors",
            "show",
            "hidden cobra",
            "--attack",
            p,
            "--format",
            "json",
        ],
        None,
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["name"], "Lazarus Group");
    assert_eq!(v["origin"], "attack");
    let named = v["technique_names"].as_object().unwrap().len();
    assert!(named > 10, "{named}");
    assert_eq!(named, v["techniques"].as_array().unwrap().len());
}
