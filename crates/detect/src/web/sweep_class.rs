//! The path families of `web.sweep`: a small classifier of the decoded,
//! lower-cased request path into the kinds of names wordlist sweeps ask for.
//!
//! Only a request in a family enters the sweep state; the classifier is
//! behind a verdict cache, so an ordinary (repeated) path costs one lookup.
//! Kept apart from `web.exploit`'s classes on purpose (see the README).
//! The names are data ([`super::sweep_names`], `data/web_sweep.toml`).

use super::sweep_names::SweepNames;
use aho_corasick::{AhoCorasick, MatchKind};
use std::sync::Arc;

/// What kind of name a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Family {
    /// Site archives and dumps: `www.zip`, `<site>.tar.gz`, `backup.sql`.
    Backup,
    /// Secret and credential files: `.env`, `wallet.dat`, `sftp-config.json`.
    Secret,
    /// Web shells and script files in upload folders.
    Webshell,
    /// Version-control metadata and configuration leaks: `.git/`, `.svn/`.
    VcsConfig,
    /// Setup and installer pages of widely attacked products.
    AdminSetup,
}

impl Family {
    /// Stable name for details and titles.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Backup => "backup/archive",
            Family::Secret => "secret/credential file",
            Family::Webshell => "webshell/upload path",
            Family::VcsConfig => "VCS/config leak",
            Family::AdminSetup => "admin/setup page",
        }
    }

    /// Index in per-family counters.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Every family, in [`Family::index`] order.
    pub const ALL: [Family; 5] = [
        Family::Backup,
        Family::Secret,
        Family::Webshell,
        Family::VcsConfig,
        Family::AdminSetup,
    ];

    /// The fingerprint's family group: archives and secrets are one group
    /// (a sweep for files to steal asks both), the others their own.
    pub fn group(self) -> (u64, &'static str) {
        match self {
            Family::Backup | Family::Secret => (1, "backup/secret file"),
            Family::Webshell => (3, "webshell/upload path"),
            Family::VcsConfig => (4, "VCS/config leak"),
            Family::AdminSetup => (5, "admin/setup page"),
        }
    }
}

/// The name of a family group ([`Family::group`]), saved by name and
/// restored as the same static name.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Group(pub &'static str);

impl serde::Serialize for Group {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Group {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Group, D::Error> {
        let name = <String as serde::Deserialize>::deserialize(d)?;
        [
            Family::Backup,
            Family::Webshell,
            Family::VcsConfig,
            Family::AdminSetup,
        ]
        .into_iter()
        .map(|f| f.group().1)
        .find(|g| *g == name)
        .map(Group)
        .ok_or_else(|| serde::de::Error::custom("unknown path family group"))
    }
}

/// The compiled classifier.
#[derive(Debug, Clone)]
pub(crate) struct Classifier {
    names: Arc<SweepNames>,
    vcs: AhoCorasick,
    setup: AhoCorasick,
}

fn ac(pats: &[String]) -> AhoCorasick {
    // Plain substrings: cannot fail; an empty automaton is the fallback.
    super::dfa::dfa(pats, false, MatchKind::Standard)
        .unwrap_or_else(|| AhoCorasick::new::<_, &str>([]).expect("empty automaton"))
}

fn strip_ext<'a, S: AsRef<str>>(name: &'a [u8], exts: &[S]) -> Option<&'a [u8]> {
    exts.iter()
        .map(|e| e.as_ref().as_bytes())
        .filter(|e| name.len() > e.len() && name.ends_with(e))
        .map(|e| &name[..name.len() - e.len()])
        .next()
}

fn in_list<S: AsRef<str>>(s: &[u8], list: &[S]) -> bool {
    list.iter().any(|x| x.as_ref().as_bytes() == s)
}

/// A stem that is a year or date (`2018`, `20181215`, `2018-12-15`).
fn date_like(s: &[u8]) -> bool {
    !s.is_empty()
        && s.len() <= 10
        && s[0].is_ascii_digit()
        && s.iter()
            .all(|c| c.is_ascii_digit() || *c == b'-' || *c == b'_')
}

/// File extensions after which a dotted stem is a file, not a host name.
const FILE_LABELS: &[&str] = &[
    "js", "css", "html", "htm", "txt", "log", "json", "xml", "svg", "png", "jpg", "gif", "pdf",
    "csv", "md", "php", "min", "map",
];

/// A stem that looks like a host name (`www.example.com`): dotted labels of
/// letters, digits and `-`, the last one 2-6 letters and not a file type.
fn host_like(s: &[u8]) -> bool {
    if s.len() > 253 || memchr::memchr(b'.', s).is_none() {
        return false;
    }
    let mut labels = s.split(|c| *c == b'.');
    let ok = labels
        .clone()
        .all(|l| !l.is_empty() && l.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-'));
    let last = labels.next_back().unwrap_or_default();
    ok && (2..=6).contains(&last.len())
        && last.iter().all(u8::is_ascii_alphabetic)
        && !in_list(last, FILE_LABELS)
}

/// Names a sweep builds from the site's host (`www.example.com` gives
/// `www.example.com`, `example.com`, `example`, `example_com`, `example-com`,
/// `wwwexamplecom`), lower case; those that are backup stems anyway
/// (`backup_stems`) are left out.
pub(crate) fn site_stems(site: &str, backup_stems: &[String]) -> Vec<Vec<u8>> {
    let host = site
        .split(':')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let host = host.trim_end_matches('.');
    if host.is_empty() || host.parse::<std::net::IpAddr>().is_ok() {
        return Vec::new();
    }
    let bare = host.strip_prefix("www.").unwrap_or(host);
    let mut out: Vec<String> = vec![host.to_string(), bare.to_string()];
    let labels: Vec<&str> = bare.split('.').filter(|l| !l.is_empty()).collect();
    if labels.len() >= 2 {
        // The registrable-ish label: the one before the public suffix.
        out.push(labels[labels.len() - 2].to_string());
        out.push(labels[0].to_string());
    }
    out.push(bare.replace('.', "_"));
    out.push(bare.replace('.', "-"));
    out.push(bare.replace('.', ""));
    out.push(host.replace('.', ""));
    out.retain(|s| s.len() >= 3 && !in_list(s.as_bytes(), backup_stems));
    out.sort();
    out.dedup();
    out.into_iter().map(String::into_bytes).collect()
}

impl Default for Classifier {
    fn default() -> Self {
        Classifier::new(SweepNames::with_extra(None))
    }
}

/// A classification: the family and whether the name came from the site's host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub family: Family,
    pub from_site: bool,
}

