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

/// Files under `dir`, recursively, sorted by path, hidden entries skipped.
fn walk(dir: &Path, out: &mut Vec<Input>) {
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_file() => out.push(Input::File(e.into_path())),
            Ok(_) => {}
            Err(err) => {
                tracing::warn!(dir = %dir.display(), error = %err, "Skipped an unreadable entry.")
            }
        }
    }
}

/// Expand CLI arguments: files, folders (recursive, sorted, hidden files
/// skipped), glob patterns (`*`, `?`, `[..]`, `**`) and `-` for stdin.
/// Inputs keep argument order; a file named twice is read once.
///
/// # Errors
/// [`IngestError::NoMatch`] when an argument matches no file.
pub fn discover(args: &[String]) -> Result<Vec<Input>, IngestError> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for arg in args {
        let mut found = Vec::new();
        let path = Path::new(arg);
        if arg == "-" {
            found.push(Input::Stdin);
        } else if path.is_dir() {
            walk(path, &mut found);
        } else if path.is_file() {
            found.push(Input::File(path.to_path_buf()));
        } else if arg.contains(['*', '?', '[']) {
            let opts = glob::MatchOptions {
                case_sensitive: true,
                require_literal_separator: true,
                require_literal_leading_dot: true,
            };
            let paths = glob::glob_with(arg, opts).map_err(|_| IngestError::NoMatch {
                pattern: arg.clone(),
            })?;
            let mut matched: Vec<PathBuf> = paths.filter_map(Result::ok).collect();
            matched.sort();
            for p in matched {
                if p.is_dir() {
                    walk(&p, &mut found);
                } else if p.is_file() {
                    found.push(Input::File(p));
                }
            }
        }
        if found.is_empty() {
            return Err(IngestError::NoMatch {
                pattern: arg.clone(),
            });
        }
        for i in found {
            if seen.insert(i.clone()) {
                out.push(i);
            }
        }
    }
    Ok(out)
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
