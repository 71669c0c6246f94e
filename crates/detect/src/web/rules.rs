//! Rule data shipped beside the code: product endpoints for `web.exploit`
//! (`data/web_products.toml`) and sensitive file names for `web.sensitive`
//! (`data/web_sensitive.toml`), embedded at build time and parsed once. A
//! user file in the same format (`extra_rules` of either detector) adds to
//! them. The formats are documented at the top of each data file and in the
//! README.

use serde::Deserialize;
use std::path::Path;
use std::sync::LazyLock;

const PRODUCTS: &str = include_str!("../../data/web_products.toml");
const SENSITIVE: &str = include_str!("../../data/web_sensitive.toml");
const FINGERPRINTS: &str = include_str!("../../data/web_fingerprints.toml");

/// What kind of product endpoint an entry names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductClass {
    /// A known vulnerable endpoint or exploit path.
    Exploit,
    /// An installation or setup action.
    Setup,
    /// A management interface.
    Admin,
}

impl ProductClass {
    /// Stable lower-case name used in alert details.
    pub fn as_str(self) -> &'static str {
        match self {
            ProductClass::Exploit => "product_exploit",
            ProductClass::Setup => "product_setup",
            ProductClass::Admin => "product_admin",
        }
    }
}

/// One `[[product]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductRule {
    /// Product name shown in alerts.
    pub product: String,
    /// Endpoint class.
    pub class: ProductClass,
    /// Lower-case substrings of the decoded path and query.
    pub patterns: Vec<String>,
    /// CVE id, when one is known.
    #[serde(default)]
    pub cve: Option<String>,
    /// Advisory or write-up.
    #[serde(default)]
    #[allow(dead_code)]
    pub reference: Option<String>,
}

/// Class of a sensitive file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SensitiveClass {
    /// Credentials, keys, wallets.
    Secret,
    /// Version-control metadata.
    Vcs,
    /// Backups, dumps, editor leftovers.
    Backup,
    /// Configuration and status pages.
    Config,
}

/// One `[[sensitive]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensitiveRule {
    /// Class of the names.
    #[allow(dead_code)]
    pub class: SensitiveClass,
    /// Path patterns (see the data file).
    pub patterns: Vec<String>,
}

/// Archive and dump names built from stems and extensions.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackupNames {
    /// File stems that make `<stem>.<extension>` a backup probe.
    pub stems: Vec<String>,
    /// Archive and dump extensions, without the leading dot.
    pub extensions: Vec<String>,
}

/// A rule file: built-in data or a user's `extra_rules`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RuleFile {
    /// Product endpoints (`web.exploit`).
    pub product: Vec<ProductRule>,
    /// Sensitive file names (`web.sensitive`).
    pub sensitive: Vec<SensitiveRule>,
    /// Backup archive names (`web.sensitive`).
    pub backup: BackupNames,
}

/// Why a rule file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuleFileError {
    /// The file could not be read.
    #[error("cannot read rule file {path}: {message}")]
    Read {
        /// File path.
        path: String,
        /// Cause.
        message: String,
    },
    /// The TOML is invalid, has unknown keys, or an entry is unusable.
    #[error("rule file {path}: {message}")]
    Parse {
        /// File path.
        path: String,
        /// What is wrong and where.
        message: String,
    },
}

impl RuleFile {
    /// Parse rule TOML; `origin` names it in errors. Patterns are lower-cased;
    /// an entry without patterns is refused.
    pub fn parse(text: &str, origin: &str) -> Result<RuleFile, RuleFileError> {
        let err = |message: String| parse_error(origin, message);
        let mut f: RuleFile = parse_toml(text, origin)?;
        for (i, p) in f.product.iter_mut().enumerate() {
            lower_all(&mut p.patterns);
            if p.patterns.is_empty() {
                return Err(err(format!(
                    "product #{} ({}) has no pattern",
                    i + 1,
                    p.product
                )));
            }
        }
        for (i, s) in f.sensitive.iter_mut().enumerate() {
            lower_all(&mut s.patterns);
            if s.patterns.is_empty() {
                return Err(err(format!("sensitive #{} has no pattern", i + 1)));
            }
        }
        lower_all(&mut f.backup.stems);
        lower_all(&mut f.backup.extensions);
        for e in &mut f.backup.extensions {
            *e = e.trim_start_matches('.').to_string();
        }
        f.backup.extensions.retain(|e| !e.is_empty());
        Ok(f)
    }

    /// Read and parse a user rule file.
    pub fn load(path: &Path) -> Result<RuleFile, RuleFileError> {
        load_file(path, RuleFile::parse)
    }

    /// [`RuleFile::load`] for an optional path; a bad file is logged and
    /// read as empty (configuration loading rejects it first, see
    /// [`super::WebConfig::validate`]).
    pub fn load_or_empty(path: Option<&Path>) -> RuleFile {
        let Some(p) = path else {
            return RuleFile::default();
        };
        RuleFile::load(p).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "Ignored web rule file.");
            RuleFile::default()
        })
    }
}

/// The error of a rule file `origin` whose content is wrong.
pub(crate) fn parse_error(origin: &str, message: String) -> RuleFileError {
    RuleFileError::Parse {
        path: origin.to_string(),
        message,
    }
}

