//! `intel.match` on real traffic: indicators planted for addresses and a
//! user agent that appear in the Elastic examples Apache log (real-data
//! corpus; skipped without it), with decoys that must never match: the
//! neighbours of a listed address (both in the log), an expired indicator
//! and a not-yet-valid one for busy addresses of the log, a parent domain
//! and a sub-domain look-alike.
//!
//! The expected lines are found independently by reading the file: every
//! line starting with the planted address, every line ending with the
//! planted user agent in quotes.

use haboob_hunt::{hunt, HuntOptions};
use haboob_intel::sources::{list, ImportOptions};
use haboob_intel::{BuildOptions, Indicator, IntelIndex};
use haboob_model::{Alert, Ts};
use std::collections::BTreeSet;
use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;

const REL: &str = "weblogs/elastic-examples/apache_logs";
const PLANTED_IP: &str = "107.170.40.198";
const PLANTED_UA: &str = "Mozilla/1.22 (compatible; MSIE 2.0d; Windows NT)";

fn lines_where(file: &Path, f: impl Fn(&str) -> bool) -> BTreeSet<u64> {
    let r = std::io::BufReader::new(std::fs::File::open(file).unwrap());
    r.lines()
        .enumerate()
        .filter(|(_, l)| f(l.as_deref().unwrap_or("")))
        .map(|(i, _)| i as u64 + 1)
        .collect()
}

fn indicators() -> Vec<Indicator> {
    let opts = ImportOptions::default();
    let ips = format!(
        "# tlp: amber\n{PLANTED_IP}\tplanted host\n107.170.40.192/30\tnetwork below\n\
         semicomplete.com\tparent decoy\n"
    );
    let mut v = list::read_list(ips.as_bytes(), "ips.txt", "list:ips", &opts)
        .unwrap()
        .indicators;
    let uas = format!("# kind: user-agent\n{PLANTED_UA}\told scanner\n");
    v.extend(
        list::read_list(uas.as_bytes(), "uas.txt", "list:uas", &opts)
            .unwrap()
            .indicators,
    );
    // Busy addresses of the log, outside their indicators' validity.
    let expired = "# valid-until: 2015-01-01T00:00:00Z\n66.249.73.135\texpired\n";
    v.extend(
        list::read_list(expired.as_bytes(), "old.txt", "list:old", &opts)
            .unwrap()
            .indicators,
    );
    let mut later = list::read_list(
        "46.105.14.53\tnot yet\n".as_bytes(),
        "new.txt",
        "list:new",
        &opts,
    )
    .unwrap()
    .indicators;
    later[0].valid_from = Some(Ts::parse_rfc3339("2016-01-01T00:00:00Z").unwrap());
    v.extend(later);
    v
}

fn run(file: &Path) -> Vec<Alert> {
    let (index, report) = IntelIndex::build(indicators(), &BuildOptions::default());
    assert_eq!(report.indicators, 6);
    let opts = HuntOptions {
        intel: Some(Arc::new(index)),
        ..HuntOptions::default()
    };
    let inputs = haboob_ingest::discover(&[file.display().to_string()]).expect("discover");
    let report = hunt(&inputs, &opts, &|_| {});
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    report
        .alerts
        .into_vec()
        .into_iter()
        .filter(|a| a.detector == "intel.match")
        .collect()
}

#[test]
fn planted_indicators_match_exactly_their_lines_decoys_never() {
    let Some(f) = haboob_testdata::corpus_file_or_skip(
        "planted_indicators_match_exactly_their_lines_decoys_never",
        REL,
    ) else {
        return;
    };
    let want_ip = lines_where(&f, |l| l.starts_with(&format!("{PLANTED_IP} ")));
    let want_ua = lines_where(&f, |l| l.ends_with(&format!("\"{PLANTED_UA}\"")));
    // What the file holds (checked by hand with grep): 4 and 3 lines.
    assert_eq!(want_ip, BTreeSet::from([1409, 3328, 5304, 7249]));
    assert_eq!(want_ua, BTreeSet::from([737, 738, 739]));

    let alerts = run(&f);
    let mut sources = BTreeSet::new();
    let mut got_ip = BTreeSet::new();
    let mut got_ua = BTreeSet::new();
    for a in &alerts {
        let src = a.source.ip.unwrap().to_string();
        sources.insert(src.clone());
        let hits: Vec<haboob_intel::IntelHit> =
            serde_json::from_value(a.details[haboob_intel::DETAILS_KEY].clone()).unwrap();
        let fields: BTreeSet<&str> = hits.iter().map(|h| h.field.as_str()).collect();
        let lines: BTreeSet<u64> = a.evidence.iter().map(|e| e.line).collect();
        assert_eq!(lines.len() as u64, a.count, "{a:#?}");
        match src.as_str() {
            PLANTED_IP => {
                assert_eq!(fields, BTreeSet::from(["src_ip"]));
                assert_eq!(hits[0].name, "planted host");
                assert_eq!(hits[0].source, "list:ips");
                assert_eq!(hits[0].tlp, Some(haboob_intel::Tlp::Amber));
                got_ip.extend(lines);
            }
            "46.119.119.29" => {
                assert_eq!(fields, BTreeSet::from(["user_agent"]));
                assert_eq!(hits[0].matched, PLANTED_UA);
                got_ua.extend(lines);
            }
            other => panic!("unexpected intel alert for {other}: {a:#?}"),
        }
    }
    assert_eq!(got_ip, want_ip);
    assert_eq!(got_ua, want_ua);
    assert_eq!(
        sources,
        BTreeSet::from([PLANTED_IP.to_string(), "46.119.119.29".to_string()])
    );
    // The decoys' addresses are in the file: they were looked up and missed.
    for decoy in [
        "107.170.40.197",
        "107.170.40.199",
        "66.249.73.135",
        "46.105.14.53",
    ] {
        assert!(!lines_where(&f, |l| l.starts_with(&format!("{decoy} "))).is_empty());
    }
}
