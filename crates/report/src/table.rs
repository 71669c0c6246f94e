//! The terminal report: campaigns first, then alerts with evidence.

use crate::{accounting, campaign_of, terminal};
use haboob_hunt::background::Background;
use haboob_hunt::HuntReport;
use haboob_model::intel::ReasonKind;
use haboob_model::{Alert, Campaign, Severity, Target, TargetSector};
use std::io::{self, Write};

/// Terminal report settings.
#[derive(Debug, Clone, Copy)]
pub struct TableOptions {
    /// ANSI colours.
    pub color: bool,
    /// Evidence lines shown per alert.
    pub evidence: usize,
    /// Maximum characters of one evidence line.
    pub width: usize,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            color: false,
            evidence: 3,
            width: 240,
        }
    }
}

struct Paint(bool);

impl Paint {
    fn sev(&self, s: Severity) -> String {
        let label = format!("[{}]", s.as_str().to_uppercase());
        if !self.0 {
            return label;
        }
        let code = match s {
            Severity::Low => "36",
            Severity::Medium => "33",
            Severity::High => "31",
            Severity::Critical => "1;41;97",
        };
        format!("\x1b[{code}m{label}\x1b[0m")
    }
    fn bold(&self, s: &str) -> String {
        if self.0 {
            format!("\x1b[1m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn dim(&self, s: &str) -> String {
        if self.0 {
            format!("\x1b[2m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

fn target_label(t: &Target) -> String {
    if t.name.is_empty() {
        return "(unknown site)".to_string();
    }
    if t.organisation.is_none() && t.region.is_none() && t.sector == TargetSector::Other {
        return terminal(&t.name, 100);
    }
    let mut extra = Vec::new();
    if let Some(o) = &t.organisation {
        extra.push(terminal(o, 80));
    }
    extra.push(format!("{:?}", t.sector).to_lowercase());
    if let Some(r) = &t.region {
        extra.push(terminal(r, 20));
    }
    format!("{} ({})", terminal(&t.name, 100), extra.join(", "))
}

/// The organisation owning a funnel key (tenant id or domain) when the
/// campaign's enriched targets know it, else the key itself.
fn funnel_label(c: &Campaign, key: &str) -> String {
    c.targets
        .iter()
        .find(|t| t.name.eq_ignore_ascii_case(key))
        .and_then(|t| t.organisation.clone())
        .unwrap_or_else(|| key.to_string())
}

fn write_campaign(w: &mut dyn Write, p: &Paint, c: &Campaign) -> io::Result<()> {
    writeln!(
        w,
        "{} {}  {}",
        p.sev(c.severity),
        p.dim(&c.id),
        p.bold(&terminal(&c.summary, 300))
    )?;
    writeln!(w, "  when        {} → {}", c.first_seen, c.last_seen)?;
    // Addresses, then actors without one (hosts presenting credentials).
    let all = c.sources.len() + c.actors.len();
    let srcs: Vec<String> = c
        .sources
        .iter()
        .map(|s| s.to_string())
        .chain(c.actors.iter().map(|a| terminal(a, 200)))
        .take(12)
        .collect();
    let more = all.saturating_sub(12);
    writeln!(
        w,
        "  sources     {}{}",
        srcs.join(", "),
        if more > 0 {
            format!(" (+{more} more)")
        } else {
            String::new()
        }
    )?;
    for (i, t) in c.targets.iter().enumerate() {
        let head = if i == 0 {
            "  targets    "
        } else {
            "             "
        };
        writeln!(w, "{head} {}", target_label(t))?;
    }
    writeln!(w, "  detectors   {}", c.detectors.join(", "))?;
    writeln!(w, "  ATT&CK      {}", c.techniques.join(", "))?;
    write_stages(w, c)?;
    write_attribution(w, p, c)?;
    if let Some(f) = &c.funnel {
        writeln!(
            w,
            "  funnel      {} attempts → {} probed → {} identified → {} attacked → {} compromised",
            f.attempts, f.probed, f.identified, f.attacked, f.compromised
        )?;
        let labels: Vec<String> = c
            .funnel_by_target
            .keys()
            .map(|k| funnel_label(c, k))
            .collect();
        let width = labels
            .iter()
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(0)
            .clamp(28, 64);
        for (label, f) in labels.iter().zip(c.funnel_by_target.values()) {
            writeln!(
                w,
                "    {:<width$} {} probed, {} identified, {} attacked, {} compromised",
                terminal(label, 64),
                f.probed,
                f.identified,
                f.attacked,
                f.compromised
            )?;
        }
    }
    if !c.compromised.is_empty() {
        let names: Vec<String> = c.compromised.iter().map(|n| terminal(n, 80)).collect();
        writeln!(w, "  {}  {}", p.bold("COMPROMISED"), names.join(", "))?;
    }
    for r in &c.reasons {
        writeln!(w, "  why         {}", terminal(r, 200))?;
    }
    writeln!(w, "  alerts      {}", c.alerts.len())?;
    writeln!(w)
}

/// Stage rows shown per campaign.
const MAX_STAGE_ROWS: usize = 24;

/// One row per stage and site, in stage order: the stage, when it was first
/// reached, the site and how many alerts show it.
fn write_stages(w: &mut dyn Write, c: &Campaign) -> io::Result<()> {
    for (i, s) in c.stages.iter().take(MAX_STAGE_ROWS).enumerate() {
        let head = if i == 0 {
            "  stages     "
        } else {
            "             "
        };
        let n = s.evidence.len();
        writeln!(
            w,
            "{head} {:<20} {}  {} ({})",
            s.stage.as_str().replace('_', " "),
            s.first_seen,
            terminal(&s.site, 120),
            plural(n, "alert")
        )?;
    }
    if c.stages.len() > MAX_STAGE_ROWS {
        writeln!(
            w,
            "              (+{} more)",
            c.stages.len() - MAX_STAGE_ROWS
        )?;
    }
    Ok(())
}

/// Reasons of the best candidate shown.
const TOP_REASONS: usize = 3;

/// The best candidate actor with its confidence and top reasons, the others
/// by name, or "unattributed".
fn write_attribution(w: &mut dyn Write, p: &Paint, c: &Campaign) -> io::Result<()> {
    let Some(best) = c.attribution.first() else {
        return writeln!(w, "  actor       unattributed");
    };
    let aliases: Vec<String> = best
        .aliases
        .iter()
        .take(4)
        .map(|a| terminal(a, 60))
        .collect();
    writeln!(
        w,
        "  actor       {} (confidence {}){}",
        p.bold(&terminal(&best.actor, 80)),
        best.confidence,
        if aliases.is_empty() {
            String::new()
        } else {
            format!(" aka {}", aliases.join(", "))
        }
    )?;
    for r in best.reasons.iter().take(TOP_REASONS) {
        let kind = match r.kind {
            ReasonKind::Infrastructure => "infrastructure",
            ReasonKind::Technique => "technique",
            ReasonKind::Targeting => "targeting",
            ReasonKind::Tooling => "tooling",
            ReasonKind::Timing => "timing",
        };
        writeln!(w, "    {:+4} {kind}: {}", r.weight, terminal(&r.text, 200))?;
    }
    if best.reasons.len() > TOP_REASONS {
        writeln!(
            w,
            "    (+{} more reasons)",
            best.reasons.len() - TOP_REASONS
        )?;
    }
    let others: Vec<String> = c
        .attribution
        .iter()
        .skip(1)
        .map(|a| format!("{} ({})", terminal(&a.actor, 80), a.confidence))
        .collect();
    if !others.is_empty() {
        writeln!(w, "  or          {}", others.join(", "))?;
    }
    Ok(())
}

fn write_alert(
    w: &mut dyn Write,
    p: &Paint,
    a: &Alert,
    campaign: Option<&str>,
    o: &TableOptions,
) -> io::Result<()> {
    // A victim signal (`intel.victim`): the listed infrastructure reached
    // is the attacker side, the internal host the target.
    let victim = a.details.get("role").and_then(|r| r.as_str()) == Some("victim");
    let infra = a
        .details
        .get("infrastructure")
        .and_then(|v| v.as_array())
        .and_then(|v| v.first())
        .and_then(|v| v.as_str());
    let src = match (&a.source.prefix, a.source.ip, infra) {
        (Some(pfx), _, _) => format!("{pfx} ({} addresses)", a.source.members.len().max(1)),
        (None, Some(ip), _) => ip.to_string(),
        (None, None, Some(i)) if victim => terminal(i, 100),
        (None, None, _) => "-".to_string(),
    };
    let target = match (a.target.is_empty(), victim) {
        (true, _) => "(unknown site)".to_string(),
        (false, true) => format!("{} (victim)", terminal(&a.target, 100)),
        (false, false) => terminal(&a.target, 100),
    };
    writeln!(
        w,
        "{} {}  {} → {}{}  ×{}",
        p.sev(a.severity),
        p.bold(&a.detector),
        src,
        target,
        a.user
            .as_deref()
            .map(|u| format!(" user {}", terminal(u, 80)))
            .unwrap_or_default(),
        a.count
    )?;
    writeln!(w, "  {}", terminal(&a.title, 300))?;
    writeln!(
        w,
        "  {} → {}   ATT&CK {}   {}",
        a.first_seen,
        a.last_seen,
        a.techniques.join(", "),
        p.dim(&format!("{} {}", a.id, campaign.unwrap_or("")))
    )?;
    for e in a.evidence.iter().take(o.evidence) {
        writeln!(
            w,
            "    {}",
            p.dim(&format!(
                "{}:{}  {}",
                terminal(&e.file, 120),
                e.line,
                terminal(&e.raw, o.width)
            ))
        )?;
    }
    if a.evidence.len() > o.evidence {
        writeln!(
            w,
            "    {}",
            p.dim(&format!(
                "… {} more evidence lines in --format jsonl",
                a.evidence.len() - o.evidence
            ))
        )?;
    }
    writeln!(w)
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The background section: one-off probes counted per detector and class.
fn write_background(w: &mut dyn Write, p: &Paint, b: &Background) -> io::Result<()> {
    writeln!(w, "{}", p.bold("BACKGROUND"))?;
    writeln!(
        w,
        "{} {} from {} against {} (one-off commodity probes, not campaigns)",
        p.sev(b.severity),
        plural(b.alerts as usize, "alert"),
        plural(b.sources as usize, "source"),
        plural(b.targets as usize, "target"),
    )?;
    for c in &b.classes {
        let what = if c.class == c.detector {
            c.detector.clone()
        } else {
            format!("{} {}", c.detector, terminal(&c.class, 64))
        };
        writeln!(
            w,
            "  {what:<32} {} from {}, {}, {}",
            plural(c.alerts as usize, "alert"),
            plural(c.sources as usize, "source"),
            plural(c.targets as usize, "target"),
            plural(c.requests as usize, "request"),
        )?;
    }
    writeln!(w)
}

/// Write the human report.
pub fn write_table(r: &HuntReport, o: &TableOptions, w: &mut dyn Write) -> io::Result<()> {
    let p = Paint(o.color);
    let camp = campaign_of(r);
    // One pass over the alerts, counted per severity.
    let slot = |s: Severity| match s {
        Severity::Critical => 0,
        Severity::High => 1,
        Severity::Medium => 2,
        Severity::Low => 3,
    };
    let mut by_severity = [0usize; 4];
    for a in &r.alerts {
        by_severity[slot(a.severity)] += 1;
    }
    let count = |s: Severity| by_severity[slot(s)];
    writeln!(
        w,
        "{}",
        p.bold(&format!(
            "haboob: {}, {} ({} critical, {} high, {} medium, {} low)",
            plural(r.campaigns.len(), "campaign"),
            plural(r.alerts.len(), "alert"),
            count(Severity::Critical),
            count(Severity::High),
            count(Severity::Medium),
            count(Severity::Low)
        ))
    )?;
    writeln!(w)?;
    if !r.campaigns.is_empty() {
        writeln!(w, "{}", p.bold("CAMPAIGNS"))?;
        for c in &r.campaigns {
            write_campaign(w, &p, c)?;
        }
    }
    if !r.background.is_empty() {
        write_background(w, &p, &r.background)?;
    }
    if !r.alerts.is_empty() {
        writeln!(w, "{}", p.bold("ALERTS"))?;
        for a in &r.alerts {
            write_alert(w, &p, &a, camp.get(a.id.as_str()).copied(), o)?;
        }
    }
    writeln!(w, "{}", accounting(r))?;
    if r.suppressed > 0 {
        writeln!(
            w,
            "{} alerts suppressed by hunt.allow_sources",
            r.suppressed
        )?;
    }
    for s in &r.stats.samples {
        writeln!(
            w,
            "rejected {}:{}: {}",
            terminal(&s.file, 120),
            s.line,
            terminal(&s.reason, 200)
        )?;
    }
    for e in &r.errors {
        writeln!(w, "error: {}", terminal(e, 300))?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "table_tests.rs"]
mod tests;
