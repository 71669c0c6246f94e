//! Which haboob records a Sigma log source covers: the shipped, editable
//! `data/logsources.toml` (or a file given with `--mapping`).
//!
//! A rule's `logsource` (product, service, category) is looked up exactly
//! (a key the rule leaves out must be left out by the entry too). The entry
//! names the haboob [`Family`] and, for Windows, one or more *variants*:
//! each adds conditions to the rule (`Channel`, `EventID` list) and may
//! rename fields (Sigma name → view names, the first one the record has
//! wins). A log source with no entry is `Unsupported`.

use crate::LoadError;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The record families haboob reads, as rules are dispatched to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// Web access logs ([`haboob_model::WebEvent`]).
    Web,
    /// Windows event logs (EVTX, XML; [`haboob_model::WinView`]).
    Windows,
    /// Entra ID (Azure AD) sign-in logs.
    AzureSignin,
    /// Entra ID (Azure AD) audit logs.
    AzureAudit,
    /// Okta system log.
    Okta,
    /// Microsoft 365 unified audit log.
    M365,
    /// Google Workspace reports (login, admin).
    GWorkspace,
    /// Linux syslog (sshd and other daemons).
    Syslog,
    // ---- Linux hosts (auditd, Sysmon for Linux) ----
    /// Sysmon for Linux events ([`haboob_model::WinEvent`] of channel
    /// `Linux-Sysmon/Operational`, dispatched by `EventID` like Windows).
    LinuxSysmon,
    /// Linux audit records ([`haboob_model::AuditEvent`]), one by one.
    Auditd,
    // ---- Cloud audit logs (t3) ----
    /// AWS CloudTrail records.
    AwsCloudTrail,
    /// Azure activity log records.
    AzureActivity,
    /// Entra ID Identity Protection risk detections.
    AzureRisk,
    /// GCP Cloud Audit Logs.
    GcpAudit,
}

impl Family {
    /// Every family, in index order.
    pub const ALL: [Family; 14] = [
        Family::Web,
        Family::Windows,
        Family::AzureSignin,
        Family::AzureAudit,
        Family::Okta,
        Family::M365,
        Family::GWorkspace,
        Family::Syslog,
        Family::LinuxSysmon,
        Family::Auditd,
        // ---- Cloud audit logs (t3) ----
        Family::AwsCloudTrail,
        Family::AzureActivity,
        Family::AzureRisk,
        Family::GcpAudit,
    ];

    /// The family's name in the mapping file.
    pub fn name(self) -> &'static str {
        match self {
            Family::Web => "web",
            Family::Windows => "windows",
            Family::AzureSignin => "azure.signinlogs",
            Family::AzureAudit => "azure.auditlogs",
            Family::Okta => "okta",
            Family::M365 => "m365",
            Family::GWorkspace => "gworkspace",
            Family::Syslog => "syslog",
            Family::LinuxSysmon => "linux.sysmon",
            Family::Auditd => "linux.auditd",
            // ---- Cloud audit logs (t3) ----
            Family::AwsCloudTrail => "aws.cloudtrail",
            Family::AzureActivity => "azure.activitylogs",
            Family::AzureRisk => "azure.riskdetection",
            Family::GcpAudit => "gcp.audit",
        }
    }

    /// The family named `s` in the mapping file.
    pub fn from_name(s: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.name() == s)
    }

    /// Whether rules of this family are dispatched by `EventID` (Windows
    /// and Sysmon for Linux events).
    pub(crate) fn by_event_id(self) -> bool {
        matches!(self, Family::Windows | Family::LinuxSysmon)
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// One way a log source is found in records: conditions and renames.
#[derive(Debug, Clone, Default)]
pub(crate) struct Variant {
    /// `Channel` must be one of these (empty: any).
    pub(crate) channel: Vec<String>,
    /// `EventID` must be one of these (empty: any).
    pub(crate) eventid: Vec<i64>,
    /// Sigma field name (ASCII lower case) → view names to try in order.
    pub(crate) rename: HashMap<String, Vec<String>>,
}

/// What a log source maps to.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    pub(crate) family: Family,
    pub(crate) variants: Vec<Variant>,
}

