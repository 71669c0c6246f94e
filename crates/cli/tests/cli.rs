//! The `haboob` binary end to end: exit codes, formats, stdin, compression,
//! strict mode, accounting, escaping.

mod common;

use common::{fixture, haboob, jsonl, run, write_fixture};
use serde_json::Value;
use std::io::Write;

fn alerts(v: &[Value]) -> Vec<(String, String)> {
    let mut a: Vec<(String, String)> = v
        .iter()
        .filter(|o| o["kind"] == "alert")
        .map(|o| {
            (
                o["detector"].as_str().unwrap().to_string(),
                o["source"]["ip"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    a.sort();
    a
}

#[test]
fn jsonl_schema_exit_code_and_accounting() {
    let dir = tempfile::tempdir().unwrap();
    let f = write_fixture(dir.path());
    let out = run(
        &["hunt", "--output-format", "jsonl", f.to_str().unwrap()],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "alerts → exit 1; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = jsonl(&out.stdout);
    assert_eq!(
        alerts(&v),
        vec![("web.sensitive".to_string(), "203.0.113.9".to_string())]
    );
    let a = v.iter().find(|o| o["kind"] == "alert").unwrap();
    for k in [
        "detector",
        "techniques",
        "source",
        "target",
        "first_seen",
        "last_seen",
        "count",
        "evidence",
        "severity",
        "id",
        "campaign",
    ] {
        assert!(a.get(k).is_some(), "alert lacks {k}: {a}");
    }
    assert_eq!(a["count"], 10);
    assert_eq!(a["first_seen"], "2026-09-01T14:10:00.000Z");
    assert_eq!(a["last_seen"], "2026-09-01T14:10:45.000Z");
    assert_eq!(a["evidence"][0]["line"], 6);
    assert!(a["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t == "T1595.003"));
    let c = v.iter().find(|o| o["kind"] == "campaign").unwrap();
    for k in ["id", "sources", "targets", "alerts"] {
        assert!(c.get(k).is_some(), "campaign lacks {k}: {c}");
    }
    assert_eq!(c["alerts"][0], a["id"]);
    let s = v.last().unwrap();
    assert_eq!(s["kind"], "summary");
    assert_eq!(
        (
            s["lines"].as_u64(),
            s["parsed"].as_u64(),
            s["rejected"].as_u64(),
            s["files"].as_u64()
        ),
        (Some(16), Some(15), Some(1), Some(1))
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("16 lines, 15 parsed, 1 rejected, 1 files"),
        "{err}"
    );
}

#[test]
fn stdin_gzip_and_zstd_give_the_same_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let f = write_fixture(dir.path());
    let plain = jsonl(&run(&["hunt", "-O", "jsonl", f.to_str().unwrap()], None).stdout);
    let from_stdin = jsonl(&run(&["hunt", "-O", "jsonl", "-"], Some(fixture().as_bytes())).stdout);
    let gz = dir.path().join("g").join("access.log.1.gz");
    std::fs::create_dir_all(gz.parent().unwrap()).unwrap();
    let mut e = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    e.write_all(fixture().as_bytes()).unwrap();
    e.finish().unwrap();
    let gzipped = jsonl(&run(&["hunt", "-O", "jsonl", gz.to_str().unwrap()], None).stdout);
    let zs = dir.path().join("z").join("access.log.zst");
    std::fs::create_dir_all(zs.parent().unwrap()).unwrap();
    std::fs::write(&zs, zstd::encode_all(fixture().as_bytes(), 3).unwrap()).unwrap();
    let zstded = jsonl(&run(&["hunt", "-O", "jsonl", zs.to_str().unwrap()], None).stdout);
    assert_eq!(alerts(&plain).len(), 1);
    assert_eq!(alerts(&plain), alerts(&from_stdin));
    assert_eq!(alerts(&plain), alerts(&gzipped));
    assert_eq!(alerts(&plain), alerts(&zstded));
}

#[test]
fn strict_names_file_line_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let f = write_fixture(dir.path());
    let out = run(
        &["hunt", "--strict", "-f", "combined", f.to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{}:16:", f.display())), "{err}");
}

#[test]
fn benign_only_exits_zero_and_missing_input_exits_two() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("ok.log");
    let benign: String = fixture()
        .lines()
        .take(5)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&f, benign).unwrap();
    let out = run(&["hunt", f.to_str().unwrap()], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 campaigns, 0 alerts"));
    let out = run(
        &["hunt", dir.path().join("nope.log").to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.log"));
}

#[test]
fn terminal_report_escapes_attacker_text() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("evil.log");
    let mut s = String::new();
    for (i, p) in ["/.env", "/.git/config", "/backup.zip", "/.htpasswd"]
        .iter()
        .enumerate()
    {
        s.push_str(&format!(
            "198.51.100.66 - - [01/Sep/2026:09:10:0{i} +0000] \"GET {p} HTTP/1.1\" 404 1 \"-\" \"evil\x1b]0;pwned\x07\x1b[2J\"\n"
        ));
    }
    std::fs::write(&f, s).unwrap();
    let out = run(&["hunt", "--color", "never", f.to_str().unwrap()], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("web.sensitive"), "{text}");
    assert!(
        !text.contains('\x1b'),
        "raw escape reached the terminal: {text:?}"
    );
    assert!(text.contains("\\u{1b}"), "{text}");
}

#[test]
fn csv_has_a_header_and_one_row_per_alert() {
    let dir = tempfile::tempdir().unwrap();
    let f = write_fixture(dir.path());
    let out = run(&["hunt", "-f", "csv", f.to_str().unwrap()], None);
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = text.lines().collect();
    assert!(rows[0].starts_with("id,campaign,detector,severity,source_ip"));
    assert_eq!(rows.len(), 2, "{text}");
    assert!(rows[1].contains(",web.sensitive,") && rows[1].contains(",203.0.113.9,"));
}

#[test]
fn config_default_is_valid_and_checkable() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["config", "--default"], None);
    assert_eq!(out.status.code(), Some(0));
    let p = dir.path().join("haboob.toml");
    std::fs::write(&p, &out.stdout).unwrap();
    assert_eq!(
        run(&["config", "--check", p.to_str().unwrap()], None)
            .status
            .code(),
        Some(0)
    );
    std::fs::write(&p, "[web]\nbogus = 1\n").unwrap();
    let out = run(&["config", "--check", p.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bogus"));
}

#[test]
fn json_field_map_from_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.json");
    let mut s = String::new();
    for (i, p) in ["/.env", "/.git/config", "/backup.zip", "/.htpasswd"]
        .iter()
        .enumerate()
    {
        s.push_str(&format!(
            "{{\"when\":\"2026-09-01T10:00:0{i}Z\",\"peer\":\"192.0.2.44\",\"verb\":\"GET\",\"target\":\"{p}\",\"code\":404,\"agent\":\"x\",\"vhost\":\"app.example\"}}\n"
        ));
    }
    std::fs::write(&log, s).unwrap();
    // Without the map the keys are unknown: every line is rejected.
    let out = run(
        &["hunt", "-O", "jsonl", "-f", "json", log.to_str().unwrap()],
        None,
    );
    let v = jsonl(&out.stdout);
    assert_eq!(v.last().unwrap()["rejected"], 4);
    let cfg = dir.path().join("haboob.toml");
    std::fs::write(
        &cfg,
        "[ingest.json_fields]\ntimestamp = [\"when\"]\nsource_ip = [\"peer\"]\nmethod = [\"verb\"]\nuri = [\"target\"]\nstatus = [\"code\"]\nuser_agent = [\"agent\"]\nsite = [\"vhost\"]\n",
    )
    .unwrap();
    let out = run(
        &[
            "hunt",
            "-f",
            "jsonl",
            "-c",
            cfg.to_str().unwrap(),
            log.to_str().unwrap(),
        ],
        None,
    );
    let v = jsonl(&out.stdout);
    assert_eq!(
        alerts(&v),
        vec![("web.sensitive".to_string(), "192.0.2.44".to_string())]
    );
    let a = v.iter().find(|o| o["kind"] == "alert").unwrap();
    assert_eq!(a["target"], "app.example");
}

#[test]
fn output_is_identical_on_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let sim = dir.path().join("sim");
    let out = run(
        &[
            "simulate",
            "--days",
            "4",
            "--seed",
            "3",
            "--out",
            sim.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let targets = sim.join("targets.toml");
    let args = |t: &'static str| {
        vec![
            "--threads".to_string(),
            t.to_string(),
            "hunt".into(),
            "-f".into(),
            "jsonl".into(),
            "--exclude".into(),
            "*.toml".into(),
            "--exclude".into(),
            "labels.jsonl".into(),
            "-t".into(),
            targets.display().to_string(),
            sim.display().to_string(),
        ]
    };
    let one = haboob().args(args("1")).output().unwrap();
    let two = haboob().args(args("2")).output().unwrap();
    assert_eq!(
        one.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&one.stderr)
    );
    assert!(jsonl(&one.stdout).len() > 10);
    assert_eq!(one.stdout, two.stdout);
}

/// The terminal report and the JSON Lines of the fixture, reviewed with
/// `cargo insta review` when they change.
#[test]
fn report_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let f = write_fixture(dir.path());
    let tmp = dir.path().display().to_string();
    let table = run(&["hunt", "--color", "never", f.to_str().unwrap()], None);
    let table = String::from_utf8_lossy(&table.stdout).replace(&tmp, "[TMP]");
    insta::assert_snapshot!("fixture_table", table);
    let lines = run(&["hunt", "-O", "jsonl", f.to_str().unwrap()], None);
    let lines = String::from_utf8_lossy(&lines.stdout).replace(&tmp, "[TMP]");
    insta::assert_snapshot!("fixture_jsonl", lines);
}
