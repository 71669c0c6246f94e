//! IIS W3C extended logs: the `#Fields:` directive names the space-separated
//! columns; a new directive may change them mid-file.

use crate::proxy::MAX_FORWARDED_BYTES;
use crate::text::{dash, parse_ip, parse_status, parse_u64, resolve, RecordParser, Text};
use haboob_model::{EventRef, Parsed, RecordError, Ts, WebEvent};

/// Most columns a `#Fields:` directive may declare.
const MAX_FIELDS: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Date,
    Time,
    ClientIp,
    Method,
    Stem,
    Query,
    Status,
    Bytes,
    UserAgent,
    Referer,
    Host,
    SiteName,
    User,
    Forwarded,
    Version,
    Other,
}

impl Col {
    fn from_name(n: &str) -> Col {
        match n.to_ascii_lowercase().as_str() {
            "date" => Col::Date,
            "time" => Col::Time,
            "c-ip" => Col::ClientIp,
            "cs-method" => Col::Method,
            "cs-uri-stem" => Col::Stem,
            "cs-uri-query" => Col::Query,
            "sc-status" => Col::Status,
            "sc-bytes" => Col::Bytes,
            "cs(user-agent)" => Col::UserAgent,
            "cs(referer)" => Col::Referer,
            "cs-host" => Col::Host,
            "s-sitename" => Col::SiteName,
            "cs-username" => Col::User,
            "cs-version" => Col::Version,
            // The request header (`cs(…)`) or an IIS custom field of that name.
            "cs(x-forwarded-for)"
            | "x-forwarded-for"
            | "cs(x-real-ip)"
            | "x-real-ip"
            | "cs(cf-connecting-ip)"
            | "cf-connecting-ip"
            | "cs(true-client-ip)"
            | "true-client-ip" => Col::Forwarded,
            _ => Col::Other,
        }
    }
}

/// Stateful IIS parser: one per file.
#[derive(Debug, Default)]
pub(crate) struct Iis {
    cols: Vec<Col>,
}

impl RecordParser for Iis {
    fn parse_rec<'a>(
        &mut self,
        line: &'a str,
        scratch: Option<&'a mut String>,
    ) -> Result<Parsed<'a>, RecordError> {
        if let Some(directive) = line.strip_prefix('#') {
            if let Some(fields) = directive.strip_prefix("Fields:") {
                let cols: Vec<Col> = fields.split_whitespace().map(Col::from_name).collect();
                if cols.is_empty() || cols.len() > MAX_FIELDS {
                    return Err(RecordError::fixed("bad #Fields directive"));
                }
                for need in [Col::Date, Col::Time, Col::ClientIp] {
                    if !cols.contains(&need) {
                        return Err(RecordError::fixed(
                            "#Fields directive lacks date, time or c-ip",
                        ));
                    }
                }
                self.cols = cols;
                return Ok(Parsed::Directive);
            }
            let known = [
                "Software:",
                "Version:",
                "Date:",
                "Start-Date:",
                "End-Date:",
                "Remark:",
            ];
            if known.iter().any(|k| directive.starts_with(k)) {
                return Ok(Parsed::Directive);
            }
            return Err(RecordError::fixed("unknown # directive"));
        }
        if self.cols.is_empty() {
            return Err(RecordError::fixed("no #Fields header"));
        }
        let mut vals = [""; MAX_FIELDS];
        let mut n = 0;
        for v in line.split(' ') {
            if n == self.cols.len() {
                return Err(RecordError::fixed("more values than #Fields declares"));
            }
            vals[n] = v;
            n += 1;
        }
        if n != self.cols.len() {
            return Err(RecordError::fixed("fewer values than #Fields declares"));
        }
        let (mut date, mut time, mut ip) = ("", "", "");
        let (mut method, mut path, mut query, mut ua, mut referrer) = ("", "", "", "", "");
        let (mut host, mut sitename, mut user, mut forwarded) = ("", "", "", "");
        let mut protocol = "";
        let (mut status, mut bytes) = (0u16, 0u64);
        for (col, v) in self.cols.iter().zip(&vals[..n]) {
            match col {
                Col::Date => date = v,
                Col::Time => time = v,
                Col::ClientIp => ip = v,
                Col::Method => method = dash(v),
                Col::Stem => path = dash(v),
                Col::Query => query = dash(v),
                Col::Status => {
                    status = parse_status(v).ok_or(RecordError::fixed("bad sc-status"))?;
                }
                Col::Bytes => bytes = parse_u64(v).ok_or(RecordError::fixed("bad sc-bytes"))?,
                Col::UserAgent => ua = dash(v),
                Col::Referer => referrer = dash(v),
                Col::Host => host = dash(v),
                Col::SiteName => sitename = dash(v),
                Col::User => user = dash(v),
                Col::Forwarded if forwarded.is_empty() => forwarded = dash(v),
                Col::Version => protocol = dash(v),
                Col::Forwarded | Col::Other => {}
            }
        }
        let ts = iis_time(date, time)?;
        let source_ip = parse_ip(ip, false).ok_or(RecordError::fixed("bad c-ip"))?;
        if forwarded.len() > MAX_FORWARDED_BYTES {
            forwarded = "";
        }
        // IIS writes a space in a value as `+` (`1.2.3.4,+10.0.0.1`).
        let [user_agent, forwarded] = resolve([Text::Plus(ua), Text::Plus(forwarded)], scratch);
        Ok(Parsed::Event(EventRef::Web(WebEvent {
            ts,
            source_ip,
            method,
            path,
            query,
            status,
            bytes,
            user_agent,
            referrer,
            site: if host.is_empty() { sitename } else { host },
            user,
            forwarded,
            protocol,
        })))
    }
}

