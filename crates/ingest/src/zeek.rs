//! Zeek ASCII logs (`dns.log`, `http.log`, `ssl.log`, `conn.log`): TSV with
//! `#separator`, `#set_separator`, `#empty_field`, `#unset_field`, `#path`
//! and `#fields` headers. Columns are found by the header's names, so any
//! field order and extra fields read. Other Zeek logs (`files.log`,
//! `x509.log`, `weird.log` …) are read and counted as parsed lines that
//! carry no event.

use crate::netcommon::{epoch_or_iso, rcode_num};
use crate::text::{parse_ip, RecordParser};
use haboob_model::MAX_ANSWERS_BYTES;
use haboob_model::{bound_list, trim_domain, EventRef, NetEvent, NetKind, Parsed, RecordError};
use std::borrow::Cow;

/// Column indices of the fields read, from `#fields`.
#[derive(Debug, Default, Clone)]
struct Columns {
    ts: Option<usize>,
    orig_h: Option<usize>,
    resp_h: Option<usize>,
    query: Option<usize>,
    rcode: Option<usize>,
    answers: Option<usize>,
    method: Option<usize>,
    host: Option<usize>,
    uri: Option<usize>,
    user_agent: Option<usize>,
    status: Option<usize>,
    server_name: Option<usize>,
    conn_state: Option<usize>,
    count: usize,
}

/// The Zeek TSV parser; state is the file's header (one per file).
#[derive(Debug, Clone)]
pub(crate) struct Zeek {
    sep: String,
    set_sep: String,
    empty: String,
    unset: String,
    path: String,
    cols: Option<Columns>,
}

impl Default for Zeek {
    fn default() -> Self {
        Zeek {
            sep: "\t".into(),
            set_sep: ",".into(),
            empty: "(empty)".into(),
            unset: "-".into(),
            path: String::new(),
            cols: None,
        }
    }
}

