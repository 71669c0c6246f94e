//! Issue 11 item 2: results do not depend on record order. The simulated
//! web month (`election-recon`) and sign-in month (`account-campaign`) are
//! hunted through the binary in time order, then with every log reversed
//! (newest first, as Entra ID, Graph and Okta export), shuffled within each
//! file, and shuffled across rotation pairs (`x.log.1` + `x.log`). The JSONL
//! must be the same apart from evidence file/line, the order of equal-time
//! records (sample paths and evidence are compared as sets) and the on-disk
//! byte count. Records displaced by up to 10 s (within the tolerance, not
//! sorted) give the same alerts and campaigns too, apart from which paths
//! and lines are sampled. Exact equality of the alert set is what rules out the false
//! `auth.mfa_fatigue` alerts a newest-first Entra month used to raise.

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn haboob(args: &[&str], stdin: Option<&Path>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_haboob"));
    c.env("NO_COLOR", "1")
        .env_remove("HABOOB_LOG")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match stdin {
        Some(p) => c.stdin(std::fs::File::open(p).unwrap()),
        None => c.stdin(Stdio::null()),
    };
    c.output().expect("run haboob")
}

/// A small deterministic generator (splitmix64) for the shuffles.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}

/// Header lines (IIS `#` directives) and records of a log file.
fn split(path: &Path) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let data = std::fs::read(path).unwrap();
    let mut heads = Vec::new();
    let mut recs = Vec::new();
    for l in data.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        if l.starts_with(b"#") {
            heads.push(l.to_vec());
        } else {
            recs.push(l.to_vec());
        }
    }
    (heads, recs)
}

fn write(path: &Path, heads: &[Vec<u8>], recs: &[Vec<u8>]) {
    let mut out = Vec::new();
    for l in heads.iter().chain(recs) {
        out.extend_from_slice(l);
        out.push(b'\n');
    }
    std::fs::write(path, out).unwrap();
}

fn logs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = walk(dir)
        .into_iter()
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            // The simulator's ISAC intel is no log.
            let intel = p.components().any(|c| c.as_os_str() == "intel");
            !n.ends_with(".toml") && n != "labels.jsonl" && !intel
        })
        .collect();
    v.sort();
    v
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    for p in walk(from) {
        let dest = to.join(p.strip_prefix(from).unwrap());
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&p, dest).unwrap();
    }
}

#[derive(Clone, Copy, Debug)]
enum Disorder {
    Reverse,
    ShuffleWithin,
    ShuffleAcrossRotation,
    /// Each record displaced by up to 300 s, the default tolerance (servers
    /// log a request when it ends; collectors interleave senders): put back
    /// in order by the reorder buffer, no sort, no notice. (Before the
    /// buffer, 60 s split one `web.scan` episode of the pen-tester in two.)
    Jitter,
}

/// Record times (ms) of a log, by record index (after the header lines),
/// read with haboob's own parsers.
fn record_times(path: &Path, heads: usize, n: usize) -> Vec<i64> {
    let mut ts = vec![0i64; n];
    haboob_ingest::read_input(
        &haboob_ingest::Input::File(path.to_path_buf()),
        &haboob_ingest::ReadOptions::default(),
        &|_| {},
        &mut |ev, o| {
            let i = o.line as usize - heads - 1;
            ts[i] = ev.ts().0;
        },
    )
    .unwrap();
    ts
}

