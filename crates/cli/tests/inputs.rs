//! Inputs as they really arrive (issue "Inputs as they really arrive"):
//! folders with other files in them, missing paths, truncated archives,
//! strict mode, runs that parsed nothing, the split format flags, output
//! safety, and `haboob events`.

mod common;

use common::{fixture, haboob, jsonl, run, write_fixture};
use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The accounting line `N lines, N parsed, N rejected, N files`.
fn accounting(err: &str) -> Vec<u64> {
    let line = err
        .lines()
        .find(|l| l.ends_with(" files") && l.contains(" lines, "))
        .unwrap_or_else(|| panic!("no accounting line in {err}"));
    line.split(", ")
        .map(|p| p.split(' ').next().unwrap().parse().unwrap())
        .collect()
}

#[test]
fn a_folder_with_configs_documents_and_truth_is_hunted_without_error() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    write_fixture(&logs);
    std::fs::write(logs.join("notes.md"), "# notes\n").unwrap();
    std::fs::write(logs.join("site.yaml"), "a: 1\n").unwrap();
    std::fs::write(
        logs.join("truth.jsonl"),
        "{\"kind\":\"attack\",\"actor\":\"a\"}\n{\"kind\":\"benign\",\"actor\":\"b\"}\n",
    )
    .unwrap();
    std::fs::write(logs.join("README"), "This folder holds the logs.\n").unwrap();
    let out = run(&["hunt", "--output-format", "jsonl", s(&logs)], None);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(!err.contains("error:"), "{err}");
    assert!(err.contains("skipped 4 files that are not logs: "), "{err}");
    for name in ["notes.md", "site.yaml", "truth.jsonl", "README"] {
        assert!(err.contains(name), "{name} not named in {err}");
    }
    // Only the access log is counted: 16 lines, 15 parsed, 1 rejected, 1 file.
    assert_eq!(accounting(&err), [16, 15, 1, 1]);
    // Named on the command line, an unrecognised file is an error.
    let out = run(&["hunt", s(&logs.join("README"))], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot recognise the log format"));
}

#[test]
fn a_missing_path_is_named_and_the_other_inputs_are_still_hunted() {
    let dir = tempfile::tempdir().unwrap();
    let f = write_fixture(dir.path());
    let missing = dir.path().join("gone.log");
    let out = run(
        &["hunt", "--output-format", "jsonl", s(&missing), s(&f)],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("error: no input matches {}", missing.display())),
        "{err}"
    );
    let v = jsonl(&out.stdout);
    let alerts: Vec<&Value> = v.iter().filter(|o| o["kind"] == "alert").collect();
    assert!(
        alerts.iter().any(|a| a["source"]["ip"] == "203.0.113.9"),
        "the sweep in the other input is still found"
    );
    assert_eq!(accounting(&err), [16, 15, 1, 1]);
}

#[test]
fn a_run_that_parsed_nothing_exits_two_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let f = write_fixture(dir.path());
    // `json` meant as the output format.
    let out = run(&["hunt", "--format", "json", s(&f)], None);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("--format is deprecated"), "{err}");
    assert!(
        err.contains(&format!(
            "{}: none of 16 lines parsed as json (--format json is a log format; for JSON output use --output-format jsonl)",
            f.display()
        )),
        "{err}"
    );
    assert_eq!(accounting(&err), [16, 0, 16, 1]);
}

#[test]
fn more_rejected_than_the_configured_share_exits_two() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("mixed.log");
    let good: Vec<String> = fixture().lines().take(5).map(str::to_owned).collect();
    let mut text = good.join("\n");
    text.push('\n');
    for i in 0..6 {
        text.push_str(&format!("garbage line {i}\n"));
    }
    std::fs::write(&f, &text).unwrap();
    let out = run(&["hunt", s(&f)], None);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "6 of 11 lines rejected (55 %, over the configured 50 % [ingest] max_rejected_share)"
        ),
        "{}",
        stderr(&out)
    );
    let cfg = dir.path().join("haboob.toml");
    std::fs::write(&cfg, "[ingest]\nmax_rejected_share = 0.6\n").unwrap();
    let out = run(&["hunt", "-c", s(&cfg), s(&f)], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn strict_stops_the_whole_run_at_the_first_bad_line() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir(&a).unwrap();
    std::fs::create_dir(&b).unwrap();
    let bad = write_fixture(&a);
    let good: Vec<String> = fixture().lines().take(15).map(str::to_owned).collect();
    std::fs::write(b.join("access.log"), good.join("\n") + "\n").unwrap();
    let out = run(&["--threads", "1", "hunt", "--strict", s(&a), s(&b)], None);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("error: {}:16: ", bad.display())),
        "{err}"
    );
    // The second stream is not read after the failure.
    assert_eq!(accounting(&err), [16, 15, 1, 1]);
}

