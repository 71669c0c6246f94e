//! Lane layouts of the checkpoint: fresh streams in the configured lanes, a
//! stream kept in the layout it was saved in, a version-1 checkpoint (one
//! lane) restored, an impossible layout refused.

use super::checkpoint::{self, Checkpoint, ResumeError};
use super::{hunt_incremental, Incremental};
use crate::{hunt, HuntOptions, HuntReport};
use haboob_ingest::Input;
use std::path::{Path, PathBuf};

/// A synthetic web log (`tests/fixtures/checkpoint_v1/access.log`, made for
/// this test): ordinary visitors, a scanner (`web.scan`) and a distributed
/// sweep (`web.sweep`, whose members each also make a `web.probe`), both
/// across the middle of the file.
const LOG: &str = "tests/fixtures/checkpoint_v1/access.log";
/// A version-1 checkpoint written by an incremental hunt (default options)
/// over the first 105 lines of [`LOG`], at the same path, before lanes came
/// to incremental hunting.
const V1: &str = "tests/fixtures/checkpoint_v1/first_half.hbck";
const V1_LINES: usize = 105;

fn opts(lanes: u32) -> HuntOptions {
    let mut o = HuntOptions::default();
    o.config.hunt.detection_lanes = lanes;
    o
}

fn decode(blob: &[u8], o: &HuntOptions) -> Checkpoint {
    checkpoint::decode(blob, checkpoint::config_hash(o)).unwrap()
}

/// Lanes saved per stream.
fn layout(blob: &[u8], o: &HuntOptions) -> Vec<usize> {
    decode(blob, o)
        .streams
        .values()
        .map(|s| s.lanes.len())
        .collect()
}

fn json(r: &HuntReport) -> (String, String) {
    (
        serde_json::to_string(&r.alerts).unwrap(),
        serde_json::to_string(&r.campaigns).unwrap(),
    )
}

/// The detectors of the alerts, each once, in order of first alert.
fn detectors(r: &HuntReport) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for a in r.alerts.iter() {
        if !v.contains(&a.detector) {
            v.push(a.detector.clone());
        }
    }
    v
}

/// Bytes of the first `n` lines of `text`.
fn line_end(text: &[u8], n: usize) -> usize {
    let mut seen = 0;
    for (i, b) in text.iter().enumerate() {
        if *b == b'\n' {
            seen += 1;
            if seen == n {
                return i + 1;
            }
        }
    }
    text.len()
}

fn run(path: &Path, o: &HuntOptions, prev: Option<&[u8]>) -> Incremental {
    let r = hunt_incremental(&[Input::File(path.to_path_buf())], o, prev, &|_| {}).unwrap();
    assert!(r.report.errors.is_empty(), "{:?}", r.report.errors);
    r
}

/// The fixture log in two runs, cut at line `V1_LINES`, with `first` then
/// `second` options; the file the runs read.
fn two_runs(
    dir: &Path,
    first: &HuntOptions,
    second: &HuntOptions,
) -> (Incremental, Incremental, PathBuf) {
    let full = std::fs::read(LOG).unwrap();
    let path = dir.join("access.log");
    std::fs::write(&path, &full[..line_end(&full, V1_LINES)]).unwrap();
    let a = run(&path, first, None);
    std::fs::write(&path, &full).unwrap();
    let b = run(&path, second, Some(&a.checkpoint));
    (a, b, path)
}

#[test]
fn a_new_stream_is_hunted_in_the_configured_lanes_whatever_its_size() {
    let tmp = tempfile::tempdir().unwrap();
    for (lanes, saved) in [(1, 1), (2, 3), (5, 6)] {
        let o = opts(lanes);
        // 11 KiB, far below lanes_min_mb: the layout is the configured one.
        assert_eq!(o.config.hunt.lanes_min_mb, 64);
        let (a, b, path) = two_runs(tmp.path(), &o, &o);
        assert_eq!(layout(&a.checkpoint, &o), [saved]);
        assert_eq!(layout(&b.checkpoint, &o), [saved]);
        assert!(b.report.notices.is_empty(), "{:?}", b.report.notices);
        let batch = hunt(&[Input::File(path)], &opts(1), &|_| {});
        assert_eq!(detectors(&batch), ["web.probe", "web.sweep", "web.scan"]);
        assert_eq!(json(&b.report), json(&batch), "{lanes} lanes");
    }
}

