//! Inputs → streams. A stream is what one detector instance sees in time
//! order: one file, or a rotation group (`access.log.3.gz`, `access.log.2.gz`,
//! `access.log.1`, `access.log`) read oldest first. Streams run in parallel.

use haboob_ingest::Input;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Rotation key of a file name: (stem, order). Lower order is older.
fn rotation_key(name: &str) -> (String, i64) {
    let mut s = name;
    for ext in [".gz", ".zst", ".zstd"] {
        if let Some(t) = s.strip_suffix(ext) {
            s = t;
            break;
        }
    }
    // access.log.3 → stem access.log, order -3 (older than access.log.1).
    if let Some((stem, n)) = s.rsplit_once('.') {
        if !n.is_empty() && n.len() <= 4 && n.bytes().all(|b| b.is_ascii_digit()) {
            return (stem.to_string(), -n.parse::<i64>().unwrap_or(0));
        }
    }
    // access.log-20260901 → stem access.log, order by date.
    if let Some((stem, d)) = s.rsplit_once('-') {
        if d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit()) {
            return (
                stem.to_string(),
                d.parse::<i64>().unwrap_or(0) - 100_000_000,
            );
        }
    }
    (s.to_string(), 0)
}

/// The identity of a stream across runs (incremental hunting): its folder
/// and rotation stem, e.g. `/l/oh/access.log` for `access.log.2.gz`,
/// `access.log.1` and `access.log`; `None` for standard input, which never
/// resumes.
pub fn stream_key(stream: &[Input]) -> Option<String> {
    let Some(Input::File(p)) = stream.first() else {
        return None;
    };
    let dir = p.parent().map(Path::to_path_buf).unwrap_or_default();
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Some(dir.join(rotation_key(&name).0).display().to_string())
}

/// Group inputs into streams, each in reading order; the stream list is
/// sorted for deterministic output.
pub fn group(inputs: &[Input]) -> Vec<Vec<Input>> {
    let mut groups: BTreeMap<(PathBuf, String), Vec<(i64, Input)>> = BTreeMap::new();
    let mut singles = Vec::new();
    for input in inputs {
        match input {
            Input::Stdin => singles.push(vec![input.clone()]),
            Input::File(p) => {
                let dir = p.parent().map(Path::to_path_buf).unwrap_or_default();
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let (stem, order) = rotation_key(&name);
                groups
                    .entry((dir, stem))
                    .or_default()
                    .push((order, input.clone()));
            }
        }
    }
    let mut out: Vec<Vec<Input>> = groups
        .into_values()
        .map(|mut v| {
            v.sort();
            v.dedup();
            v.into_iter().map(|(_, i)| i).collect()
        })
        .collect();
    out.extend(singles);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(p: &str) -> Input {
        Input::File(PathBuf::from(p))
    }

    #[test]
    fn rotation_groups_oldest_first() {
        let g = group(&[
            f("/l/oh/access.log"),
            f("/l/oh/access.log.1"),
            f("/l/oh/access.log.10.gz"),
            f("/l/oh/access.log.2.gz"),
            f("/l/oh/error.log"),
            f("/l/ga/access.log"),
            f("/l/x/app.log-20260902.gz"),
            f("/l/x/app.log-20260901"),
        ]);
        let names: Vec<Vec<String>> = g
            .iter()
            .map(|s| s.iter().map(Input::display).collect())
            .collect();
        assert_eq!(
            names,
            vec![
                vec!["/l/ga/access.log"],
                vec![
                    "/l/oh/access.log.10.gz",
                    "/l/oh/access.log.2.gz",
                    "/l/oh/access.log.1",
                    "/l/oh/access.log"
                ],
                vec!["/l/oh/error.log"],
                vec!["/l/x/app.log-20260901", "/l/x/app.log-20260902.gz"],
            ]
        );
    }

    #[test]
    fn stream_keys_name_the_rotation_group() {
        let g = group(&[
            f("/l/oh/access.log.2.gz"),
            f("/l/oh/access.log.1"),
            f("/l/oh/access.log"),
        ]);
        assert_eq!(stream_key(&g[0]).as_deref(), Some("/l/oh/access.log"));
        assert_eq!(stream_key(&[Input::Stdin]), None);
    }

    #[test]
    fn stdin_is_its_own_stream() {
        assert_eq!(group(&[Input::Stdin, f("a.log")]).len(), 2);
    }
}
