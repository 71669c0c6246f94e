//! The site a log file belongs to when its lines do not name one (combined,
//! common, IIS without `cs-host`, JSON without a host field).
//!
//! In order:
//! 1. the `paths` globs of `targets.toml` ([`Targets::site_for_file`]);
//! 2. a host-like file name: `elections.example.gov-access.log`,
//!    `access_elections.example.gov.log`, `elections.example.gov.log.2.gz`;
//! 3. a host-like folder, the nearest of the file's three closest folders:
//!    `logs/elections.example.gov/access.log`,
//!    `logs/elections.example.gov/2026/access.log`;
//! 4. otherwise the file name without rotation and compression suffixes
//!    (`/var/log/apache2/access.log.2.gz` → `access.log`), so that every
//!    rotation of one log is one site; standard input is `stdin`.
//!
//! A name is host-like when it has at least two dot-separated labels of
//! letters, digits and inner hyphens, and its last label is 2–24 letters
//! (so `192.0.2.1`, `access.log` and `2026-09` are not).

use crate::targets::Targets;
use std::path::Path;

/// The site name of events read from standard input without a host.
pub const STDIN_SITE: &str = "stdin";

/// Compression and rotation suffixes removed before looking at a name.
const COMPRESSED: &[&str] = &[".gz", ".bz2", ".xz", ".zst", ".lz4", ".z"];
/// Log file extensions removed before looking for a host in a file name.
const LOG_EXT: &[&str] = &[".log", ".json", ".jsonl", ".ndjson", ".txt", ".csv", ".w3c"];
/// Words around a host in a file name (`access_<host>`, `<host>-ssl-access`).
const LOG_WORDS: &[&str] = &[
    "access", "error", "errors", "ssl", "tls", "http", "https", "log", "logs", "web", "vhost",
    "requests", "request", "nginx", "apache", "apache2", "httpd", "iis", "combined", "json",
];

impl Targets {
    /// The site of the events of `file` when the log does not name it: the
    /// `targets.toml` mapping, else a host-like file or folder name, else the
    /// file name without rotation suffixes (see the module documentation).
    /// Never empty.
    pub fn site_name_for_file(&self, file: &Path) -> String {
        if let Some(s) = self.site_for_file(file) {
            return s.to_string();
        }
        if let Some(h) = file
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(host_in_file_name)
        {
            return h;
        }
        for dir in file.ancestors().skip(1).take(3) {
            if let Some(h) = dir
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(host_in_folder_name)
            {
                return h;
            }
        }
        fallback(file)
    }
}

/// Strip compression and rotation suffixes: `access.log.2.gz` → `access.log`,
/// `access.log-20260901` → `access.log`.
fn strip_rotation(name: &str) -> &str {
    let mut n = name;
    loop {
        let before = n.len();
        let lower = n.to_ascii_lowercase();
        for ext in COMPRESSED {
            if lower.ends_with(ext) && n.len() > ext.len() {
                n = &n[..n.len() - ext.len()];
                break;
            }
        }
        // `.1`, `.2`, `-20260901`, `.20260901`.
        if let Some(i) = n.rfind(['.', '-']) {
            let tail = &n[i + 1..];
            if i > 0 && !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()) {
                n = &n[..i];
            }
        }
        if n.len() == before {
            return n;
        }
    }
}

fn fallback(file: &Path) -> String {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_else(|| file.to_string_lossy());
    let n = strip_rotation(&name);
    if n.is_empty() {
        STDIN_SITE.to_string()
    } else {
        n.to_string()
    }
}

