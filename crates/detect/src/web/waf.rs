//! `web.waf_block`: requests a web application firewall or access rule acted
//! on, from web-server error logs.
//!
//! **What it detects.** One source whose requests to one site were blocked
//! or flagged by ModSecurity or naxsi, or refused by an access rule (nginx
//! `deny`, Apache `Require`), at least `min_events` times within
//! `window_secs`.
//!
//! **Why it matters.** The firewall already saw an attack pattern (SQL
//! injection, traversal, scanner signatures) or a probe of a protected
//! path. The alert carries the rule ids and messages; grouped by source with
//! the access-log alerts, it shows what the actor tried and what stopped it.
//!
//! **Example.** Three `ModSecurity: Access denied with code 403` lines with
//! rules 942100 (SQL injection) and 930120 (file access) from 203.0.113.50.
//!
//! **ATT&CK.** T1190 Exploit Public-Facing Application (firewall rules);
//! T1595.003 Wordlist Scanning (access-rule denials only).

use super::config::WafConfig;
use super::episode::{bounded, Key, Slot, Tracker, MAX_SAMPLES};
use super::fxhash::hash_bytes;
use super::scan::secs_ms;
use crate::Detector;
use haboob_model::{Alert, EventRef, Origin, Severity};

const ID: &str = "web.waf_block";

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct WafState {
    /// Distinct `engine:rule` (or `engine:message` without a rule id).
    rules: Vec<String>,
    /// A firewall rule (not only an access rule) fired.
    firewall: bool,
    blocked: u64,
}

impl super::episode::Recycle for WafState {
    fn recycle(&mut self) {
        self.rules.clear();
        self.firewall = false;
        self.blocked = 0;
    }
}

/// The `web.waf_block` detector.
#[derive(Debug)]
pub(crate) struct WebWaf {
    min_events: u64,
    window_ms: i64,
    max_evidence: usize,
    t: Tracker<WafState>,
}

impl WebWaf {
    pub fn new(c: &WafConfig, max_evidence: usize, max_sources: usize) -> Self {
        WebWaf {
            min_events: c.min_events.max(1),
            window_ms: secs_ms(c.window_secs),
            max_evidence,
            t: Tracker::new(c.window_secs, max_sources),
        }
    }
}

fn emit(s: Slot<WafState>, out: &mut Vec<Alert>) {
    if !s.ep.fired {
        return;
    }
    let mut d = haboob_model::Details::new();
    d.insert("rules".into(), s.st.rules.clone().into());
    d.insert("blocked".into(), s.st.blocked.into());
    let techniques: &[&str] = if s.st.firewall {
        &["T1190"]
    } else {
        &["T1595.003"]
    };
    let what = if s.st.firewall {
        "web application firewall hits"
    } else {
        "requests refused by access rules"
    };
    let title = format!(
        "{} {what} ({}) from {}",
        s.ep.count,
        s.st.rules.join(", "),
        s.ep.who_where()
    );
    out.push(s.ep.alert(ID, title, techniques, d, &[]));
}

