//! `haboob hunt --rules` over cloud audit logs: SigmaHQ's CloudTrail rules
//! (fixtures of `crates/sigma/tests/fixtures/cloud`, see SOURCES.md there)
//! over a gzip'd CloudTrail S3 file become timeline rows and alerts keyed
//! by caller address, account and user, with exact hits and misses.

mod common;

use common::{haboob, jsonl};
use std::io::Write;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../sigma/tests/fixtures/cloud")
}

#[test]
fn cloudtrail_rules_hit_in_a_hunt() {
    let dir = tempfile::tempdir().unwrap();
    // The hand-written records (bad ones left out) and OTRF's, as one
    // `{"Records":[…]}` file, gzip'd as CloudTrail writes it to S3.
    let mut records = Vec::new();
    for f in ["cloudtrail_handwritten.jsonl", "cloudtrail_otrf.jsonl"] {
        let text = std::fs::read_to_string(fixtures().join(f)).unwrap();
        records.extend(
            text.lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .filter(|r| {
                    let dated = r["eventTime"].as_str().is_some_and(|t| t.starts_with("20"))
                        || r.get("@timestamp").is_some();
                    r.get("eventSource").is_some() && dated
                }),
        );
    }
    assert_eq!(records.len(), 13);
    let log = dir.path().join("trail.json.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&log).unwrap(),
        flate2::Compression::default(),
    );
    gz.write_all(
        serde_json::json!({ "Records": records })
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    gz.finish().unwrap();
    let timeline = dir.path().join("timeline.jsonl");
    let out = haboob()
        .args(["hunt", "-q", "-O", "jsonl", "--rules"])
        .arg(fixtures().join("rules"))
        .arg("--timeline")
        .arg(&timeline)
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = jsonl(&std::fs::read(&timeline).unwrap());
    let got: Vec<(String, String, String, String, String)> = rows
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or("").to_owned();
            (
                s("rule_title"),
                s("family"),
                s("source"),
                s("target"),
                s("user"),
            )
        })
        .collect();
    let row = |t: &str, src: &str, acct: &str, user: &str| {
        (
            t.to_owned(),
            "aws.cloudtrail".to_owned(),
            src.to_owned(),
            acct.to_owned(),
            user.to_owned(),
        )
    };
    let role = "arn:aws:sts::123456789123:assumed-role/MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0/i-0317f6c6b66ae9c40";
    assert_eq!(
        got,
        [
            row("AWS STS AssumeRole Misuse", "1.2.3.4", "123456789123", role),
            row("AWS STS AssumeRole Misuse", "1.2.3.4", "123456789123", role),
            row("AWS STS AssumeRole Misuse", "1.2.3.4", "123456789123", role),
            row(
                "AWS ConsoleLogin Failed Authentication",
                "203.0.113.9",
                "111122223333",
                "alice"
            ),
            row(
                "AWS Successful Console Login Without MFA",
                "203.0.113.9",
                "111122223333",
                "alice"
            ),
            row(
                "AWS CloudTrail Important Change",
                "203.0.113.9",
                "111122223333",
                "alice"
            ),
            row(
                "AWS Root Credentials",
                "203.0.113.9",
                "111122223333",
                "arn:aws:iam::111122223333:root"
            ),
        ]
    );
    // One alert per rule, account, caller and address.
    let mut alerts: Vec<(String, u64)> = common::sigma_alerts(&out.stdout)
        .iter()
        .map(|a| {
            (
                a["title"].as_str().unwrap().to_owned(),
                a["count"].as_u64().unwrap(),
            )
        })
        .collect();
    alerts.sort();
    assert_eq!(
        alerts,
        [
            ("AWS CloudTrail Important Change".to_owned(), 1),
            ("AWS ConsoleLogin Failed Authentication".to_owned(), 1),
            ("AWS Root Credentials".to_owned(), 1),
            ("AWS STS AssumeRole Misuse".to_owned(), 3),
            ("AWS Successful Console Login Without MFA".to_owned(), 1),
        ]
    );
}
