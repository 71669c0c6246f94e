//! Research scanners: Internet-wide measurement projects (Censys and the
//! like) probe every site, election sites included, and publish the networks
//! they scan from so that sites can recognise them. A web campaign whose
//! every source lies in the published networks of one tool (`networks` in
//! the scanner fingerprint file, `crates/detect/data/scanners.toml`, plus
//! `[web.scanner_ua] extra_rules`) is labelled a research scanner and kept
//! at low severity, however many organisations it touched, unless it went
//! past an exploitation attempt (an exploit that worked, records taken or a
//! page changed keeps its severity: that is not measurement).
//!
//! The label trusts addresses, not names: a source address cannot be
//! forged over TCP, a User-Agent can. A campaign that names such a tool
//! (`tool: …`) while some of its sources are outside the tool's networks
//! says so, and keeps its severity.

use haboob_detect::web::scanners::{self, ScannerFile, ScannerRule};
use haboob_detect::web::WebConfig;
use haboob_model::{Campaign, Cidr, Severity, StageKind};
use std::net::IpAddr;
use std::path::Path;

/// The tools that publish their scanning networks.
#[derive(Debug, Clone, Default)]
pub struct ResearchNets {
    tools: Vec<(String, Vec<Cidr>)>,
}

impl ResearchNets {
    /// The tools of `rules` that list networks.
    pub fn new<'a>(rules: impl IntoIterator<Item = &'a ScannerRule>) -> Self {
        let tools = rules
            .into_iter()
            .map(|r| (r.tool.clone(), r.cidrs()))
            .filter(|(_, n)| !n.is_empty())
            .collect();
        ResearchNets { tools }
    }

    /// The built-in fingerprints and the configured extra file.
    pub fn from_config(web: &WebConfig) -> Self {
        let extra =
            ScannerFile::load_or_empty(web.scanner_ua.extra_rules.as_deref().map(Path::new));
        ResearchNets::new(scanners::builtin().iter().chain(&extra.scanner))
    }

    /// The tool whose published networks hold `ip`.
    fn tool_of(&self, ip: IpAddr) -> Option<&str> {
        self.tools
            .iter()
            .find(|(_, nets)| nets.iter().any(|n| n.contains(ip)))
            .map(|(t, _)| t.as_str())
    }

    fn networks(&self, tool: &str) -> Option<&[Cidr]> {
        self.tools
            .iter()
            .find(|(t, _)| t == tool)
            .map(|(_, n)| n.as_slice())
    }
}

/// Label (and lower) a web campaign of a research scanner; note a borrowed
/// tool name. Account campaigns are left alone.
pub fn apply(c: &mut Campaign, nets: &ResearchNets) {
    if c.sources.is_empty()
        || c.funnel.is_some()
        || c.detectors.iter().any(|d| d.starts_with("auth."))
    {
        return;
    }
    let first = nets.tool_of(c.sources[0]);
    if let Some(tool) = first.filter(|_| c.sources.iter().all(|s| nets.tool_of(*s) == first)) {
        let tool = tool.to_string();
        let furthest = c.stages.iter().map(|s| s.stage).max();
        if furthest.is_some_and(|s| s > StageKind::ExploitationAttempt) {
            c.reasons.push(format!(
                "research scanner networks ({tool}), but it went past an exploitation attempt: severity kept"
            ));
            return;
        }
        c.reasons.retain(|r| !r.starts_with("raised to high: "));
        c.summary = format!("research scanner ({tool}): {}", c.summary);
        let was = c.severity;
        c.severity = Severity::Low;
        c.reasons.push(if was > Severity::Low {
            format!(
                "research scanner: every source is in the scanning networks published for {tool}; {} lowered to low",
                was.as_str()
            )
        } else {
            format!("research scanner: every source is in the scanning networks published for {tool}")
        });
        return;
    }
    // The listed tools the campaign names, with their networks.
    let named: Vec<(String, &[Cidr])> = c
        .tools
        .iter()
        .filter_map(|t| Some((t.clone(), nets.networks(t)?)))
        .collect();
    for (tool, n) in named {
        let outside = c
            .sources
            .iter()
            .filter(|s| !n.iter().any(|x| x.contains(**s)))
            .count();
        if outside > 0 {
            c.reasons.push(format!(
                "claims to be {tool}, but {outside} of its {} sources are outside {tool}'s published networks",
                c.sources.len()
            ));
        }
    }
}

#[cfg(test)]
#[path = "research_tests.rs"]
mod tests;
