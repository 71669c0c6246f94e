//! Incremental hunting equals one hunt over everything: the simulator's
//! month (web logs of the election-recon scenario and the sign-ins of the
//! account-campaign scenario), fed to growing files in 30 steps cut at
//! arbitrary bytes (so most steps end inside a line), hunted after each step
//! with the previous checkpoint; then rotation, copytruncate, a rerun of a
//! killed run, a partial last line, and refused checkpoints.

use haboob_hunt::incremental::{hunt_incremental, Incremental, ResumeError, CHECKPOINT_VERSION};
use haboob_hunt::{hunt, streams, HuntOptions, HuntReport, Targets};
use haboob_ingest::Input;
use haboob_model::Alert;
use haboob_simulate::{simulate, Scenario, SimOptions};
use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The simulated month, each stream flattened into one file's content
/// (rotations decompressed and concatenated, oldest first).
struct Month {
    /// (relative path, content).
    files: Vec<(String, Vec<u8>)>,
    targets: String,
    config: String,
}

fn month() -> &'static Month {
    static M: OnceLock<Month> = OnceLock::new();
    M.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let web = tmp.path().join("web");
        let acc = tmp.path().join("acc");
        simulate(&SimOptions {
            rate: 600,
            ..SimOptions::new(Scenario::ElectionRecon, &web)
        })
        .unwrap();
        simulate(&SimOptions::new(Scenario::AccountCampaign, &acc)).unwrap();
        let mut logs: Vec<Input> = Vec::new();
        for root in [&web, &acc] {
            for e in walk(root) {
                let name = e.file_name().unwrap().to_string_lossy().into_owned();
                // Configuration, labels and the simulator's ISAC intel are no logs.
                let intel = e.components().any(|c| c.as_os_str() == "intel");
                if name.ends_with(".toml") || name == "labels.jsonl" || intel {
                    continue;
                }
                logs.push(Input::File(e));
            }
        }
        let mut files = Vec::new();
        for s in streams::group(&logs) {
            let key = PathBuf::from(streams::stream_key(&s).unwrap());
            let rel = key
                .strip_prefix(tmp.path())
                .unwrap()
                .components()
                .skip(1)
                .collect::<PathBuf>();
            let mut content = Vec::new();
            for i in &s {
                let Input::File(p) = i else { unreachable!() };
                let raw = fs::read(p).unwrap();
                if raw.starts_with(&[0x1f, 0x8b]) {
                    flate2::read::MultiGzDecoder::new(&raw[..])
                        .read_to_end(&mut content)
                        .unwrap();
                } else {
                    content.extend_from_slice(&raw);
                }
            }
            files.push((rel.display().to_string(), content));
        }
        let targets = fs::read_to_string(web.join("targets.toml")).unwrap()
            + &fs::read_to_string(acc.join("targets.toml")).unwrap();
        let config = fs::read_to_string(web.join("haboob.toml")).unwrap();
        Month {
            files,
            targets,
            config,
        }
    })
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

fn options(dir: &Path) -> HuntOptions {
    let m = month();
    fs::write(dir.join("targets.toml"), &m.targets).unwrap();
    HuntOptions {
        targets: Targets::load(&dir.join("targets.toml")).unwrap(),
        config: haboob_hunt::Config::parse(&m.config, "haboob.toml").unwrap(),
        ..HuntOptions::default()
    }
}

fn append(path: &Path, bytes: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(bytes).unwrap();
}

fn inputs(dir: &Path) -> Vec<Input> {
    walk(dir)
        .into_iter()
        .filter(|p| !p.ends_with("targets.toml"))
        .map(Input::File)
        .collect()
}

fn run(dir: &Path, opts: &HuntOptions, prev: Option<&[u8]>) -> Incremental {
    let r = hunt_incremental(&inputs(dir), opts, prev, &|_| {}).unwrap();
    assert!(r.report.errors.is_empty(), "{:?}", r.report.errors);
    r
}