/// Decode Zeek's `\xHH` escapes (the writer escapes the separator and
/// non-printable bytes that way); invalid UTF-8 becomes U+FFFD.
fn unescape(s: &str) -> Cow<'_, str> {
    if !s.contains("\\x") {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && b.get(i + 1) == Some(&b'x') && i + 3 < b.len() {
            let hex = std::str::from_utf8(&b[i + 2..i + 4]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

fn kind_of(path: &str, c: &Columns) -> Option<NetKind> {
    match path {
        "dns" => Some(NetKind::Dns),
        "http" => Some(NetKind::Http),
        "ssl" => Some(NetKind::Tls),
        "conn" => Some(NetKind::Conn),
        "" if c.query.is_some() => Some(NetKind::Dns),
        "" if c.server_name.is_some() => Some(NetKind::Tls),
        "" if c.uri.is_some() || c.method.is_some() => Some(NetKind::Http),
        "" if c.conn_state.is_some() => Some(NetKind::Conn),
        _ => None,
    }
}

fn dataset(kind: NetKind) -> &'static str {
    match kind {
        NetKind::Dns => "zeek.dns",
        NetKind::Http => "zeek.http",
        NetKind::Tls => "zeek.ssl",
        NetKind::Conn => "zeek.conn",
    }
}

impl Zeek {
    fn header(&mut self, line: &str) -> Result<(), RecordError> {
        if let Some(v) = line.strip_prefix("#separator ") {
            let sep = unescape(v.trim());
            if sep.is_empty() {
                return Err(RecordError::fixed("empty Zeek #separator"));
            }
            self.sep = sep.into_owned();
            return Ok(());
        }
        let (name, value) = line.split_once(self.sep.as_str()).unwrap_or((line, ""));
        match name {
            "#set_separator" => self.set_sep = unescape(value).into_owned(),
            "#empty_field" => self.empty = value.to_owned(),
            "#unset_field" => self.unset = value.to_owned(),
            "#path" => self.path = value.to_owned(),
            "#fields" => {
                let mut c = Columns::default();
                for (i, f) in value.split(self.sep.as_str()).enumerate() {
                    let slot = match f {
                        "ts" => &mut c.ts,
                        "id.orig_h" => &mut c.orig_h,
                        "id.resp_h" => &mut c.resp_h,
                        "query" => &mut c.query,
                        "rcode" => &mut c.rcode,
                        "rcode_name" if c.rcode.is_none() => &mut c.rcode,
                        "answers" => &mut c.answers,
                        "method" => &mut c.method,
                        "host" => &mut c.host,
                        "uri" => &mut c.uri,
                        "user_agent" => &mut c.user_agent,
                        "status_code" => &mut c.status,
                        "server_name" => &mut c.server_name,
                        "conn_state" => &mut c.conn_state,
                        _ => continue,
                    };
                    *slot = Some(i);
                }
                c.count = value.split(self.sep.as_str()).count();
                if c.ts.is_none() {
                    return Err(RecordError::fixed("Zeek #fields without ts"));
                }
                self.cols = Some(c);
            }
            // #open, #close, #types and comments.
            _ => {}
        }
        Ok(())
    }
}

impl RecordParser for Zeek {
    fn parse_rec<'a>(
        &mut self,
        line: &'a str,
        _scratch: Option<&'a mut String>,
    ) -> Result<Parsed<'a>, RecordError> {
        if line.starts_with('#') {
            if !(line.starts_with("#separator ")
                || line.starts_with("#fields")
                || line.starts_with("#path")
                || line.starts_with("#types")
                || line.starts_with("#open")
                || line.starts_with("#close")
                || line.starts_with("#set_separator")
                || line.starts_with("#empty_field")
                || line.starts_with("#unset_field"))
            {
                return Err(RecordError::fixed("not a Zeek header line"));
            }
            self.header(line)?;
            return Ok(Parsed::Directive);
        }
        let Some(c) = &self.cols else {
            return Err(RecordError::fixed(
                "Zeek data line before its #fields header",
            ));
        };
        let vals: Vec<&'a str> = line.split(self.sep.as_str()).collect();
        if vals.len() != c.count {
            return Err(RecordError::new(format!(
                "Zeek line has {} fields, #fields names {}",
                vals.len(),
                c.count
            )));
        }
        let (unset, empty) = (self.unset.as_str(), self.empty.as_str());
        let get = |i: Option<usize>| -> &'a str {
            match i.map(|i| vals[i]) {
                Some(v) if v != unset && v != empty => v,
                _ => "",
            }
        };
        let ts = epoch_or_iso(get(c.ts))?;
        let Some(kind) = kind_of(&self.path, c) else {
            return Ok(Parsed::Directive);
        };
        let addr = |i: Option<usize>, what: &'static str| -> Result<_, RecordError> {
            match get(i) {
                "" => Ok(None),
                s => parse_ip(s, false).map(Some).ok_or(RecordError::fixed(what)),
            }
        };
        let client = addr(c.orig_h, "bad id.orig_h address")?;
        let server = addr(c.resp_h, "bad id.resp_h address")?;
        let domain = match kind {
            NetKind::Dns => get(c.query),
            NetKind::Http => get(c.host),
            NetKind::Tls => get(c.server_name),
            NetKind::Conn => "",
        };
        let status = match (kind, get(c.rcode), get(c.status)) {
            (NetKind::Dns, r, _) => r.parse().unwrap_or_else(|_| rcode_num(r)),
            (_, _, s) if !s.is_empty() => s
                .parse()
                .map_err(|_| RecordError::fixed("bad status_code"))?,
            _ => 0,
        };
        let answers = match get(c.answers) {
            "" => Cow::Borrowed(""),
            a if self.set_sep == "," => unescape(bound_list(a, MAX_ANSWERS_BYTES)),
            a => Cow::Owned(
                bound_list(&a.replace(self.set_sep.as_str(), ","), MAX_ANSWERS_BYTES).to_owned(),
            ),
        };
        Ok(Parsed::Event(EventRef::Net(NetEvent {
            client,
            server,
            domain: unescape(trim_domain(domain)),
            url: unescape(get(c.uri)),
            method: unescape(get(c.method)),
            status,
            user_agent: unescape(get(c.user_agent)),
            answers,
            ..NetEvent::empty(ts, dataset(kind), kind)
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(p: &mut Zeek, line: &str) -> NetEvent<'static> {
        match p.parse_rec(line, None) {
            Ok(Parsed::Event(EventRef::Net(n))) => NetEvent {
                domain: Cow::Owned(n.domain.into_owned()),
                url: Cow::Owned(n.url.into_owned()),
                method: Cow::Owned(n.method.into_owned()),
                user_agent: Cow::Owned(n.user_agent.into_owned()),
                answers: Cow::Owned(n.answers.into_owned()),
                sensor: Cow::Owned(n.sensor.into_owned()),
                ..n
            },
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn header_order_escapes_and_unset_fields() {
        let mut p = Zeek::default();
        for h in [
            "#separator \\x09",
            "#set_separator\t,",
            "#empty_field\t(empty)",
            "#unset_field\t-",
            "#path\thttp",
            "#fields\tuid\tts\tid.orig_h\tid.resp_h\thost\turi\tmethod\tuser_agent\tstatus_code",
            "#types\tstring\ttime\taddr\taddr\tstring\tstring\tstring\tstring\tcount",
        ] {
            assert!(matches!(p.parse_rec(h, None), Ok(Parsed::Directive)), "{h}");
        }
        let n = net(
            &mut p,
            "C1\t1300475168.5\t10.0.0.5\t192.0.2.80\tA.example\t/a\\x09b\tGET\tcurl/8\\x09x\t200",
        );
        assert_eq!(n.ts.0, 1_300_475_168_500);
        assert_eq!(n.kind, NetKind::Http);
        assert_eq!(n.dataset, "zeek.http");
        assert_eq!(n.client, "10.0.0.5".parse().ok());
        assert_eq!(
            (&*n.domain, &*n.url, &*n.method),
            ("A.example", "/a\tb", "GET")
        );
        assert_eq!((&*n.user_agent, n.status), ("curl/8\tx", 200));
        let n = net(&mut p, "C2\t1300475169\t10.0.0.5\t-\t-\t(empty)\t-\t-\t-");
        assert_eq!((n.server, &*n.domain, &*n.url, n.status), (None, "", "", 0));
        // Wrong field count, bad address, bad time: rejected with a reason.
        for bad in [
            "C3\t1300475169\t10.0.0.5",
            "C3\t1300475169\tnot-an-ip\t-\t-\t-\t-\t-\t-",
            "C3\tyesterday\t10.0.0.5\t-\t-\t-\t-\t-\t-",
            "#bogus header",
        ] {
            assert!(p.parse_rec(bad, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn data_before_fields_is_rejected_and_other_logs_carry_nothing() {
        let mut p = Zeek::default();
        assert!(p.parse_rec("1300475169\t10.0.0.5", None).is_err());
        p.parse_rec("#path\tfiles", None).unwrap();
        p.parse_rec("#fields\tts\tfuid\tmime_type", None).unwrap();
        assert!(matches!(
            p.parse_rec("1300475169.1\tF1\ttext/plain", None),
            Ok(Parsed::Directive)
        ));
    }
}