/// The logs of `from` in `to`, disordered; the config adds a 1 MiB sort
/// buffer so the sort spills runs to disk and merges them.
fn disordered(from: &Path, to: &Path, how: Disorder, seed: u64) {
    copy_dir(from, to);
    let cfg = to.join("haboob.toml");
    let mut text = std::fs::read_to_string(&cfg).unwrap_or_default();
    text.push_str("\n[ingest]\nsort_buffer_mb = 1\n");
    std::fs::write(&cfg, text).unwrap();
    let mut rng = Rng(seed);
    let files = logs(to);
    let mut done = BTreeSet::new();
    for f in &files {
        if !done.insert(f.clone()) {
            continue;
        }
        let (heads, mut recs) = split(f);
        match how {
            Disorder::Reverse => recs.reverse(),
            Disorder::ShuffleWithin => rng.shuffle(&mut recs),
            Disorder::Jitter => {
                let ts = record_times(f, heads.len(), recs.len());
                let mut keyed: Vec<(i64, usize, Vec<u8>)> = recs
                    .into_iter()
                    .enumerate()
                    .map(|(i, r)| (ts[i] + rng.below(300_001) as i64, i, r))
                    .collect();
                keyed.sort();
                recs = keyed.into_iter().map(|(_, _, r)| r).collect();
            }
            Disorder::ShuffleAcrossRotation => {
                // Pair `x` with `x.1` when both exist; a lone file is split
                // into `x.1` and `x` first.
                let name = f.file_name().unwrap().to_string_lossy().into_owned();
                let base = match name.strip_suffix(".1") {
                    Some(b) => f.with_file_name(b),
                    None => f.clone(),
                };
                let older = base
                    .with_file_name(format!("{}.1", base.file_name().unwrap().to_string_lossy()));
                let (mut hb, mut rb) = (Vec::new(), Vec::new());
                for p in [&older, &base] {
                    if p.exists() && p != f {
                        let (h, r) = split(p);
                        hb = h;
                        rb = r;
                        done.insert(p.clone());
                    }
                }
                let heads = if heads.is_empty() { hb } else { heads };
                if !heads.is_empty() && !older.exists() {
                    // IIS: a second file would repeat the directives.
                    rng.shuffle(&mut recs);
                    write(f, &heads, &recs);
                    continue;
                }
                recs.extend(rb);
                rng.shuffle(&mut recs);
                let half = recs.len() / 2;
                write(&older, &heads, &recs[..half]);
                write(&base, &heads, &recs[half..]);
                continue;
            }
        }
        write(f, &heads, &recs);
    }
}

/// Hunt a folder; the JSONL records, normalised, and stderr.
fn hunt(dir: &Path) -> (Vec<String>, Vec<Value>, String) {
    let d = dir.display().to_string();
    let cfg = dir.join("haboob.toml");
    let cfg_s = cfg.display().to_string();
    let targets = dir.join("targets.toml").display().to_string();
    let mut args = vec!["hunt", "-O", "jsonl", "-t", &targets];
    if cfg.exists() {
        args.extend(["-c", &cfg_s]);
    }
    args.extend(["--exclude", "*.toml", "--exclude", "labels.jsonl", &d]);
    let out = haboob(&args, None);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{:?}: {stderr}",
        out.status
    );
    let values: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let norm = values.iter().cloned().map(normalise).collect::<Vec<_>>();
    let mut keys: Vec<String> = norm.iter().map(Value::to_string).collect();
    keys.sort();
    (keys, values, stderr)
}

/// Drop what legitimately depends on record order or file layout.
fn normalise(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        // Layout, not content: rotation pairs add files.
        o.remove("bytes");
        o.remove("files");
        if let Some(ev) = o.get_mut("evidence").and_then(Value::as_array_mut) {
            for e in ev.iter_mut() {
                if let Some(e) = e.as_object_mut() {
                    e.remove("file");
                    e.remove("line");
                }
            }
            ev.sort_by_key(Value::to_string);
        }
        if let Some(s) = o
            .get_mut("details")
            .and_then(|d| d.get_mut("sample_paths"))
            .and_then(Value::as_array_mut)
        {
            s.sort_by_key(Value::to_string);
        }
    }
    v
}