/// Alerts as JSON, with evidence file names kept or dropped.
fn alerts(r: &HuntReport, keep_files: bool) -> Vec<String> {
    r.alerts
        .iter()
        .map(|a| {
            let mut a: Alert = a.into_owned();
            if !keep_files {
                for e in &mut a.evidence {
                    e.file.clear();
                }
            }
            serde_json::to_string(&a).unwrap()
        })
        .collect()
}

fn campaigns(r: &HuntReport) -> Vec<String> {
    r.campaigns
        .iter()
        .map(|c| serde_json::to_string(c).unwrap())
        .collect()
}

/// The incremental report equals the batch report exactly: alerts (ids and
/// content), campaigns (ids, members, funnel), background, suppression.
fn assert_same(batch: &HuntReport, inc: &HuntReport, keep_files: bool) {
    let (b, i) = (alerts(batch, keep_files), alerts(inc, keep_files));
    if b != i {
        let first = b.iter().zip(&i).position(|(x, y)| x != y);
        panic!(
            "alerts differ: batch {} incremental {}; first difference at {first:?}:\nbatch {}\nincr  {}",
            b.len(),
            i.len(),
            first.map_or("", |n| &b[n]),
            first.map_or("", |n| &i[n]),
        );
    }
    assert_eq!(campaigns(batch), campaigns(inc));
    assert_eq!(
        serde_json::to_string(&batch.background).unwrap(),
        serde_json::to_string(&inc.background).unwrap()
    );
    assert_eq!(batch.suppressed, inc.suppressed);
}

const STEPS: usize = 30;

/// Byte cut of step `k` of `len` bytes (arbitrary, mostly inside a line).
fn cut(len: usize, k: usize) -> usize {
    if k >= STEPS {
        len
    } else {
        len * k / STEPS + (k * 7919) % 97
    }
}

#[test]
fn a_month_hunted_day_by_day_equals_one_hunt() {
    // Incremental runs in the default lanes (2 source lanes and the shared
    // lane, whatever the size); the batch hunt, of small files, in one.
    month_day_by_day(|_| {});
}

/// Lanes forced on at small sizes in the batch hunt too (3 source lanes).
#[test]
fn a_month_hunted_day_by_day_in_lanes_equals_one_hunt_in_lanes() {
    month_day_by_day(|o| {
        o.config.hunt.detection_lanes = 3;
        o.config.hunt.lanes_min_mb = 0;
    });
}

/// Lanes off: one lane per stream in both.
#[test]
fn a_month_hunted_day_by_day_in_one_lane_equals_one_hunt() {
    month_day_by_day(|o| o.config.hunt.detection_lanes = 1);
}

fn month_day_by_day(configure: impl Fn(&mut HuntOptions)) {
    let m = month();
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path().join("logs");
    fs::create_dir_all(&logs).unwrap();
    let mut opts = options(&logs);
    configure(&mut opts);
    let mut prev: Option<Vec<u8>> = None;
    let (mut bytes_read, mut lines, mut ck_sizes) = (0u64, 0u64, Vec::new());
    let mut last = None;
    let mut times = Vec::new();
    for k in 1..=STEPS {
        for (rel, content) in &m.files {
            append(
                &logs.join(rel),
                &content[cut(content.len(), k - 1)..cut(content.len(), k)],
            );
        }
        let t = std::time::Instant::now();
        let mut r = run(&logs, &opts, prev.as_deref());
        times.push(t.elapsed());
        if k == STEPS / 2 {
            // A run killed before it saved its checkpoint is run again from
            // the previous one: the same report, nothing lost or doubled.
            let again = run(&logs, &opts, prev.as_deref());
            assert_eq!(alerts(&r.report, true), alerts(&again.report, true));
            assert_eq!(campaigns(&r.report), campaigns(&again.report));
            assert_eq!(r.read, again.read);
            r = again;
        }
        bytes_read += r.read.bytes_read;
        lines += r.report.stats.lines;
        ck_sizes.push(r.checkpoint.len());
        prev = Some(r.checkpoint.clone());
        last = Some(r);
    }
    let last = last.unwrap();
    let t = std::time::Instant::now();
    let batch = hunt(&inputs(&logs), &opts, &|_| {});
    let batch_time = t.elapsed();
    assert!(batch.errors.is_empty(), "{:?}", batch.errors);
    // Every byte and line read exactly once over the month.
    let total: usize = m.files.iter().map(|(_, c)| c.len()).sum();
    assert_eq!(bytes_read, total as u64);
    assert_eq!(lines, batch.stats.lines);
    // Not a trivial month: web alerts, and the sign-in campaign's funnel.
    assert!(batch.alerts.len() > 20, "{}", batch.alerts.len());
    assert!(batch
        .campaigns
        .iter()
        .any(|c| c.funnel.as_ref().is_some_and(|f| f.compromised > 0)));
    assert_same(&batch, &last.report, true);
    eprintln!(
        "{} bytes, {} lines, {} alerts; batch {batch_time:?}; {STEPS} runs: total {:?}, slowest {:?}; checkpoint bytes: max {} last {}",
        total,
        batch.stats.lines,
        batch.alerts.len(),
        times.iter().sum::<std::time::Duration>(),
        times.iter().max().unwrap(),
        ck_sizes.iter().max().unwrap(),
        ck_sizes.last().unwrap()
    );
}

