//! After `intel import --store` / `intel pull --store`: which stored alerts
//! (and so campaigns) the indicators this import added or changed now
//! match. The stored values are fed to an [`IntelIndex`] built from the
//! new indicators only (the same index hunting uses): each alert's source
//! address and cluster members, its accounts, the user agents and paths
//! its details keep, and its evidence lines (parsed as log lines again:
//! source, user agent, URL, account). Alerts are read in pages; only the
//! matches are kept (at most [`MAX_ROWS`], the rest counted).

use anyhow::{Context, Result};
use haboob_intel::IntelIndex;
use haboob_model::{Alert, EventRef, Origin};
use haboob_report::terminal;
use haboob_store::{AlertCursor, Store};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// Matches kept for printing; more are counted.
pub const MAX_ROWS: usize = 10_000;
/// Alerts read per page.
const PAGE: u32 = 500;
/// Most values of one kind taken from one alert's details.
const MAX_VALUES: usize = 256;

/// One stored alert value that a new indicator matches.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Match {
    /// Alert id.
    pub alert: String,
    /// Live campaigns holding the alert.
    pub campaigns: Vec<String>,
    /// The alert's detector.
    pub detector: String,
    /// Which value matched: `src_ip`, `user_agent`, `url`, `account`, `email`.
    pub field: String,
    /// The value (attacker text: bounded; escaped when printed).
    pub value: String,
    /// Indicator id.
    pub indicator: String,
    /// Indicator name.
    pub name: String,
    /// Intel source of the indicator.
    pub source: String,
}

/// What [`stored_matches`] found.
#[derive(Debug, Clone, Default)]
pub struct Matches {
    /// Alerts read.
    pub alerts_read: u64,
    /// Alerts with at least one match.
    pub alerts: u64,
    /// Live campaigns holding a matched alert.
    pub campaigns: u64,
    /// Evidence lines read again.
    pub evidence_lines: u64,
    /// Evidence lines that are no log line this tool parses on their own.
    pub evidence_unparsed: u64,
    /// The matches (at most [`MAX_ROWS`]), by alert.
    pub matches: Vec<Match>,
    /// Matches beyond [`MAX_ROWS`], not listed.
    pub more: u64,
}

/// Values of one alert to look up.
#[derive(Default)]
struct Values {
    ips: BTreeSet<IpAddr>,
    accounts: BTreeSet<String>,
    agents: BTreeSet<String>,
    /// (host, path, query)
    urls: BTreeSet<(String, String, String)>,
}

impl Values {
    fn of(a: &Alert, unparsed: &mut u64) -> Values {
        let mut v = Values::default();
        v.ips.extend(a.source.addresses());
        v.accounts.extend(a.user.clone());
        let strings = |key: &str| -> Vec<String> {
            match a.details.get(key) {
                Some(serde_json::Value::String(s)) => vec![s.clone()],
                Some(serde_json::Value::Array(xs)) => xs
                    .iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .take(MAX_VALUES)
                    .collect(),
                _ => Vec::new(),
            }
        };
        for k in [
            "users_identified",
            "users_attacked",
            "users_compromised",
            "users_probed",
        ] {
            v.accounts.extend(strings(k));
        }
        for k in ["user_agent", "user_agents"] {
            v.agents.extend(strings(k));
        }
        v.ips.extend(
            strings("success_ip")
                .iter()
                .filter_map(|s| s.parse::<IpAddr>().ok()),
        );
        for k in ["paths", "sample_paths"] {
            for p in strings(k) {
                let (path, query) = p.split_once('?').unwrap_or((&p, ""));
                v.urls
                    .insert((a.target.clone(), path.to_string(), query.to_string()));
            }
        }
        v.evidence(a, unparsed);
        v
    }

