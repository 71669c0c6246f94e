//! Loading rules from files and folders: every document loads or yields a
//! [`LoadError`] with its file, line, column and reason.

use crate::compile::{self, CErr};
use crate::engine::{techniques, CorrelationDoc, Level, Program, RuleIdx, RuleMeta, RuleSet};
use crate::eval::{Item, Test, M};
use crate::mapping::{Family, Mapping};
use crate::pattern::{parse_wildcards, Pattern};
use crate::yamldoc::{merge, split, Doc};
use crate::LoadError;
use rayon::prelude::*;
use serde_yaml_ng::Value as Y;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Rule files larger than this are refused (rules are a few KiB).
const MAX_RULE_FILE: u64 = 8 << 20;

/// Counts of one folder (or of everything).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Rules loaded (compiled, will run).
    pub loaded: usize,
    /// Valid rules whose log source haboob does not read.
    pub unsupported_logsource: usize,
    /// Valid rules using a feature haboob does not implement.
    pub unsupported_feature: usize,
    /// Invalid documents (including unreadable files).
    pub invalid: usize,
    /// Correlation documents handed to the correlation engine.
    pub correlations: usize,
    /// Sigma filters applied to rules.
    pub filters: usize,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.loaded += o.loaded;
        self.unsupported_logsource += o.unsupported_logsource;
        self.unsupported_feature += o.unsupported_feature;
        self.invalid += o.invalid;
        self.correlations += o.correlations;
        self.filters += o.filters;
    }
}

/// What loading found, in total and per top folder.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// All inputs together.
    pub total: Counts,
    /// Per top folder: the argument's name and its first sub-folder
    /// (`rules/windows`), or the argument's name for a file.
    pub per_folder: BTreeMap<String, Counts>,
}

/// The outcome of [`load`].
#[derive(Debug, Default)]
pub struct Loaded {
    /// The rules that loaded, compiled.
    pub rules: RuleSet,
    /// Every document that did not load, with where and why.
    pub errors: Vec<LoadError>,
    /// The counts.
    pub tally: Tally,
}

/// A rule document ready to compile.
struct Raw {
    doc: Doc,
    y: Y,
    path: PathBuf,
    folder: String,
}

/// A Sigma filter document.
struct Filter {
    rules: Vec<String>,
    det: Y,
}

/// The rule files under `p` (recursive, `*.yml`/`*.yaml`, sorted).
fn files(p: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<LoadError>) {
    if p.is_dir() {
        let mut entries: Vec<PathBuf> = match std::fs::read_dir(p) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(e) => {
                errors.push(LoadError::Io {
                    path: p.to_owned(),
                    reason: e.to_string(),
                });
                return;
            }
        };
        entries.sort();
        for e in entries {
            if e.is_dir() {
                files(&e, out, errors);
            } else if matches!(e.extension().and_then(|x| x.to_str()), Some("yml" | "yaml")) {
                out.push(e);
            }
        }
    } else {
        out.push(p.to_owned());
    }
}

fn folder_of(root: &Path, file: &Path) -> String {
    let name = root.file_name().map_or_else(
        || root.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    match file.strip_prefix(root).ok().and_then(|r| {
        let mut c = r.components();
        let first = c.next()?;
        c.next()
            .map(|_| first.as_os_str().to_string_lossy().into_owned())
    }) {
        Some(sub) => format!("{name}/{sub}"),
        None => name,
    }
}

fn s<'a>(y: &'a Y, k: &str) -> Option<&'a str> {
    y.get(k).and_then(Y::as_str)
}

fn strings(y: &Y, k: &str) -> Vec<String> {
    match y.get(k) {
        Some(Y::Sequence(v)) => v
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        Some(Y::String(x)) => vec![x.clone()],
        _ => Vec::new(),
    }
}

/// What one rule file gives (files are read in parallel, then their
/// outcomes taken in file order).
#[derive(Default)]
struct FileOut {
    counts: Counts,
    raws: Vec<Raw>,
    filters: Vec<Filter>,
    corr: Vec<CorrelationDoc>,
    errors: Vec<LoadError>,
}

/// A compiled rule, before it has its index in the set.
type Compiled = (RuleMeta, Vec<(Program, Option<Vec<i64>>)>);