#[test]
fn a_stream_keeps_the_lanes_it_was_saved_in() {
    let tmp = tempfile::tempdir().unwrap();
    for (first, second) in [(2, 4), (3, 1), (1, 2)] {
        let (_, b, path) = two_runs(tmp.path(), &opts(first), &opts(second));
        let saved = if first < 2 { 1 } else { first as usize + 1 };
        assert_eq!(layout(&b.checkpoint, &opts(second)), [saved]);
        assert_eq!(b.report.notices.len(), 1, "{:?}", b.report.notices);
        let n = &b.report.notices[0];
        assert!(n.contains("access.log: detected in "), "{n}");
        assert!(
            n.contains(&format!("[hunt] detection_lanes is {second}")),
            "{n}"
        );
        assert!(
            n.contains(if first < 2 {
                "one detection lane"
            } else {
                "source lanes and the shared lane"
            }),
            "{n}"
        );
        let batch = hunt(&[Input::File(path)], &opts(1), &|_| {});
        assert_eq!(json(&b.report), json(&batch), "{first} then {second}");
    }
}

/// The committed version-1 checkpoint resumes in one lane (configured: 2)
/// and the report is the batch hunt's over the whole file: the sweep and
/// the scan, whose windows span the two runs, carried over.
#[test]
fn a_version_1_checkpoint_resumes_in_one_lane() {
    let mut blob = std::fs::read(V1).unwrap();
    assert_eq!(
        &blob[..8],
        b"HBCK\x01\x00\x00\x00",
        "a version-1 checkpoint"
    );
    // Written under the default configuration of its day, which had no
    // `web.probe` (its state is not in the checkpoint: switched off here,
    // else the first half's probes would be missing from the resumed
    // report); the hash is set to today's, so that a setting added since
    // does not make it stale.
    let mut o = opts(2);
    o.config.web.sensitive.alert_on_single_probe = false;
    o.config.web.admin_enum.alert_on_single_probe = false;
    o.config.web.script_probe.enabled = false;
    blob[8..16].copy_from_slice(&checkpoint::config_hash(&o).to_le_bytes());
    let old = decode(&blob, &o);
    assert_eq!(old.runs, 1);
    assert_eq!(old.streams.len(), 1);
    let s = &old.streams[LOG];
    assert_eq!(s.lanes.len(), 1, "one lane");
    assert!(!s.lanes[0].is_empty());
    let full = std::fs::read(LOG).unwrap();
    let half = line_end(&full, V1_LINES) as u64;
    assert_eq!(s.files[0].offset, half);
    let r = run(Path::new(LOG), &o, Some(&blob));
    assert_eq!(r.read.bytes_read, full.len() as u64 - half);
    assert_eq!(r.report.stats.lines as usize, 210 - V1_LINES);
    assert_eq!(
        r.report.notices.iter().filter(|n| n.contains("detected in one detection lane as its saved state was ([hunt] detection_lanes is 2)")).count(),
        1,
        "{:?}",
        r.report.notices
    );
    let batch = hunt(&[Input::File(LOG.into())], &o, &|_| {});
    assert_eq!(detectors(&batch), ["web.sweep", "web.scan"]);
    assert_eq!(json(&r.report), json(&batch));
    // Written again as the current version, still one lane.
    assert_eq!(
        r.checkpoint[4..8],
        checkpoint::CHECKPOINT_VERSION.to_le_bytes()
    );
    assert_eq!(layout(&r.checkpoint, &o), [1]);
    let again = run(Path::new(LOG), &o, Some(&r.checkpoint));
    assert_eq!(again.read.bytes_read, 0);
    assert_eq!(json(&again.report), json(&batch));
    // Without the state carried over, the second half alone is not that
    // report: the test would catch a dropped state.
    let fresh = run(Path::new(LOG), &o, None);
    assert_eq!(json(&fresh.report), json(&batch));
    let mut dropped = decode(&blob, &o);
    dropped.streams.get_mut(LOG).unwrap().lanes.clear();
    let dropped = checkpoint::encode(&dropped, checkpoint::config_hash(&o)).unwrap();
    let lost = run(Path::new(LOG), &o, Some(&dropped));
    assert_ne!(json(&lost.report), json(&batch));
}

#[test]
fn a_layout_no_hunt_writes_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let o = opts(2);
    let (_, b, path) = two_runs(tmp.path(), &o, &o);
    let config = checkpoint::config_hash(&o);
    for keep in [2usize, crate::lanes::MAX_LANES + 2] {
        let mut ck = decode(&b.checkpoint, &o);
        for s in ck.streams.values_mut() {
            let lane = s.lanes[0].clone();
            s.lanes.resize(keep, lane);
        }
        let blob = checkpoint::encode(&ck, config).unwrap();
        let e =
            hunt_incremental(&[Input::File(path.clone())], &o, Some(&blob), &|_| {}).unwrap_err();
        assert!(
            matches!(&e, ResumeError::Lanes { lanes, .. } if *lanes == keep),
            "{e}"
        );
        assert!(
            e.to_string()
                .contains("detection lanes, which no hunt writes"),
            "{e}"
        );
    }
}