    /// The values of the alert's evidence lines, parsed again.
    fn evidence(&mut self, a: &Alert, unparsed: &mut u64) {
        if a.evidence.is_empty() {
            return;
        }
        let mut text = String::new();
        for e in &a.evidence {
            text.push_str(e.raw.trim_end_matches(['\r', '\n']));
            text.push('\n');
        }
        let name = a.evidence[0].file.clone();
        let mut stats = haboob_ingest::ReadStats::default();
        let mut sink = |ev: &EventRef<'_>, _: &Origin<'_>| match ev {
            EventRef::Web(w) => {
                self.ips.insert(w.source_ip);
                if !w.user_agent.is_empty() {
                    self.agents.insert(w.user_agent.to_string());
                }
                if !w.user.is_empty() {
                    self.accounts.insert(w.user.to_string());
                }
                let host = if w.site.is_empty() || w.site == "-" {
                    a.target.as_str()
                } else {
                    w.site
                };
                self.urls
                    .insert((host.to_string(), w.path.to_string(), w.query.to_string()));
            }
            EventRef::Waf(w) => {
                self.ips.insert(w.source_ip);
                let (path, query) = w.path.split_once('?').unwrap_or((w.path, ""));
                self.urls
                    .insert((a.target.clone(), path.to_string(), query.to_string()));
            }
            EventRef::Auth(x) => {
                self.ips.extend(x.source_ip);
                if !x.client.is_empty() {
                    self.agents.insert(x.client.to_string());
                }
                if !x.user.is_empty() {
                    self.accounts.insert(x.user.to_string());
                }
            }
            _ => {}
        };
        let ro = haboob_ingest::ReadOptions::default();
        // A line that parses in no format is counted; the alert's stored
        // values are still matched.
        if haboob_ingest::read_reader_into(
            text.as_bytes(),
            &name,
            &ro,
            &|_| {},
            &mut sink,
            &mut stats,
        )
        .is_err()
        {
            *unparsed += a.evidence.len() as u64;
        } else {
            *unparsed += stats.rejected;
        }
    }
}