/// Loads the rules in `paths` (files or folders) with `mapping`. Files are
/// read and rules compiled on rayon's pool; the result is the same as one
/// file and one rule after the other (same order of rules and errors).
pub fn load(paths: &[PathBuf], mapping: &Mapping) -> Loaded {
    let mut out = Loaded::default();
    let mut raws = Vec::new();
    let mut filters: Vec<Filter> = Vec::new();
    let mut counts: BTreeMap<String, Counts> = BTreeMap::new();
    for root in paths {
        let mut list = Vec::new();
        files(root, &mut list, &mut out.errors);
        if !root.exists() {
            counts
                .entry(root.display().to_string())
                .or_default()
                .invalid += 1;
        }
        let read: Vec<(String, FileOut)> = list
            .par_iter()
            .map(|f| {
                let folder = folder_of(root, f);
                let o = read_file(f, &folder);
                (folder, o)
            })
            .collect();
        for (folder, o) in read {
            counts.entry(folder).or_default().add(&o.counts);
            raws.extend(o.raws);
            filters.extend(o.filters);
            o.corr
                .into_iter()
                .for_each(|c| out.rules.push_correlation(c));
            out.errors.extend(o.errors);
        }
    }
    let mut by_rule: HashMap<&str, Vec<&Y>> = HashMap::new();
    for f in &filters {
        for r in &f.rules {
            by_rule.entry(r.as_str()).or_default().push(&f.det);
        }
    }
    let compiled: Vec<Result<Compiled, LoadError>> = raws
        .par_iter()
        .map(|raw| {
            let id = s(&raw.y, "id").unwrap_or("");
            let name = s(&raw.y, "name");
            let mut fl: Vec<&Y> = by_rule.get(id).cloned().unwrap_or_default();
            if let Some(n) = name.and_then(|n| by_rule.get(n)) {
                fl.extend(n);
            }
            compile_rule(raw, &fl, mapping)
        })
        .collect();
    for (raw, r) in raws.iter().zip(compiled) {
        let c = counts.entry(raw.folder.clone()).or_default();
        match r {
            Ok((meta, mut progs)) => {
                let idx = out.rules.next_idx();
                progs.iter_mut().for_each(|(p, _)| p.rule = idx);
                out.rules.push_rule(meta, progs);
                c.loaded += 1;
            }
            Err(e) => {
                match &e {
                    LoadError::Unsupported { feature, .. } if feature.starts_with("logsource") => {
                        c.unsupported_logsource += 1;
                    }
                    LoadError::Unsupported { .. } => c.unsupported_feature += 1,
                    _ => c.invalid += 1,
                }
                out.errors.push(e);
            }
        }
    }
    out.rules.finish();
    for c in counts.values() {
        out.tally.total.add(c);
    }
    out.tally.per_folder = counts;
    out
}

/// Reads one file's documents into rules, filters, correlations or errors.
fn read_file(f: &Path, folder: &str) -> FileOut {
    let mut out = FileOut::default();
    let io = |reason: String| LoadError::Io {
        path: f.to_owned(),
        reason,
    };
    let text = match std::fs::metadata(f) {
        Ok(m) if m.len() > MAX_RULE_FILE => Err(io(format!("larger than {MAX_RULE_FILE} bytes"))),
        Ok(_) => std::fs::read_to_string(f).map_err(|e| io(e.to_string())),
        Err(e) => Err(io(e.to_string())),
    };
    let text = match text {
        Ok(t) => t,
        Err(e) => {
            out.counts.invalid += 1;
            out.errors.push(e);
            return out;
        }
    };
    let mut global: Option<Y> = None;
    let mut previous: Option<Y> = None;
    for doc in split(&text) {
        let inv = |line: usize, column: usize, reason: String| LoadError::Invalid {
            path: f.to_owned(),
            line,
            column,
            reason,
        };
        let y = match doc.parse() {
            Ok(y) => y,
            Err((l, col, r)) => {
                out.counts.invalid += 1;
                out.errors.push(inv(l, col, r));
                continue;
            }
        };
        if y.is_null() {
            continue;
        }
        if !y.is_mapping() {
            out.counts.invalid += 1;
            out.errors
                .push(inv(doc.line, 1, "a document must be a map".into()));
            continue;
        }
        match s(&y, "action") {
            Some("global") => {
                global = Some(without_action(&y));
                continue;
            }
            Some("reset") => {
                global = None;
                continue;
            }
            Some("repeat") => {
                let Some(prev) = &previous else {
                    out.counts.invalid += 1;
                    let (l, col) = doc.locate("action");
                    out.errors.push(inv(
                        l,
                        col,
                        "`action: repeat` with no document before it".into(),
                    ));
                    continue;
                };
                let y = merge(prev, &without_action(&y));
                previous = Some(y.clone());
                classify(doc, y, f, folder, &mut out);
                continue;
            }
            Some(other) => {
                out.counts.invalid += 1;
                let (l, col) = doc.locate("action");
                out.errors
                    .push(inv(l, col, format!("unknown `action: {other}`")));
                continue;
            }
            None => {}
        }
        let y = match &global {
            Some(g) => merge(g, &y),
            None => y,
        };
        previous = Some(y.clone());
        classify(doc, y, f, folder, &mut out);
    }
    out
}

fn without_action(y: &Y) -> Y {
    let mut y = y.clone();
    if let Some(m) = y.as_mapping_mut() {
        m.remove("action");
    }
    y
}

