//! The real rules of the corpus: every one loads or is reported (exact
//! counts), the specification's test vectors, and SigmaHQ's regression
//! cases (EVTX + expected matching event) matched exactly.

use haboob_model::{FieldView, Value, WinView};
use haboob_sigma::{load, Counts, Family, LoadError, Mapping};
use std::path::PathBuf;

fn sigma_dir(test: &str) -> Option<PathBuf> {
    haboob_testdata::corpus_or_skip(test).map(|d| d.join("sigma"))
}

#[test]
fn every_corpus_rule_loads_or_is_reported() {
    let Some(dir) = sigma_dir("every_corpus_rule_loads_or_is_reported") else {
        return;
    };
    let hq = dir.join("SigmaHQ-sigma");
    let paths: Vec<PathBuf> = [
        "rules",
        "rules-emerging-threats",
        "rules-threat-hunting",
        "rules-placeholder",
    ]
    .iter()
    .map(|p| hq.join(p))
    .collect();
    let l = load(&paths, &Mapping::builtin());
    let t = l.tally.total;
    // 394 rules: all accounted for, none invalid.
    assert_eq!(
        t,
        Counts {
            loaded: 335,
            unsupported_logsource: 41,
            unsupported_feature: 18,
            invalid: 0,
            correlations: 0,
            filters: 0
        },
        "{:#?}",
        l.errors
    );
    assert_eq!(
        t.loaded + t.unsupported_logsource + t.unsupported_feature,
        394
    );
    assert_eq!(l.rules.len(), 335);
    // Unsupported log sources: PIM (7), Apache and nginx error logs (3),
    // forward-proxy logs (31): logs haboob does not read.
    let mut by_source = std::collections::BTreeMap::new();
    for e in &l.errors {
        match e {
            LoadError::Unsupported { feature, .. } if feature.starts_with("logsource") => {
                *by_source.entry(feature.clone()).or_insert(0) += 1;
            }
            LoadError::Unsupported { feature, .. } => {
                assert!(feature.starts_with("placeholder %"), "{feature}");
            }
            other => panic!("{other}"),
        }
    }
    let want: Vec<(&str, usize)> = vec![
        ("logsource category=proxy (not mapped)", 31),
        ("logsource product=azure service=pim (not mapped)", 7),
        ("logsource service=apache (not mapped)", 2),
        ("logsource service=nginx (not mapped)", 1),
    ];
    let got: Vec<(&str, usize)> = by_source.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(got, want);
    let folder = |k: &str| l.tally.per_folder.get(k).copied().unwrap_or_default();
    assert_eq!(folder("rules/windows").loaded, 145);
    assert_eq!(folder("rules-placeholder/windows").unsupported_feature, 10);
    // Families of what loaded.
    let n = |f: Family| l.rules.metas().iter().filter(|m| m.family == f).count();
    assert_eq!(
        [
            Family::Windows,
            Family::Web,
            Family::AzureSignin,
            Family::AzureAudit,
            Family::Okta,
            Family::M365,
            Family::GWorkspace,
            Family::AzureActivity,
            Family::AzureRisk,
        ]
        .map(n),
        [152, 13, 19, 44, 22, 21, 10, 35, 19]
    );
}

#[test]
fn specification_test_vectors() {
    let Some(dir) = sigma_dir("specification_test_vectors") else {
        return;
    };
    let schema = dir.join("sigma-specification/tests/schema");
    let l = load(&[schema.join("rules")], &Mapping::builtin());
    // rule_1 (windows application) loads; rule_ecs's `network`/`dns` is a
    // log source haboob does not read.
    assert_eq!(
        (
            l.tally.total.loaded,
            l.tally.total.unsupported_logsource,
            l.tally.total.invalid
        ),
        (1, 1, 0)
    );
    let l = load(&[schema.join("filter")], &Mapping::builtin());
    assert_eq!(
        (l.tally.total.filters, l.tally.total.invalid),
        (2, 0),
        "{:?}",
        l.errors
    );
    let l = load(&[schema.join("correlation")], &Mapping::builtin());
    assert_eq!(
        (l.tally.total.correlations, l.tally.total.invalid),
        (8, 0),
        "{:?}",
        l.errors
    );
    let types: Vec<&str> = l
        .rules
        .correlation_docs()
        .iter()
        .filter_map(|c| c.doc["correlation"]["type"].as_str())
        .collect();
    assert_eq!(types.len(), 8);
    assert!(types.contains(&"temporal_ordered"));
}

#[test]
fn hayabusa_correlation_files() {
    let Some(dir) = sigma_dir("hayabusa_correlation_files") else {
        return;
    };
    let l = load(&[dir.join("correlation")], &Mapping::builtin());
    assert_eq!(
        (
            l.tally.total.loaded,
            l.tally.total.correlations,
            l.tally.total.invalid
        ),
        (3, 3, 0),
        "{:?}",
        l.errors
    );
    for c in l.rules.correlation_docs() {
        let rules = c.doc["correlation"]["rules"].as_sequence().expect("rules");
        for r in rules {
            let r = r.as_str().unwrap();
            assert!(l.rules.find(r).is_some(), "{r} of {}", c.path.display());
        }
    }
}