/// What the site-independent part of the classifier says (cached per path).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Class {
    /// An ordinary request.
    #[default]
    None,
    /// A family, whatever the site.
    Family(Family),
    /// An archive name with an unknown stem: a backup only when the stem is
    /// built from the site's host.
    ArchiveStem,
}

impl Classifier {
    /// The classifier of these names.
    pub fn new(names: Arc<SweepNames>) -> Self {
        Classifier {
            vcs: ac(&names.vcs_config.markers),
            setup: ac(&names.admin_setup.markers),
            names,
        }
    }

    /// [`site_stems`] with this classifier's backup stems.
    pub fn site_stems(&self, site: &str) -> Vec<Vec<u8>> {
        site_stems(site, &self.names.backup.stems)
    }

    /// The stem of an archive name (`www.example.com.tar.gz` → `www.example.com`).
    fn archive_stem<'a>(&self, path: &'a [u8]) -> Option<&'a [u8]> {
        let name = match memchr::memrchr(b'/', path) {
            Some(i) => &path[i + 1..],
            None => path,
        };
        let stem = strip_ext(name, &self.names.backup.archive_extensions)?;
        Some(strip_ext(stem, &[".tar"]).unwrap_or(stem))
    }

    /// The family of a decoded, lower-cased path (no query), given the
    /// names built from its site. `None` for ordinary requests.
    #[cfg(test)]
    pub fn classify(&self, path: &[u8], site_stems: &[Vec<u8>]) -> Option<Verdict> {
        let c = self.class(path);
        self.resolve(c, path, site_stems)
    }

    /// Complete a [`Class`] with the site's names.
    pub fn resolve(&self, c: Class, path: &[u8], site_stems: &[Vec<u8>]) -> Option<Verdict> {
        match c {
            Class::None => None,
            Class::Family(family) => Some(Verdict {
                family,
                from_site: family == Family::Backup
                    && self
                        .archive_stem(path)
                        .is_some_and(|st| site_stems.iter().any(|s| s == st)),
            }),
            Class::ArchiveStem => {
                let stem = self.archive_stem(path)?;
                site_stems
                    .iter()
                    .any(|s| s.as_slice() == stem)
                    .then_some(Verdict {
                        family: Family::Backup,
                        from_site: true,
                    })
            }
        }
    }

    /// The site-independent class of a decoded, lower-cased path.
    pub fn class(&self, path: &[u8]) -> Class {
        // Everyone asks these; never a sweep.
        if path.starts_with(b"/.well-known/") {
            return Class::None;
        }
        let name = match memchr::memrchr(b'/', path) {
            Some(i) => &path[i + 1..],
            None => path,
        };
        let dir = &path[..path.len() - name.len()];
        if name.is_empty() {
            return self.dir_class(path);
        }
        let n = &*self.names;
        let in_folder = |folders: &[String]| folders.iter().any(|d| dir.ends_with(d.as_bytes()));
        // Secrets: exact names, `.env*`, key files, config copies.
        if in_list(name, &n.secret.names)
            || name == b".env"
            || name.starts_with(b".env.")
            || strip_ext(name, &n.secret.extensions).is_some()
            || n.secret.config_files.iter().any(|c| {
                name.len() > c.len()
                    && name.starts_with(c.as_bytes())
                    && in_list(&name[c.len()..], &n.secret.copy_suffixes)
            })
            || in_folder(&n.secret.folders)
        {
            return Class::Family(Family::Secret);
        }
        if strip_ext(name, &n.backup.dump_extensions).is_some() {
            return Class::Family(Family::Backup);
        }
        if let Some(stem) = self.archive_stem(path) {
            if in_list(stem, &n.backup.stems)
                || date_like(stem)
                || host_like(stem)
                || in_folder(&n.backup.folders)
            {
                return Class::Family(Family::Backup);
            }
            return Class::ArchiveStem;
        }
        if let Some(stem) = strip_ext(name, &n.webshell.script_extensions) {
            if in_list(stem, &n.webshell.stems)
                || (in_folder(&n.webshell.upload_folders) && stem.len() <= 24)
            {
                return Class::Family(Family::Webshell);
            }
        }
        if self.vcs.is_match(path) {
            return Class::Family(Family::VcsConfig);
        }
        if self.setup.is_match(path) {
            return Class::Family(Family::AdminSetup);
        }
        Class::None
    }

    /// A path ending in `/`: VCS folders and setup folders only.
    fn dir_class(&self, path: &[u8]) -> Class {
        if self.vcs.is_match(path) {
            Class::Family(Family::VcsConfig)
        } else if self.setup.is_match(path) {
            Class::Family(Family::AdminSetup)
        } else {
            Class::None
        }
    }
}
#[cfg(test)]
#[path = "sweep_class_tests.rs"]
mod tests;