/// `labels` is a host name: ≥ 2 labels, each `[a-z0-9-]`, no edge hyphen,
/// the last 2–24 letters.
pub(crate) fn is_host_like(s: &str) -> bool {
    if s.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = s.split('.').collect();
    if labels.len() < 2 {
        return false;
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    let tld = labels[labels.len() - 1];
    labels.iter().all(|l| label_ok(l))
        && (2..=24).contains(&tld.len())
        && tld.bytes().all(|b| b.is_ascii_alphabetic())
}

/// A folder named after its host (`elections.example.gov`), lower-cased.
fn host_in_folder_name(name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    is_host_like(&lower).then_some(lower)
}

/// A host inside a file name: extensions and log words around it removed.
fn host_in_file_name(name: &str) -> Option<String> {
    let mut n = strip_rotation(name).to_ascii_lowercase();
    while let Some(ext) = LOG_EXT
        .iter()
        .find(|e| n.ends_with(*e) && n.len() > e.len())
    {
        n.truncate(n.len() - ext.len());
    }
    if is_host_like(&n) {
        return Some(n);
    }
    // `access_<host>`, `<host>_access`: one '_'-separated part is the host.
    for part in n.split('_') {
        let words: Vec<&str> = part.split('-').collect();
        let start = words
            .iter()
            .position(|w| !LOG_WORDS.contains(w))
            .unwrap_or(words.len());
        let end = words
            .iter()
            .rposition(|w| !LOG_WORDS.contains(w))
            .map_or(start, |i| i + 1);
        if start < end {
            let host = words[start..end].join("-");
            if is_host_like(&host) {
                return Some(host);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(t: &Targets, p: &str) -> String {
        t.site_name_for_file(Path::new(p))
    }

    #[test]
    fn host_like_names() {
        for h in [
            "elections.example.gov",
            "vote.oh.example",
            "my-site.example.co",
        ] {
            assert!(is_host_like(h), "{h}");
        }
        for n in [
            "access.log1",
            "192.0.2.1",
            "2026-09",
            "example",
            "-bad.example.gov",
            "a..example",
            "x.example.g0v",
            "",
        ] {
            assert!(!is_host_like(n), "{n}");
        }
    }

    #[test]
    fn a_folder_of_several_hosts() {
        let t = Targets::default();
        assert_eq!(
            site(&t, "logs/elections.example.gov/access.log"),
            "elections.example.gov"
        );
        assert_eq!(
            site(&t, "logs/Vote.Example.gov/access.log.2.gz"),
            "vote.example.gov"
        );
        assert_eq!(
            site(&t, "logs/results.example.gov/2026/09/access.log"),
            "results.example.gov"
        );
        // Four levels up is too far: the file stem.
        assert_eq!(
            site(&t, "logs/news.example.com/a/b/c/access.log"),
            "access.log"
        );
    }

    #[test]
    fn host_in_file_names() {
        let t = Targets::default();
        assert_eq!(
            site(&t, "/var/log/apache2/elections.example.gov-access.log"),
            "elections.example.gov"
        );
        assert_eq!(
            site(&t, "/var/log/nginx/access_elections.example.gov.log.1"),
            "elections.example.gov"
        );
        assert_eq!(
            site(&t, "/var/log/httpd/my-site.example.org-ssl-access.log.3.gz"),
            "my-site.example.org"
        );
        assert_eq!(
            site(&t, "logs/news.example.com.log-20260901"),
            "news.example.com"
        );
        assert_eq!(site(&t, "news.example.com_error.log"), "news.example.com");
        // The file name wins over the folder.
        assert_eq!(
            site(&t, "logs/a.example.gov/b.example.gov-access.log"),
            "b.example.gov"
        );
    }

    #[test]
    fn no_host_like_name_falls_back_to_the_file_stem() {
        let t = Targets::default();
        assert_eq!(site(&t, "/var/log/apache2/access.log.2.gz"), "access.log");
        assert_eq!(site(&t, "/var/log/apache2/access.log"), "access.log");
        assert_eq!(site(&t, "logs/192.0.2.1/access.log-20260901"), "access.log");
        assert_eq!(site(&t, "u_ex2609.log"), "u_ex2609.log");
        assert_eq!(site(&t, "app.json"), "app.json");
    }

    #[test]
    fn targets_paths_come_first() {
        let t = Targets::parse(
            "[[target]]\nname = \"elections.oh.example\"\npaths = [\"oh/*\"]\n",
            Path::new("/data"),
            "t",
        )
        .unwrap();
        assert_eq!(
            site(&t, "/data/oh/news.example.com-access.log"),
            "elections.oh.example"
        );
        assert_eq!(
            site(&t, "/data/ga/news.example.com-access.log"),
            "news.example.com"
        );
    }
}
