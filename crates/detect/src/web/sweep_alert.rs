//! The `web.sweep` alert of a fired fingerprint: members, paths, shape, title.

use super::{Fp, Params, ID, TECHNIQUES};
use crate::web::episode::ratio;
use crate::web::sweep_class::Family;
use haboob_model::{content_id, Alert, AlertSource, Severity};
use std::net::IpAddr;

fn hours(ms: i64) -> String {
    let h = ms as f64 / 3_600_000.0;
    if h >= 1.0 {
        format!("{h:.1} h")
    } else {
        format!("{} min", ms / 60_000)
    }
}

/// The alert of a fired fingerprint.
pub(super) fn alert(f: &Fp, p: &Params) -> Alert {
    let mut members: Vec<IpAddr> = f.sources.keys().copied().collect();
    members.sort();
    let total = members.len() as u64;
    let listed = members.len().min(p.max_members);
    members.truncate(listed);
    let light = f.sources.len() as u64 - f.t.heavy;
    let asked = f.t.requests - f.t.redirects;
    let spread = f.last.0.saturating_sub(f.first.0);
    let ua_text = match (&f.borrowed, f.ua.is_empty()) {
        (_, true) => "no user agent".to_string(),
        (Some(c), false) => format!("{c}'s user agent from outside its networks ({:?})", f.ua),
        (None, false) => format!("user agent {:?}", f.ua),
    };
    let mut d = haboob_model::Details::new();
    d.insert(
        "fingerprint".into(),
        serde_json::json!({
            "site": f.site,
            "method": f.method,
            "user_agent": if f.ua.is_empty() { serde_json::Value::Null } else { f.ua.clone().into() },
            "path_family": f.group.0,
            "borrowed_crawler_agent": f.borrowed,
        }),
    );
    let families: serde_json::Map<String, serde_json::Value> = Family::ALL
        .iter()
        .filter(|fam| f.families[fam.index()] > 0)
        .map(|fam| (fam.as_str().to_string(), f.families[fam.index()].into()))
        .collect();
    d.insert("path_families".into(), families.into());
    d.insert("sources_total".into(), total.into());
    d.insert("sources_listed".into(), (listed as u64).into());
    // Beyond the cap, sources are not told apart: the total is then a lower bound.
    d.insert("requests_beyond_source_cap".into(), f.overflow.into());
    d.insert("light_sources".into(), light.into());
    d.insert(
        "max_requests_per_light_source".into(),
        u64::from(p.max_per_source).into(),
    );
    d.insert("requests".into(), (f.t.requests + f.overflow).into());
    d.insert("paths".into(), f.samples.clone().into());
    d.insert("distinct_paths".into(), (f.paths.len() as u64).into());
    d.insert("site_derived_requests".into(), f.from_site.into());
    d.insert("time_spread_secs".into(), (spread / 1000).into());
    d.insert("answered_share".into(), ratio(f.t.answered, asked));
    d.insert("unanswered_share".into(), ratio(f.t.unanswered, asked));
    d.insert("redirects".into(), f.t.redirects.into());
    d.insert("redirect_follows".into(), f.follows.into());
    let severity = if f.served.is_empty() {
        Severity::Medium
    } else {
        d.insert("served_paths".into(), f.served.clone().into());
        Severity::High
    };
    let mut shown: Vec<&str> = f.samples.iter().take(3).map(String::as_str).collect();
    if f.samples.len() > 3 {
        shown.push("…");
    }
    let served = if f.served.is_empty() {
        String::new()
    } else {
        format!("; {} served 2xx ({})", f.served.len(), f.served.join(", "))
    };
    let on = if f.site.is_empty() {
        String::new()
    } else {
        format!(" on {}", f.site)
    };
    let title = format!(
        "Distributed {} sweep{on}: {total} sources, {} with {ua_text}, {} paths ({}) over {}{served}",
        f.group.0,
        f.method,
        f.paths.len(),
        shown.join(", "),
        hours(spread),
    );
    let fp_text = format!("{} {} {}", f.method, f.ua, f.group.0);
    Alert {
        id: content_id("al", &[ID, &fp_text, &f.site, &f.first.to_string()]),
        detector: ID.to_string(),
        title,
        techniques: TECHNIQUES.iter().map(|t| t.to_string()).collect(),
        severity,
        source: AlertSource {
            ip: members.first().copied(),
            prefix: None,
            members,
        },
        target: f.site.clone(),
        user: None,
        first_seen: f.first,
        last_seen: f.last,
        count: f.t.requests + f.overflow,
        details: d,
        evidence: f.evidence.to_vec(),
    }
}