/// Deserialize a rule file's TOML; `origin` names it in the error.
pub(crate) fn parse_toml<T: serde::de::DeserializeOwned>(
    text: &str,
    origin: &str,
) -> Result<T, RuleFileError> {
    toml::from_str(text).map_err(|e| parse_error(origin, e.to_string()))
}

/// Read the rule file at `path` and parse it with `parse` (its text, and the
/// path as the origin its errors name).
pub(crate) fn load_file<T>(
    path: &Path,
    parse: impl FnOnce(&str, &str) -> Result<T, RuleFileError>,
) -> Result<T, RuleFileError> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| RuleFileError::Read {
        path: origin.clone(),
        message: e.to_string(),
    })?;
    parse(&text, &origin)
}

/// Trim and lower-case every entry; drop the empty ones.
pub(crate) fn lower_all(v: &mut Vec<String>) {
    for s in v.iter_mut() {
        *s = s.trim().to_ascii_lowercase();
    }
    v.retain(|s| !s.is_empty());
}

/// The built-in product endpoints.
pub fn builtin_products() -> &'static [ProductRule] {
    &BUILTIN_PRODUCTS.product
}

/// The built-in sensitive names and backup names.
pub fn builtin_sensitive() -> &'static RuleFile {
    &BUILTIN_SENSITIVE
}

/// One `[[fingerprint]]` entry of `data/web_fingerprints.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FingerprintRule {
    /// Product name (for the reader of the file).
    #[allow(dead_code)]
    product: String,
    /// Path patterns of the product's own files.
    patterns: Vec<String>,
}

/// The product fingerprint file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct FingerprintFile {
    fingerprint: Vec<FingerprintRule>,
}

/// The built-in product fingerprint patterns (`web.probe`), lower case.
pub fn builtin_fingerprints() -> &'static [String] {
    &BUILTIN_FINGERPRINTS
}

static BUILTIN_FINGERPRINTS: LazyLock<Vec<String>> = LazyLock::new(|| {
    parse_fingerprints(FINGERPRINTS).unwrap_or_else(|e| {
        tracing::error!(error = %e, "Built-in fingerprint paths are invalid.");
        Vec::new()
    })
});

fn parse_fingerprints(text: &str) -> Result<Vec<String>, toml::de::Error> {
    let f: FingerprintFile = toml::from_str(text)?;
    let mut all: Vec<String> = f.fingerprint.into_iter().flat_map(|r| r.patterns).collect();
    lower_all(&mut all);
    Ok(all)
}

static BUILTIN_PRODUCTS: LazyLock<RuleFile> = LazyLock::new(|| {
    RuleFile::parse(PRODUCTS, "data/web_products.toml").unwrap_or_else(|e| {
        // The file is embedded and checked by a unit test: unreachable in a
        // tested build, but never a panic on a user's machine.
        tracing::error!(error = %e, "Built-in product rules are invalid.");
        RuleFile::default()
    })
});

static BUILTIN_SENSITIVE: LazyLock<RuleFile> = LazyLock::new(|| {
    RuleFile::parse(SENSITIVE, "data/web_sensitive.toml").unwrap_or_else(|e| {
        tracing::error!(error = %e, "Built-in sensitive rules are invalid.");
        RuleFile::default()
    })
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_fingerprints_parse() {
        let f = parse_fingerprints(FINGERPRINTS).unwrap();
        assert!(f.len() > 40, "{}", f.len());
        assert!(f.contains(&"/wp-includes/".to_string()));
        assert!(f.iter().all(|p| p.starts_with('/')), "{f:?}");
        assert!(parse_fingerprints("[[fingerprint]]\nproduct = \"x\"\n").is_err());
    }

    #[test]
    fn builtin_files_parse() {
        let p = RuleFile::parse(PRODUCTS, "p").unwrap();
        assert!(p.product.len() > 80, "{}", p.product.len());
        assert!(p.sensitive.is_empty());
        let s = RuleFile::parse(SENSITIVE, "s").unwrap();
        assert!(s.product.is_empty());
        assert_eq!(s.sensitive.len(), 4);
        assert!(s.backup.stems.contains(&"www".to_string()));
        assert!(s.backup.extensions.contains(&"tar.gz".to_string()));
        // Every pattern is lower case already (the matcher folds the request).
        for r in &p.product {
            for pat in &r.patterns {
                assert_eq!(pat, &pat.to_ascii_lowercase(), "{}", r.product);
            }
        }
    }

    #[test]
    fn user_file_errors_say_where() {
        let e = RuleFile::parse(
            "[[product]]\nproduct = \"x\"\nclass = \"bogus\"\npatterns = [\"/a\"]\n",
            "u.toml",
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("rule file u.toml: "), "{e}");
        let e = RuleFile::parse(
            "[[product]]\nproduct = \"x\"\nclass = \"admin\"\npatterns = []\n",
            "u.toml",
        )
        .unwrap_err();
        assert!(e.to_string().contains("has no pattern"), "{e}");
        let ok = RuleFile::parse(
            "[[product]]\nproduct = \"Acme\"\nclass = \"setup\"\npatterns = [\"/Acme/Setup\"]\ncve = \"CVE-1\"\n",
            "u.toml",
        )
        .unwrap();
        assert_eq!(ok.product[0].patterns, vec!["/acme/setup".to_string()]);
        assert!(matches!(
            RuleFile::load(Path::new("/nonexistent/rules.toml")),
            Err(RuleFileError::Read { .. })
        ));
    }
}
