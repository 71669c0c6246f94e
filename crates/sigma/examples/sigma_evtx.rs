//! Measures rule matching over EVTX files (single thread):
//! `cargo run --release -p haboob-sigma --example sigma_evtx -- RULES_DIR EVTX_DIR`.
//! Prints records, hits, and the time of reading alone and reading + matching.

use haboob_model::WinView;
use haboob_sigma::{load, Family, Mapping};
use std::path::{Path, PathBuf};
use std::time::Instant;

fn evtx_files(p: &Path, out: &mut Vec<PathBuf>) {
    if p.is_dir() {
        let mut v: Vec<PathBuf> = std::fs::read_dir(p)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect();
        v.sort();
        for e in v {
            evtx_files(&e, out);
        }
    } else if p
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("evtx"))
    {
        out.push(p.to_owned());
    }
}

fn main() {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [rules, logs] = args.as_slice() else {
        eprintln!("usage: sigma_evtx RULES_DIR EVTX_DIR");
        std::process::exit(2);
    };
    let t = Instant::now();
    let mut loaded = load(std::slice::from_ref(rules), &Mapping::builtin());
    if std::env::var_os("NO_PREFILTER").is_some() {
        loaded.rules.without_prefilter();
    }
    println!(
        "rules: {} loaded in {:.3} s",
        loaded.rules.len(),
        t.elapsed().as_secs_f64()
    );
    let mut files = Vec::new();
    evtx_files(logs, &mut files);
    for matching in [false, true] {
        let t = Instant::now();
        let (mut records, mut hits, mut bytes) = (0u64, 0u64, 0u64);
        let mut out = Vec::new();
        for f in &files {
            let _ = haboob_signin::read_evtx(f, &mut |_, raw, _| {
                records += 1;
                bytes += raw.len() as u64;
                if matching {
                    out.clear();
                    let t = Instant::now();
                    let v = WinView::new(raw);
                    loaded.rules.matches(Family::Windows, &v, &mut out);
                    hits += out.len() as u64;
                    let us = t.elapsed().as_micros();
                    if std::env::var_os("SLOW").is_some() && us > 2000 {
                        use haboob_model::FieldView;
                        eprintln!(
                            "{us} us eid={:?} ch={:?} len={}",
                            v.field("EventID"),
                            v.field("Channel"),
                            raw.len()
                        );
                    }
                }
            });
        }
        println!(
            "{}: {} files, {records} records, {hits} hits, {:.3} s",
            if matching { "read+match" } else { "read only " },
            files.len(),
            t.elapsed().as_secs_f64()
        );
    }
}
