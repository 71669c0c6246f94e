//! Retro-hunting at the library level: files recorded by incremental hunts
//! are found again after a rotation that compressed them (by their first
//! content bytes) and read from their start; a deleted one is named; the
//! alerts equal a batch hunt's `intel.match` alerts over the same content
//! and indicators; handing them to the checkpoint leaves the read positions
//! as they were (the next incremental run reads only what is new).

use haboob_hunt::incremental::hunt_incremental;
use haboob_hunt::retro::{recorded_files, retro_hunt, with_alerts};
use haboob_hunt::{hunt, HuntOptions};
use haboob_ingest::Input;
use haboob_intel::sources::{list, ImportOptions};
use haboob_intel::{BuildOptions, IntelIndex};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

const ATTACKER: &str = "203.0.113.9";

fn lines(from_min: u32, n: u32) -> String {
    let mut s = String::new();
    for i in 0..n {
        let m = from_min + i;
        s.push_str(&format!(
            "{ATTACKER} - - [01/Sep/2026:{:02}:{:02}:00 +0000] \"GET /p{i} HTTP/1.1\" 404 10 \"-\" \"curl/8.4.0\"\n",
            9 + m / 60,
            m % 60
        ));
        s.push_str(&format!(
            "192.0.2.10 - - [01/Sep/2026:{:02}:{:02}:30 +0000] \"GET / HTTP/1.1\" 200 10 \"-\" \"Mozilla/5.0\"\n",
            9 + m / 60,
            m % 60
        ));
    }
    s
}

fn intel() -> Arc<IntelIndex> {
    let text = format!("{ATTACKER}\tseized VPS\n198.51.100.77\tdecoy\n");
    let i = list::read_list(
        text.as_bytes(),
        "ips.txt",
        "list:ips.txt",
        &ImportOptions::default(),
    )
    .unwrap();
    Arc::new(IntelIndex::build(i.indicators, &BuildOptions::default()).0)
}

fn gzip(p: &Path, to: &Path) {
    let raw = std::fs::read(p).unwrap();
    let mut z = flate2::write::GzEncoder::new(
        std::fs::File::create(to).unwrap(),
        flate2::Compression::fast(),
    );
    z.write_all(&raw).unwrap();
    z.finish().unwrap();
    std::fs::remove_file(p).unwrap();
}

#[test]
fn rotated_files_are_found_and_positions_do_not_move() {
    let dir = tempfile::tempdir().unwrap();
    let access = dir.path().join("access.log");
    let other = dir.path().join("other.log");
    let old = lines(0, 5);
    std::fs::write(&access, &old).unwrap();
    std::fs::write(&other, lines(30, 2)).unwrap();
    let opts = HuntOptions::default();
    let inputs = [Input::File(access.clone()), Input::File(other.clone())];
    let first = hunt_incremental(&inputs, &opts, None, &|_| {}).unwrap();
    assert!(first
        .report
        .alerts
        .iter()
        .all(|a| a.detector != "intel.match"));
    let rec = recorded_files(&first.checkpoint, &opts).unwrap();
    assert_eq!(rec.len(), 2, "{rec:?}");

    // What a batch hunt with the indicators gives for access.log.
    let with_intel = HuntOptions {
        intel: Some(intel()),
        ..HuntOptions::default()
    };
    let batch = hunt(&[Input::File(access.clone())], &with_intel, &|_| {});
    let want: Vec<_> = batch
        .alerts
        .into_vec()
        .into_iter()
        .filter(|a| a.detector == "intel.match")
        .collect();
    assert_eq!(want.len(), 1);

    // Rotation since: access.log compressed to access.log.1.gz, a new
    // access.log; other.log deleted.
    gzip(&access, &dir.path().join("access.log.1.gz"));
    std::fs::write(&access, lines(200, 1)).unwrap();
    std::fs::remove_file(&other).unwrap();

    let retro = retro_hunt(&first.checkpoint, &with_intel, &|_| {}).unwrap();
    assert_eq!(retro.read.files, 1);
    assert_eq!(retro.read.bytes, old.len() as u64);
    assert_eq!(retro.read.stats.lines, 10);
    assert_eq!(retro.read.moved.len(), 1, "{:?}", retro.read.moved);
    assert!(retro.read.moved[0].contains("access.log.1.gz"));
    assert_eq!(retro.read.missing.len(), 1, "{:?}", retro.read.missing);
    assert!(retro.read.missing[0].contains("other.log"));
    let got: Vec<_> = retro.alerts.values().flatten().cloned().collect();
    // Same alert as the batch hunt: id, count, evidence (named as read).
    assert_eq!(got, want);
    assert_eq!(got[0].evidence[0].line, 1);
    assert_eq!(got[0].count, 5);

    // Into the checkpoint; the report over everything holds it.
    let (ck, added) = with_alerts(&first.checkpoint, &opts, retro.alerts.clone()).unwrap();
    assert_eq!(added, 1);
    // Added twice: the second time nothing.
    assert_eq!(with_alerts(&ck, &opts, retro.alerts.clone()).unwrap().1, 0);
    let assembled = hunt_incremental(&[], &opts, Some(&ck), &|_| {}).unwrap();
    assert!(assembled.report.alerts.iter().any(|a| a.id == got[0].id));
    assert!(assembled.retracted.is_empty());
    assert!(assembled
        .report
        .campaigns
        .iter()
        .any(|c| c.alerts.contains(&got[0].id)));
    // Positions unchanged: the next run over the rotated stream reads only
    // the new access.log (the compressed rotation is the file read before).
    let files = [
        Input::File(dir.path().join("access.log.1.gz")),
        Input::File(access.clone()),
    ];
    let next = hunt_incremental(&files, &opts, Some(&assembled.checkpoint), &|_| {}).unwrap();
    assert_eq!(next.read.bytes_read, lines(200, 1).len() as u64);
    assert!(next.report.alerts.iter().any(|a| a.id == got[0].id));
    // The same as without the retro-hunt, but for the retro alert.
    let plain = hunt_incremental(&files, &opts, Some(&first.checkpoint), &|_| {}).unwrap();
    assert_eq!(plain.read, next.read);
    let mut a: Vec<_> = next
        .report
        .alerts
        .iter()
        .filter(|a| a.id != got[0].id)
        .collect();
    let mut b: Vec<_> = plain.report.alerts.iter().collect();
    a.sort_by(|x, y| x.id.cmp(&y.id));
    b.sort_by(|x, y| x.id.cmp(&y.id));
    assert_eq!(a, b);
}
