//! The name lists of `web.sweep`'s path families, shipped as data beside
//! the code (`data/web_sweep.toml`, its format documented at its top and in
//! the README) and extendable with `[web.sweep] extra_rules`, a file in the
//! same format whose lists are added to the built-in ones.

use super::rules::RuleFileError;
use serde::Deserialize;
use std::path::Path;
use std::sync::{Arc, LazyLock};

const BUILTIN: &str = include_str!("../../data/web_sweep.toml");

/// `[backup]`: site archives and dumps.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Backup {
    pub archive_extensions: Vec<String>,
    pub dump_extensions: Vec<String>,
    pub stems: Vec<String>,
    pub folders: Vec<String>,
}

/// `[secret]`: secret and credential files.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Secret {
    pub names: Vec<String>,
    pub extensions: Vec<String>,
    pub config_files: Vec<String>,
    pub copy_suffixes: Vec<String>,
    pub folders: Vec<String>,
}

/// `[webshell]`: web shells and upload paths.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Webshell {
    pub script_extensions: Vec<String>,
    pub stems: Vec<String>,
    pub upload_folders: Vec<String>,
}

/// `[vcs_config]` and `[admin_setup]`: path substrings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Markers {
    pub markers: Vec<String>,
}

/// A sweep name file: the built-in data or a user's `extra_rules`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct SweepNames {
    pub backup: Backup,
    pub secret: Secret,
    pub webshell: Webshell,
    pub vcs_config: Markers,
    pub admin_setup: Markers,
}

/// What an entry of a list must look like.
#[derive(Clone, Copy)]
enum Shape {
    /// Starts with `.`, longer than the dot.
    Extension,
    /// Starts and ends with `/`.
    Folder,
    /// Starts with `/`.
    Marker,
    /// Holds no `/`.
    Name,
    /// Anything not empty.
    Suffix,
}

impl Shape {
    fn check(self, s: &str) -> Result<(), &'static str> {
        let ok = match self {
            Shape::Extension => s.len() > 1 && s.starts_with('.') && !s.contains('/'),
            Shape::Folder => s.len() > 1 && s.starts_with('/') && s.ends_with('/'),
            Shape::Marker => s.len() > 1 && s.starts_with('/'),
            Shape::Name | Shape::Suffix => !s.contains('/'),
        };
        if ok {
            Ok(())
        } else {
            Err(match self {
                Shape::Extension => "an extension starts with '.'",
                Shape::Folder => "a folder starts and ends with '/'",
                Shape::Marker => "a marker starts with '/'",
                Shape::Name | Shape::Suffix => "a name holds no '/'",
            })
        }
    }
}

impl SweepNames {
    /// Every list with its key and the shape its entries must have.
    fn lists_mut(&mut self) -> [(&'static str, Shape, &mut Vec<String>); 14] {
        [
            (
                "backup.archive_extensions",
                Shape::Extension,
                &mut self.backup.archive_extensions,
            ),
            (
                "backup.dump_extensions",
                Shape::Extension,
                &mut self.backup.dump_extensions,
            ),
            ("backup.stems", Shape::Name, &mut self.backup.stems),
            ("backup.folders", Shape::Folder, &mut self.backup.folders),
            ("secret.names", Shape::Name, &mut self.secret.names),
            (
                "secret.extensions",
                Shape::Extension,
                &mut self.secret.extensions,
            ),
            (
                "secret.config_files",
                Shape::Name,
                &mut self.secret.config_files,
            ),
            (
                "secret.copy_suffixes",
                Shape::Suffix,
                &mut self.secret.copy_suffixes,
            ),
            ("secret.folders", Shape::Folder, &mut self.secret.folders),
            (
                "webshell.script_extensions",
                Shape::Extension,
                &mut self.webshell.script_extensions,
            ),
            ("webshell.stems", Shape::Name, &mut self.webshell.stems),
            (
                "webshell.upload_folders",
                Shape::Folder,
                &mut self.webshell.upload_folders,
            ),
            (
                "vcs_config.markers",
                Shape::Marker,
                &mut self.vcs_config.markers,
            ),
            (
                "admin_setup.markers",
                Shape::Marker,
                &mut self.admin_setup.markers,
            ),
        ]
    }

    /// Parse a name file; `origin` names it in errors. Entries are trimmed
    /// and lower-cased; one of the wrong shape is refused, naming its list
    /// and position.
    pub fn parse(text: &str, origin: &str) -> Result<SweepNames, RuleFileError> {
        let err = |message: String| super::rules::parse_error(origin, message);
        let mut f: SweepNames = super::rules::parse_toml(text, origin)?;
        for (key, shape, list) in f.lists_mut() {
            for (i, s) in list.iter_mut().enumerate() {
                *s = s.trim().to_ascii_lowercase();
                if s.is_empty() {
                    return Err(err(format!("{key}[{i}] is empty")));
                }
                shape.check(s).map_err(|why| {
                    err(format!(
                        "{key}[{i}] {:?}: {why}",
                        super::episode::bounded(s)
                    ))
                })?;
            }
        }
        Ok(f)
    }

    /// Read and parse a user name file.
    pub fn load(path: &Path) -> Result<SweepNames, RuleFileError> {
        super::rules::load_file(path, SweepNames::parse)
    }

    /// The built-in lists plus those of `extra` (an `extra_rules` path); a
    /// bad file is logged and adds nothing (configuration loading refuses
    /// it first, see [`super::WebConfig::validate`]). Extension lists are
    /// ordered longest first, so `.tar.gz` is taken before `.gz`.
    pub fn with_extra(extra: Option<&Path>) -> Arc<SweepNames> {
        let Some(p) = extra else {
            return BUILTIN_NAMES.clone();
        };
        let extra = SweepNames::load(p).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "Ignored web.sweep name file.");
            SweepNames::default()
        });
        let mut all = SweepNames::clone(&BUILTIN_NAMES);
        let mut extra = extra;
        for ((_, _, mine), (_, _, more)) in all.lists_mut().into_iter().zip(extra.lists_mut()) {
            mine.append(more);
        }
        all.tidy();
        Arc::new(all)
    }

    fn tidy(&mut self) {
        for (_, shape, list) in self.lists_mut() {
            let mut seen = std::collections::HashSet::new();
            list.retain(|s| seen.insert(s.clone()));
            if matches!(shape, Shape::Extension | Shape::Suffix) {
                list.sort_by_key(|s| std::cmp::Reverse(s.len()));
            }
        }
    }
}

