//! Cloud audit logs through ingest: format auto-detection, the framings
//! (JSON Lines, arrays, CloudTrail's `{"Records":[…]}` files, gzip) and
//! the accounting of bad records. Fixtures: `crates/sigma/tests/fixtures/
//! cloud` (see SOURCES.md there), shared with the Sigma tests.

use haboob_ingest::{read_input, Format, Input, ReadOptions, ReadStats, Rejection};
use haboob_model::EventRef;
use haboob_signin::SigninFormat;
use std::io::Write;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sigma/tests/fixtures/cloud")
        .join(name)
}

/// One delivered event: line, kind (`auth` or the cloud dataset), action
/// or user.
type Ev = (u64, String, String);

fn read(path: &Path, format: Option<Format>) -> (ReadStats, Vec<Ev>) {
    let opts = ReadOptions {
        format,
        ..ReadOptions::default()
    };
    let mut evs = Vec::new();
    let stats = read_input(
        &Input::File(path.to_owned()),
        &opts,
        &|_| {},
        &mut |ev, o| {
            evs.push(match ev {
                EventRef::Cloud(c) => (o.line, c.dataset.to_owned(), c.action.to_string()),
                EventRef::Auth(a) => (o.line, a.dataset.to_owned(), a.user.to_string()),
                other => panic!("{}:{}: {other:?}", path.display(), o.line),
            });
        },
    )
    .unwrap();
    assert_eq!(stats.lines, stats.parsed + stats.rejected);
    (stats, evs)
}

fn formats(s: &ReadStats) -> Vec<(&str, u64)> {
    s.formats.iter().map(|(k, v)| (k.as_str(), *v)).collect()
}

fn ev(line: u64, kind: &str, what: &str) -> Ev {
    (line, kind.to_owned(), what.to_owned())
}

#[test]
fn each_cloud_log_is_detected_as_its_format() {
    for (file, name, records) in [
        ("cloudtrail_otrf.jsonl", "cloudtrail", 6),
        ("cloudtrail_handwritten.jsonl", "cloudtrail", 7),
        ("azure_activity.jsonl", "azure-activity", 4),
        ("azure_risk.jsonl", "azure-risk", 4),
        ("gcp_audit.jsonl", "gcp-audit", 3),
    ] {
        let (s, _) = read(&fixture(file), None);
        assert_eq!(formats(&s), [(name, 1)], "{file}");
        assert_eq!(s.events, records, "{file}");
    }
}

#[test]
fn cloudtrail_lines_console_sign_ins_and_bad_records() {
    let path = fixture("cloudtrail_handwritten.jsonl");
    let (s, evs) = read(&path, Some(Format::Signin(SigninFormat::CloudTrail)));
    let ct = "cloud.aws.cloudtrail";
    assert_eq!(
        evs,
        [
            // A console sign-in is its sign-in, then its audit record.
            ev(1, "auth.aws", "alice"),
            ev(1, ct, "ConsoleLogin"),
            ev(2, "auth.aws", "alice"),
            ev(2, ct, "ConsoleLogin"),
            ev(3, "auth.aws", "bob"),
            ev(3, ct, "ConsoleLogin"),
            ev(4, ct, "StopLogging"),
            ev(5, ct, "DescribeTrails"),
            ev(6, ct, "CreateAccessKey"),
            ev(7, ct, "HealthEvent"),
        ]
    );
    assert_eq!((s.lines, s.parsed, s.events, s.rejected), (10, 7, 7, 3));
    let file = path.display().to_string();
    let rej = |line, reason: &str| Rejection {
        file: file.clone(),
        line,
        reason: reason.to_owned(),
    };
    assert_eq!(
        s.samples,
        [
            rej(8, "not a CloudTrail record (no eventSource or eventName)"),
            rej(9, "not a JSON object"),
            rej(
                10,
                "bad time: bad timestamp layout: expected yyyy-mm-ddTHH:MM:SS"
            ),
        ]
    );
}