/// Normalised records without sampled paths, titles and evidence.
fn loose(keys: &[String]) -> Vec<String> {
    let mut v: Vec<String> = keys
        .iter()
        .map(|k| {
            let mut v: Value = serde_json::from_str(k).unwrap();
            if let Some(o) = v.as_object_mut() {
                o.remove("title");
                o.remove("evidence");
                if let Some(d) = o.get_mut("details").and_then(Value::as_object_mut) {
                    d.remove("sample_paths");
                    // The order paths were walked in, like the samples,
                    // follows the order equal-time neighbours were read in.
                    if let Some(f) = d.get_mut("fingerprint").and_then(Value::as_object_mut) {
                        f.remove("order_sketch");
                    }
                }
            }
            v.to_string()
        })
        .collect();
    v.sort();
    v
}

fn check_durations(values: &[Value]) {
    for v in values.iter().filter(|v| v["kind"] == "alert") {
        let (f, l) = (v["first_seen"].as_str(), v["last_seen"].as_str());
        assert!(f.is_some() && l.is_some(), "{v}");
        // RFC 3339 UTC with fixed width: text order is time order.
        assert!(l >= f, "last_seen before first_seen: {v}");
        if let Some(d) = v["details"]["duration_secs"].as_f64() {
            assert!(d >= 0.0, "{v}");
        }
    }
}

fn check_all(orig: &Path, seed: u64) -> Vec<Value> {
    let (want, values, _) = hunt(orig);
    check_durations(&values);
    for how in [
        Disorder::Reverse,
        Disorder::ShuffleWithin,
        Disorder::ShuffleAcrossRotation,
        Disorder::Jitter,
    ] {
        let tmp = tempfile::tempdir().unwrap();
        disordered(orig, tmp.path(), how, seed);
        let (got, values, stderr) = hunt(tmp.path());
        check_durations(&values);
        let sorted = !matches!(how, Disorder::Jitter);
        assert_eq!(stderr.contains("notice: "), sorted, "{how:?}: {stderr}");
        let (want, got) = if sorted {
            (want.clone(), got)
        } else {
            // Unsorted, equal-time neighbours may swap: which paths and
            // lines are sampled (titles, evidence) may differ, nothing else.
            (loose(&want), loose(&got))
        };
        if let Some(i) = want.iter().zip(&got).position(|(a, b)| a != b) {
            panic!(
                "{how:?}: results differ\n in order: {}\n disordered: {}",
                want[i], got[i]
            );
        }
        assert_eq!(want.len(), got.len(), "{how:?}");
    }
    values
}

#[test]
fn election_recon_in_any_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut o =
        haboob_simulate::SimOptions::new(haboob_simulate::Scenario::ElectionRecon, dir.path());
    o.days = 9;
    o.seed = 7;
    haboob_simulate::simulate(&o).expect("simulate");
    let values = check_all(dir.path(), 11);
    assert!(values.iter().filter(|v| v["kind"] == "alert").count() > 20);
}

#[test]
fn account_campaign_in_any_order() {
    let dir = tempfile::tempdir().unwrap();
    haboob_simulate::account::write_account_campaign(dir.path(), 30, 42).expect("simulate");
    let values = check_all(dir.path(), 5);
    let detectors: BTreeSet<&str> = values
        .iter()
        .filter_map(|v| v["detector"].as_str())
        .collect();
    assert_eq!(
        detectors,
        BTreeSet::from(["auth.enumeration", "auth.spray", "auth.takeover"])
    );
}

/// A small access log in time order: 203.0.113.9 requests a page every
/// `step` seconds.
fn sweep_log(n: usize, step: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let s = i * step;
            format!(
                "203.0.113.9 - - [10/Oct/2026:13:{:02}:{:02} +0000] \"GET /.env{i} HTTP/1.1\" 404 12 \"-\" \"curl/8.0\"",
                s / 60,
                s % 60
            )
        })
        .collect()
}

