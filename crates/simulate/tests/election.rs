//! election-recon: determinism, layouts, labels and the attack schedule.

mod common;

use common::*;
use haboob_model::{ip_prefix, Ts};
use haboob_simulate::{read_labels, simulate, Label, LabelKind, Scenario, SimOptions, SimSummary};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::Path;
use std::sync::OnceLock;

const START: &str = "2026-09-01T00:00:00Z";

fn opts(dir: &Path, days: u32, seed: u64, rate: u32) -> SimOptions {
    SimOptions {
        days,
        seed,
        rate,
        ..SimOptions::new(Scenario::ElectionRecon, dir)
    }
}

/// Read every request back, checking each file's layout and time order.
fn read_back(dir: &Path) -> Vec<Rec> {
    let mut all = Vec::new();
    for p in log_files(dir) {
        let rel = p
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let mut recs = Vec::new();
        let ls = lines(&p);
        assert!(!ls.is_empty(), "{rel} is empty");
        for l in &ls {
            let r = match rel.as_str() {
                r if r.starts_with("oh/elections/") => {
                    parse_combined(&rel, l, "elections.oh.example")
                }
                r if r.starts_with("oh/vote/") => parse_combined(&rel, l, "vote.oh.example"),
                r if r.starts_with("campaign/") => parse_combined(&rel, l, "campaign2026.example"),
                "ga/other_vhosts_access.log" => parse_vhost(&rel, l),
                r if r.starts_with("az/u_ex") && r.ends_with(".log") => {
                    if l.starts_with('#') {
                        assert!(
                            l.starts_with("#Software: ")
                                || l == "#Version: 1.0"
                                || l.starts_with("#Date: ")
                                || l == IIS_FIELDS,
                            "directive: {l}"
                        );
                        continue;
                    }
                    parse_iis(&rel, l)
                }
                "news/access.json.log" => parse_nginx_json(&rel, l),
                other => panic!("unexpected file {other}"),
            };
            recs.push(r);
        }
        if rel.starts_with("az/") {
            assert_eq!(ls[3], IIS_FIELDS, "IIS header first");
        }
        assert!(
            recs.windows(2).all(|w| w[0].ts <= w[1].ts),
            "{rel} not sorted by time"
        );
        all.extend(recs);
    }
    all
}

struct Run {
    _dir: tempfile::TempDir,
    summary: SimSummary,
    recs: Vec<Rec>,
    labels: Vec<Label>,
    root: std::path::PathBuf,
}

fn three_days() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let summary = simulate(&opts(dir.path(), 3, 42, 300)).unwrap();
        let recs = read_back(dir.path());
        let labels = read_labels(&dir.path().join("labels.jsonl")).unwrap();
        Run {
            root: dir.path().to_path_buf(),
            _dir: dir,
            summary,
            recs,
            labels,
        }
    })
}

#[test]
fn same_seed_same_bytes_other_seed_differs() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    simulate(&opts(a.path(), 3, 7, 200)).unwrap();
    simulate(&opts(b.path(), 3, 7, 200)).unwrap();
    simulate(&opts(c.path(), 3, 8, 200)).unwrap();
    let (ha, hb, hc) = (
        hash_tree(a.path()),
        hash_tree(b.path()),
        hash_tree(c.path()),
    );
    assert!(ha.len() >= 9, "{ha:?}");
    assert_eq!(ha, hb);
    assert_eq!(ha.keys().collect::<Vec<_>>(), hc.keys().collect::<Vec<_>>());
    assert_ne!(ha["oh/elections/access.log"], hc["oh/elections/access.log"]);
    assert_ne!(ha["labels.jsonl"], hc["labels.jsonl"]);
}

