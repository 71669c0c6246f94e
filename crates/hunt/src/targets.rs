//! `targets.toml`: who owns each site or tenant (organisation, sector,
//! region), and which files belong to a site when the log format does not
//! name it.
//!
//! ```toml
//! [[target]]
//! name = "elections.oh.example"
//! organisation = "Ohio Secretary of State"
//! sector = "election"          # election | news | campaign | government | other
//! region = "OH"
//! paths = ["oh/elections/*"]   # globs relative to this file's folder
//!
//! # Who `haboob notify` tells when the organisation is targeted.
//! [[organisation]]
//! name = "Ohio Secretary of State"   # as in `organisation` of its targets
//! contacts = [
//!   { channel = "email", address = "soc@oh.example" },
//!   { channel = "slack", address = "https://hooks.slack.example/T0/B0/x" },
//! ]
//! ```
//!
//! Channels: `email` (an address), `slack`, `teams` and `webhook` (generic
//! JSON; each an `http://` or `https://` URL).

use glob::{MatchOptions, Pattern};
use haboob_model::{Contact, Target, TargetSector};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::config::ConfigError;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetsFile {
    #[serde(default)]
    target: Vec<TargetEntry>,
    #[serde(default)]
    organisation: Vec<OrganisationEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrganisationEntry {
    name: String,
    #[serde(default)]
    contacts: Vec<ContactEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContactEntry {
    channel: String,
    address: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetEntry {
    name: String,
    organisation: Option<String>,
    #[serde(default)]
    sector: TargetSector,
    region: Option<String>,
    #[serde(default)]
    paths: Vec<String>,
}

/// Loaded targets: enrichment by name, site by file.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    by_name: BTreeMap<String, Target>,
    files: Vec<(Pattern, String)>,
    contacts: Vec<Contact>,
}

impl Targets {
    /// Load `targets.toml`; `paths` globs are relative to its folder.
    pub fn load(path: &Path) -> Result<Targets, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let base = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let base = base.canonicalize().unwrap_or(base);
        Targets::parse(&text, &base, &path.display().to_string())
    }

    /// Parse TOML text with globs relative to `base`.
    pub fn parse(text: &str, base: &Path, origin: &str) -> Result<Targets, ConfigError> {
        let err = |message: String| ConfigError::Parse {
            path: origin.to_string(),
            message,
        };
        let file: TargetsFile = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        let mut t = Targets::default();
        for e in file.target {
            let name = e.name.to_ascii_lowercase();
            for p in &e.paths {
                let full = base.join(p);
                let pat = Pattern::new(&full.to_string_lossy())
                    .map_err(|g| err(format!("target {name}: bad path glob {p:?}: {g}")))?;
                t.files.push((pat, name.clone()));
            }
            t.by_name.insert(
                name.clone(),
                Target {
                    name,
                    organisation: e.organisation,
                    sector: e.sector,
                    region: e.region,
                },
            );
        }
        let mut seen = std::collections::BTreeSet::new();
        for o in file.organisation {
            let org = o.name.trim();
            if org.is_empty() || org.chars().any(char::is_control) {
                return Err(err(format!(
                    "organisation {:?}: the name must be non-empty text on one line",
                    o.name
                )));
            }
            if !seen.insert(org.to_string()) {
                return Err(err(format!(
                    "organisation {org:?} is declared twice (give all its contacts in one [[organisation]])"
                )));
            }
            for (i, c) in o.contacts.iter().enumerate() {
                let address = c.address.trim();
                check_contact(&c.channel, address).map_err(|why| {
                    err(format!("organisation {org:?}: contact {}: {why}", i + 1))
                })?;
                t.contacts.push(Contact {
                    organisation: org.to_string(),
                    channel: c.channel.clone(),
                    address: address.to_string(),
                });
            }
        }
        t.contacts.sort();
        t.contacts.dedup();
        Ok(t)
    }

    /// Notification contacts of every `[[organisation]]`, sorted by
    /// organisation, channel and address.
    pub fn contacts(&self) -> Vec<Contact> {
        self.contacts.clone()
    }

    /// The site that the events of `file` belong to, when mapped.
    pub fn site_for_file(&self, file: &Path) -> Option<&str> {
        if self.files.is_empty() {
            return None;
        }
        let full = file.canonicalize().unwrap_or_else(|_| file.to_path_buf());
        let opts = MatchOptions {
            case_sensitive: true,
            require_literal_separator: true,
            require_literal_leading_dot: false,
        };
        self.files
            .iter()
            .find(|(p, _)| p.matches_path_with(&full, opts))
            .map(|(_, n)| n.as_str())
    }

    /// The enriched target for a site or tenant name (bare when unknown).
    pub fn enrich(&self, name: &str) -> Target {
        let key = name.to_ascii_lowercase();
        self.by_name.get(&key).cloned().unwrap_or(Target {
            name: name.to_string(),
            organisation: None,
            sector: TargetSector::Other,
            region: None,
        })
    }

    /// Add the targets of another file (later files win on name clashes).
    pub fn extend(&mut self, other: Targets) {
        self.by_name.extend(other.by_name);
        self.files.extend(other.files);
        self.contacts.extend(other.contacts);
        self.contacts.sort();
        self.contacts.dedup();
    }

    /// Every declared target, by name.
    pub fn iter(&self) -> impl Iterator<Item = &Target> {
        self.by_name.values()
    }

    /// Number of declared targets.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether no target is declared.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

/// Channels a contact may use.
pub const CONTACT_CHANNELS: [&str; 4] = ["email", "slack", "teams", "webhook"];

/// Longest accepted contact address (RFC 5321 path limit; URLs alike).
const MAX_ADDRESS: usize = 2048;

/// Why a contact is refused, or `Ok` when its channel is known and its
/// address fits the channel (an email address, an http(s) URL).
pub fn check_contact(channel: &str, address: &str) -> Result<(), String> {
    if !CONTACT_CHANNELS.contains(&channel) {
        return Err(format!(
            "unknown channel {channel:?} (expected one of: {})",
            CONTACT_CHANNELS.join(", ")
        ));
    }
    if address.len() > MAX_ADDRESS {
        return Err(format!("address longer than {MAX_ADDRESS} bytes"));
    }
    if address.is_empty() || address.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(format!(
            "address {address:?} is empty or has spaces or control characters"
        ));
    }
    match channel {
        "email" => check_email(address),
        _ => check_url(address),
    }
}

fn check_email(a: &str) -> Result<(), String> {
    let bad = || format!("{a:?} is not an email address (expected name@domain.example)");
    let (local, domain) = a.split_once('@').ok_or_else(bad)?;
    let ok_local = !local.is_empty()
        && local.len() <= 64
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~.".contains(&b))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    let ok_domain = domain.len() <= 253
        && domain.contains('.')
        && domain.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if ok_local && ok_domain {
        Ok(())
    } else {
        Err(bad())
    }
}

fn check_url(u: &str) -> Result<(), String> {
    let lower = u.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or_else(|| format!("{u:?} is not an http:// or https:// URL"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    if host.is_empty() || host.starts_with(':') {
        return Err(format!("{u:?} has no host"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = r#"
[[target]]
name = "Elections.OH.example"
organisation = "Ohio Secretary of State"
sector = "election"
region = "OH"
paths = ["oh/elections/*"]

[[target]]
name = "news.example"
sector = "news"
"#;

    #[test]
    fn maps_files_and_enriches() {
        let t = Targets::parse(T, Path::new("/data"), "targets.toml").unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(
            t.site_for_file(Path::new("/data/oh/elections/access.log.2.gz")),
            Some("elections.oh.example")
        );
        assert_eq!(
            t.site_for_file(Path::new("/data/oh/other/access.log")),
            None
        );
        assert_eq!(
            t.site_for_file(Path::new("/data/oh/elections/sub/access.log")),
            None
        );
        let e = t.enrich("elections.oh.example");
        assert_eq!(e.region.as_deref(), Some("OH"));
        assert_eq!(e.sector, TargetSector::Election);
        assert_eq!(t.enrich("unknown.example").sector, TargetSector::Other);
    }

    #[test]
    fn bad_sector_is_an_error_with_location() {
        let err = Targets::parse(
            "[[target]]\nname='x'\nsector='army'\n",
            Path::new("/"),
            "t.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("t.toml") && err.contains("line 3"), "{err}");
    }

    const C: &str = r#"
[[target]]
name = "elections.oh.example"
organisation = "Ohio Secretary of State"

[[organisation]]
name = "Ohio Secretary of State"
contacts = [
  { channel = "slack", address = "https://hooks.slack.example/T0/B0/x" },
  { channel = "email", address = "soc@oh.example" },
]

[[organisation]]
name = "Daily Planet"
"#;

    #[test]
    fn contacts_per_organisation() {
        let t = Targets::parse(C, Path::new("/"), "targets.toml").unwrap();
        assert_eq!(t.len(), 1);
        let c = t.contacts();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].organisation, "Ohio Secretary of State");
        assert_eq!(
            (c[0].channel.as_str(), c[0].address.as_str()),
            ("email", "soc@oh.example")
        );
        assert_eq!(c[1].channel, "slack");
        // Files without organisations stay valid and have no contacts.
        assert!(Targets::parse(T, Path::new("/data"), "t.toml")
            .unwrap()
            .contacts()
            .is_empty());
    }

    fn contact_err(channel: &str, address: &str) -> String {
        let text = format!(
            "[[organisation]]\nname = \"Acme\"\ncontacts = [{{ channel = {channel:?}, address = {address:?} }}]\n"
        );
        Targets::parse(&text, Path::new("/"), "t.toml")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn bad_contacts_name_the_file_and_organisation() {
        let e = contact_err("pager", "x@y.example");
        assert_eq!(
            e,
            "t.toml: organisation \"Acme\": contact 1: unknown channel \"pager\" (expected one of: email, slack, teams, webhook)"
        );
        for bad in [
            "soc",
            "soc@",
            "@oh.example",
            "soc@localhost",
            "a b@oh.example",
            "soc@oh..example",
            "soc@oh.example\r\nBcc: x@y.example",
        ] {
            let e = contact_err("email", bad);
            assert!(
                e.starts_with("t.toml: organisation \"Acme\": contact 1: "),
                "{bad}: {e}"
            );
        }
        for bad in [
            "ftp://hooks.example/x",
            "hooks.example/x",
            "javascript:alert(1)",
            "https:///x",
            "file:///etc/passwd",
        ] {
            let e = contact_err("webhook", bad);
            assert!(
                e.starts_with("t.toml: organisation \"Acme\": contact 1: "),
                "{bad}: {e}"
            );
        }
        let ok = "[[organisation]]\nname = \"Acme\"\ncontacts = [{ channel = \"teams\", address = \"HTTPS://outlook.example/webhook/1\" }, { channel = \"webhook\", address = \"http://127.0.0.1:8080/hook\" }]\n";
        assert_eq!(
            Targets::parse(ok, Path::new("/"), "t.toml")
                .unwrap()
                .contacts()
                .len(),
            2
        );
        let e = Targets::parse(
            "[[organisation]]\nname = \"A\"\n[[organisation]]\nname = \"A\"\n",
            Path::new("/"),
            "t.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("declared twice"), "{e}");
        let e = Targets::parse(
            "[[organisation]]\nname = \"A\"\ncontact = []\n",
            Path::new("/"),
            "t.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("t.toml") && e.contains("contact"), "{e}");
    }
}
