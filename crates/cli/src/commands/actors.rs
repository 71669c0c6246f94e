//! `haboob actors list|show`: the actors haboob knows, from its own
//! profiles and, with `--attack` (or `[intel] attack`), the ATT&CK bundle.

use crate::args::{ActorsArgs, ActorsCommand, ActorsFormat};
use anyhow::{Context, Result};
use haboob_intel::actors::{ActorOrigin, Fingerprint};
use haboob_intel::{Actor, ActorDb};
use haboob_model::terminal;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The actor database: the built-in profiles, merged with the ATT&CK bundle
/// named by `attack`, else by the configuration's `[intel] attack`.
pub fn load_db(attack: Option<&Path>, config_attack: Option<&Path>) -> Result<ActorDb> {
    match attack.or(config_attack) {
        Some(p) => ActorDb::with_attack(p)
            .with_context(|| format!("cannot load the ATT&CK bundle {}", p.display())),
        None => Ok(ActorDb::builtin()),
    }
}

fn db_for(attack: &Option<PathBuf>, config: &Option<PathBuf>) -> Result<ActorDb> {
    let cfg = super::hunt::load_config(config.as_ref())?;
    load_db(attack.as_deref(), cfg.intel.attack.as_deref())
}

/// `haboob actors`.
pub fn run(a: &ActorsArgs) -> Result<u8> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match &a.command {
        ActorsCommand::List {
            attack,
            config,
            format,
        } => {
            let db = db_for(attack, config)?;
            match format {
                ActorsFormat::Json => {
                    serde_json::to_writer_pretty(&mut out, db.actors())?;
                    writeln!(out)?;
                }
                ActorsFormat::Table => write_list(&mut out, &db)?,
            }
            Ok(0)
        }
        ActorsCommand::Show {
            name,
            attack,
            config,
            format,
        } => {
            let db = db_for(attack, config)?;
            let Some(actor) = db.get(name) else {
                let near = db.suggest(name, 5);
                let hint = if near.is_empty() {
                    "; `haboob actors list` names them all".to_string()
                } else {
                    let near: Vec<String> = near.iter().map(|n| terminal(n, 80)).collect();
                    format!("; did you mean: {}?", near.join(", "))
                };
                eprintln!("haboob: no actor named \"{}\"{hint}", terminal(name, 80));
                return Ok(1);
            };
            match format {
                ActorsFormat::Json => {
                    let mut v = serde_json::to_value(actor)?;
                    let names: serde_json::Map<String, serde_json::Value> = actor
                        .techniques
                        .iter()
                        .filter_map(|t| Some((t.clone(), db.technique_name(t)?.into())))
                        .collect();
                    v["technique_names"] = names.into();
                    serde_json::to_writer_pretty(&mut out, &v)?;
                    writeln!(out)?;
                }
                ActorsFormat::Table => write_show(&mut out, &db, actor)?,
            }
            Ok(0)
        }
    }
}

fn write_list(w: &mut dyn Write, db: &ActorDb) -> Result<()> {
    writeln!(
        w,
        "{:<28} {:<7} {:<34} ALIASES",
        "ACTOR", "ATT&CK", "SPONSOR"
    )?;
    for a in db.actors() {
        let aliases: Vec<String> = a.aliases.iter().take(6).map(|x| terminal(x, 40)).collect();
        let more = a.aliases.len().saturating_sub(6);
        writeln!(
            w,
            "{:<28} {:<7} {:<34} {}{}",
            terminal(&a.name, 28),
            a.attack_id
                .as_deref()
                .map_or("-".into(), |x| terminal(x, 7)),
            a.sponsor.as_deref().map_or("-".into(), |x| terminal(x, 34)),
            aliases.join(", "),
            if more > 0 {
                format!(" (+{more})")
            } else {
                String::new()
            }
        )?;
    }
    let own = db
        .actors()
        .iter()
        .filter(|a| a.origin != ActorOrigin::Attack)
        .count();
    eprintln!(
        "{} actors: {own} haboob profiles{}",
        db.len(),
        if db.attack_loaded() {
            format!(", {} from ATT&CK only", db.len() - own)
        } else {
            " (add --attack PATH for the ATT&CK groups)".to_string()
        }
    );
    Ok(())
}

fn row(w: &mut dyn Write, label: &str, items: &[String]) -> Result<()> {
    for (i, v) in items.iter().enumerate() {
        let head = if i == 0 { label } else { "" };
        writeln!(w, "  {head:<15}{v}")?;
    }
    Ok(())
}

fn fingerprint_text(f: &Fingerprint) -> String {
    let what = match (&f.user_agent_contains, &f.tool) {
        (Some(ua), _) => format!("user agent contains {:?}", ua),
        (_, Some(t)) => format!("tool {t}"),
        _ => String::new(),
    };
    terminal(&format!("{what}: {}", f.note), 200)
}

fn write_show(w: &mut dyn Write, db: &ActorDb, a: &Actor) -> Result<()> {
    let t = |s: &str| terminal(s, 300);
    writeln!(
        w,
        "{}{}",
        t(&a.name),
        a.attack_id
            .as_deref()
            .map_or(String::new(), |id| format!(" ({})", t(id)))
    )?;
    row(
        w,
        "aliases",
        &[a.aliases
            .iter()
            .map(|x| t(x))
            .collect::<Vec<_>>()
            .join(", ")],
    )?;
    row(
        w,
        "sponsor",
        &a.sponsor.iter().map(|x| t(x)).collect::<Vec<_>>(),
    )?;
    row(
        w,
        "summary",
        &a.summary.iter().map(|x| t(x)).collect::<Vec<_>>(),
    )?;
    if !a.sectors.is_empty() {
        let s: Vec<String> = a
            .sectors
            .iter()
            .map(|s| format!("{s:?}").to_lowercase())
            .collect();
        row(w, "sectors", &[s.join(", ")])?;
    }
    if !a.regions.is_empty() {
        row(
            w,
            "regions",
            &[a.regions
                .iter()
                .map(|x| t(x))
                .collect::<Vec<_>>()
                .join(", ")],
        )?;
    }
    let techniques: Vec<String> = a
        .techniques
        .iter()
        .map(|id| match db.technique_name(id) {
            Some(n) => format!("{id} {}", t(n)),
            None => id.clone(),
        })
        .collect();
    row(w, "techniques", &techniques)?;
    row(
        w,
        "infrastructure",
        &a.infrastructure.iter().map(|x| t(x)).collect::<Vec<_>>(),
    )?;
    if !a.software.is_empty() {
        row(
            w,
            "software",
            &[a.software
                .iter()
                .map(|x| t(x))
                .collect::<Vec<_>>()
                .join(", ")],
        )?;
    }
    row(
        w,
        "fingerprints",
        &a.fingerprints
            .iter()
            .map(fingerprint_text)
            .collect::<Vec<_>>(),
    )?;
    if let (Some(o), Some([s, e])) = (a.utc_offset_minutes, a.work_hours) {
        row(
            w,
            "hours",
            &[format!("{s:02}-{e:02} UTC{:+}", f64::from(o) / 60.0)],
        )?;
    }
    row(
        w,
        "sources",
        &a.sources.iter().map(|x| t(x)).collect::<Vec<_>>(),
    )?;
    let from = match a.origin {
        ActorOrigin::Profile => "haboob profile",
        ActorOrigin::Attack => "MITRE ATT&CK",
        ActorOrigin::ProfileAndAttack => "haboob profile + MITRE ATT&CK",
    };
    row(w, "from", &[from.to_string()])?;
    Ok(())
}