#[test]
fn files_layouts_and_summary_agree() {
    let run = three_days();
    let rels: BTreeSet<String> = run
        .summary
        .files
        .iter()
        .map(|p| {
            p.strip_prefix(&run.root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    let want: BTreeSet<String> = [
        "oh/elections/access.log",
        "oh/vote/access.log",
        "campaign/access.log",
        "ga/other_vhosts_access.log",
        "az/u_ex2609.log",
        "news/access.json.log",
        "labels.jsonl",
        "targets.toml",
        "haboob.toml",
        "intel/isac.stix.json",
        "intel/isac-list.txt",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(rels, want);
    assert_eq!(run.summary.lines, run.recs.len() as u64);
    assert_eq!(run.summary.labels, run.labels.len() as u64);
    let start = Ts::parse_rfc3339(START).unwrap();
    let end = Ts(start.0 + 3 * 86_400_000);
    assert!(run.recs.iter().all(|r| r.ts >= start && r.ts < end));
    // Zones: Ohio and Georgia in EDT during September; others UTC.
    for r in &run.recs {
        let want = match r.site.as_str() {
            "elections.oh.example"
            | "vote.oh.example"
            | "sos.ga.example"
            | "results.ga.example" => "-0400",
            "campaign2026.example" => "+0000",
            "news.example" => "+00:00",
            _ => "",
        };
        assert_eq!(r.zone, want, "{r:?}");
    }
    let sites: BTreeSet<&str> = run.recs.iter().map(|r| r.site.as_str()).collect();
    assert_eq!(sites.len(), 7, "{sites:?}");
    // Benign volume follows the rate: at least 300 requests per site per day.
    for s in &sites {
        assert!(
            run.recs.iter().filter(|r| r.site == *s).count() >= 900,
            "{s}"
        );
    }
    let targets = std::fs::read_to_string(run.root.join("targets.toml")).unwrap();
    assert_eq!(targets.matches("[[target]]").count(), 7);
    assert!(targets.contains("paths = [\"oh/elections/*\"]"));
    let haboob = std::fs::read_to_string(run.root.join("haboob.toml")).unwrap();
    assert_eq!(haboob, "[hunt]\nallow_sources = [\"45.79.182.20\"]\n");
}

#[test]
fn labels_round_trip_and_count_every_line_of_their_sources() {
    let run = three_days();
    // Round trip: re-serializing gives the file's lines.
    let text = std::fs::read_to_string(run.root.join("labels.jsonl")).unwrap();
    let again: Vec<String> = run
        .labels
        .iter()
        .map(|l| serde_json::to_string(l).unwrap())
        .collect();
    assert_eq!(text.lines().collect::<Vec<_>>(), again);
    // Lines per (source, site) in the logs.
    let mut seen: BTreeMap<(IpAddr, &str), (u64, Ts, Ts)> = BTreeMap::new();
    for r in &run.recs {
        let e = seen
            .entry((r.ip, r.site.as_str()))
            .or_insert((0, r.ts, r.ts));
        e.0 += 1;
        e.1 = e.1.min(r.ts);
        e.2 = e.2.max(r.ts);
    }
    let mut labelled: BTreeMap<(IpAddr, &str), u64> = BTreeMap::new();
    for l in &run.labels {
        *labelled.entry((l.source_ip, l.site.as_str())).or_default() += l.events;
        let (_, first, last) = seen[&(l.source_ip, l.site.as_str())];
        // Label windows lie within the source's activity (seconds resolution in logs).
        assert!(
            l.first_seen.secs() >= first.secs() && l.last_seen.secs() <= last.secs(),
            "{l:?}"
        );
        assert!(l.first_seen <= l.last_seen);
    }
    for (key, n) in &labelled {
        assert_eq!(seen[key].0, *n, "lines of {key:?}");
    }
    // Attack sources never appear unlabelled, and only documentation ranges attack.
    for l in run.labels.iter().filter(|l| l.kind == LabelKind::Attack) {
        let doc = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"];
        let ok = match l.source_ip {
            IpAddr::V4(_) => doc.contains(&ip_prefix(l.source_ip).to_string().as_str()),
            IpAddr::V6(v6) => v6.segments()[..2] == [0x2001, 0xdb8],
        };
        assert!(ok, "{l:?}");
        assert_eq!(l.actor, "actor-a");
        assert!(l.detector.is_some() && l.technique.is_some());
    }
    let attack_ips: BTreeSet<IpAddr> = run
        .labels
        .iter()
        .filter(|l| l.kind == LabelKind::Attack)
        .map(|l| l.source_ip)
        .collect();
    for r in &run.recs {
        if attack_ips.contains(&r.ip) {
            assert!(labelled.contains_key(&(r.ip, r.site.as_str())), "{r:?}");
        }
    }
}

fn labels_of<'a>(run: &'a Run, role: &str) -> Vec<&'a Label> {
    run.labels.iter().filter(|l| l.role == role).collect()
}

/// Requests of one label, read back from the logs.
fn recs_of<'a>(run: &'a Run, l: &Label) -> Vec<&'a Rec> {
    run.recs
        .iter()
        .filter(|r| {
            r.ip == l.source_ip
                && r.site == l.site
                && r.ts.secs() >= l.first_seen.secs()
                && r.ts.secs() <= l.last_seen.secs()
        })
        .collect()
}