#[test]
fn a_truncated_gzip_counts_what_was_read_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..4000 {
        text.push_str(&format!(
            "192.0.2.{} - - [01/Sep/2026:09:{:02}:{:02} +0000] \"GET /page/{i} HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0 ({i})\"\n",
            i % 200,
            (i / 60) % 60,
            i % 60
        ));
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    let f = dir.path().join("access.log.gz");
    std::fs::write(&f, &gz[..gz.len() / 2]).unwrap();
    let out = run(&["hunt", s(&f)], None);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("error: cannot read {} after line ", f.display())),
        "{err}"
    );
    let n = accounting(&err);
    assert!(n[0] > 100 && n[0] < 4000, "partly read: {n:?}");
    assert_eq!(n[0], n[1] + n[2]);
    assert_eq!(n[3], 1);
}

#[test]
fn log_and_output_format_flags_are_separate() {
    let dir = tempfile::tempdir().unwrap();
    let f = write_fixture(dir.path());
    let out = run(
        &[
            "hunt",
            "--log-format",
            "combined",
            "--output-format",
            "jsonl",
            s(&f),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(!jsonl(&out.stdout).is_empty());
    assert!(!stderr(&out).contains("deprecated"));
    let out = run(&["hunt", "--output-format", "json", s(&f)], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out)
            .contains("expected table, jsonl or csv (that is a log format: use --log-format)"),
        "{}",
        stderr(&out)
    );
    let out = run(&["hunt", "--log-format", "jsonl", s(&f)], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("that is an output format: use --output-format"));
    // The old spelling still works, with a note.
    let out = run(&["hunt", "-f", "combined", "-O", "jsonl", s(&f)], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--format is deprecated"));
    assert!(!jsonl(&out.stdout).is_empty());
}

#[test]
fn output_never_overwrites_an_input_and_threads_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let f = write_fixture(dir.path());
    let before = std::fs::read(&f).unwrap();
    let out = run(&["hunt", "-o", s(&f), s(dir.path())], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("refusing to overwrite an input"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(&f).unwrap(), before);
    for t in ["0", "257", "100000"] {
        let out = run(&["--threads", t, "hunt", s(&f)], None);
        assert_eq!(out.status.code(), Some(2), "--threads {t}");
    }
}

#[test]
fn a_closed_pipe_exits_zero_in_every_output_format() {
    let dir = tempfile::tempdir().unwrap();
    let f = write_fixture(dir.path());
    for fmt in ["csv", "jsonl", "table"] {
        // The reader is gone before haboob starts: every write fails.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let status = haboob()
            .args(["hunt", "--output-format", fmt, s(&f)])
            .stdout(Stdio::from(writer))
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(0), "{fmt}");
    }
}

#[test]
fn config_errors_print_on_several_lines() {
    let dir = tempfile::tempdir().unwrap();
    let f = write_fixture(dir.path());
    let cfg = dir.path().join("bad.toml");
    std::fs::write(&cfg, "[hunt]\nmerge_gap_secs = [\n").unwrap();
    let out = run(&["hunt", "-c", s(&cfg), s(&f)], None);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("line 2, column"), "{err}");
    assert!(err.lines().count() >= 3, "{err}");
    assert!(!err.contains("\\u{a}"), "{err}");
}

#[test]
fn a_simulator_folder_uses_its_targets_and_allow_list() {
    let dir = tempfile::tempdir().unwrap();
    let sim = dir.path().join("sim");
    let out = haboob()
        .args(["simulate", "--scenario", "election-recon", "--days", "4"])
        .args(["--rate", "300", "--out", s(&sim)])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let labels = haboob_simulate::read_labels(&sim.join("labels.jsonl")).unwrap();
    let pentest: Vec<String> = labels
        .iter()
        .filter(|l| l.kind == haboob_simulate::LabelKind::Benign && l.role == "pentest")
        .map(|l| l.source_ip.to_string())
        .collect();
    assert!(!pentest.is_empty());
    let out = run(&["hunt", "--output-format", "jsonl", s(&sim)], None);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(!err.contains("error:"), "{err}");
    assert!(err.contains("haboob.toml (found beside the logs"), "{err}");
    assert!(err.contains("targets.toml (found beside the logs"), "{err}");
    let v = jsonl(&out.stdout);
    let alerts: Vec<&Value> = v.iter().filter(|o| o["kind"] == "alert").collect();
    assert!(!alerts.is_empty());
    for a in &alerts {
        let ip = a["source"]["ip"].as_str().unwrap_or("");
        assert!(!pentest.iter().any(|p| p == ip), "pen-test {ip} alerted");
    }
    // Targets applied: campaigns name the organisations' sectors.
    let campaigns: Vec<&Value> = v.iter().filter(|o| o["kind"] == "campaign").collect();
    assert!(
        campaigns.iter().any(|c| c.to_string().contains("election")),
        "{campaigns:?}"
    );
}

