//! `haboob intel import|pull|list`, and the `--intel` of `hunt`.

use crate::args::{Globals, IntelArgs, IntelCommand};
use anyhow::{bail, Context, Result};
use haboob_intel::sources::taxii::{self, Auth};
use haboob_intel::sources::{self, Import, ImportOptions, ImportSummary};
use haboob_intel::{BuildOptions, Indicator, IntelIndex};
use haboob_report::terminal;
use std::path::PathBuf;
use std::sync::Arc;

/// Rejections and unsupported patterns printed per import.
const SHOWN: usize = 10;

/// Load `--intel` paths (and, with `store`, the stored indicators) into an
/// index; `None` when nothing was given. Prints what was loaded on stderr
/// unless quiet.
pub fn load_for_hunt(
    g: &Globals,
    paths: &[PathBuf],
    store: Option<&str>,
) -> Result<Option<Arc<IntelIndex>>> {
    let mut all: Vec<Indicator> = Vec::new();
    // Plain lists stay compact (a 1M-line feed loads in a fraction of the
    // time and memory of one `Indicator` per line).
    let mut lists = Vec::new();
    let opts = ImportOptions {
        imported: haboob_model::Ts::now(),
        ..ImportOptions::default()
    };
    for p in paths {
        let imp = sources::load_for_index(p, &opts)
            .with_context(|| format!("reading intel {}", p.display()))?;
        if !g.quiet {
            print_summary(&p.display().to_string(), &imp.summary);
        }
        all.extend(imp.indicators);
        lists.extend(imp.lists);
    }
    if let Some(url) = store {
        let url = super::store::resolve(url)?;
        let st = super::store::open(&url)?;
        let stored = st
            .indicators(&haboob_store::IndicatorQuery::default())
            .context("reading stored indicators")?;
        if !g.quiet && !stored.is_empty() {
            eprintln!("intel: {} stored indicators", stored.len());
        }
        // Files given on the command line win over stored copies.
        let mut v = stored;
        v.append(&mut all);
        all = v;
    }
    if paths.is_empty() && all.is_empty() {
        return Ok(None);
    }
    let (index, report) = IntelIndex::build_with_lists(all, lists, &BuildOptions::default());
    if !g.quiet {
        eprintln!(
            "intel: {} indicators loaded ({}){}",
            report.indicators,
            kinds(&report.by_kind),
            if report.duplicates > 0 {
                format!(", {} duplicates replaced", report.duplicates)
            } else {
                String::new()
            }
        );
        print_unsupported(&report.unsupported);
    }
    Ok(Some(Arc::new(index)))
}

