//! `haboob rules check`: errors with file:line:column, the tally per
//! folder, exit 1 on an invalid rule, 0 otherwise.

use std::process::{Command, Output};

fn haboob(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_haboob"))
        .args(args)
        .output()
        .unwrap()
}

const GOOD: &str = "title: ok\nid: good-1\nlogsource:\n    product: windows\n    service: security\ndetection:\n    sel:\n        EventID: 4625\n    condition: sel\n";
const BAD: &str = "title: bad\nid: bad-1\nlogsource:\n    product: okta\n    service: okta\ndetection:\n    sel:\n        eventType|contians: x\n    condition: sel\n";
/// A rule of a log source haboob does not read (macOS process creation).
const LINUX: &str = "title: lin\nid: lin-1\nlogsource:\n    product: macos\n    category: process_creation\ndetection:\n    sel:\n        Image: /bin/sh\n    condition: sel\n";

#[test]
fn reports_errors_and_the_tally_and_exits_1_on_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("rules");
    std::fs::create_dir_all(root.join("windows")).unwrap();
    std::fs::create_dir_all(root.join("okta")).unwrap();
    std::fs::write(root.join("windows/good.yml"), GOOD).unwrap();
    std::fs::write(root.join("windows/linux.yml"), LINUX).unwrap();
    std::fs::write(root.join("okta/bad.yml"), BAD).unwrap();
    let out = haboob(&["rules", "check", root.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{text}");
    let bad = root.join("okta/bad.yml");
    assert!(
        text.contains(&format!(
            "{}:8:9: invalid rule: `eventType|contians`: unknown modifier `contians`",
            bad.display()
        )),
        "{text}"
    );
    assert!(
        text.contains("rule lin-1: unsupported: logsource product=macos category=process_creation"),
        "{text}"
    );
    let row = |name: &str| {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    };
    // loaded, unsupported log source, unsupported feature, invalid, correlations, filters
    assert_eq!(row("rules/windows"), "1 1 0 0 0 0", "{text}");
    assert_eq!(row("rules/okta"), "0 0 0 1 0 0", "{text}");
    assert_eq!(row("total"), "1 1 0 1 0 0", "{text}");

    // Without the invalid rule: exit 0.
    std::fs::remove_file(&bad).unwrap();
    let out = haboob(&["rules", "check", "--summary", root.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        !text.contains("unsupported:"),
        "--summary prints the tally only: {text}"
    );
}

#[test]
fn a_mapping_file_replaces_the_builtin_one() {
    let dir = tempfile::tempdir().unwrap();
    let rule = dir.path().join("lin.yml");
    std::fs::write(&rule, LINUX).unwrap();
    let map = dir.path().join("map.toml");
    std::fs::write(
        &map,
        "[[source]]\nproduct = \"macos\"\ncategory = \"process_creation\"\nfamily = \"syslog\"\n",
    )
    .unwrap();
    let check = || {
        haboob(&[
            "rules",
            "check",
            "--mapping",
            map.to_str().unwrap(),
            rule.to_str().unwrap(),
        ])
    };
    let out = check();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("1 rules loaded"), "{text}");
    // A broken mapping file is an error with its line.
    std::fs::write(&map, "[[source]]\nfamily = 3\n").unwrap();
    let out = check();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("map.toml:2:"), "{err}");
}