/// The log source mapping and the placeholder values.
#[derive(Debug, Clone)]
pub struct Mapping {
    /// (product, service, category), lower case, "" when absent.
    sources: HashMap<(String, String, String), Source>,
    /// Placeholder name (without `%`) → values.
    placeholders: HashMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    #[serde(default)]
    placeholders: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    source: Vec<SourceToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceToml {
    product: Option<String>,
    service: Option<String>,
    category: Option<String>,
    family: String,
    #[serde(default)]
    channel: Vec<String>,
    #[serde(default)]
    eventid: Vec<i64>,
    #[serde(default)]
    rename: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    variant: Vec<VariantToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VariantToml {
    #[serde(default)]
    channel: Vec<String>,
    #[serde(default)]
    eventid: Vec<i64>,
    #[serde(default)]
    rename: BTreeMap<String, Vec<String>>,
}

/// The shipped mapping.
const BUILTIN: &str = include_str!("../data/logsources.toml");

fn key(p: Option<&str>, s: Option<&str>, c: Option<&str>) -> (String, String, String) {
    let f = |x: Option<&str>| x.unwrap_or("").trim().to_ascii_lowercase();
    (f(p), f(s), f(c))
}

fn renames(
    base: &BTreeMap<String, Vec<String>>,
    more: &BTreeMap<String, Vec<String>>,
) -> HashMap<String, Vec<String>> {
    base.iter()
        .chain(more)
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .collect()
}

impl Mapping {
    /// The mapping shipped with haboob (`crates/sigma/data/logsources.toml`).
    pub fn builtin() -> Mapping {
        match Mapping::parse(BUILTIN, Path::new("logsources.toml (built in)")) {
            Ok(m) => m,
            // The shipped file is checked by a test; never reached.
            Err(e) => panic!("built-in mapping: {e}"),
        }
    }

    /// A mapping read from `p` (same format as the shipped file).
    pub fn from_file(p: &Path) -> Result<Mapping, LoadError> {
        let text = std::fs::read_to_string(p).map_err(|e| LoadError::Io {
            path: p.to_owned(),
            reason: e.to_string(),
        })?;
        Mapping::parse(&text, p)
    }

    /// Parses the mapping text of file `p`.
    pub fn parse(text: &str, p: &Path) -> Result<Mapping, LoadError> {
        let invalid = |line: usize, column: usize, reason: String| LoadError::Invalid {
            path: PathBuf::from(p),
            line,
            column,
            reason,
        };
        let file: FileToml = toml::from_str(text).map_err(|e| {
            let (line, col) = e.span().map(|s| line_col(text, s.start)).unwrap_or((0, 0));
            invalid(line, col, e.message().to_string())
        })?;
        let mut sources = HashMap::new();
        for s in file.source {
            let k = key(
                s.product.as_deref(),
                s.service.as_deref(),
                s.category.as_deref(),
            );
            let Some(family) = Family::from_name(&s.family) else {
                return Err(invalid(
                    0,
                    0,
                    format!("unknown family `{}` for {k:?}", s.family),
                ));
            };
            let variants = if s.variant.is_empty() {
                vec![Variant {
                    channel: s.channel,
                    eventid: s.eventid,
                    rename: renames(&s.rename, &BTreeMap::new()),
                }]
            } else {
                s.variant
                    .into_iter()
                    .map(|v| Variant {
                        channel: if v.channel.is_empty() {
                            s.channel.clone()
                        } else {
                            v.channel
                        },
                        eventid: if v.eventid.is_empty() {
                            s.eventid.clone()
                        } else {
                            v.eventid
                        },
                        rename: renames(&s.rename, &v.rename),
                    })
                    .collect()
            };
            if sources
                .insert(k.clone(), Source { family, variants })
                .is_some()
            {
                return Err(invalid(0, 0, format!("log source {k:?} is listed twice")));
            }
        }
        Ok(Mapping {
            sources,
            placeholders: file.placeholders.into_iter().collect(),
        })
    }

    /// The entry for a rule's log source.
    pub(crate) fn source(
        &self,
        p: Option<&str>,
        s: Option<&str>,
        c: Option<&str>,
    ) -> Option<&Source> {
        self.sources.get(&key(p, s, c))
    }

    /// The values of placeholder `name` (without `%`).
    pub(crate) fn placeholder(&self, name: &str) -> Option<&[String]> {
        self.placeholders.get(name).map(Vec::as_slice)
    }

    /// The number of log sources mapped.
    pub fn len(&self) -> usize {
        self.sources.len()
    }

    /// True when nothing is mapped.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }
}

/// 1-based line and column of byte `off` in `text`.
pub(crate) fn line_col(text: &str, off: usize) -> (usize, usize) {
    let off = off.min(text.len());
    let before = &text.as_bytes()[..off];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = off
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1)
        + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_parses_and_maps_the_main_sources() {
        let m = Mapping::builtin();
        let sec = m.source(Some("windows"), Some("security"), None).unwrap();
        assert_eq!(sec.family, Family::Windows);
        assert_eq!(sec.variants[0].channel, ["Security"]);
        let pc = m
            .source(Some("windows"), None, Some("process_creation"))
            .unwrap();
        assert_eq!(pc.variants.len(), 2);
        assert_eq!(pc.variants[1].eventid, [4688]);
        assert_eq!(pc.variants[1].rename["image"], ["NewProcessName"]);
        let web = m.source(None, None, Some("webserver")).unwrap();
        assert_eq!(web.family, Family::Web);
        let lpc = m
            .source(Some("linux"), None, Some("process_creation"))
            .unwrap();
        assert_eq!(lpc.family, Family::LinuxSysmon);
        assert_eq!(lpc.variants[0].channel, ["Linux-Sysmon/Operational"]);
        assert_eq!(lpc.variants[0].eventid, [1]);
        let aud = m.source(Some("linux"), Some("auditd"), None).unwrap();
        assert_eq!(aud.family, Family::Auditd);
        assert!(m.source(Some("linux"), None, Some("image_load")).is_none());
        for f in Family::ALL {
            assert_eq!(Family::from_name(f.name()), Some(f));
        }
    }

    #[test]
    fn bad_files_say_where() {
        let e = Mapping::parse("[[source]]\nproduct = 1\n", Path::new("m.toml")).unwrap_err();
        assert!(matches!(e, LoadError::Invalid { line: 2, .. }), "{e}");
        let e = Mapping::parse("[[source]]\nfamily = \"mainframe\"\n", Path::new("m.toml"))
            .unwrap_err();
        assert!(e.to_string().contains("unknown family `mainframe`"), "{e}");
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
    }
}
