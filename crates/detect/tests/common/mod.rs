//! Test-only parsing of the access-log lines used by the corpus tests (nginx /
//! Apache combined and common format with optional syslog or vhost prefix, AWS
//! ALB, envoy JSON inside containerd CRI lines). Deliberately minimal: the real
//! parsers live in haboob-ingest; the lead will switch these tests over.

#![allow(dead_code)]

use haboob_detect::Detector;
use haboob_model::{Alert, EventRef, Origin, Ts, WebEvent};
use std::io::BufRead;

/// Owned fields of one parsed line.
#[derive(Debug, Clone)]
pub struct Line {
    pub ts: Ts,
    pub ip: std::net::IpAddr,
    pub method: String,
    pub path: String,
    pub query: String,
    pub status: u16,
    pub bytes: u64,
    pub ua: String,
    pub referrer: String,
    pub site: String,
}

fn split_target(target: &str) -> (String, String) {
    match target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (target.to_string(), String::new()),
    }
}

/// `METHOD target PROTO`, or the whole text as the target when malformed.
fn split_request(req: &str) -> (String, String) {
    let parts: Vec<&str> = req.split(' ').collect();
    if parts.len() == 3
        && !parts[0].is_empty()
        && parts[0].bytes().all(|b| b.is_ascii_uppercase())
        && parts[2].starts_with("HTTP/")
    {
        (parts[0].to_string(), parts[1].to_string())
    } else {
        (String::new(), req.to_string())
    }
}

/// Read a `"…"` field starting at `s[0] == '"'`, honouring `\"`; returns the
/// content and the rest after the closing quote.
fn quoted(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    if b.first() != Some(&b'"') {
        return None;
    }
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some((&s[1..i], &s[i + 1..])),
            _ => i += 1,
        }
    }
    None
}

/// Combined / common log format, optionally after a syslog or vhost prefix.
pub fn parse_clf(line: &str) -> Option<Line> {
    let lb = line.find(" [")?;
    let before: Vec<&str> = line[..lb].split_whitespace().collect();
    if before.len() < 3 {
        return None;
    }
    let ip = before[before.len() - 3].parse().ok()?;
    let rest = &line[lb + 2..];
    let rb = rest.find(']')?;
    let ts = Ts::parse_clf(&rest[..rb]).ok()?;
    let rest = rest[rb + 1..].strip_prefix(' ')?;
    // The request may contain raw quotes (malformed lines): end it at `" NNN `.
    let b = rest.as_bytes();
    if b.first() != Some(&b'"') {
        return None;
    }
    let mut end = None;
    for i in 1..b.len().saturating_sub(4) {
        if b[i] == b'"' && b[i + 1] == b' ' && b[i + 2..i + 5].iter().all(u8::is_ascii_digit) {
            end = Some(i);
            break;
        }
    }
    let end = end?;
    let request = &rest[1..end];
    let mut f = rest[end + 2..].splitn(3, ' ');
    let status: u16 = f.next()?.parse().ok()?;
    let bytes = f.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let tail = f.next().unwrap_or("");
    let (referrer, ua) = match quoted(tail) {
        Some((r, rest)) => (
            r,
            rest.strip_prefix(' ')
                .and_then(quoted)
                .map(|x| x.0)
                .unwrap_or(""),
        ),
        None => ("", ""),
    };
    let (method, target) = split_request(request);
    let (path, query) = split_target(&target);
    let site = if before.len() >= 4 && !before[before.len() - 4].ends_with(':') {
        before[before.len() - 4].to_string()
    } else {
        String::new()
    };
    Some(Line {
        ts,
        ip,
        method,
        path,
        query,
        status,
        bytes,
        ua: if ua == "-" { "" } else { ua }.to_string(),
        referrer: if referrer == "-" { "" } else { referrer }.to_string(),
        site,
    })
}

/// AWS ALB access log line.
pub fn parse_alb(line: &str) -> Option<Line> {
    let mut fields: Vec<&str> = Vec::new();
    let mut rest = line;
    while !rest.is_empty() {
        if rest.starts_with('"') {
            let (q, r) = quoted(rest)?;
            fields.push(q);
            rest = r.trim_start_matches(' ');
        } else {
            let e = rest.find(' ').unwrap_or(rest.len());
            fields.push(&rest[..e]);
            rest = rest[e..].trim_start_matches(' ');
        }
    }
    let ts = Ts::parse_rfc3339(fields.get(1)?).ok()?;
    let client = fields.get(3)?;
    let ip = client.rsplit_once(':')?.0.parse().ok()?;
    let status = fields.get(8)?.parse().ok()?;
    let bytes = fields.get(11)?.parse().unwrap_or(0);
    let (method, url) = split_request(fields.get(12)?);
    // Absolute URL: drop scheme and authority.
    let after_scheme = url.split_once("://").map(|x| x.1).unwrap_or(&url);
    let target = after_scheme
        .find('/')
        .map(|i| &after_scheme[i..])
        .unwrap_or("/");
    let (path, query) = split_target(target);
    Some(Line {
        ts,
        ip,
        method,
        path,
        query,
        status,
        bytes,
        ua: fields.get(13)?.to_string(),
        referrer: String::new(),
        site: fields.get(18).map(|s| s.to_string()).unwrap_or_default(),
    })
}

/// containerd CRI line wrapping an envoy JSON access log.
pub fn parse_envoy_cri(line: &str) -> Option<Line> {
    let json = &line[line.find('{')?..];
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    let ts = Ts::parse_rfc3339(v["start_time"].as_str()?).ok()?;
    let addr = v["downstream_remote_address"].as_str()?;
    let ip = addr
        .rsplit_once(':')
        .map(|x| x.0)
        .unwrap_or(addr)
        .parse()
        .ok()?;
    let (path, query) = split_target(v["x-envoy-origin-path"].as_str().unwrap_or(""));
    Some(Line {
        ts,
        ip,
        method: v["method"].as_str().unwrap_or("").to_string(),
        path,
        query,
        status: v["response_code"].as_u64().unwrap_or(0) as u16,
        bytes: 0,
        ua: v["user-agent"].as_str().unwrap_or("").to_string(),
        referrer: String::new(),
        site: v[":authority"].as_str().unwrap_or("").to_string(),
    })
}

/// Result of feeding one file through the default web detectors.
pub struct Run {
    pub alerts: Vec<Alert>,
    pub parsed: usize,
    pub rejected: usize,
}

/// Feed a log file (read line by line) through `dets`.
pub fn run_file(
    path: &str,
    parse: fn(&str) -> Option<Line>,
    dets: &mut [Box<dyn Detector>],
) -> Run {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut alerts = Vec::new();
    let (mut parsed, mut rejected) = (0, 0);
    for (n, line) in std::io::BufReader::new(f).split(b'\n').enumerate() {
        let bytes = line.unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let text = text.trim_end_matches('\r');
        let Some(l) = parse(text) else {
            rejected += 1;
            continue;
        };
        parsed += 1;
        let w = WebEvent {
            ts: l.ts,
            source_ip: l.ip,
            method: &l.method,
            path: &l.path,
            query: &l.query,
            status: l.status,
            bytes: l.bytes,
            user_agent: &l.ua,
            referrer: &l.referrer,
            site: &l.site,
        };
        let o = Origin {
            file: path,
            line: n as u64 + 1,
            raw: text,
        };
        for d in dets.iter_mut() {
            d.observe(&EventRef::Web(w.clone()), &o, &mut alerts);
        }
    }
    for d in dets.iter_mut() {
        d.finish(&mut alerts);
    }
    Run {
        alerts,
        parsed,
        rejected,
    }
}