/// The OTRF records as CloudTrail writes them to S3: one gzip'd
/// `{"Records":[…]}` object, here pretty-printed over many lines.
#[test]
fn cloudtrail_s3_files_gzip_and_arrays() {
    let lines = std::fs::read_to_string(fixture("cloudtrail_otrf.jsonl")).unwrap();
    let records: Vec<serde_json::Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let want: Vec<String> = records
        .iter()
        .map(|r| r["eventName"].as_str().unwrap().to_owned())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let doc = serde_json::json!({ "Records": records });
    let gz = dir
        .path()
        .join("111122223333_CloudTrail_us-east-1_20200914T0045Z_x.json.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(serde_json::to_string_pretty(&doc).unwrap().as_bytes())
        .unwrap();
    enc.finish().unwrap();
    let one_line = dir.path().join("records.json");
    std::fs::write(&one_line, serde_json::to_string(&doc).unwrap()).unwrap();
    let array = dir.path().join("array.json");
    std::fs::write(
        &array,
        serde_json::to_string_pretty(&serde_json::Value::from(records.clone())).unwrap(),
    )
    .unwrap();
    for path in [&gz, &one_line, &array] {
        let (s, evs) = read(path, None);
        assert_eq!(formats(&s), [("cloudtrail", 1)], "{}", path.display());
        assert_eq!((s.lines, s.parsed, s.rejected), (6, 6, 0));
        let got: Vec<&str> = evs.iter().map(|e| e.2.as_str()).collect();
        assert_eq!(got, want, "{}", path.display());
        assert!(evs.iter().all(|e| e.1 == "cloud.aws.cloudtrail"));
    }
}

/// Other JSON sign-in logs are not taken for cloud audit logs.
#[test]
fn cloud_readers_do_not_take_sign_in_records() {
    let dir = tempfile::tempdir().unwrap();
    let entra = dir.path().join("entra.json");
    std::fs::write(
        &entra,
        r#"{"TimeGenerated":"2024-05-01T10:00:00Z","UserPrincipalName":"a@b.example","IPAddress":"192.0.2.1","ResultType":"0"}"#,
    )
    .unwrap();
    let opts = ReadOptions::default();
    let s = read_input(&Input::File(entra), &opts, &|_| {}, &mut |_, _| {}).unwrap();
    assert_eq!(formats(&s), [("entra", 1)]);
    let entra_audit = dir.path().join("audit.json");
    std::fs::write(
        &entra_audit,
        r#"{"time":"2024-05-01T10:04:00Z","operationName":"Add member to role","category":"AuditLogs","properties":{}}"#,
    )
    .unwrap();
    for f in [
        SigninFormat::CloudTrail,
        SigninFormat::AzureActivity,
        SigninFormat::AzureRisk,
        SigninFormat::GcpAudit,
    ] {
        let opts = ReadOptions {
            format: Some(Format::Signin(f)),
            ..ReadOptions::default()
        };
        let s = read_input(
            &Input::File(entra_audit.clone()),
            &opts,
            &|_| {},
            &mut |_, _| {},
        )
        .unwrap();
        assert_eq!((s.parsed, s.rejected), (0, 1), "{f}");
    }
}

/// Microsoft Graph pages of risk detections (`{"value":[…]}`) and Azure
/// diagnostic-settings blobs of activity records (`{"records":[…]}`).
#[test]
fn azure_pages_and_blobs() {
    let dir = tempfile::tempdir().unwrap();
    for (file, key, name, dataset) in [
        (
            "azure_risk.jsonl",
            "value",
            "azure-risk",
            "cloud.azure.riskdetection",
        ),
        (
            "azure_activity.jsonl",
            "records",
            "azure-activity",
            "cloud.azure.activitylogs",
        ),
    ] {
        let text = std::fs::read_to_string(fixture(file)).unwrap();
        // The records the reader accepts (the last line of each is not one).
        let records: Vec<serde_json::Value> = text
            .lines()
            .take(4)
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let doc = serde_json::json!({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#x",
            key: records,
        });
        let path = dir.path().join(format!("{key}.json"));
        std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
        let (s, evs) = read(&path, None);
        assert_eq!(formats(&s), [(name, 1)], "{file}");
        assert_eq!((s.lines, s.parsed, s.rejected), (4, 4, 0), "{file}");
        assert_eq!(evs.len(), 4);
        assert!(evs.iter().all(|e| e.1 == dataset), "{evs:?}");
    }
}
