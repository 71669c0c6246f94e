//! Hand-written layout checks for the simulator's output (independent of
//! the simulator's own writers).
#![allow(dead_code)]

use haboob_model::{Fnv64, Ts};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// One request as read back from a log.
#[derive(Debug, Clone)]
pub struct Rec {
    pub file: String,
    pub ip: IpAddr,
    pub ts: Ts,
    pub method: String,
    pub target: String,
    pub status: u16,
    pub ua: String,
    pub site: String,
    /// The raw zone offset text (`-0400`, `+00:00`), when the layout has one.
    pub zone: String,
}

/// Lines of a file, gunzipped when it ends in `.gz`.
pub fn lines(path: &Path) -> Vec<String> {
    let f = std::fs::File::open(path).unwrap();
    let r: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::GzDecoder::new(f))
    } else {
        Box::new(f)
    };
    BufReader::new(r).lines().map(|l| l.unwrap()).collect()
}

/// Split a quoted Apache field starting at `s[0] == '"'`; returns (unescaped, rest).
fn quoted(s: &str) -> (String, &str) {
    assert!(s.starts_with('"'), "expected quote: {s}");
    let b = s.as_bytes();
    let mut out = String::new();
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                out.push(b[i + 1] as char);
                i += 2;
            }
            b'"' => return (out, &s[i + 1..]),
            c => {
                out.push(c as char);
                i += 1;
            }
        }
    }
    panic!("unterminated quote: {s}");
}

/// Parse `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"`.
pub fn parse_combined(file: &str, line: &str, site: &str) -> Rec {
    let (ip, rest) = line.split_once(' ').unwrap();
    let rest = rest
        .strip_prefix("- - [")
        .unwrap_or_else(|| panic!("ident/user: {line}"));
    let (time, rest) = rest.split_once("] ").unwrap();
    let ts = Ts::parse_clf(time).unwrap_or_else(|e| panic!("{e}: {line}"));
    let (req, rest) = quoted(rest);
    let parts: Vec<&str> = req.split(' ').collect();
    assert_eq!(parts.len(), 3, "request line: {line}");
    assert_eq!(parts[2], "HTTP/1.1");
    let rest = rest.strip_prefix(' ').unwrap();
    let (status, rest) = rest.split_once(' ').unwrap();
    let (bytes, rest) = rest.split_once(' ').unwrap();
    assert!(
        bytes == "-" || bytes.parse::<u64>().is_ok(),
        "bytes: {line}"
    );
    let (referer, rest) = quoted(rest);
    assert!(
        referer == "-" || referer.starts_with("https://"),
        "referer: {line}"
    );
    let (ua, rest) = quoted(rest.strip_prefix(' ').unwrap());
    assert!(rest.is_empty(), "trailing text: {line}");
    Rec {
        file: file.to_string(),
        ip: ip.parse().unwrap_or_else(|_| panic!("ip: {line}")),
        ts,
        method: parts[0].to_string(),
        target: parts[1].to_string(),
        status: status.parse().unwrap_or_else(|_| panic!("status: {line}")),
        ua,
        site: site.to_string(),
        zone: time[21..].to_string(),
    }
}

/// Parse `%v:%p` then the combined fields (with `%O`).
pub fn parse_vhost(file: &str, line: &str) -> Rec {
    let (vhost, rest) = line.split_once(' ').unwrap();
    let (host, port) = vhost.split_once(':').unwrap();
    assert_eq!(port, "443");
    parse_combined(file, rest, host)
}

pub const IIS_FIELDS: &str = "#Fields: date time s-sitename s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) cs-host sc-status sc-substatus sc-win32-status sc-bytes time-taken";

pub fn parse_iis(file: &str, line: &str) -> Rec {
    let f: Vec<&str> = line.split(' ').collect();
    assert_eq!(f.len(), 18, "IIS field count: {line}");
    for x in &f {
        assert!(!x.is_empty(), "empty IIS field: {line}");
    }
    let ts = Ts::parse_rfc3339(&format!("{} {}", f[0], f[1])).unwrap();
    for n in [7, 13, 14, 15, 16, 17] {
        assert!(f[n].parse::<u64>().is_ok(), "numeric field {n}: {line}");
    }
    let target = if f[6] == "-" {
        f[5].to_string()
    } else {
        format!("{}?{}", f[5], f[6])
    };
    Rec {
        file: file.to_string(),
        ip: f[9].parse().unwrap(),
        ts,
        method: f[4].to_string(),
        target,
        status: f[13].parse().unwrap(),
        ua: f[10].replace('+', " "),
        site: f[12].to_string(),
        zone: String::new(),
    }
}

pub fn parse_nginx_json(file: &str, line: &str) -> Rec {
    let v: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line).unwrap();
    let mut keys: Vec<&str> = v.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut want = vec![
        "time_iso8601",
        "remote_addr",
        "request_method",
        "request_uri",
        "status",
        "body_bytes_sent",
        "http_user_agent",
        "http_referer",
        "host",
    ];
    want.sort();
    assert_eq!(keys, want, "JSON keys: {line}");
    let s = |k: &str| {
        v[k].as_str()
            .unwrap_or_else(|| panic!("{k} not a string: {line}"))
            .to_string()
    };
    let time = s("time_iso8601");
    s("body_bytes_sent").parse::<u64>().unwrap();
    Rec {
        file: file.to_string(),
        ip: s("remote_addr").parse().unwrap(),
        ts: Ts::parse_rfc3339(&time).unwrap(),
        method: s("request_method"),
        target: s("request_uri"),
        status: s("status").parse().unwrap(),
        ua: s("http_user_agent"),
        site: s("host"),
        zone: time[19..].to_string(),
    }
}

/// Every log file under `dir` (not the metadata files), sorted.
pub fn log_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                // The ISAC intel written beside the logs is no log.
                if !p.ends_with("intel") {
                    stack.push(p);
                }
            } else if !p.to_string_lossy().ends_with(".toml") && !p.ends_with("labels.jsonl") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// FNV hash of every file's relative path and bytes.
pub fn hash_tree(dir: &Path) -> BTreeMap<String, u64> {
    let mut all: Vec<PathBuf> = log_files(dir);
    for m in [
        "labels.jsonl",
        "targets.toml",
        "haboob.toml",
        "intel/isac.stix.json",
        "intel/isac-list.txt",
    ] {
        if dir.join(m).exists() {
            all.push(dir.join(m));
        }
    }
    all.into_iter()
        .map(|p| {
            let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            let h = Fnv64::default().write(&std::fs::read(&p).unwrap()).finish();
            (rel, h)
        })
        .collect()
}
