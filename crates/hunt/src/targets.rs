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
//! ```

use glob::{MatchOptions, Pattern};
use haboob_model::{Target, TargetSector};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::config::ConfigError;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetsFile {
    #[serde(default)]
    target: Vec<TargetEntry>,
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
        Ok(t)
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
}
