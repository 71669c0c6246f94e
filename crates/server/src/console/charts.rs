//! SVG charts drawn on the server: the funnel per organisation and the
//! activity timeline per source. Colours come from the stylesheet (classes),
//! so no style attribute is needed.

use super::{t, when};
use haboob_model::{Alert, Campaign, Funnel, Ts};
use maud::{html, Markup};
use std::net::IpAddr;

/// Rows drawn at most; the rest are counted below the chart.
const MAX_ROWS: usize = 30;
const WIDTH: f64 = 760.0;
const LABEL: f64 = 210.0;

/// Horizontal bars identified → attacked → compromised for each
/// organisation (or the whole campaign when it has no per-organisation
/// figures).
pub(crate) fn funnel(c: &Campaign) -> Markup {
    let mut rows: Vec<(String, Funnel)> = c
        .funnel_by_target
        .iter()
        .map(|(k, f)| {
            // Keyed by target; show its organisation when targets.toml names one.
            let org = c
                .targets
                .iter()
                .find(|t| &t.name == k)
                .and_then(|t| t.organisation.clone());
            (org.unwrap_or_else(|| k.clone()), *f)
        })
        .collect();
    if rows.is_empty() {
        if let Some(f) = c.funnel {
            rows.push(("all targets".to_string(), f));
        }
    }
    if rows.is_empty() {
        return html! {};
    }
    let hidden = rows.len().saturating_sub(MAX_ROWS);
    rows.truncate(MAX_ROWS);
    let max = rows
        .iter()
        .map(|(_, f)| f.identified.max(f.attacked).max(f.compromised))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let bar = 14.0;
    let group = bar * 3.0 + 14.0;
    let height = group * rows.len() as f64 + 24.0;
    let scale = (WIDTH - LABEL - 120.0) / max;
    html! {
        figure.chart {
            svg.funnel viewBox=(format!("0 0 {WIDTH} {height}")) width=(WIDTH) height=(height)
                role="img" aria-label="Funnel per organisation" xmlns="http://www.w3.org/2000/svg" {
                @for (i, (name, f)) in rows.iter().enumerate() {
                    @let y0 = 8.0 + group * i as f64;
                    text.label x="4" y=(fmt(y0 + bar * 1.5 + 4.0)) {
                        title { (t(name)) }
                        (crate::text::clean(name, 30))
                    }
                    @for (j, (stage, n)) in [("identified", f.identified), ("attacked", f.attacked), ("compromised", f.compromised)].iter().enumerate() {
                        @let y = y0 + bar * j as f64;
                        @let w = (*n as f64 * scale).max(if *n > 0 { 2.0 } else { 0.0 });
                        rect class=(format!("bar {stage}")) x=(LABEL) y=(fmt(y)) width=(fmt(w)) height=(fmt(bar - 2.0)) {
                            title { (t(name)) ": " (n) " " (stage) }
                        }
                        text.value x=(fmt(LABEL + w + 4.0)) y=(fmt(y + bar - 4.0)) { (n) " " (stage) }
                    }
                }
            }
            figcaption {
                span.key.identified { "identified" } " → " span.key.attacked { "attacked" } " → "
                span.key.compromised { "compromised" }
                @if hidden > 0 { " (and " (hidden) " more organisations)" }
            }
        }
    }
}

fn fmt(x: f64) -> String {
    format!("{x:.1}")
}

fn alert_from(a: &Alert, ip: &IpAddr) -> bool {
    a.source.ip.as_ref() == Some(ip) || a.source.members.contains(ip)
}

/// One row per source (most alerts first): a bar from first to last
/// activity of each of its alerts, on the campaign's time axis.
pub(crate) fn timeline(c: &Campaign, alerts: &[Alert]) -> Markup {
    let mut rows: Vec<(IpAddr, Vec<&Alert>)> = c
        .sources
        .iter()
        .map(|ip| {
            (
                *ip,
                alerts
                    .iter()
                    .filter(|a| alert_from(a, ip))
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|(_, v)| !v.is_empty())
        .collect();
    if rows.is_empty() {
        return html! { p.muted { "No per-source activity to draw." } };
    }
    rows.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    let hidden = rows.len().saturating_sub(MAX_ROWS);
    rows.truncate(MAX_ROWS);
    let (start, end) = (c.first_seen.0, c.last_seen.0.max(c.first_seen.0 + 1));
    let span = (end - start) as f64;
    let plot = WIDTH - LABEL - 10.0;
    let x = |ts: Ts| LABEL + ((ts.0 - start) as f64 / span).clamp(0.0, 1.0) * plot;
    let row = 18.0;
    let height = row * rows.len() as f64 + 30.0;
    html! {
        figure.chart {
            svg.timeline viewBox=(format!("0 0 {WIDTH} {height}")) width=(WIDTH) height=(height)
                role="img" aria-label="Activity per source" xmlns="http://www.w3.org/2000/svg" {
                @for (i, (ip, list)) in rows.iter().enumerate() {
                    @let y = 4.0 + row * i as f64;
                    rect.lane x=(LABEL) y=(fmt(y)) width=(fmt(plot)) height=(fmt(row - 4.0)) {}
                    text.label x="4" y=(fmt(y + row - 7.0)) { (ip) }
                    @for a in list {
                        @let x0 = x(a.first_seen);
                        @let w = (x(a.last_seen) - x0).max(3.0);
                        rect class=(format!("act sev-{}", a.severity.as_str())) x=(fmt(x0)) y=(fmt(y + 2.0))
                            width=(fmt(w)) height=(fmt(row - 8.0)) {
                            title { (t(&a.detector)) ": " (t(&a.title)) " (" (when(a.first_seen)) " – " (when(a.last_seen)) ")" }
                        }
                    }
                }
                @let axis = row * rows.len() as f64 + 20.0;
                text.axis x=(LABEL) y=(fmt(axis)) { (when(c.first_seen)) }
                text.axis x=(fmt(WIDTH - 10.0)) y=(fmt(axis)) text-anchor="end" { (when(c.last_seen)) }
            }
            @if hidden > 0 { figcaption { "and " (hidden) " more sources" } }
        }
    }
}
