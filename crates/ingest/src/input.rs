//! Inputs: files and stdin, found from CLI arguments.

use crate::IngestError;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// One input: a file path, or stdin (`-`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Input {
    /// Standard input.
    Stdin,
    /// A file on disk.
    File(PathBuf),
}

impl Input {
    /// The name used in origins and messages: the path, or `-` for stdin.
    pub fn display(&self) -> String {
        match self {
            Input::Stdin => "-".to_owned(),
            Input::File(p) => p.display().to_string(),
        }
    }

    /// On-disk size in bytes (`None` for stdin or when unknown).
    #[allow(clippy::len_without_is_empty)] // a size, not a container length
    pub fn len(&self) -> Option<u64> {
        match self {
            Input::Stdin => None,
            Input::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
        }
    }
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with('.')
}

/// Folders below a walked folder that hold threat intelligence, not logs
/// (the simulator writes its ISAC intel there; hunt it with `--intel`).
const INTEL_DIR: &str = "intel";

/// Files under `dir`, recursively, sorted by path, hidden entries skipped;
/// files in an `intel` folder below `dir` go to `skipped`.
fn walk(dir: &Path, out: &mut Vec<Input>, skipped: &mut Vec<PathBuf>) {
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_file() => {
                let intel = e
                    .path()
                    .strip_prefix(dir)
                    .ok()
                    .and_then(Path::parent)
                    .is_some_and(|p| p.components().any(|c| c.as_os_str() == INTEL_DIR));
                if intel {
                    skipped.push(e.into_path());
                } else {
                    out.push(Input::File(e.into_path()));
                }
            }
            Ok(_) => {}
            Err(err) => {
                tracing::warn!(dir = %dir.display(), error = %err, "Skipped an unreadable entry.")
            }
        }
    }
}

/// File extensions that are never logs: such files found in a folder are
/// skipped without being opened (named on the command line, they are read).
const NOT_LOG_EXTENSIONS: &[&str] = &[
    "toml", "yaml", "yml", "md", "markdown", "rst", "ini", "cfg", "conf", "html", "htm", "css",
    "js", "py", "rs", "sh", "pdf", "png", "jpg", "jpeg", "gif", "svg", "ico", "pid", "lock",
    "sock", "mmdb",
];

fn is_not_log_name(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| NOT_LOG_EXTENSIONS.iter().any(|n| e.eq_ignore_ascii_case(n)))
}

/// What [`discover_all`] found.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Inputs in argument order, each once.
    pub inputs: Vec<Input>,
    /// Inputs found by walking a folder or expanding a glob (not named one by
    /// one): one that turns out to be no log is skipped, not an error.
    pub found: BTreeSet<PathBuf>,
    /// Files in walked folders skipped by name (configuration, documents).
    pub skipped: Vec<PathBuf>,
    /// Arguments that matched nothing (the others are still inputs).
    pub errors: Vec<IngestError>,
}

/// Expand CLI arguments: files, folders (recursive, sorted, hidden files
/// skipped), glob patterns (`*`, `?`, `[..]`, `**`) and `-` for stdin.
/// Inputs keep argument order; a file named twice is read once.
///
/// # Errors
/// [`IngestError::NoMatch`] for the first argument that matches no file;
/// [`discover_all`] goes on past it.
pub fn discover(args: &[String]) -> Result<Vec<Input>, IngestError> {
    let mut d = discover_all(args);
    match d.errors.is_empty() {
        true => Ok(d.inputs),
        false => Err(d.errors.remove(0)),
    }
}

