//! `web.scanner_ua`: scanner and attack-tool fingerprints.
//!
//! **What it detects.** Requests whose user agent names a scanner or attack tool
//! (Nuclei, sqlmap, Nikto, zgrab, masscan, Nmap NSE, WPScan, ffuf, …), or whose
//! target carries a marker only that tool sends (Acunetix's
//! `/acunetix-wvs-test-for-some-inexistent-file`, Nessus's
//! `/nessus_is_probing_you`, Burp Collaborator domains, …). The fingerprints are
//! data: `crates/detect/data/scanners.toml` ([`super::scanners`]), extensible
//! with `extra_rules` (a file in that format) and `extra_scanner_user_agents`.
//! Generic HTTP libraries (curl, python-requests, Go-http-client) are
//! deliberately not listed. The alert names the tool (`details.tool`); a
//! campaign of such alerts names it in its reasons.
//!
//! **Why it matters.** Tool defaults are left in place by many operators; one
//! such request names the tool aimed at the site.
//!
//! **Example.** `User-Agent: Mozilla/5.00 (Nikto/2.1.5) (Evasions:None)`;
//! `GET /acunetix-wvs-test-for-some-inexistent-file` with a browser user agent.
//!
//! **ATT&CK.** T1595.002 Vulnerability Scanning; T1595.001 Scanning IP Blocks for
//! Internet-wide scanners (masscan, zgrab, …).

use super::cache::{TextId, VerdictCache};
use super::config::ScannerUaConfig;
use super::episode::{bounded, Key, Slot, Tracker};
use super::request::{Req, MAX_UA};
use super::scanners::{self, ScannerFile};
use super::WebRule;
use aho_corasick::{AhoCorasick, MatchKind};
use haboob_model::{Alert, Origin, Severity, WebEvent};

const ID: &str = "web.scanner_ua";

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct UaState {
    tools: Vec<String>,
    ip_block: bool,
    user_agent: String,
    /// Some request matched by a marker in its target, not its user agent.
    #[serde(default)]
    by_request: bool,
}

impl super::episode::Recycle for UaState {}

/// The `web.scanner_ua` detector.
#[derive(Debug)]
pub(crate) struct WebScannerUa {
    ac: Option<AhoCorasick>,
    /// Per pattern: (tool name, Internet-wide scanner).
    tools: Vec<(String, bool)>,
    /// Request-target markers, over the decoded, lower-cased target.
    req_ac: Option<AhoCorasick>,
    /// Per request pattern: (tool name, Internet-wide scanner).
    req_tools: Vec<(String, bool)>,
    min: u64,
    max_evidence: usize,
    t: Tracker<UaState>,
    /// User agents repeat heavily: verdict per user agent, bounded.
    cache: VerdictCache<Option<u32>>,
    /// Targets repeat too: marker verdict per decoded target, bounded.
    req_cache: VerdictCache<Option<u32>>,
}

impl WebScannerUa {
    pub fn new(c: &ScannerUaConfig, max_evidence: usize, max_sources: usize) -> Self {
        let mut pats: Vec<String> = Vec::new();
        let mut tools = Vec::new();
        let mut req_pats: Vec<String> = Vec::new();
        let mut req_tools = Vec::new();
        let extra = ScannerFile::load_or_empty(c.extra_rules.as_deref().map(std::path::Path::new));
        for s in scanners::builtin().iter().chain(&extra.scanner) {
            let tool = bounded(&s.tool);
            for p in &s.user_agents {
                pats.push(p.clone());
                tools.push((tool.clone(), s.internet_wide));
            }
            for p in &s.requests {
                req_pats.push(p.clone());
                req_tools.push((tool.clone(), s.internet_wide));
            }
        }
        for p in &c.extra_scanner_user_agents {
            if !p.is_empty() {
                pats.push(p.to_ascii_lowercase());
                tools.push((bounded(p), false));
            }
        }
        let ac = super::dfa::dfa(&pats, true, MatchKind::LeftmostLongest);
        // Targets are lower-cased already (see `Req`).
        let req_ac = super::dfa::dfa(&req_pats, false, MatchKind::LeftmostLongest);
        WebScannerUa {
            ac,
            tools,
            req_ac,
            req_tools,
            min: c.min_requests.max(1),
            max_evidence,
            t: Tracker::new(c.window_secs, max_sources),
            cache: VerdictCache::default(),
            req_cache: VerdictCache::default(),
        }
    }

