//! Scanner fingerprints as data (`data/scanners.toml`, embedded at build
//! time and parsed once): per tool, the tokens of its User-Agent and of the
//! requests only it sends. A user file in the same format
//! (`[web.scanner_ua] extra_rules`) adds tools. The format is documented at
//! the top of the data file and in the README.

use super::rules::RuleFileError;
use serde::Deserialize;
use std::path::Path;
use std::sync::LazyLock;

const SCANNERS: &str = include_str!("../../data/scanners.toml");

/// One `[[scanner]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScannerRule {
    /// Tool name shown in alerts and campaigns.
    pub tool: String,
    /// Lower-case User-Agent substrings.
    #[serde(default)]
    pub user_agents: Vec<String>,
    /// Lower-case substrings of the decoded request target.
    #[serde(default)]
    pub requests: Vec<String>,
    /// An Internet-wide scanner (T1595.001).
    #[serde(default)]
    pub internet_wide: bool,
    /// The networks the tool's operator publishes as its scanning sources
    /// (address blocks, checked by [`ScannerFile::parse`]).
    #[serde(default)]
    pub networks: Vec<String>,
    /// Where the tokens are documented.
    #[serde(default)]
    #[allow(dead_code)]
    pub reference: Option<String>,
}

/// A scanner fingerprint file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScannerFile {
    /// The tools.
    pub scanner: Vec<ScannerRule>,
}

/// Longest token kept; longer ones are refused.
const MAX_TOKEN: usize = 256;

impl ScannerFile {
    /// Parse scanner TOML; `origin` names it in errors. Tokens are trimmed
    /// and lower-cased; a tool without a token, or with an empty name or an
    /// over-long token, is refused.
    pub fn parse(text: &str, origin: &str) -> Result<ScannerFile, RuleFileError> {
        let err = |message: String| super::rules::parse_error(origin, message);
        let mut f: ScannerFile = super::rules::parse_toml(text, origin)?;
        for (i, s) in f.scanner.iter_mut().enumerate() {
            s.tool = s.tool.trim().to_string();
            if s.tool.is_empty() {
                return Err(err(format!("scanner #{} has no tool name", i + 1)));
            }
            for v in [&mut s.user_agents, &mut s.requests] {
                for t in v.iter_mut() {
                    *t = t.trim().to_ascii_lowercase();
                }
                v.retain(|t| !t.is_empty());
            }
            if let Some(bad) = s
                .networks
                .iter()
                .find_map(|n| haboob_model::Cidr::parse(n).err())
            {
                return Err(err(format!(
                    "scanner #{} ({}): networks: {bad}",
                    i + 1,
                    s.tool
                )));
            }
            if s.user_agents.is_empty() && s.requests.is_empty() && s.networks.is_empty() {
                return Err(err(format!(
                    "scanner #{} ({}) has no token and no network",
                    i + 1,
                    s.tool
                )));
            }
            if let Some(t) = s
                .user_agents
                .iter()
                .chain(&s.requests)
                .find(|t| t.len() > MAX_TOKEN)
            {
                return Err(err(format!(
                    "scanner #{} ({}): token of {} bytes (at most {MAX_TOKEN})",
                    i + 1,
                    s.tool,
                    t.len()
                )));
            }
        }
        Ok(f)
    }

    /// Read and parse a user file.
    pub fn load(path: &Path) -> Result<ScannerFile, RuleFileError> {
        super::rules::load_file(path, ScannerFile::parse)
    }

    /// [`ScannerFile::load`] for an optional path; a bad file is logged and
    /// read as empty (configuration loading rejects it first).
    pub fn load_or_empty(path: Option<&Path>) -> ScannerFile {
        let Some(p) = path else {
            return ScannerFile::default();
        };
        ScannerFile::load(p).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "Ignored scanner fingerprint file.");
            ScannerFile::default()
        })
    }
}

impl ScannerRule {
    /// The published scanning networks (entries [`ScannerFile::parse`]
    /// refused never reach here; any other is skipped).
    pub fn cidrs(&self) -> Vec<haboob_model::Cidr> {
        self.networks
            .iter()
            .filter_map(|n| haboob_model::Cidr::parse(n).ok())
            .collect()
    }
}

/// The built-in fingerprints.
pub fn builtin() -> &'static [ScannerRule] {
    &BUILTIN.scanner
}

static BUILTIN: LazyLock<ScannerFile> = LazyLock::new(|| {
    ScannerFile::parse(SCANNERS, "data/scanners.toml").unwrap_or_else(|e| {
        // Embedded and checked by a unit test: never a panic on a user's machine.
        tracing::error!(error = %e, "Built-in scanner fingerprints are invalid.");
        ScannerFile::default()
    })
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_file_parses_and_names_the_issue_tools() {
        let f = ScannerFile::parse(SCANNERS, "s").unwrap();
        for tool in [
            "Acunetix",
            "Nessus",
            "Qualys",
            "Nikto",
            "sqlmap",
            "Nuclei",
            "OWASP ZAP",
            "Burp Suite",
            "WPScan",
            "Nmap",
        ] {
            assert!(f.scanner.iter().any(|s| s.tool == tool), "{tool}");
        }
        for s in &f.scanner {
            for t in s.user_agents.iter().chain(&s.requests) {
                assert_eq!(t, &t.to_ascii_lowercase(), "{}", s.tool);
            }
        }
    }

    #[test]
    fn user_file_errors_say_where() {
        let e = ScannerFile::parse("[[scanner]]\ntool = \"x\"\n", "u.toml").unwrap_err();
        assert_eq!(
            e.to_string(),
            "rule file u.toml: scanner #1 (x) has no token and no network"
        );
        let e = ScannerFile::parse(
            "[[scanner]]\ntool = \"x\"\nnetworks = [\"192.0.2.0/24\", \"192.0.2.0/40\"]\n",
            "u.toml",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "rule file u.toml: scanner #1 (x): networks: bad prefix length in \"192.0.2.0/40\""
        );
        // Networks alone make a tool (a project with a generic User-Agent).
        let nets = ScannerFile::parse(
            "[[scanner]]\ntool = \"Survey\"\nnetworks = [\"192.0.2.0/24\", \"2001:db8::1\"]\n",
            "u.toml",
        )
        .unwrap();
        assert_eq!(nets.scanner[0].cidrs().len(), 2);
        let e = ScannerFile::parse("[[scanner]]\ntool = \"x\"\nagents = [\"a\"]\n", "u.toml")
            .unwrap_err();
        assert!(e.to_string().contains("unknown field"), "{e}");
        let ok = ScannerFile::parse(
            "[[scanner]]\ntool = \"Acme\"\nrequests = [\" /Acme-Probe \"]\n",
            "u.toml",
        )
        .unwrap();
        assert_eq!(ok.scanner[0].requests, ["/acme-probe"]);
        assert!(matches!(
            ScannerFile::load(Path::new("/nonexistent/scanners.toml")),
            Err(RuleFileError::Read { .. })
        ));
    }
}