/// [`discover`] that goes on past arguments matching nothing (reported in
/// [`Discovery::errors`]) and skips files in folders whose name says they
/// are no log (`*.toml`, `*.yaml`, `*.md`, …).
pub fn discover_all(args: &[String]) -> Discovery {
    let mut d = Discovery::default();
    let mut seen = BTreeSet::new();
    for arg in args {
        let mut found = Vec::new();
        let path = Path::new(arg);
        if arg == "-" {
            found.push(Input::Stdin);
        } else if path.is_dir() {
            walk(path, &mut found, &mut d.skipped);
        } else if path.is_file() {
            found.push(Input::File(path.to_path_buf()));
        } else if arg.contains(['*', '?', '[']) {
            let opts = glob::MatchOptions {
                case_sensitive: true,
                require_literal_separator: true,
                require_literal_leading_dot: true,
            };
            let mut matched: Vec<PathBuf> = match glob::glob_with(arg, opts) {
                Ok(paths) => paths.filter_map(Result::ok).collect(),
                Err(_) => Vec::new(),
            };
            matched.sort();
            for p in matched {
                if p.is_dir() {
                    walk(&p, &mut found, &mut d.skipped);
                } else if p.is_file() {
                    found.push(Input::File(p));
                }
            }
        }
        if found.is_empty() {
            d.errors.push(IngestError::NoMatch {
                pattern: arg.clone(),
            });
            continue;
        }
        let named = found.len() == 1 && Path::new(arg).is_file();
        for i in found {
            if let (Input::File(p), false) = (&i, named) {
                if is_not_log_name(p) {
                    d.skipped.push(p.clone());
                    continue;
                }
                d.found.insert(p.clone());
            }
            if seen.insert(i.clone()) {
                d.inputs.push(i);
            }
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn names(inputs: &[Input], root: &Path) -> Vec<String> {
        inputs
            .iter()
            .map(|i| match i {
                Input::Stdin => "-".to_owned(),
                Input::File(p) => p.strip_prefix(root).unwrap().display().to_string(),
            })
            .collect()
    }

    #[test]
    fn intel_folders_below_a_walked_folder_are_skipped_and_listed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("intel");
        for f in [
            "access.log",
            "intel/isac.stix.json",
            "site/intel/list.txt",
            "intelx/a.log",
        ] {
            let p = root.join(f);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(&p, "x\n").unwrap();
        }
        // The walked folder may itself be called intel: only folders below it count.
        let d = discover_all(&[root.display().to_string()]);
        assert_eq!(names(&d.inputs, &root), ["access.log", "intelx/a.log"]);
        let mut skipped: Vec<String> = d
            .skipped
            .iter()
            .map(|p| p.strip_prefix(&root).unwrap().display().to_string())
            .collect();
        skipped.sort();
        assert_eq!(skipped, ["intel/isac.stix.json", "site/intel/list.txt"]);
        // Named on the command line, an intel file is read like any file.
        let named = root.join("intel/isac.stix.json").display().to_string();
        assert_eq!(discover(&[named]).unwrap().len(), 1);
    }

    #[test]
    fn folders_globs_and_misses() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in [
            "b/2.log",
            "b/1.log",
            "a.log",
            "a.txt",
            ".hidden.log",
            "b/.x/3.log",
            "b/c/4.log.gz",
        ] {
            let p = root.join(f);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(&p, "x\n").unwrap();
        }
        let r = root.display().to_string();
        let got = discover(std::slice::from_ref(&r)).unwrap();
        assert_eq!(
            names(&got, root),
            ["a.log", "a.txt", "b/1.log", "b/2.log", "b/c/4.log.gz"]
        );
        // Skipped by name in folders, read when named; misses do not stop
        // the other arguments.
        for f in ["targets.toml", "notes.md", "b/x.YAML"] {
            fs::write(root.join(f), "x\n").unwrap();
        }
        let d = discover_all(&[r.clone(), format!("{r}/nope"), format!("{r}/notes.md")]);
        assert_eq!(
            names(&d.inputs, root),
            [
                "a.log",
                "a.txt",
                "b/1.log",
                "b/2.log",
                "b/c/4.log.gz",
                "notes.md"
            ]
        );
        let skipped: Vec<String> = d
            .skipped
            .iter()
            .map(|p| p.strip_prefix(root).unwrap().display().to_string())
            .collect();
        assert_eq!(skipped, ["b/x.YAML", "notes.md", "targets.toml"]);
        assert_eq!(d.found.len(), 5);
        assert!(!d.found.contains(&root.join("notes.md")));
        assert_eq!(d.errors.len(), 1);
        assert_eq!(
            d.errors[0].to_string(),
            format!("no input matches {r}/nope")
        );
        for f in ["targets.toml", "notes.md", "b/x.YAML"] {
            fs::remove_file(root.join(f)).unwrap();
        }
        let got = discover(&[format!("{r}/*.log"), "-".into(), format!("{r}/**/*.log*")]).unwrap();
        assert_eq!(
            names(&got, root),
            ["a.log", "-", "b/1.log", "b/2.log", "b/c/4.log.gz"]
        );
        let got = discover(&[format!("{r}/b/[12].log"), format!("{r}/a.?xt")]).unwrap();
        assert_eq!(names(&got, root), ["b/1.log", "b/2.log", "a.txt"]);
        let missing = format!("{r}/nope.log");
        let err = discover(std::slice::from_ref(&missing)).unwrap_err();
        assert_eq!(err.to_string(), format!("no input matches {missing}"));
        assert!(matches!(
            discover(&[format!("{r}/*.csv")]),
            Err(IngestError::NoMatch { .. })
        ));
        assert_eq!(Input::File(root.join("a.log")).len(), Some(2));
        assert_eq!(
            (Input::Stdin.display(), Input::Stdin.len()),
            ("-".to_owned(), None)
        );
    }
}
