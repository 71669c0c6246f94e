//! SigmaHQ's cloud rules over cloud audit records, read by haboob's
//! readers (`haboob-signin`: CloudTrail, Azure activity log, Identity
//! Protection risk detections, GCP Cloud Audit) and matched through the
//! records' JSON field view with the shipped mapping: every record of the
//! fixtures (`tests/fixtures/cloud`, see SOURCES.md there) hits exactly the
//! named rules, and every bad record is rejected with its reason.

use haboob_model::{JsonView, Parsed};
use haboob_sigma::{load, Family, Loaded, Mapping};
use haboob_signin::SigninFormat;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cloud")
}

fn loaded(dirs: &[PathBuf], want_rules: usize) -> Loaded {
    let l = load(dirs, &Mapping::builtin());
    assert_eq!(l.tally.total.invalid, 0, "{:#?}", l.errors);
    assert!(l.errors.is_empty(), "{:#?}", l.errors);
    assert_eq!(l.rules.len(), want_rules);
    l
}

/// What one fixture line gave: the ids of the rules it hit (sorted), or
/// the reader's rejection.
type Outcome = Result<Vec<String>, String>;

/// Every line of `file` read with `format` and matched with `family`.
fn run(l: &Loaded, file: &str, format: SigninFormat, family: Family) -> Vec<Outcome> {
    let text = std::fs::read_to_string(fixtures().join(file)).unwrap();
    let mut parser = format.line_parser().unwrap();
    text.lines()
        .map(|line| match parser.parse(line) {
            Ok(Parsed::Event(_) | Parsed::Both(..)) => {
                let mut hits = Vec::new();
                l.rules.matches(family, &JsonView::new(line), &mut hits);
                let mut ids: Vec<String> =
                    hits.iter().map(|i| l.rules.meta(*i).id.clone()).collect();
                ids.sort();
                Ok(ids)
            }
            Ok(other) => panic!("{file}: unexpected {other:?}"),
            Err(e) => Err(e.reason.into_owned()),
        })
        .collect()
}

fn hits(ids: &[&str]) -> Outcome {
    Ok(ids.iter().map(|s| s.to_string()).collect())
}

fn none() -> Outcome {
    Ok(Vec::new())
}

fn rejected(reason: &str) -> Outcome {
    Err(reason.to_owned())
}

const ASSUME_ROLE_MISUSE: &str = "905d389b-b853-46d0-9d3d-dea0d3a3cd49";
const CONSOLE_LOGIN_FAILED: &str = "6393e346-1977-46ef-8987-ad414a145fad";
const CONSOLE_LOGIN_NO_MFA: &str = "77caf516-34e5-4df9-b4db-20744fea0a60";
const CLOUDTRAIL_CHANGE: &str = "4db60cc0-36fb-42b7-9b58-a5b53019fb74";
const ROOT_CREDENTIALS: &str = "8ad1600d-e9dc-4251-b0ee-a65268f29add";
const GCP_FIREWALL: &str = "fe513c69-734c-4d4a-8548-ac5f609be82b";
const GCP_ROLEBINDING: &str = "0322d9f2-289a-47c2-b5e1-b63c90901a3e";

#[test]
fn cloudtrail_records_hit_exactly_the_named_rules() {
    let l = loaded(&[fixtures().join("rules")], 8);
    // OTRF's EC2-proxy S3 exfiltration: the role's S3 calls are AssumeRole
    // misuse; its ListBuckets is no "bucket enumeration" (that rule leaves
    // assumed roles out); the console's Describe* calls and the EC2
    // service's AssumeRole hit nothing.
    assert_eq!(
        run(
            &l,
            "cloudtrail_otrf.jsonl",
            SigninFormat::CloudTrail,
            Family::AwsCloudTrail
        ),
        [
            none(),
            none(),
            none(),
            hits(&[ASSUME_ROLE_MISUSE]),
            hits(&[ASSUME_ROLE_MISUSE]),
            hits(&[ASSUME_ROLE_MISUSE]),
        ]
    );
    assert_eq!(
        run(
            &l,
            "cloudtrail_handwritten.jsonl",
            SigninFormat::CloudTrail,
            Family::AwsCloudTrail
        ),
        [
            hits(&[CONSOLE_LOGIN_FAILED]),
            hits(&[CONSOLE_LOGIN_NO_MFA]),
            // MFAUsed: Yes.
            none(),
            hits(&[CLOUDTRAIL_CHANGE]),
            // DescribeTrails: not a change.
            none(),
            hits(&[ROOT_CREDENTIALS]),
            // Root, but an AwsServiceEvent.
            none(),
            rejected("not a CloudTrail record (no eventSource or eventName)"),
            rejected("not a JSON object"),
            rejected("bad time: bad timestamp layout: expected yyyy-mm-ddTHH:MM:SS"),
        ]
    );
}

#[test]
fn gcp_audit_records_hit_exactly_the_named_rules() {
    let l = loaded(&[fixtures().join("rules")], 8);
    assert_eq!(
        run(
            &l,
            "gcp_audit.jsonl",
            SigninFormat::GcpAudit,
            Family::GcpAudit
        ),
        [
            hits(&[GCP_FIREWALL]),
            // `list`: not a change.
            none(),
            hits(&[GCP_ROLEBINDING]),
            rejected("not a GCP audit record (no protoPayload.methodName)"),
        ]
    );
}

#[test]
fn azure_activity_and_risk_records_hit_exactly_the_named_rules() {
    let Some(root) = haboob_testdata::corpus_or_skip(
        "azure_activity_and_risk_records_hit_exactly_the_named_rules",
    ) else {
        return;
    };
    let azure = root.join("sigma/SigmaHQ-sigma/rules/cloud/azure");
    let l = loaded(
        &[
            azure.join("activity_logs"),
            azure.join("identity_protection"),
        ],
        35 + 19,
    );
    // The diagnostic export (NSG write: the rule on it and "Rare
    // Subscription-level Operations", a keyword rule), the REST shape with
    // `operationName.value`, the Log Analytics row; a console read hits
    // nothing; an Entra ID audit record is not an activity record.
    assert_eq!(
        run(
            &l,
            "azure_activity.jsonl",
            SigninFormat::AzureActivity,
            Family::AzureActivity
        ),
        [
            hits(&[
                "c1182e02-49a3-481c-b3de-0fadc4091488",
                "d22b4df4-5a67-4859-a578-8c9a0b5af9df"
            ]),
            hits(&["09438caa-07b1-4870-8405-1dbafe3dad95"]),
            hits(&["72af37e2-ec32-47dc-992b-bc288a2708cb"]),
            none(),
            rejected("not an Azure activity log record (no activity category or operation)"),
        ]
    );
    assert_eq!(
        run(
            &l,
            "azure_risk.jsonl",
            SigninFormat::AzureRisk,
            Family::AzureRisk
        ),
        [
            // Anonymous IP Address (Graph riskDetection).
            hits(&["53acd925-2003-440d-a1f3-71a5253fe237"]),
            // Password Spray Activity (diagnostic export, under properties).
            hits(&["28ecba0a-c743-4690-ad29-9a8f6f25a6f9"]),
            // Atypical Travel (Log Analytics AADUserRiskEvents).
            hits(&["1a41023f-1e70-4026-921a-4d9341a9038e"]),
            none(),
            rejected("not a risk detection (no riskEventType)"),
        ]
    );
}