static BUILTIN_NAMES: LazyLock<Arc<SweepNames>> = LazyLock::new(|| {
    let mut n = SweepNames::parse(BUILTIN, "data/web_sweep.toml").unwrap_or_else(|e| {
        // The file is part of the build and tested; never reached.
        tracing::error!(error = %e, "Built-in web.sweep names do not parse.");
        SweepNames::default()
    });
    n.tidy();
    Arc::new(n)
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_names_parse_and_are_ordered() {
        let n = SweepNames::parse(BUILTIN, "data/web_sweep.toml").unwrap();
        assert!(n.backup.stems.iter().any(|s| s == "www"));
        assert!(n.secret.names.iter().any(|s| s == "wallet.dat"));
        let b = SweepNames::with_extra(None);
        let ext = &b.backup.archive_extensions;
        let pos = |e: &str| ext.iter().position(|x| x == e).unwrap();
        assert!(pos(".tar.gz") < pos(".gz"));
    }

    #[test]
    fn bad_entries_are_refused_with_their_list_and_position() {
        for (text, want) in [
            (
                "[backup]\nfolders = [\"/backup/\", \"dumps\"]\n",
                "u.toml: backup.folders[1] \"dumps\": a folder starts and ends with '/'",
            ),
            (
                "[secret]\nextensions = [\"pem\"]\n",
                "u.toml: secret.extensions[0] \"pem\": an extension starts with '.'",
            ),
            (
                "[webshell]\nstems = [\"a/b\"]\n",
                "u.toml: webshell.stems[0] \"a/b\": a name holds no '/'",
            ),
            (
                "[admin_setup]\nmarkers = [\" \"]\n",
                "u.toml: admin_setup.markers[0] is empty",
            ),
        ] {
            let e = SweepNames::parse(text, "u.toml").unwrap_err().to_string();
            assert_eq!(e, format!("rule file {want}"), "{text}");
        }
        let e = SweepNames::parse("[backup]\nstemz = []\n", "u.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `stemz`"), "{e}");
        let e = SweepNames::load(Path::new("/nonexistent/sweep.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("cannot read rule file /nonexistent/sweep.toml"),
            "{e}"
        );
    }

    #[test]
    fn extra_lists_are_added_lower_cased() {
        let f = std::env::temp_dir().join(format!("haboob-sweep-{}.toml", std::process::id()));
        std::fs::write(
            &f,
            "[backup]\nstems = [\"Electionsite\"]\n[admin_setup]\nmarkers = [\"/Acme/Setup\"]\n",
        )
        .unwrap();
        let n = SweepNames::with_extra(Some(&f));
        std::fs::remove_file(&f).ok();
        assert!(n.backup.stems.iter().any(|s| s == "electionsite"));
        assert!(n.backup.stems.iter().any(|s| s == "www"));
        assert!(n.admin_setup.markers.iter().any(|s| s == "/acme/setup"));
    }
}