/// The content of one stream, split at line ends into
/// `n` parts.
fn parts(rel: &str, n: usize) -> Vec<Vec<u8>> {
    let (_, c) = month().files.iter().find(|(r, _)| r == rel).unwrap();
    let mut out = Vec::new();
    let mut start = 0;
    for k in 1..=n {
        let mut end = c.len() * k / n;
        while end < c.len() && c[end - 1] != b'\n' {
            end += 1;
        }
        out.push(c[start..end].to_vec());
        start = end;
    }
    out
}

/// Split at the first line end after the middle.
fn halves(b: &[u8]) -> (&[u8], &[u8]) {
    let mut at = b.len() / 2;
    while at < b.len() && b[at - 1] != b'\n' {
        at += 1;
    }
    b.split_at(at)
}

fn gzip(from: &Path, to: &Path) {
    let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    z.write_all(&fs::read(from).unwrap()).unwrap();
    fs::write(to, z.finish().unwrap()).unwrap();
    fs::remove_file(from).unwrap();
}

#[test]
fn rotation_and_compressed_rotation_equal_one_hunt() {
    let p = parts("ga/other_vhosts_access.log", 3);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ga");
    let log = dir.join("other_vhosts_access.log");
    let opts = options(tmp.path());
    let mut runs = Vec::new();
    let step = |prev: Option<&Incremental>| run(tmp.path(), &opts, prev.map(|r| &r.checkpoint[..]));
    // Part 1 grows over two runs, then its tail is written but not read
    // before the rotation renames the file to access.log.1.
    let (a, rest) = halves(&p[0]);
    let (b, tail) = halves(rest);
    append(&log, a);
    runs.push(step(None));
    append(&log, b);
    runs.push(step(runs.last()));
    append(&log, tail);
    fs::rename(&log, dir.join("other_vhosts_access.log.1")).unwrap();
    let (a, rest) = halves(&p[1]);
    append(&log, a);
    let r = step(runs.last());
    assert_eq!(r.read.rotated.len(), 1, "{:?}", r.read.rotated);
    assert!(
        r.read.rotated[0].contains("other_vhosts_access.log.1: was "),
        "{:?}",
        r.read.rotated
    );
    assert_eq!(r.read.bytes_read as usize, tail.len() + a.len());
    runs.push(r);
    append(&log, rest);
    runs.push(step(runs.last()));
    // Second rotation: .1 compressed to .2.gz (already read to its end),
    // access.log renamed to .1 with an unread tail, a new access.log.
    gzip(
        &dir.join("other_vhosts_access.log.1"),
        &dir.join("other_vhosts_access.log.2.gz"),
    );
    fs::rename(&log, dir.join("other_vhosts_access.log.1")).unwrap();
    let (a, b) = halves(&p[2]);
    append(&log, a);
    let r = step(runs.last());
    assert_eq!(r.read.bytes_read as usize, a.len());
    assert_eq!(r.read.bytes_skipped as usize, p[0].len() + p[1].len());
    assert!(
        r.read
            .rotated
            .iter()
            .any(|n| n.contains("a compressed rotation of")),
        "{:?}",
        r.read.rotated
    );
    runs.push(r);
    append(&log, b);
    let r = step(runs.last());
    // The compressed rotation is now known and not opened again.
    assert_eq!(r.read.files_already_read, 1);
    assert_eq!(r.read.bytes_read as usize, b.len());
    runs.push(r);
    let nothing = step(runs.last());
    assert_eq!((nothing.read.bytes_read, nothing.read.files_read), (0, 0));
    let batch = hunt(&inputs(tmp.path()), &opts, &|_| {});
    assert!(batch.alerts.len() > 3, "{}", batch.alerts.len());
    // Evidence names the file as it was called when read.
    assert_same(&batch, &nothing.report, false);
}

