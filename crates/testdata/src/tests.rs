use super::*;
use std::collections::{BTreeMap, BTreeSet};

fn dirs() -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let (env, shared, cache) = (
        t.path().join("env"),
        t.path().join("shared"),
        t.path().join("cache"),
    );
    (t, env, shared, cache)
}

#[test]
fn env_var_wins_and_is_the_only_place_looked_at() {
    let (_t, env, shared, cache) = dirs();
    for d in [&env, &shared, &cache] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(cache.join(VERIFIED_STAMP), "").unwrap();
    assert_eq!(
        lookup_in(Some(env.clone().into()), &shared, Some(&cache)),
        Lookup::Found(env.clone(), Origin::Env)
    );
    // Set but not a directory: no corpus, even with the others present.
    let gone = env.join("nonexistent");
    assert_eq!(
        lookup_in(Some(gone.clone().into()), &shared, Some(&cache)),
        Lookup::Missing(format!(
            "HABOOB_CORPUS={} is not a directory",
            gone.display()
        ))
    );
    // Set but empty counts as unset.
    assert_eq!(
        lookup_in(Some(OsString::new()), &shared, Some(&cache)),
        Lookup::Found(shared.clone(), Origin::Shared)
    );
}

#[test]
fn shared_then_verified_cache_then_nothing() {
    let (_t, _env, shared, cache) = dirs();
    std::fs::create_dir_all(&shared).unwrap();
    std::fs::create_dir_all(&cache).unwrap();
    assert_eq!(
        lookup_in(None, &shared, Some(&cache)),
        Lookup::Found(shared.clone(), Origin::Shared)
    );
    std::fs::remove_dir(&shared).unwrap();
    // A cache without the stamp is an unfinished download: not a corpus.
    let missing = format!(
        "HABOOB_CORPUS unset, no ../shared/corpus, no verified download in {}",
        cache.display()
    );
    assert_eq!(
        lookup_in(None, &shared, Some(&cache)),
        Lookup::Missing(missing.clone())
    );
    std::fs::write(cache.join(VERIFIED_STAMP), "").unwrap();
    assert_eq!(
        lookup_in(None, &shared, Some(&cache)),
        Lookup::Found(cache.clone(), Origin::Cache)
    );
    assert_eq!(
        lookup_in(None, &shared, None),
        Lookup::Missing(
            "HABOOB_CORPUS unset, no ../shared/corpus, no verified download in no cache dir".into()
        )
    );
}

#[test]
fn cache_dir_prefers_absolute_xdg_then_home() {
    let p = |s: &str| Some(OsString::from(s));
    assert_eq!(
        cache_dir_from(p("/x/cache"), p("/home/u")),
        Some(PathBuf::from("/x/cache/haboob/corpus"))
    );
    assert_eq!(
        cache_dir_from(p("relative"), p("/home/u")),
        Some(PathBuf::from("/home/u/.cache/haboob/corpus"))
    );
    assert_eq!(
        cache_dir_from(None, p("/home/u")),
        Some(PathBuf::from("/home/u/.cache/haboob/corpus"))
    );
    assert_eq!(cache_dir_from(None, None), None);
}

#[test]
fn shared_dir_is_beside_the_workspace() {
    let ws = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    assert!(ws.join("Cargo.lock").is_file());
    assert_eq!(shared_dir(), ws.join("../shared/corpus"));
}