impl Detector for WebWaf {
    fn name(&self) -> &'static str {
        "web.waf"
    }

    fn reads(&self) -> crate::Kinds {
        crate::Kinds::WAF
    }

    fn observe(&mut self, ev: &EventRef<'_>, o: &Origin<'_>, out: &mut Vec<Alert>) {
        let EventRef::Waf(w) = ev else { return };
        self.t.maintain(w.ts, &mut |s| emit(s, out));
        let key: Key = (w.source_ip, hash_bytes(w.site.as_bytes()));
        let slot = self
            .t
            .entry(key, w.source_ip, w.site, w.ts, &mut |s| emit(s, out));
        if slot.ep.restart_if_expired(w.ts, self.window_ms) {
            super::episode::Recycle::recycle(&mut slot.st);
        }
        slot.ep.hit(w.ts, o, self.max_evidence);
        let firewall = matches!(w.engine, "modsecurity" | "naxsi");
        slot.st.firewall |= firewall;
        slot.st.blocked += u64::from(w.blocked);
        let label = if w.rule.is_empty() { w.message } else { w.rule };
        let rule = bounded(&format!("{}:{label}", w.engine));
        if slot.st.rules.len() < MAX_SAMPLES && !slot.st.rules.contains(&rule) {
            slot.st.rules.push(rule);
        }
        if !w.path.is_empty()
            && slot.ep.samples.len() < MAX_SAMPLES
            && !slot.ep.samples.iter().any(|p| p == w.path)
        {
            slot.ep.sample(w.path);
        }
        if slot.ep.count >= self.min_events && !slot.ep.fired {
            slot.ep.fired = true;
            slot.ep.severity = if slot.st.firewall {
                Severity::Medium
            } else {
                Severity::Low
            };
        }
        if slot.ep.fired && slot.st.firewall {
            slot.ep.severity = slot.ep.severity.max(Severity::Medium);
        }
    }

    fn finish(&mut self, out: &mut Vec<Alert>) {
        self.t.drain(&mut |s| emit(s, out));
    }

    fn save_state(&self) -> Result<crate::DetectorState, crate::StateError> {
        crate::DetectorState::of("web.waf", &self.t)
    }

    fn restore_state(&mut self, state: crate::DetectorState) -> Result<(), crate::StateError> {
        self.t = state.into("web.waf")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use haboob_model::{Ts, WafEvent};

    fn ev<'a>(ip: &str, secs: i64, engine: &'static str, rule: &'a str) -> WafEvent<'a> {
        WafEvent {
            ts: Ts::from_secs(secs),
            source_ip: ip.parse().unwrap(),
            site: "news.example",
            method: "GET",
            path: "/index.php",
            engine,
            rule,
            message: "m",
            blocked: true,
        }
    }

    fn run(events: &[WafEvent<'_>]) -> Vec<Alert> {
        let mut d = WebWaf::new(&WafConfig::default(), 10, 1000);
        let mut out = Vec::new();
        for (i, e) in events.iter().enumerate() {
            let o = Origin {
                file: "error.log",
                line: i as u64 + 1,
                raw: "x",
            };
            d.observe(&EventRef::Waf(e.clone()), &o, &mut out);
        }
        d.finish(&mut out);
        out
    }

    #[test]
    fn three_hits_in_the_window_fire_two_or_spread_do_not() {
        let a = run(&[
            ev("203.0.113.50", 0, "modsecurity", "942100"),
            ev("203.0.113.50", 60, "modsecurity", "930120"),
            ev("203.0.113.50", 120, "modsecurity", "942100"),
            ev("198.51.100.1", 0, "nginx", ""),
            ev("198.51.100.1", 30, "nginx", ""),
            ev("192.0.2.9", 0, "naxsi", "1000"),
            ev("192.0.2.9", 700, "naxsi", "1000"),
            ev("192.0.2.9", 1400, "naxsi", "1000"),
        ]);
        assert_eq!(a.len(), 1, "{a:#?}");
        let a = &a[0];
        assert_eq!(a.detector, "web.waf_block");
        assert_eq!(a.source.ip.unwrap().to_string(), "203.0.113.50");
        assert_eq!((a.count, a.severity), (3, Severity::Medium));
        assert_eq!(a.techniques, ["T1190"]);
        assert_eq!(
            a.details["rules"],
            serde_json::json!(["modsecurity:942100", "modsecurity:930120"])
        );
        assert_eq!(a.evidence.len(), 3);
    }

    #[test]
    fn access_rule_denials_alone_are_low() {
        let a = run(&[
            ev("198.51.100.1", 0, "nginx", ""),
            ev("198.51.100.1", 1, "nginx", ""),
            ev("198.51.100.1", 2, "apache", ""),
        ]);
        assert_eq!(a.len(), 1);
        assert_eq!(
            (a[0].severity, a[0].techniques.clone()),
            (Severity::Low, vec!["T1595.003".to_string()])
        );
    }
}