#[test]
fn copytruncate_is_detected_and_read_again() {
    let p = parts("ga/other_vhosts_access.log", 2);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ga");
    let log = dir.join("other_vhosts_access.log");
    let opts = options(tmp.path());
    let (a, tail) = halves(&p[0]);
    append(&log, a);
    let first = run(tmp.path(), &opts, None);
    // copytruncate: the content (with an unread tail) copied to .1, the
    // file itself emptied and written again.
    append(&log, tail);
    fs::copy(&log, dir.join("other_vhosts_access.log.1")).unwrap();
    OpenOptions::new()
        .write(true)
        .open(&log)
        .unwrap()
        .set_len(0)
        .unwrap();
    let (b, rest) = halves(&p[1]);
    append(&log, b);
    let second = run(tmp.path(), &opts, Some(&first.checkpoint));
    assert_eq!(second.read.truncated.len(), 1, "{:?}", second.read);
    assert!(second.read.truncated[0].contains("ga/other_vhosts_access.log: truncated"));
    assert!(second.read.rotated[0].contains("other_vhosts_access.log.1: a copy of"));
    assert_eq!(second.read.bytes_read as usize, tail.len() + b.len());
    append(&log, rest);
    let third = run(tmp.path(), &opts, Some(&second.checkpoint));
    let batch = hunt(&inputs(tmp.path()), &opts, &|_| {});
    assert!(batch.alerts.len() > 3, "{}", batch.alerts.len());
    assert_same(&batch, &third.report, false);
}

const LINE: &str =
    r#"203.0.113.9 - - [01/Sep/2026:10:00:00 +0000] "GET /.env HTTP/1.1" 404 10 "-" "curl/8""#;

#[test]
fn a_partial_last_line_is_read_when_complete() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("access.log");
    let opts = HuntOptions::default();
    append(&log, format!("{LINE}\n").as_bytes());
    append(&log, &LINE.as_bytes()[..40]);
    let r1 = run(tmp.path(), &opts, None);
    assert_eq!(
        (r1.report.stats.lines, r1.read.bytes_read),
        (1, LINE.len() as u64 + 1)
    );
    let r2 = run(tmp.path(), &opts, Some(&r1.checkpoint));
    assert_eq!((r2.report.stats.lines, r2.read.files_unchanged), (0, 1));
    append(&log, &LINE.as_bytes()[40..]);
    append(&log, b"\n");
    let r3 = run(tmp.path(), &opts, Some(&r2.checkpoint));
    assert_eq!((r3.report.stats.lines, r3.report.stats.parsed), (1, 1));
    assert_eq!(r3.read.bytes_read, LINE.len() as u64 + 1);
}