    /// Pattern index for a user agent (whose id is `id`: the whole
    /// agent's), through the cache.
    #[inline]
    fn lookup(&mut self, ua: &str, id: Option<TextId>) -> Option<usize> {
        let whole = ua.len() <= MAX_UA;
        let ua = &ua.as_bytes()[..ua.len().min(MAX_UA)];
        if ua.is_empty() {
            return None;
        }
        let ac = &self.ac;
        let v = self.cache.get_or(id.filter(|_| whole), ua, |ua| {
            ac.as_ref()
                .and_then(|ac| ac.find(ua))
                .map(|m| m.pattern().as_u32())
        });
        v.map(|i| i as usize)
    }

    /// The tool whose marker the decoded request target carries, through
    /// the target cache.
    #[inline]
    fn request_tool(&mut self, req: &Req) -> Option<&(String, bool)> {
        let ac = self.req_ac.as_ref()?;
        let i = self.req_cache.get_or(req.target_id, &req.once, |t| {
            ac.find(t).map(|m| m.pattern().as_u32())
        })?;
        self.req_tools.get(i as usize)
    }
}

fn emit(s: Slot<UaState>, out: &mut Vec<Alert>) {
    if !s.ep.fired {
        return;
    }
    let mut d = haboob_model::Details::new();
    d.insert(
        "tool".into(),
        s.st.tools.first().cloned().unwrap_or_default().into(),
    );
    if s.st.tools.len() > 1 {
        d.insert("tools".into(), s.st.tools.clone().into());
    }
    d.insert("user_agent".into(), s.st.user_agent.clone().into());
    if s.st.by_request {
        d.insert("matched".into(), "request".into());
    }
    let techniques: &[&str] = if s.st.ip_block {
        &["T1595.001", "T1595.002"]
    } else {
        &["T1595.002"]
    };
    let title = format!(
        "{} requests with {} {} from {}",
        s.ep.count,
        if s.st.by_request {
            "the scanner markers of"
        } else {
            "scanner user agent"
        },
        s.st.tools.first().map(String::as_str).unwrap_or("?"),
        s.ep.who_where()
    );
    out.push(s.ep.alert(ID, title, techniques, d, &[]));
}

impl WebRule for WebScannerUa {
    fn id(&self) -> &'static str {
        "web.scanner_ua"
    }

    fn save(&self) -> Result<crate::DetectorState, crate::StateError> {
        crate::DetectorState::of("web.scanner_ua", &self.t)
    }

    fn restore(&mut self, s: crate::DetectorState) -> Result<(), crate::StateError> {
        self.t = s.into("web.scanner_ua")?;
        Ok(())
    }

    /// The quick part (inlined into the rule set's loop); the rest only
    /// for a request with a tool's marks.
    #[inline(always)]
    fn observe(&mut self, w: &WebEvent<'_>, req: &Req, o: &Origin<'_>, out: &mut Vec<Alert>) {
        self.t.maintain(w.ts, &mut |s| emit(s, out));
        // Both verdicts are cached: asked again in `probe`.
        let by_ua = self
            .lookup(w.user_agent, req.ua_id)
            .is_some_and(|i| i < self.tools.len());
        if !by_ua && self.request_tool(req).is_none() {
            return;
        }
        self.probe(w, req, o, out);
    }

    fn finish(&mut self, out: &mut Vec<Alert>) {
        self.t.drain(&mut |s| emit(s, out));
    }
}

impl WebScannerUa {
    /// A request with a tool's user agent or request marker.
    #[inline(never)]
    fn probe(&mut self, w: &WebEvent<'_>, req: &Req, o: &Origin<'_>, out: &mut Vec<Alert>) {
        let by_ua = self
            .lookup(w.user_agent, req.ua_id)
            .and_then(|i| self.tools.get(i).cloned());
        let (by_request, (tool, wide)) = match by_ua {
            Some(t) => (false, t),
            None => match self.request_tool(req) {
                Some(t) => (true, t.clone()),
                None => return,
            },
        };
        let key: Key = (w.source_ip, req.site_hash);
        let slot = self
            .t
            .entry(key, w.source_ip, w.site, w.ts, &mut |s| emit(s, out));
        slot.ep.hit(w.ts, o, self.max_evidence);
        if slot.st.tools.len() < 8 && !slot.st.tools.contains(&tool) {
            slot.st.tools.push(tool);
            if slot.st.user_agent.is_empty() {
                slot.st.user_agent = bounded(w.user_agent);
            }
        }
        slot.st.ip_block |= wide;
        slot.st.by_request |= by_request;
        if !slot.ep.fired && slot.ep.count >= self.min {
            slot.ep.fired = true;
            slot.ep.severity = Severity::Medium;
        }
        if slot.ep.samples.len() < super::episode::MAX_SAMPLES {
            let p = req.path_text();
            if !slot.ep.samples.contains(&p) {
                slot.ep.sample(&p);
            }
        }
    }
}