fn kinds(m: &std::collections::BTreeMap<String, u64>) -> String {
    if m.is_empty() {
        return "none".into();
    }
    m.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn print_unsupported(u: &[(String, String)]) {
    if u.is_empty() {
        return;
    }
    eprintln!("intel: {} indicators cannot be evaluated on logs:", u.len());
    for (id, why) in u.iter().take(SHOWN) {
        eprintln!("  {}: {}", terminal(id, 200), terminal(why, 300));
    }
    if u.len() > SHOWN {
        eprintln!("  … and {} more", u.len() - SHOWN);
    }
}

/// Print an import summary: counts per kind, rejections (first few) with
/// reasons, unsupported types, skipped values and context.
pub fn print_summary(what: &str, s: &ImportSummary) {
    eprintln!(
        "{}: {} values imported ({})",
        terminal(what, 300),
        s.imported(),
        kinds(&s.by_kind)
    );
    if s.context_seen > 0 {
        eprintln!(
            "  context (to_ids=false): {} seen, {} imported{}",
            s.context_seen,
            s.context_imported,
            if s.context_imported == 0 {
                " (--include-context imports them)"
            } else {
                ""
            }
        );
    }
    if !s.unsupported.is_empty() {
        eprintln!(
            "  not used on logs: {}",
            terminal(&kinds(&s.unsupported), 1000)
        );
    }
    if !s.skipped.is_empty() {
        eprintln!("  skipped: {}", terminal(&kinds(&s.skipped), 1000));
    }
    if s.rejected > 0 {
        eprintln!("  rejected: {}", s.rejected);
        for r in s.rejections.iter().take(SHOWN) {
            eprintln!("    {}", terminal(&r.to_string(), 400));
        }
        if s.rejected as usize > SHOWN {
            eprintln!("    … and {} more", s.rejected as usize - SHOWN);
        }
    }
}

/// Run `haboob intel …`.
pub fn run(g: &Globals, a: &IntelArgs) -> Result<u8> {
    match &a.command {
        IntelCommand::Import {
            path,
            store,
            source,
            tlp,
            kind,
            include_context,
            format,
        } => {
            check_format(format)?;
            let opts = ImportOptions {
                source: source.clone(),
                imported: haboob_model::Ts::now(),
                tlp: match tlp {
                    Some(t) => Some(sources::list::parse_tlp(t).with_context(|| {
                        format!("--tlp {t:?}: clear, green, amber, amber+strict or red")
                    })?),
                    None => None,
                },
                list_kind: match kind {
                    Some(k) => Some(k.parse().map_err(anyhow::Error::msg)?),
                    None => None,
                },
                include_context: *include_context,
            };
            let (imp, src) = if path.starts_with("http://") || path.starts_with("https://") {
                let src = source.clone().unwrap_or_else(|| format!("misp:{path}"));
                let imp = sources::misp::read_feed_url(path, &src, &opts, &Auth::None)
                    .with_context(|| format!("reading MISP feed {}", terminal(path, 300)))?;
                (imp, src)
            } else {
                let imp = sources::load_path(std::path::Path::new(path), &opts)
                    .with_context(|| format!("reading intel {}", terminal(path, 300)))?;
                let src = imp
                    .indicators
                    .first()
                    .map(|i| i.provenance.source.clone())
                    .unwrap_or_else(|| path.clone());
                (imp, src)
            };
            print_summary(path, &imp.summary);
            report_patterns(&imp);
            if let Some(url) = store {
                let (st, imports) = save(g, url, &imp, &src, None)?;
                super::intel_matches::report(&st, &imports, format)?;
            }
            Ok(u8::from(imp.summary.rejected > 0))
        }
        IntelCommand::Pull {
            url,
            collection,
            user,
            password_env,
            token_env,
            store,
            added_after,
            source,
            format,
        } => {
            check_format(format)?;
            let auth = match (user, password_env, token_env) {
                (Some(u), Some(var), _) => Auth::Basic {
                    user: u.clone(),
                    password: std::env::var(var)
                        .with_context(|| format!("--password-env {var}: not set"))?,
                },
                (_, _, Some(var)) => Auth::Bearer(
                    std::env::var(var).with_context(|| format!("--token-env {var}: not set"))?,
                ),
                _ => Auth::None,
            };
            let src = source
                .clone()
                .unwrap_or_else(|| format!("taxii:{}#{collection}", url.trim_end_matches('/')));
            let opts = ImportOptions {
                source: Some(src.clone()),
                imported: haboob_model::Ts::now(),
                ..ImportOptions::default()
            };
            // The stored cursor of this source, unless --added-after.
            let st = match store {
                Some(s) => Some(super::store::open(&super::store::resolve(s)?)?),
                None => None,
            };
            let cursor = match (added_after, &st) {
                (Some(a), _) => Some(a.clone()),
                (None, Some(st)) => st.intel_cursor(&src)?,
                (None, None) => None,
            };
            let pull = taxii::pull(url, collection, &auth, cursor.as_deref(), &opts)
                .with_context(|| format!("pulling {}", terminal(url, 300)))?;
            if !g.quiet {
                eprintln!(
                    "{}: {} objects in {} pages{}",
                    terminal(&pull.url, 300),
                    pull.objects,
                    pull.pages,
                    pull.cursor
                        .as_deref()
                        .map_or_else(String::new, |c| format!(", cursor {}", terminal(c, 64)))
                );
            }
            print_summary(&pull.url, &pull.import.summary);
            report_patterns(&pull.import);
            if let Some(s) = store {
                let (st, imports) = save(g, s, &pull.import, &src, pull.cursor.as_deref())?;
                super::intel_matches::report(&st, &imports, format)?;
            }
            Ok(u8::from(pull.import.summary.rejected > 0))
        }
        IntelCommand::List { store } => {
            let st = super::store::open(&super::store::resolve(store)?)?;
            let rows = st.intel_sources()?;
            if rows.is_empty() {
                println!("no intel sources stored");
            }
            for r in rows {
                println!(
                    "{}\t{} indicators\tlast imported {}\tcursor {}",
                    terminal(&r.source, 300),
                    r.indicators,
                    r.last_imported.to_rfc3339(),
                    terminal(r.cursor.as_deref().unwrap_or("-"), 64)
                );
            }
            Ok(0)
        }
    }
}

/// A `--format` of `intel import|pull`.
fn check_format(f: &str) -> Result<()> {
    match f {
        "table" | "json" => Ok(()),
        other => bail!("--format {:?}: expected table or json", terminal(other, 40)),
    }
}

/// Patterns the index cannot evaluate, listed like a hunt would.
fn report_patterns(imp: &Import) {
    let (_, report) = IntelIndex::build(imp.indicators.clone(), &BuildOptions::default());
    print_unsupported(&report.unsupported);
}

/// Save what was read, one import per provenance source; the store and
/// the numbers of the imports (their added and changed indicators are the
/// new ones).
fn save(
    g: &Globals,
    url: &str,
    imp: &Import,
    source: &str,
    cursor: Option<&str>,
) -> Result<(haboob_store::Store, Vec<i64>)> {
    let st = super::store::open(&super::store::resolve(url)?)?;
    let mut imports = Vec::new();
    if imp.indicators.is_empty() && cursor.is_none() {
        if !g.quiet {
            eprintln!("nothing to save");
        }
        return Ok((st, imports));
    }
    // One save per provenance source (a folder may hold several).
    let mut by_source: std::collections::BTreeMap<&str, Vec<Indicator>> = Default::default();
    for i in &imp.indicators {
        by_source
            .entry(i.provenance.source.as_str())
            .or_default()
            .push(i.clone());
    }
    if by_source.is_empty() {
        by_source.insert(source, Vec::new());
    }
    for (src, inds) in by_source {
        let done = st
            .import_indicators(&haboob_store::IntelWrite {
                indicators: &inds,
                source: src,
                cursor: if src == source { cursor } else { None },
            })
            .with_context(|| format!("saving indicators of {}", terminal(src, 300)))?;
        let saved = done.saved;
        if saved.added + saved.updated > 0 {
            imports.push(done.import);
        }
        if !g.quiet {
            eprintln!(
                "stored {}: {} added, {} updated, {} unchanged",
                terminal(src, 300),
                saved.added,
                saved.updated,
                saved.unchanged
            );
        }
    }
    if imp.summary.imported() == 0 && imp.summary.rejected > 0 {
        bail!("no indicator imported");
    }
    Ok((st, imports))
}