/// Runs every Windows security rule over the case's EVTX; the case's rule
/// must match exactly the expected event (by EventRecordID), and no longer
/// match once one of `misses` (text of the record → replacement) is applied.
fn regression(case: &str, rule_id: &str, misses: &[(&str, &str)]) {
    let Some(dir) = sigma_dir(case) else {
        return;
    };
    let hq = dir.join("SigmaHQ-sigma");
    let l = load(
        &[hq.join("rules/windows/builtin/security")],
        &Mapping::builtin(),
    );
    assert_eq!(l.tally.total.invalid, 0);
    let case_dir = hq
        .join("regression_data/rules/windows/builtin/security")
        .join(case);
    let evtx = case_dir.join(format!("{rule_id}.evtx"));
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(case_dir.join(format!("{rule_id}.json"))).unwrap(),
    )
    .unwrap();
    let want = expected["Event"]["System"]["EventRecordID"]
        .as_u64()
        .unwrap();
    let mut hits = Vec::new();
    let mut others = 0usize;
    let mut records = 0usize;
    let mut out = Vec::new();
    let mut hit_raw = String::new();
    haboob_signin::read_evtx(&evtx, &mut |_, raw, _| {
        records += 1;
        out.clear();
        let view = WinView::new(raw);
        l.rules.matches(Family::Windows, &view, &mut out);
        // The record's own System/EventRecordID (the file renumbers records).
        let id = match view.field("EventRecordID") {
            Some(Value::Int(n)) => u64::try_from(n).unwrap_or(0),
            _ => 0,
        };
        for r in &out {
            if l.rules.meta(*r).id == rule_id {
                hits.push(id);
                hit_raw = raw.to_string();
            } else {
                others += 1;
            }
        }
    })
    .unwrap();
    assert!(records >= 1, "{records}");
    assert_eq!(
        hits,
        [want],
        "{case}: {records} records, {others} other hits"
    );
    for (from, to) in misses {
        let changed = hit_raw.replace(from, to);
        assert_ne!(changed, hit_raw, "`{from}` not in the record");
        out.clear();
        l.rules
            .matches(Family::Windows, &WinView::new(&changed), &mut out);
        assert!(
            !out.iter().any(|r| l.rules.meta(*r).id == rule_id),
            "{from} -> {to}"
        );
    }
}

#[test]
fn regression_explicit_credential_local_logon() {
    regression(
        "win_security_explicit_credential_local_logon",
        "e3c6d245-7b8f-4e2a-c17f-a9d0e5b38f62",
        &[
            // filter_main_program_files
            (r"C:\\Users\\xodih\\OneDrive\\Desktop", r"C:\\Program Files"),
            // filter_main_same_user (fieldref, ASCII case ignored)
            ("testuser", "XODIH"),
            // selection_localhost
            ("localhost", "fileserver"),
        ],
    );
}

#[test]
fn regression_scheduled_task_delete_or_disable() {
    regression(
        "win_security_susp_scheduled_task_delete_or_disable",
        "7595ba94-cf3b-4471-aa03-4f6baa9e5fad",
        &[("SystemRestore", "SystemRestorX")],
    );
}

/// The literal prefilter never changes what matches: every corpus EVTX
/// record against the corpus Windows rules, with and without it.
#[test]
fn prefilter_keeps_every_hit() {
    let Some(root) = haboob_testdata::corpus_or_skip("prefilter_keeps_every_hit") else {
        return;
    };
    let hq = root.join("sigma/SigmaHQ-sigma");
    let paths = [
        hq.join("rules/windows"),
        hq.join("rules-threat-hunting/windows"),
        hq.join("rules-emerging-threats"),
    ];
    let mut with = load(&paths, &Mapping::builtin()).rules;
    with.rebuild_prefilter(1);
    let mut without = with.clone();
    without.without_prefilter();
    let mut files = Vec::new();
    let mut stack = vec![root.join("evtx")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "evtx") {
                files.push(p);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 20, "{}", files.len());
    let (mut records, mut hits) = (0usize, 0usize);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for f in &files {
        let _ = haboob_signin::read_evtx(f, &mut |_, raw, _| {
            records += 1;
            a.clear();
            b.clear();
            let v = WinView::new(raw);
            with.matches(Family::Windows, &v, &mut a);
            without.matches(Family::Windows, &v, &mut b);
            assert_eq!(a, b, "{}", f.display());
            hits += a.len();
        });
    }
    assert!(
        records > 1000 && hits > 50,
        "{records} records, {hits} hits"
    );
}
