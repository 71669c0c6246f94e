//! `web.sweep` on real traffic: the secrepo.com access logs (two samples,
//! 2018 and 2021, in the real-data corpus; skipped without it, see
//! `haboob-testdata`), through `haboob_ingest::discover` + `haboob_hunt::hunt`.
//!
//! Judged by hand:
//! - Neither file holds a distributed sweep: with the default 20 sources
//!   nothing fires. The near misses are single-source sweeps that the
//!   per-source detectors already report (202.115.12.166: 48 `HEAD` archive
//!   names incl. `/www.secrepo.com.zip`, 14 s; 198.72.227.213: 2,145 rotated
//!   logs `/self.logs/access.log.*.gz`), about 45 AhrefsBot addresses each
//!   asking one vanished `/self.logs/*.gz` (crawler, and not a backup name),
//!   and DedeCMS fingerprint pairs (`HEAD //data/admin/ver.txt`, 301) from
//!   two or three addresses.
//! - With `min_sources = 2`, exactly one fingerprint links two addresses in
//!   the 2021 file: `GET /.env` with the same old Chrome 81 user agent from
//!   137.184.154.55 (404) and 45.137.22.144 (301), each followed by a
//!   `POST /` — the Laravel `.env` credential stealer's pattern, from two
//!   networks.

use haboob_hunt::{hunt, Config, HuntOptions};
use haboob_model::Alert;
use std::net::IpAddr;
use std::path::Path;

fn sweeps(file: &Path, min_sources: usize) -> Vec<Alert> {
    let mut config = Config::default();
    config.web.sweep.min_sources = min_sources;
    let opts = HuntOptions {
        config,
        ..HuntOptions::default()
    };
    let inputs = haboob_ingest::discover(&[file.display().to_string()]).expect("discover");
    let report = hunt(&inputs, &opts, &|_| {});
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.stats.rejected, 0);
    report
        .alerts
        .into_vec()
        .into_iter()
        .filter(|a| a.detector == "web.sweep")
        .collect()
}

#[test]
fn secrepo_has_no_distributed_sweep() {
    for rel in [
        "weblogs/secrepo/2021_all.log",
        "weblogs/secrepo/access-2018-12-15.log",
    ] {
        let Some(f) = haboob_testdata::corpus_file_or_skip("secrepo_has_no_distributed_sweep", rel)
        else {
            return;
        };
        let a = sweeps(&f, 20);
        assert!(a.is_empty(), "{rel}: {a:#?}");
    }
}

#[test]
fn secrepo_env_stealer_pair_at_two_sources() {
    let Some(f) = haboob_testdata::corpus_file_or_skip(
        "secrepo_env_stealer_pair_at_two_sources",
        "weblogs/secrepo/2021_all.log",
    ) else {
        return;
    };
    let a = sweeps(&f, 2);
    assert_eq!(a.len(), 1, "{a:#?}");
    let a = &a[0];
    let want: Vec<IpAddr> = vec![
        "45.137.22.144".parse().unwrap(),
        "137.184.154.55".parse().unwrap(),
    ];
    assert_eq!(a.source.members, want);
    assert_eq!(a.details["paths"], serde_json::json!(["/.env"]));
    assert_eq!(a.details["fingerprint"]["method"], "GET");
    assert_eq!(
        a.details["fingerprint"]["path_family"],
        "backup/secret file"
    );
    assert_eq!(
        a.details["path_families"],
        serde_json::json!({"secret/credential file": 2})
    );
    // The first `/.env` of 137.184.154.55, four days earlier, left the 24 h window.
    assert_eq!(a.count, 2);
    assert_eq!(a.evidence.len(), 2);
    let Some(f) = haboob_testdata::corpus_file_or_skip(
        "secrepo_env_stealer_pair_at_two_sources",
        "weblogs/secrepo/access-2018-12-15.log",
    ) else {
        return;
    };
    let a = sweeps(&f, 2);
    assert!(a.is_empty(), "{a:#?}");
}