#[test]
fn events_shows_each_record_in_ecs_or_its_rejection() {
    let dir = tempfile::tempdir().unwrap();
    let f = write_fixture(dir.path());
    let out = run(&["events", s(&f)], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = jsonl(&out.stdout);
    assert_eq!(v.len(), 16);
    let first = &v[0];
    let want = serde_json::json!({
        "@timestamp": "2026-09-01T14:00:00.000Z",
        "event.category": "web",
        "event.dataset": "web.access",
        "event.outcome": "success",
        "source.ip": "192.0.2.10",
        "http.request.method": "GET",
        "url.path": "/",
        "http.response.status_code": 200,
        "http.response.body.bytes": 512,
        "user_agent.original": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
        // No vhost in the log and no host-like folder: the file's name.
        "destination.domain": f.file_name().unwrap().to_str().unwrap(),
        "haboob.log_format": "combined",
        "log.file.path": s(&f),
        "log.line": 1,
    });
    assert_eq!(first, &want);
    assert_eq!(v[5]["url.path"], "/.env");
    assert_eq!(v[5]["event.outcome"], "failure");
    let last = &v[15];
    assert_eq!(last["event.kind"], "pipeline_error");
    assert_eq!(last["log.line"], 16);
    assert_eq!(last["event.original"], "this is not an access log line");
    assert!(last["error.message"].as_str().unwrap().len() > 3);
    assert_eq!(accounting(&stderr(&out)), [16, 15, 1, 1]);
    let out = run(&["events", "--no-rejected", s(&f)], None);
    assert_eq!(jsonl(&out.stdout).len(), 15);
}

#[test]
fn events_reads_sign_in_logs_too() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("signin.json");
    std::fs::write(
        &f,
        concat!(
            r#"{"TimeGenerated":"2024-05-01T10:00:00Z","UserPrincipalName":"Alice@Contoso.com","IPAddress":"203.0.113.9","ResultType":"50126","AppDisplayName":"Office 365 Exchange Online"}"#,
            "\n"
        ),
    )
    .unwrap();
    let out = run(&["events", s(&f)], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = jsonl(&out.stdout);
    assert_eq!(v.len(), 1);
    let e = &v[0];
    assert_eq!(e["event.category"], "authentication");
    assert_eq!(e["event.dataset"], "auth.entra");
    assert_eq!(e["event.outcome"], "failure");
    assert_eq!(e["event.reason"], "bad_password");
    assert_eq!(e["user.name"], "alice@contoso.com");
    assert_eq!(e["user.domain"], "contoso.com");
    assert_eq!(e["source.ip"], "203.0.113.9");
    assert_eq!(e["haboob.log_format"], "entra");
}

#[test]
fn error_logs_beside_access_logs_are_read_and_become_evidence() {
    let dir = tempfile::tempdir().unwrap();
    write_fixture(dir.path());
    let mut err_log = String::new();
    for (i, (rule, msg, uri)) in [
        (
            "942100",
            "SQL Injection Attack Detected via libinjection",
            "/results",
        ),
        ("930120", "OS File Access Attempt", "/download"),
        (
            "942100",
            "SQL Injection Attack Detected via libinjection",
            "/search",
        ),
    ]
    .iter()
    .enumerate()
    {
        err_log.push_str(&format!(
            "2026/09/01 14:20:0{i} [error] 311#311: *{i} [client 203.0.113.9] ModSecurity: Access denied with code 403 (phase 2). [id \"{rule}\"] [msg \"{msg}\"] [hostname \"votes.example.gov\"] [uri \"{uri}\"], client: 203.0.113.9, server: votes.example.gov, request: \"GET {uri}?q=1 HTTP/1.1\", host: \"votes.example.gov\"\n"
        ));
    }
    err_log.push_str("2026/09/01 14:21:00 [error] 311#311: *9 open() \"/srv/favicon.ico\" failed (2: No such file or directory), client: 192.0.2.10, server: votes.example.gov, request: \"GET /favicon.ico HTTP/1.1\", host: \"votes.example.gov\"\n");
    err_log.push_str("2026/09/01 14:22:00 [notice] 1#1: signal process started\n");
    std::fs::write(dir.path().join("error.log"), err_log).unwrap();
    let out = run(&["hunt", "--output-format", "jsonl", s(dir.path())], None);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(!err.contains("error:") && !err.contains("skipped"), "{err}");
    // 16 access-log lines and 5 error-log lines, 2 files.
    assert_eq!(accounting(&err), [21, 20, 1, 2]);
    let v = jsonl(&out.stdout);
    let waf: Vec<&Value> = v
        .iter()
        .filter(|o| o["kind"] == "alert" && o["detector"] == "web.waf_block")
        .collect();
    assert_eq!(waf.len(), 1, "{v:#?}");
    assert_eq!(waf[0]["source"]["ip"], "203.0.113.9");
    assert_eq!(waf[0]["target"], "votes.example.gov");
    assert_eq!(waf[0]["count"], 3);
    assert_eq!(
        waf[0]["details"]["rules"],
        serde_json::json!(["modsecurity:942100", "modsecurity:930120"])
    );
    // The firewall's lines join the access-log alerts of the same source in
    // one campaign.
    let campaign = waf[0]["campaign"].as_str().unwrap();
    let same: Vec<&Value> = v
        .iter()
        .filter(|o| o["kind"] == "alert" && o["campaign"] == campaign)
        .collect();
    assert!(same.len() >= 2, "{same:#?}");
    // `haboob events` shows the firewall record in ECS.
    let out = run(&["events", s(&dir.path().join("error.log"))], None);
    let v = jsonl(&out.stdout);
    assert_eq!(v.len(), 3);
    assert_eq!(v[0]["event.category"], "intrusion_detection");
    assert_eq!(v[0]["rule.id"], "942100");
    assert_eq!(v[0]["observer.product"], "modsecurity");
    assert_eq!(v[0]["url.path"], "/results");
    assert_eq!(v[0]["haboob.log_format"], "error-log");
}

#[test]
fn a_litespeed_error_log_gives_admin_console_brute_force_and_access_rule_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = String::from(
        "2026-09-01 14:00:00.000001 [NOTICE] [900] [config:server] Server started: OpenLiteSpeed\n",
    );
    // 9 console failures from one address in 8 s (through the server's
    // copy of the console's stderr), 2 from another (a mistyped password).
    for i in 0..9 {
        log.push_str(&format!(
            "2026-09-01 14:10:0{i}.500000 [NOTICE] [900] [198.51.100.66:4100{i}:H2-{i}#_AdminVHost] [STDERR] [WebAdmin Console] Failed Login Attempt - username:admin{} ip:198.51.100.66 url:https://votes.example.gov:7080/login.php\n",
            i % 3
        ));
    }
    for i in 0..2 {
        log.push_str(&format!(
            "2026-09-01 14:20:0{i}.000 [STDERR] [WebAdmin Console] Failed Login Attempt - username:ops ip:192.0.2.10 url:/login.php\n"
        ));
    }
    // An access rule refusing one address three times.
    for i in 0..3 {
        log.push_str(&format!(
            "2026-09-01 14:30:0{i}.000000 [INFO] [900] [203.0.113.7:5200{i}-1#votes.example.gov] [ACL] Access to context [/admin/] is denied!\n"
        ));
    }
    log.push_str("2026-09-01 14:40:00,000 [INFO] not a LiteSpeed line\n");
    // The console's failures name no site: the host-like folder does.
    std::fs::create_dir(dir.path().join("votes.example.gov")).unwrap();
    let path = dir.path().join("votes.example.gov/error.log");
    std::fs::write(&path, log).unwrap();
    let out = run(&["hunt", "--output-format", "jsonl", s(&path)], None);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    // 16 lines: 15 read, 1 rejected (a comma before the fraction), 1 file.
    assert_eq!(accounting(&err), [16, 15, 1, 1], "{err}");
    let v = jsonl(&out.stdout);
    let alerts: Vec<(&str, &str, &str)> = v
        .iter()
        .filter(|o| o["kind"] == "alert")
        .map(|o| {
            (
                o["detector"].as_str().unwrap(),
                o["source"]["ip"].as_str().unwrap(),
                o["target"].as_str().unwrap(),
            )
        })
        .collect();
    // Exactly: the burst on three names, the refused address; two
    // failures of one user are no attack.
    assert_eq!(
        alerts,
        [
            ("auth.burst", "198.51.100.66", "votes.example.gov"),
            ("web.waf_block", "203.0.113.7", "votes.example.gov")
        ],
    );
}