fn classify(doc: Doc, y: Y, f: &Path, folder: &str, out: &mut FileOut) {
    let inv = |(line, column): (usize, usize), reason: String| LoadError::Invalid {
        path: f.to_owned(),
        line,
        column,
        reason,
    };
    if y.get("correlation").is_some() {
        out.counts.correlations += 1;
        out.corr.push(CorrelationDoc {
            path: f.to_owned(),
            line: doc.line,
            doc: y,
        });
        return;
    }
    if let Some(fy) = y.get("filter") {
        let rules = strings(fy, "rules");
        if rules.is_empty() {
            out.counts.invalid += 1;
            out.errors
                .push(inv(doc.locate("filter"), "filter without `rules`".into()));
            return;
        }
        if fy.get("condition").is_none() {
            out.counts.invalid += 1;
            out.errors.push(inv(
                doc.locate("filter"),
                "filter without `condition`".into(),
            ));
            return;
        }
        let mut det = fy.clone();
        if let Some(m) = det.as_mapping_mut() {
            m.remove("rules");
        }
        out.counts.filters += 1;
        out.filters.push(Filter { rules, det });
        return;
    }
    for key in ["title", "logsource", "detection"] {
        if y.get(key).is_none() {
            out.counts.invalid += 1;
            out.errors
                .push(inv((doc.line, 1), format!("missing `{key}`")));
            return;
        }
    }
    out.raws.push(Raw {
        doc,
        y,
        path: f.to_owned(),
        folder: folder.to_string(),
    });
}

fn item_in(name: &str, values: Vec<String>) -> Item {
    let ms = values
        .iter()
        .map(|v| M::Str(Pattern::new(parse_wildcards(v), false)))
        .collect();
    Item {
        names: vec![name.to_string()],
        test: Test::Values {
            all: false,
            neq: false,
            ms,
        },
    }
}

/// Compiles one rule (its programs' rule index is set when it joins the
/// set).
fn compile_rule(raw: &Raw, filters: &[&Y], mapping: &Mapping) -> Result<Compiled, LoadError> {
    let y = &raw.y;
    let title = s(y, "title").unwrap_or("").to_string();
    let id = s(y, "id").unwrap_or("").to_string();
    let who = if id.is_empty() {
        title.clone()
    } else {
        id.clone()
    };
    let ls = y.get("logsource").cloned().unwrap_or(Y::Null);
    let (p, sv, ca) = (s(&ls, "product"), s(&ls, "service"), s(&ls, "category"));
    let Some(source) = mapping.source(p, sv, ca) else {
        let mut parts = Vec::new();
        for (k, v) in [("product", p), ("service", sv), ("category", ca)] {
            if let Some(v) = v {
                parts.push(format!("{k}={v}"));
            }
        }
        return Err(LoadError::Unsupported {
            path: raw.path.clone(),
            rule: who,
            feature: format!("logsource {} (not mapped)", parts.join(" ")),
        });
    };
    let det = y.get("detection").cloned().unwrap_or(Y::Null);
    let idx = RuleIdx(0);
    let mut progs = Vec::new();
    for v in &source.variants {
        let d = compile::detection(&det, filters, v, mapping).map_err(|e| match e {
            CErr::Invalid { near, reason } => {
                let (line, column) = raw.doc.locate(&near);
                LoadError::Invalid {
                    path: raw.path.clone(),
                    line,
                    column,
                    reason,
                }
            }
            CErr::Unsupported(feature) => LoadError::Unsupported {
                path: raw.path.clone(),
                rule: who.clone(),
                feature,
            },
        })?;
        let mut eids = compile::required_eventids(&d.cond, &d.sels);
        let mut pre = Vec::new();
        if !v.channel.is_empty() {
            pre.push(item_in("Channel", v.channel.clone()));
        }
        if !v.eventid.is_empty() {
            pre.push(item_in(
                "EventID",
                v.eventid.iter().map(i64::to_string).collect(),
            ));
            eids = Some(match eids {
                Some(r) => r.into_iter().filter(|e| v.eventid.contains(e)).collect(),
                None => v.eventid.clone(),
            });
            if eids.as_ref().is_some_and(Vec::is_empty) {
                // The rule's EventIDs and the variant's do not meet: never runs.
                continue;
            }
        }
        progs.push((
            Program {
                rule: idx,
                pre,
                det: d,
            },
            eids,
        ));
    }
    let tags = strings(y, "tags");
    let level = s(y, "level")
        .and_then(Level::parse)
        .unwrap_or(Level::Medium);
    let meta = RuleMeta {
        techniques: techniques(&tags),
        id,
        name: s(y, "name").map(str::to_string),
        title,
        level,
        status: s(y, "status").unwrap_or("").to_string(),
        tags,
        description: s(y, "description").unwrap_or("").to_string(),
        path: raw.path.clone(),
        line: raw.doc.line,
        family: source.family,
    };
    Ok((meta, progs))
}

/// Convenience: the family of records a log source maps to, if any.
pub fn family_of(
    mapping: &Mapping,
    product: Option<&str>,
    service: Option<&str>,
    category: Option<&str>,
) -> Option<Family> {
    mapping.source(product, service, category).map(|s| s.family)
}