#[test]
fn attack_schedule_has_every_kind_with_its_shape() {
    let run = three_days();
    let span = |rs: &[&Rec]| rs.last().unwrap().ts.secs() - rs[0].ts.secs();
    let distinct = |rs: &[&Rec]| {
        rs.iter()
            .map(|r| r.target.as_str())
            .collect::<BTreeSet<_>>()
            .len()
    };
    let n404 = |rs: &[&Rec]| rs.iter().filter(|r| r.status == 404).count();

    let sens = labels_of(run, "sensitive");
    assert_eq!(
        sens.len(),
        7,
        "six sites from one IPv4 source plus the IPv6 sweep"
    );
    for l in &sens {
        let rs = recs_of(run, l);
        assert!(distinct(&rs) >= 12 && span(&rs) <= 120, "{l:?}");
        assert_eq!(rs.iter().filter(|r| r.status == 403).count(), 1);
        assert_eq!(n404(&rs), rs.len() - 1);
        assert_eq!(l.detector.as_deref(), Some("web.sensitive"));
    }
    assert!(sens
        .iter()
        .any(|l| l.source_ip.is_ipv6() && l.site == "news.example"));

    let scans = labels_of(run, "scan");
    assert_eq!(
        scans
            .iter()
            .map(|l| l.site.as_str())
            .collect::<BTreeSet<_>>()
            .len(),
        3
    );
    for l in &scans {
        let rs = recs_of(run, l);
        assert!(distinct(&rs) >= 150 && span(&rs) <= 300, "{l:?}");
        let ratio = n404(&rs) as f64 / rs.len() as f64;
        assert!((0.8..=0.9).contains(&ratio), "404 ratio {ratio}");
        assert_eq!(l.technique.as_deref(), Some("T1595.002"));
    }

    let exploits = labels_of(run, "exploit");
    assert_eq!(exploits.len(), 2);
    for l in &exploits {
        let rs = recs_of(run, l);
        assert!(rs.iter().any(|r| r.ua.contains("${jndi:ldap://")));
        for needle in [
            "/.%2e/.%2e/",
            "/autodiscover/autodiscover.json?@",
            "/remote/fgt_lang?lang=/../",
            "UNION%20SELECT",
        ] {
            assert!(rs.iter().any(|r| r.target.contains(needle)), "{needle}");
        }
        assert_eq!(l.detector.as_deref(), Some("web.exploit"));
    }

    let tools = labels_of(run, "scanner_ua");
    assert_eq!(tools.len(), 2);
    let uas: BTreeSet<&str> = tools
        .iter()
        .flat_map(|l| recs_of(run, l))
        .map(|r| r.ua.as_str())
        .collect();
    assert!(uas
        .iter()
        .any(|u| u.contains("Nuclei - Open-source project")));
    assert!(uas.iter().any(|u| u.starts_with("sqlmap/")));

    let admin = labels_of(run, "admin_enum");
    assert_eq!(admin.len(), 2);
    for l in &admin {
        let rs = recs_of(run, l);
        let miss: BTreeSet<&str> = rs
            .iter()
            .filter(|r| r.status == 404)
            .map(|r| r.target.as_str())
            .collect();
        assert!(miss.len() >= 8 && span(&rs) <= 180, "{l:?}");
    }

    let dist = labels_of(run, "distributed_scan");
    assert_eq!(dist.len(), 8);
    let mut all_paths = BTreeSet::new();
    for l in &dist {
        assert_eq!(l.prefix.as_deref(), Some("192.0.2.0/24"));
        assert_eq!(l.detector.as_deref(), Some("web.scan"));
        let rs = recs_of(run, l);
        assert_eq!((rs.len(), distinct(&rs), n404(&rs)), (6, 6, 6));
        all_paths.extend(rs.iter().map(|r| r.target.clone()));
    }
    assert_eq!(all_paths.len(), 48);

    // Campaign grouping: the IPv4 crawl+sweep hits six sites within hours.
    let a1: Vec<&&Label> = sens.iter().filter(|l| l.source_ip.is_ipv4()).collect();
    let first = a1.iter().map(|l| l.first_seen).min().unwrap();
    let last = a1.iter().map(|l| l.last_seen).max().unwrap();
    assert!(last.0 - first.0 < 5 * 3_600_000);
    for l in labels_of(run, "crawl") {
        let rs = recs_of(run, l);
        assert!(rs.iter().all(|r| r.status == 200) && distinct(&rs) == rs.len());
    }
}

