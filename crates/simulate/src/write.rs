//! One simulated request ([`Req`]), its rendering in each log layout, and
//! output files (plain or gzip).

use crate::clock::{push_clf, push_iso, push_w3c, Zone, MS};
use crate::label::{Labels, Tag};
use crate::{SimError, SimSummary};
use flate2::write::GzEncoder;
use flate2::Compression;
use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// A scenario's literal address (a constant of the scenario: never input).
pub(crate) fn addr(s: &str) -> IpAddr {
    s.parse().expect("valid literal address")
}

/// One HTTP request as the simulator plans it.
#[derive(Debug, Clone)]
pub(crate) struct Req {
    /// UTC milliseconds since the epoch.
    pub ms: i64,
    pub ip: IpAddr,
    pub method: &'static str,
    /// Path plus optional `?query`, already percent-encoded as sent.
    pub target: Cow<'static, str>,
    pub status: u16,
    /// Response body bytes.
    pub bytes: u32,
    pub ua: &'static str,
    /// Empty when the request had no referer.
    pub referer: Cow<'static, str>,
    /// Index into the scenario's site table.
    pub site: u8,
    /// Ground-truth label, or [`crate::label::NO_TAG`].
    pub tag: Tag,
}

impl Req {
    pub(crate) fn secs(&self) -> i64 {
        self.ms.div_euclid(MS)
    }
}