#[test]
fn other_config_other_version_and_corrupt_checkpoints_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    append(
        &tmp.path().join("access.log"),
        format!("{LINE}\n").as_bytes(),
    );
    let opts = HuntOptions::default();
    let ck = run(tmp.path(), &opts, None).checkpoint;
    let resume = |blob: &[u8], o: &HuntOptions| {
        hunt_incremental(&inputs(tmp.path()), o, Some(blob), &|_| {})
    };
    let mut other = HuntOptions::default();
    other.config.web.scan.fast_min_paths += 1;
    let e = resume(&ck, &other).unwrap_err();
    assert!(matches!(e, ResumeError::Config { .. }), "{e}");
    assert!(e.to_string().contains("another configuration"), "{e}");
    let mut v = ck.clone();
    v[4] = v[4].wrapping_add(1);
    let e = resume(&v, &opts).unwrap_err();
    // Version 2 (lanes per stream) is written; 1 is read; others refused.
    assert_eq!(CHECKPOINT_VERSION, 2);
    assert!(
        matches!(
            e,
            ResumeError::Version {
                found: 3,
                expected: 2
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("reads versions 1 to 2"), "{e}");
    v[4] = 0;
    let e = resume(&v, &opts).unwrap_err();
    assert!(matches!(e, ResumeError::Version { found: 0, .. }), "{e}");
    let mut c = ck.clone();
    let mid = 16 + (c.len() - 16) / 2;
    c[mid] ^= 0x55;
    let e = resume(&c, &opts).unwrap_err();
    assert!(matches!(e, ResumeError::Corrupt(_)), "{e}");
    let e = resume(&ck[..ck.len() - 5], &opts).unwrap_err();
    assert!(matches!(e, ResumeError::Corrupt(_)), "{e}");
    for junk in [&b"HBC"[..], b"not a checkpoint at all"] {
        let e = resume(junk, &opts).unwrap_err();
        assert!(matches!(e, ResumeError::NotACheckpoint(_)), "{e}");
    }
    // The intact one still resumes.
    assert!(resume(&ck, &opts).is_ok());
}

/// An sshd log: a prober, a password sprayer across many accounts and a
/// brute forcer that gets in, interleaved with ordinary sign-ins, over
/// six hours (the SSH probe and account detectors, not in the month).
fn sshd_log() -> String {
    let mut out = String::new();
    for i in 0..6 * 360u32 {
        let (h, m, s) = (8 + i / 360, (i / 6) % 60, (i % 6) * 10);
        let ts = format!("Sep  3 {h:02}:{m:02}:{s:02} bastion sshd[{}]:", 1000 + i);
        match i % 6 {
            0 => out.push_str(&format!(
                "{ts} Connection closed by 198.51.100.{} port {} [preauth]\n",
                7 + (i / 6) % 3,
                40000 + i
            )),
            1 | 2 => out.push_str(&format!(
                "{ts} Failed password for invalid user user{} from 203.0.113.{} port {} ssh2\n",
                i % 400,
                20 + (i / 50) % 4,
                50000 + i
            )),
            3 if i < 1500 => out.push_str(&format!(
                "{ts} Failed password for admin from 192.0.2.66 port {} ssh2\n",
                30000 + i
            )),
            3 if i == 1503 => out.push_str(&format!(
                "{ts} Accepted password for admin from 192.0.2.66 port {} ssh2\n",
                30000 + i
            )),
            4 => out.push_str(&format!(
                "{ts} Accepted publickey for deploy from 10.0.0.{} port {} ssh2\n",
                i % 5,
                20000 + i
            )),
            _ => {}
        }
    }
    out
}

#[test]
fn sign_in_detectors_across_runs_equal_one_hunt() {
    let log = sshd_log();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("auth.log");
    let opts = HuntOptions::default();
    let mut prev: Option<Vec<u8>> = None;
    let mut done = 0;
    for k in 1..=9 {
        let to = if k == 9 {
            log.len()
        } else {
            log.len() * k / 9 + k * 31
        };
        append(&path, &log.as_bytes()[done..to]);
        done = to;
        prev = Some(run(tmp.path(), &opts, prev.as_deref()).checkpoint);
    }
    let last = run(tmp.path(), &opts, prev.as_deref());
    assert_eq!(last.read.bytes_read, 0);
    let batch = hunt(&inputs(tmp.path()), &opts, &|_| {});
    let batch_alerts = batch.alerts.to_vec();
    let detectors: std::collections::BTreeSet<&str> =
        batch_alerts.iter().map(|a| a.detector.as_str()).collect();
    assert!(detectors.contains("auth.ssh_probe"), "{detectors:?}");
    assert!(detectors.len() >= 3, "{detectors:?}");
    assert_same(&batch, &last.report, true);
}