#[test]
fn newest_first_file_and_stdin_are_noticed_and_read_in_time_order() {
    let dir = tempfile::tempdir().unwrap();
    // 40 requests 10 s apart: reversed, the stream steps back 390 s, more
    // than the default tolerance (a smaller step back is read as it comes).
    let lines = sweep_log(40, 10);
    let fwd = dir.path().join("fwd.log");
    std::fs::write(&fwd, lines.join("\n") + "\n").unwrap();
    let rev = dir.path().join("rev.log");
    let mut r = lines.clone();
    r.reverse();
    std::fs::write(&rev, r.join("\n") + "\n").unwrap();
    // The site of a log without a host is named after the input (`fwd.log`,
    // `rev.log`, `stdin`): the three inputs are three sites, so the site
    // name, and the ids hashed from it, are left out of the comparison.
    let alerts = |out: &Output| -> Vec<String> {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.contains("\"kind\":\"alert\""))
            .map(|l| {
                let mut v = normalise(serde_json::from_str(l).unwrap());
                if let Some(o) = v.as_object_mut() {
                    o.remove("id");
                    o.remove("campaign");
                }
                v.to_string()
                    .replace("fwd.log", "SITE")
                    .replace("rev.log", "SITE")
                    .replace("stdin", "SITE")
            })
            .collect()
    };
    let a = haboob(&["hunt", "-O", "jsonl", &fwd.display().to_string()], None);
    let want = alerts(&a);
    assert!(!want.is_empty());
    assert!(!String::from_utf8_lossy(&a.stderr).contains("notice"));

    let b = haboob(&["hunt", "-O", "jsonl", &rev.display().to_string()], None);
    let err = String::from_utf8_lossy(&b.stderr);
    assert!(
        err.contains(&format!(
            "notice: {}: records are newest-first; read in time order",
            rev.display()
        )),
        "{err}"
    );
    assert_eq!(alerts(&b), want);

    let c = haboob(&["hunt", "-O", "jsonl", "-"], Some(&rev));
    let err = String::from_utf8_lossy(&c.stderr);
    assert!(
        err.contains("notice: -: records are newest-first; read in time order"),
        "{err}"
    );
    assert_eq!(alerts(&c), want);

    // -q keeps stderr for errors only.
    let q = haboob(
        &["-q", "hunt", "-O", "jsonl", &rev.display().to_string()],
        None,
    );
    assert!(
        q.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&q.stderr)
    );
}

#[test]
fn rotated_files_in_the_wrong_order_are_sorted_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let lines = sweep_log(40, 1);
    // access.log.1 should be the older half; here it holds the newer one.
    let older = dir.path().join("access.log");
    let newer = dir.path().join("access.log.1");
    std::fs::write(&older, lines[..20].join("\n") + "\n").unwrap();
    std::fs::write(&newer, lines[20..].join("\n") + "\n").unwrap();
    let out = haboob(
        &["hunt", "-O", "jsonl", &dir.path().display().to_string()],
        None,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    // The first line of access.log is 39 s before the last of access.log.1:
    // within the default tolerance, so no notice and one episode.
    assert!(!err.contains("notice"), "{err}");
    let cfg = dir.path().join("strict.toml");
    std::fs::write(&cfg, "[ingest]\norder_tolerance_secs = 5\n").unwrap();
    let out = haboob(
        &[
            "hunt",
            "-f",
            "jsonl",
            "-c",
            &cfg.display().to_string(),
            "--exclude",
            "*.toml",
            &dir.path().display().to_string(),
        ],
        None,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "notice: {}:1: out of time order by 39 s (tolerance 5 s); the stream was sorted by time before hunting",
            older.display()
        )),
        "{err}"
    );
    let alerts: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["kind"] == "alert")
        .collect();
    // Each detector sees one episode of all 40 requests, in time order.
    assert!(!alerts.is_empty());
    for a in &alerts {
        assert_eq!(a["count"], 40, "{a}");
        assert_eq!(a["first_seen"], "2026-10-10T13:00:00.000Z", "{a}");
        assert_eq!(a["last_seen"], "2026-10-10T13:00:39.000Z", "{a}");
    }
}