/// Append text as Apache does inside quotes: `"` and `\` escaped, control
/// bytes as `\xhh`.
pub(crate) fn push_quoted(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    if s.is_empty() {
        out.push(b'-');
    }
    for &b in s.as_bytes() {
        match b {
            b'"' | b'\\' => {
                out.push(b'\\');
                out.push(b);
            }
            0..=0x1f | 0x7f => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\x");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 15)]);
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

fn push_num(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(haboob_model::decimal_u64(v, &mut [0u8; 20]));
}

fn push_request_line(out: &mut Vec<u8>, r: &Req) {
    out.push(b'"');
    out.extend_from_slice(r.method.as_bytes());
    out.push(b' ');
    let mut t = Vec::with_capacity(r.target.len());
    push_quoted(&mut t, &r.target);
    out.extend_from_slice(&t[1..t.len() - 1]);
    out.extend_from_slice(b" HTTP/1.1\"");
}

/// Apache `combined`: `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"`.
pub(crate) fn push_combined(out: &mut Vec<u8>, r: &Req, zone: Zone) {
    out.extend_from_slice(r.ip.to_string().as_bytes());
    out.extend_from_slice(b" - - [");
    push_clf(out, r.secs(), zone);
    out.extend_from_slice(b"] ");
    push_request_line(out, r);
    out.push(b' ');
    push_num(out, u64::from(r.status));
    out.push(b' ');
    if r.bytes == 0 {
        out.push(b'-');
    } else {
        push_num(out, u64::from(r.bytes));
    }
    out.push(b' ');
    push_quoted(out, &r.referer);
    out.push(b' ');
    push_quoted(out, r.ua);
    out.push(b'\n');
}

/// Apache `vhost_combined`:
/// `%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"`
/// (`%O` counts headers too).
pub(crate) fn push_vhost(out: &mut Vec<u8>, r: &Req, host: &str, zone: Zone) {
    out.extend_from_slice(host.as_bytes());
    out.extend_from_slice(b":443 ");
    out.extend_from_slice(r.ip.to_string().as_bytes());
    out.extend_from_slice(b" - - [");
    push_clf(out, r.secs(), zone);
    out.extend_from_slice(b"] ");
    push_request_line(out, r);
    out.push(b' ');
    push_num(out, u64::from(r.status));
    out.push(b' ');
    push_num(out, u64::from(r.bytes) + 240 + u64::from(r.status % 7) * 3);
    out.push(b' ');
    push_quoted(out, &r.referer);
    out.push(b' ');
    push_quoted(out, r.ua);
    out.push(b'\n');
}

/// The IIS `#Fields:` this simulator writes.
pub(crate) const IIS_FIELDS: &str = "#Fields: date time s-sitename s-ip cs-method cs-uri-stem \
cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) cs-host sc-status sc-substatus \
sc-win32-status sc-bytes time-taken";

/// Append the IIS W3C directive block opening a log (or a restart).
pub(crate) fn push_iis_header(out: &mut Vec<u8>, secs: i64) {
    out.extend_from_slice(b"#Software: Microsoft Internet Information Services 10.0\r\n");
    out.extend_from_slice(b"#Version: 1.0\r\n#Date: ");
    push_w3c(out, secs);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(IIS_FIELDS.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// A W3C field: spaces become `+`, empty becomes `-`.
fn push_w3c_field(out: &mut Vec<u8>, s: &str) {
    if s.is_empty() {
        out.push(b'-');
        return;
    }
    for &b in s.as_bytes() {
        out.push(if b <= b' ' { b'+' } else { b });
    }
}

/// One IIS W3C extended line (CRLF-terminated, as IIS writes).
pub(crate) fn push_iis(out: &mut Vec<u8>, r: &Req, host: &str) {
    push_w3c(out, r.secs());
    out.extend_from_slice(b" W3SVC2 10.20.30.15 ");
    out.extend_from_slice(r.method.as_bytes());
    out.push(b' ');
    let (stem, query) = match r.target.split_once('?') {
        Some((s, q)) => (s, q),
        None => (&*r.target, ""),
    };
    push_w3c_field(out, stem);
    out.push(b' ');
    push_w3c_field(out, query);
    out.extend_from_slice(b" 443 - ");
    out.extend_from_slice(r.ip.to_string().as_bytes());
    out.push(b' ');
    push_w3c_field(out, r.ua);
    out.push(b' ');
    push_w3c_field(out, &r.referer);
    out.push(b' ');
    out.extend_from_slice(host.as_bytes());
    out.push(b' ');
    push_num(out, u64::from(r.status));
    out.extend_from_slice(b" 0 ");
    out.extend_from_slice(if r.status == 404 { b"2" } else { b"0" });
    out.push(b' ');
    push_num(out, u64::from(r.bytes) + 210);
    out.push(b' ');
    push_num(
        out,
        15 + (r.ms.rem_euclid(97) as u64) + u64::from(r.bytes / 4096),
    );
    out.extend_from_slice(b"\r\n");
}

fn push_json_str(out: &mut Vec<u8>, key: &str, val: &str) {
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
    // Writing a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, val);
}

/// One nginx JSON line (`escape=json`; status and sizes are strings as in
/// the usual `log_format` templates).
pub(crate) fn push_nginx_json(out: &mut Vec<u8>, r: &Req, host: &str, zone: Zone) {
    out.extend_from_slice(b"{\"time_iso8601\":\"");
    push_iso(out, r.secs(), zone);
    out.extend_from_slice(b"\",");
    push_json_str(out, "remote_addr", &r.ip.to_string());
    out.push(b',');
    push_json_str(out, "request_method", r.method);
    out.push(b',');
    push_json_str(out, "request_uri", &r.target);
    out.extend_from_slice(b",\"status\":\"");
    push_num(out, u64::from(r.status));
    out.extend_from_slice(b"\",\"body_bytes_sent\":\"");
    push_num(out, u64::from(r.bytes));
    out.extend_from_slice(b"\",");
    push_json_str(out, "http_user_agent", r.ua);
    out.push(b',');
    push_json_str(out, "http_referer", &r.referer);
    out.push(b',');
    push_json_str(out, "host", host);
    out.extend_from_slice(b"}\n");
}

enum Inner {
    Plain(BufWriter<File>),
    Gz(GzEncoder<BufWriter<File>>),
}

/// An output log file, gzip-compressed when its name ends in `.gz`.
pub(crate) struct OutFile {
    path: PathBuf,
    inner: Inner,
}

impl OutFile {
    pub(crate) fn create(path: &Path) -> Result<OutFile, SimError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(SimError::io(dir))?;
        }
        let f = File::create(path).map_err(SimError::io(path))?;
        let w = BufWriter::with_capacity(1 << 20, f);
        let inner = if path.extension().is_some_and(|e| e == "gz") {
            // GzEncoder writes mtime 0 and no name: deterministic bytes.
            Inner::Gz(GzEncoder::new(w, Compression::fast()))
        } else {
            Inner::Plain(w)
        };
        Ok(OutFile {
            path: path.to_path_buf(),
            inner,
        })
    }

    pub(crate) fn write(&mut self, buf: &[u8]) -> Result<(), SimError> {
        match &mut self.inner {
            Inner::Plain(w) => w.write_all(buf),
            Inner::Gz(w) => w.write_all(buf),
        }
        .map_err(SimError::io(&self.path))
    }

    /// Flush and close; returns the path.
    pub(crate) fn finish(self) -> Result<PathBuf, SimError> {
        let path = self.path;
        match self.inner {
            Inner::Plain(mut w) => w.flush().map_err(SimError::io(&path))?,
            Inner::Gz(w) => {
                let mut inner = w.finish().map_err(SimError::io(&path))?;
                inner.flush().map_err(SimError::io(&path))?;
            }
        }
        Ok(path)
    }
}

/// Write a scenario's `labels.jsonl` and `targets.toml` into `out` and list
/// them in `summary`.
pub(crate) fn write_metadata(
    out: &Path,
    labels: &Labels,
    targets: &str,
    summary: &mut SimSummary,
) -> Result<(), SimError> {
    let lp = out.join("labels.jsonl");
    summary.labels = labels.write(&lp)?;
    summary.files.push(lp);
    let tp = out.join("targets.toml");
    std::fs::write(&tp, targets).map_err(SimError::io(&tp))?;
    summary.files.push(tp);
    Ok(())
}

/// Append one `[[target]]` entry naming the site's organisation, sector and
/// region.
pub(crate) fn push_target(
    s: &mut String,
    host: &str,
    organisation: &str,
    sector: &str,
    region: &str,
) {
    s.push_str(&format!(
        "\n[[target]]\nname = \"{host}\"\norganisation = \"{organisation}\"\nsector = \"{sector}\"\nregion = \"{region}\"\n"
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::label::NO_TAG;

    fn req(target: &'static str, ua: &'static str) -> Req {
        Req {
            ms: crate::clock::PERIOD_START * MS + 5_250,
            ip: "192.0.2.7".parse().unwrap(),
            method: "GET",
            target: Cow::Borrowed(target),
            status: 404,
            bytes: 0,
            ua,
            referer: Cow::Borrowed(""),
            site: 0,
            tag: NO_TAG,
        }
    }

    #[test]
    fn combined_escapes_quotes_and_marks_empty_fields() {
        let mut v = Vec::new();
        push_combined(&mut v, &req("/a?x=\"1\"", "Evil \"UA\""), Zone::UsEastern);
        assert_eq!(
            String::from_utf8(v).unwrap(),
            "192.0.2.7 - - [31/Aug/2026:20:00:05 -0400] \"GET /a?x=\\\"1\\\" HTTP/1.1\" 404 - \"-\" \"Evil \\\"UA\\\"\"\n"
        );
    }

    #[test]
    fn iis_splits_query_and_plusses_spaces() {
        let mut v = Vec::new();
        push_iis(
            &mut v,
            &req("/q?id=1", "Mozilla/5.0 (X11)"),
            "elections.az.example",
        );
        let line = String::from_utf8(v).unwrap();
        let f: Vec<&str> = line.trim_end().split(' ').collect();
        assert_eq!(f.len(), 18);
        assert_eq!(&f[..2], ["2026-09-01", "00:00:05"]);
        assert_eq!(f[5], "/q");
        assert_eq!(f[6], "id=1");
        assert_eq!(f[10], "Mozilla/5.0+(X11)");
        assert_eq!(f[11], "-");
        assert_eq!(f[12], "elections.az.example");
        assert_eq!(f[13], "404");
    }

    #[test]
    fn nginx_json_is_valid_json() {
        let mut v = Vec::new();
        push_nginx_json(
            &mut v,
            &req("/${jndi}\"", "ua\\x"),
            "news.example",
            Zone::Utc,
        );
        let j: serde_json::Value = serde_json::from_slice(&v).unwrap();
        assert_eq!(j["request_uri"], "/${jndi}\"");
        assert_eq!(j["status"], "404");
        assert_eq!(j["time_iso8601"], "2026-09-01T00:00:05+00:00");
        assert_eq!(j["http_user_agent"], "ua\\x");
    }
}