/// Match every stored alert against `index` (the new indicators).
pub fn stored_matches(st: &Store, index: &IntelIndex) -> Result<Matches> {
    let mut out = Matches::default();
    if index.is_empty() {
        return Ok(out);
    }
    let mut campaigns: BTreeSet<String> = BTreeSet::new();
    let mut cursor: Option<AlertCursor> = None;
    loop {
        let (page, next) = st
            .alerts_after(cursor.as_ref(), PAGE)
            .context("reading stored alerts")?;
        let mut hit: BTreeMap<String, Vec<Match>> = BTreeMap::new();
        for a in &page {
            out.alerts_read += 1;
            out.evidence_lines += a.evidence.len() as u64;
            let rows = alert_matches(a, index, &mut out.evidence_unparsed);
            if !rows.is_empty() {
                hit.insert(a.id.clone(), rows);
            }
        }
        if !hit.is_empty() {
            let ids: Vec<String> = hit.keys().cloned().collect();
            let mut of: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for (a, c) in st
                .live_campaigns_of(&ids)
                .context("reading stored campaigns")?
            {
                of.entry(a).or_default().push(c);
            }
            for (id, rows) in hit {
                out.alerts += 1;
                let cs = of.remove(&id).unwrap_or_default();
                campaigns.extend(cs.iter().cloned());
                for mut m in rows {
                    if out.matches.len() >= MAX_ROWS {
                        out.more += 1;
                        continue;
                    }
                    m.campaigns = cs.clone();
                    out.matches.push(m);
                }
            }
        }
        match next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    out.campaigns = campaigns.len() as u64;
    Ok(out)
}

/// The matches of one alert, deduplicated, by field and value.
fn alert_matches(a: &Alert, index: &IntelIndex, unparsed: &mut u64) -> Vec<Match> {
    let v = Values::of(a, unparsed);
    let mut found: BTreeSet<(u32, &'static str, String)> = BTreeSet::new();
    let mut ids = Vec::new();
    // Valid at any time of the alert's activity.
    for ts in [a.first_seen, a.last_seen] {
        let mut probe = |field: &'static str, value: &str, ids: &mut Vec<u32>| {
            for i in ids.drain(..) {
                found.insert((i, field, value.to_string()));
            }
        };
        for ip in &v.ips {
            index.ip_ids(*ip, ts, &mut ids);
            probe("src_ip", &ip.to_string(), &mut ids);
        }
        for u in &v.accounts {
            index.account_ids(u, ts, &mut ids);
            probe("account", u, &mut ids);
            if u.contains('@') {
                index.email_ids(u, ts, &mut ids);
                probe("email", u, &mut ids);
            }
        }
        for ua in &v.agents {
            index.user_agent_ids(ua, ts, &mut ids);
            probe("user_agent", ua, &mut ids);
        }
        for (h, p, q) in &v.urls {
            index.url_parts_ids(h, p, q, ts, &mut ids);
            let shown = format!("{h}{p}{}{q}", if q.is_empty() { "" } else { "?" });
            probe("url", &shown, &mut ids);
        }
        if a.first_seen == a.last_seen {
            break;
        }
    }
    found
        .into_iter()
        .filter_map(|(i, field, value)| {
            let h = index.hit(i, field, &value)?;
            Some(Match {
                alert: a.id.clone(),
                campaigns: Vec::new(),
                detector: a.detector.clone(),
                field: h.field,
                value: h.matched,
                indicator: h.indicator,
                name: h.name,
                source: h.source,
            })
        })
        .collect()
}

/// Print the matches: a table (escaped), or one JSON document.
pub fn print(m: &Matches, format: &str, out: &mut dyn std::io::Write) -> Result<()> {
    if format == "json" {
        let rows: Vec<serde_json::Value> = m
            .matches
            .iter()
            .map(|r| {
                serde_json::json!({
                    "alert": r.alert,
                    "campaigns": r.campaigns,
                    "detector": r.detector,
                    "field": r.field,
                    "value": r.value,
                    "indicator": r.indicator,
                    "name": r.name,
                    "source": r.source,
                })
            })
            .collect();
        let doc = serde_json::json!({
            "alerts_read": m.alerts_read,
            "alerts": m.alerts,
            "campaigns": m.campaigns,
            "evidence_lines": m.evidence_lines,
            "evidence_unparsed": m.evidence_unparsed,
            "matches": rows,
            "more": m.more,
        });
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "now matching: {} alerts, {} campaigns ({} stored alerts read)",
        m.alerts, m.campaigns, m.alerts_read
    )?;
    if m.matches.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "{:<20} {:<20} {:<16} {:<10} {:<40} INDICATOR",
        "ALERT", "CAMPAIGN", "DETECTOR", "FIELD", "VALUE"
    )?;
    for r in &m.matches {
        let campaigns = if r.campaigns.is_empty() {
            "-".to_string()
        } else {
            r.campaigns.join(",")
        };
        writeln!(
            out,
            "{:<20} {:<20} {:<16} {:<10} {:<40} {} ({})",
            terminal(&r.alert, 64),
            terminal(&campaigns, 200),
            terminal(&r.detector, 64),
            r.field,
            terminal(&r.value, 200),
            terminal(&r.indicator, 200),
            terminal(&r.name, 200),
        )?;
    }
    if m.more > 0 {
        writeln!(
            out,
            "… and {} more matches (--format json lists the first {MAX_ROWS} too)",
            m.more
        )?;
    }
    Ok(())
}

/// Matches of the indicators imports `imports` added or changed, printed.
pub fn report(st: &Store, imports: &[i64], format: &str) -> Result<()> {
    let mut new = Vec::new();
    for &n in imports {
        new.extend(
            st.indicators(&haboob_store::IndicatorQuery {
                import_after: Some(n - 1),
                import_through: Some(n),
                ..Default::default()
            })
            .context("reading the imported indicators")?,
        );
    }
    let (index, _) = IntelIndex::build(new, &haboob_intel::BuildOptions::default());
    let m = stored_matches(st, &index)?;
    let stdout = std::io::stdout();
    print(&m, format, &mut stdout.lock())
}