/// Every manifest row parses, names a known source, and no path repeats.
#[test]
fn manifest_is_well_formed() {
    let mut sources = BTreeMap::new();
    let mut rows = 0;
    for (n, line) in MANIFEST.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let c: Vec<&str> = line.split('\t').collect();
        match c[0] {
            "source" => {
                assert_eq!(c.len(), 5, "line {}: {line}", n + 1);
                assert_eq!(c[3].len(), 40, "line {}: commit", n + 1);
                assert!(c[2].split('/').count() == 2, "line {}: repository", n + 1);
                sources.insert(c[1], c[2]);
            }
            "file" => {
                rows += 1;
                let want = if c.get(4) == Some(&"zip") { 8 } else { 7 };
                assert_eq!(c.len(), want, "line {}: {line}", n + 1);
            }
            other => panic!("line {}: unknown record {other:?}", n + 1),
        }
    }
    let files: Vec<_> = manifest_files().collect();
    assert_eq!(files.len(), rows, "every file row parses");
    let mut paths = BTreeSet::new();
    for f in &files {
        assert!(paths.insert(f.path), "{} listed twice", f.path);
        assert_eq!(f.sha256.len(), 64, "{}", f.path);
        assert!(f
            .sha256
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert!(["raw", "zip", "derived"].contains(&f.kind), "{}", f.path);
        assert!(
            sources.contains_key(f.source),
            "{}: source {}",
            f.path,
            f.source
        );
        assert!(
            !f.path.starts_with('/') && !f.path.split('/').any(|p| p == ".." || p.is_empty()),
            "{}: not a plain relative path",
            f.path
        );
    }
    // The files the repository's real-data tests read are all downloadable.
    for used in [
        "weblogs/elastic-examples/apache_logs",
        "crowdsec/.tests/ssh-bf/ssh-bf.log",
        "evtx/DeepBlueCLI/evtx/smb-password-guessing-security.evtx",
        "signin/sentinel-training-lab/Artifacts/Telemetry/sign-in_adelete.csv",
        "signin/otrf-security-datasets/datasets/compound/GoldenSAMLADFSMailAccess/OfficeActivityEvents.json",
        "signin/azure-sentinel/Sample Data/Custom/GWorkspace_ReportsAPI_login_CL.json",
    ] {
        let f = files.iter().find(|f| f.path == used).expect(used);
        assert_ne!(f.kind, "derived", "{used}");
    }
}

#[test]
fn derived_files_are_known_by_path_and_folder() {
    assert!(is_derived(
        "attack/enterprise-attack-18.1-groups-reduced.json"
    ));
    assert!(is_derived("attack"));
    assert!(is_derived("attack/"));
    assert!(!is_derived("att"));
    assert!(!is_derived("weblogs/elastic-examples/apache_logs"));
    assert!(!is_derived("weblogs"));
}

#[test]
fn file_or_skip_finds_skips_and_names_what_is_missing() {
    let (_t, _env, shared, _cache) = dirs();
    std::fs::create_dir_all(shared.join("weblogs")).unwrap();
    std::fs::write(shared.join("weblogs/a.log"), "x\n").unwrap();
    let found = |origin| Lookup::Found(shared.clone(), origin);
    assert_eq!(
        file_or_skip(found(Origin::Shared), "t", "weblogs/a.log", false),
        Some(shared.join("weblogs/a.log"))
    );
    assert_eq!(
        file_or_skip(found(Origin::Env), "t", "weblogs", true),
        Some(shared.join("weblogs"))
    );
    // No corpus: skip, or panic under CI.
    let missing = Lookup::Missing("HABOOB_CORPUS=/x is not a directory".into());
    assert_eq!(
        file_or_skip(missing.clone(), "t", "weblogs/a.log", false),
        None
    );
    let err =
        std::panic::catch_unwind(|| file_or_skip(missing, "t", "weblogs/a.log", true)).unwrap_err();
    assert_eq!(
        err.downcast_ref::<String>().unwrap(),
        &format!(
            "t: no real-data corpus (HABOOB_CORPUS=/x is not a directory), and CI is set, so the test may not skip; {HOW_TO_GET}"
        )
    );
    // A derived file absent from the download: skip; under CI, panic.
    let derived = "attack/enterprise-attack-18.1-groups-reduced.json";
    assert_eq!(
        file_or_skip(found(Origin::Cache), "t", derived, false),
        None
    );
    assert!(
        std::panic::catch_unwind(|| file_or_skip(found(Origin::Cache), "t", derived, true))
            .is_err()
    );
    // Absent from a full copy, or a downloadable file absent from the
    // download: an incomplete copy, named.
    for (origin, rel) in [(Origin::Shared, derived), (Origin::Cache, "weblogs/b.log")] {
        let err =
            std::panic::catch_unwind(|| file_or_skip(found(origin), "t", rel, false)).unwrap_err();
        let msg = err.downcast_ref::<String>().unwrap();
        assert_eq!(
            msg,
            &format!(
                "t: the corpus at {} has no {rel}: an incomplete or stale copy (re-run scripts/corpus.sh, or check corpus/manifest.tsv)",
                shared.display()
            )
        );
    }
}