#[test]
fn benign_hard_negatives_behave() {
    let run = three_days();
    for l in labels_of(run, "crawler") {
        let rs: Vec<&Rec> = run
            .recs
            .iter()
            .filter(|r| r.ip == l.source_ip && r.site == l.site)
            .collect();
        assert!(
            rs.windows(2).all(|w| w[1].ts.0 - w[0].ts.0 >= 5_000),
            "{l:?}"
        );
        assert!(rs[0].ua.contains("Googlebot") || rs[0].ua.contains("bingbot"));
    }
    let mon = labels_of(run, "monitor");
    assert_eq!(mon.len(), 2);
    for l in mon {
        let rs: Vec<&Rec> = run
            .recs
            .iter()
            .filter(|r| r.ip == l.source_ip && r.site == l.site)
            .collect();
        assert!(rs.iter().all(|r| r.target == "/health" && r.status == 200));
        assert!(rs.len() >= 3 * 1440 - 10);
    }
    let pen = labels_of(run, "pentest");
    assert_eq!(pen.len(), 1);
    assert_eq!(pen[0].source_ip.to_string(), "45.79.182.20");
    assert_eq!(pen[0].kind, LabelKind::Benign);
    assert_eq!(pen[0].site, "campaign2026.example");
    for l in labels_of(run, "admin") {
        let rs: Vec<&Rec> = run
            .recs
            .iter()
            .filter(|r| r.ip == l.source_ip && r.site == l.site)
            .collect();
        assert!(rs.iter().all(|r| r.status < 400), "{l:?}");
    }
    let broken = labels_of(run, "broken_links");
    assert!(!broken.is_empty());
    for l in broken {
        let rs: Vec<&Rec> = run
            .recs
            .iter()
            .filter(|r| r.ip == l.source_ip && r.site == l.site)
            .collect();
        let n = rs.iter().filter(|r| r.status == 404).count();
        assert!((1..=3 * 3).contains(&n), "{l:?}");
    }
    // Unlabelled sources: browsers with pages and assets, never an error page.
    let labelled: BTreeSet<(IpAddr, &str)> = run
        .labels
        .iter()
        .map(|l| (l.source_ip, l.site.as_str()))
        .collect();
    let users: Vec<&Rec> = run
        .recs
        .iter()
        .filter(|r| !labelled.contains(&(r.ip, r.site.as_str())))
        .collect();
    assert!(users.iter().all(|r| r.status == 200 || r.status == 304));
    assert!(users.iter().any(|r| r.target.ends_with(".css")));
    assert!(users.iter().any(|r| r.ip.is_ipv6()));
}

#[test]
fn two_days_still_has_every_attack_kind() {
    let dir = tempfile::tempdir().unwrap();
    simulate(&opts(dir.path(), 2, 1, 100)).unwrap();
    let labels = read_labels(&dir.path().join("labels.jsonl")).unwrap();
    let roles: BTreeSet<&str> = labels
        .iter()
        .filter(|l| l.kind == LabelKind::Attack)
        .map(|l| l.role.as_str())
        .collect();
    let want: BTreeSet<&str> = [
        "crawl",
        "sensitive",
        "scan",
        "exploit",
        "scanner_ua",
        "admin_enum",
        "distributed_scan",
    ]
    .into();
    assert_eq!(roles, want);
    let detectors: BTreeSet<&str> = labels
        .iter()
        .filter_map(|l| l.detector.as_deref())
        .collect();
    let want: BTreeSet<&str> = [
        "web.crawl",
        "web.sensitive",
        "web.scan",
        "web.exploit",
        "web.scanner_ua",
        "web.admin_enum",
    ]
    .into();
    assert_eq!(detectors, want);
}

#[test]
fn ohio_switches_from_edt_to_est_and_rotates_weekly() {
    let dir = tempfile::tempdir().unwrap();
    simulate(&opts(dir.path(), 63, 3, 20)).unwrap();
    let oh = dir.path().join("oh/vote");
    let mut names: Vec<String> = std::fs::read_dir(&oh)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut want = vec!["access.log".to_string(), "access.log.1".to_string()];
    want.extend((2..9).map(|n| format!("access.log.{n}.gz")));
    want.sort();
    assert_eq!(names, want);
    // Newest file holds the last week, the oldest (.8.gz) the first.
    let oldest: Vec<Rec> = lines(&oh.join("access.log.8.gz"))
        .iter()
        .map(|l| parse_combined("x", l, "vote.oh.example"))
        .collect();
    assert!(oldest[0].ts < Ts::parse_rfc3339("2026-09-08T00:00:00Z").unwrap());
    let newest: Vec<Rec> = lines(&oh.join("access.log"))
        .iter()
        .map(|l| parse_combined("x", l, "vote.oh.example"))
        .collect();
    assert!(newest
        .iter()
        .all(|r| r.ts >= Ts::parse_rfc3339("2026-10-27T00:00:00Z").unwrap()));
    let zones: BTreeSet<String> = newest.iter().map(|r| r.zone.clone()).collect();
    assert_eq!(zones, ["-0400".to_string(), "-0500".to_string()].into());
    assert!(newest.windows(2).all(|w| w[0].ts <= w[1].ts));
    // IIS: one file per month.
    assert!(
        dir.path().join("az/u_ex2609.log").exists()
            && dir.path().join("az/u_ex2610.log").exists()
            && dir.path().join("az/u_ex2611.log").exists()
    );
}