/// `2024-05-01` + `10:00:00` (UTC) into a timestamp, without allocating.
fn iis_time(date: &str, time: &str) -> Result<Ts, RecordError> {
    let mut buf = [0u8; 40];
    let (d, t) = (date.as_bytes(), time.as_bytes());
    if d.len() != 10 || t.len() < 8 || t.len() > 20 {
        return Err(RecordError::fixed("bad date/time"));
    }
    buf[..10].copy_from_slice(d);
    buf[10] = b'T';
    buf[11..11 + t.len()].copy_from_slice(t);
    buf[11 + t.len()] = b'Z';
    let s = std::str::from_utf8(&buf[..12 + t.len()])
        .map_err(|_| RecordError::fixed("bad date/time"))?;
    Ts::parse_rfc3339(s).map_err(|e| RecordError::new(format!("bad date/time: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "#Fields: date time s-sitename s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status sc-bytes time-taken";

    #[test]
    fn fields_and_plus_decoding() {
        let mut p = Iis::default();
        let mut scratch = String::new();
        assert!(matches!(
            p.parse_rec(
                "#Software: Microsoft Internet Information Services 10.0",
                None
            ),
            Ok(Parsed::Directive)
        ));
        assert_eq!(
            p.parse_rec(
                "2024-05-01 10:00:00 W3SVC1 10.0.0.5 GET / - 443 - 1.2.3.4 curl - 200 0 0 5 1",
                None
            )
            .unwrap_err()
            .reason,
            "no #Fields header"
        );
        assert!(matches!(p.parse_rec(HEADER, None), Ok(Parsed::Directive)));
        let line = "2024-05-01 23:59:58 W3SVC1 10.0.0.5 GET /owa/auth.owa a=1 443 - 2001:db8::9 Mozilla/5.0+(Windows+NT+10.0) https://x.example/ 302 0 0 512 15";
        let Parsed::Event(EventRef::Web(w)) = p.parse_rec(line, Some(&mut scratch)).unwrap() else {
            panic!()
        };
        assert_eq!(w.ts.to_string(), "2024-05-01T23:59:58.000Z");
        assert_eq!(
            (w.method, w.path, w.query, w.status, w.bytes),
            ("GET", "/owa/auth.owa", "a=1", 302, 512)
        );
        assert_eq!(
            (w.user_agent, w.referrer, w.site),
            (
                "Mozilla/5.0 (Windows NT 10.0)",
                "https://x.example/",
                "W3SVC1"
            )
        );
        assert_eq!(w.source_ip.to_string(), "2001:db8::9");
        assert_eq!(w.protocol, "");
        // `cs-version`, when logged, is the protocol.
        let mut p = Iis::default();
        assert!(p
            .parse_rec(
                "#Fields: date time c-ip cs-method cs-uri-stem cs-version sc-status",
                None
            )
            .is_ok());
        let Parsed::Event(EventRef::Web(w)) = p
            .parse_rec("2024-05-01 10:00:00 1.2.3.4 GET / HTTP/2 200", None)
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(w.protocol, "HTTP/2");
    }

    #[test]
    fn forwarding_header_and_mapped_client() {
        let mut p = Iis::default();
        let mut scratch = String::new();
        p.parse_rec(
            "#Fields: date time c-ip cs-uri-stem sc-status cs(X-Forwarded-For)",
            None,
        )
        .unwrap();
        let mut parse = |line: &'static str| -> (String, String) {
            let Parsed::Event(EventRef::Web(w)) = p.parse_rec(line, Some(&mut scratch)).unwrap()
            else {
                panic!()
            };
            (w.source_ip.to_string(), w.forwarded.to_string())
        };
        // IIS writes the header's spaces as `+`.
        assert_eq!(
            parse("2024-05-01 10:00:00 10.0.0.5 /a 404 198.51.100.7,+10.1.2.3"),
            ("10.0.0.5".into(), "198.51.100.7, 10.1.2.3".into())
        );
        assert_eq!(
            parse("2024-05-01 10:00:00 ::ffff:10.0.0.5 /a 404 -"),
            ("10.0.0.5".into(), String::new())
        );
        // An IIS custom field named like the header (enhanced logging).
        p.parse_rec("#Fields: date time c-ip X-Forwarded-For sc-status", None)
            .unwrap();
        let Parsed::Event(EventRef::Web(w)) = p
            .parse_rec("2024-05-01 10:00:00 10.0.0.5 2001:db8::7 200", None)
            .unwrap()
        else {
            panic!()
        };
        assert_eq!((w.forwarded, w.status), ("2001:db8::7", 200));
    }

    #[test]
    fn fields_change_mid_file() {
        let mut p = Iis::default();
        p.parse_rec("#Fields: date time c-ip cs-uri-stem sc-status", None)
            .unwrap();
        let Parsed::Event(EventRef::Web(w)) = p
            .parse_rec("2024-05-01 10:00:00 1.2.3.4 /a 404", None)
            .unwrap()
        else {
            panic!()
        };
        assert_eq!((w.path, w.status), ("/a", 404));
        p.parse_rec(
            "#Fields: date time cs-host c-ip cs-uri-stem sc-status",
            None,
        )
        .unwrap();
        assert_eq!(
            p.parse_rec("2024-05-01 10:00:00 1.2.3.4 /a 404", None)
                .unwrap_err()
                .reason,
            "fewer values than #Fields declares"
        );
        let Parsed::Event(EventRef::Web(w)) = p
            .parse_rec("2024-05-01 10:00:01 votes.example.gov 1.2.3.4 /b 200", None)
            .unwrap()
        else {
            panic!()
        };
        assert_eq!((w.site, w.path, w.status), ("votes.example.gov", "/b", 200));
        assert_eq!(
            p.parse_rec("2024-05-01 10:00:01 h 1.2.3.4 /b 200 extra", None)
                .unwrap_err()
                .reason,
            "more values than #Fields declares"
        );
        assert_eq!(
            p.parse_rec("2024-13-01 10:00:01 h 1.2.3.4 /b 200", None)
                .unwrap_err()
                .reason,
            "bad date/time: timestamp field out of range: month"
        );
        assert_eq!(
            p.parse_rec("2024-05-01 10:00:01 h nope /b 200", None)
                .unwrap_err()
                .reason,
            "bad c-ip"
        );
        assert_eq!(
            p.parse_rec("#Fields: cs-host", None).unwrap_err().reason,
            "#Fields directive lacks date, time or c-ip"
        );
    }
}
