//! A field view of events: the value of a named field, read without copying
//! the record. Sigma rules name fields this way (see `docs/design/sigma.md`),
//! and `haboob events` can print what a rule would see.
//!
//! Web requests answer the names of Sigma's `webserver` taxonomy (W3C
//! extended log names, as IIS writes them) and of its `proxy` taxonomy
//! (`c-uri`, `c-useragent`, …), so a rule of either kind reads an access log
//! of any format the same way:
//!
//! ```
//! use haboob_model::{FieldView, Ts, Value, WebEvent};
//! let ev = WebEvent {
//!     ts: Ts::from_secs(0),
//!     source_ip: "192.0.2.1".parse().unwrap(),
//!     method: "GET",
//!     path: "/cgi-bin/.%2e/.%2e/etc/passwd",
//!     query: "x=1",
//!     status: 400,
//!     bytes: 226,
//!     user_agent: "curl/8.0",
//!     referrer: "",
//!     site: "votes.example.gov",
//!     user: "",
//!     forwarded: "",
//!     protocol: "HTTP/1.1",
//! };
//! assert_eq!(ev.field("cs-uri-stem"), Some(Value::from("/cgi-bin/.%2e/.%2e/etc/passwd")));
//! assert_eq!(ev.field("c-uri").unwrap().to_string(), "/cgi-bin/.%2e/.%2e/etc/passwd?x=1");
//! assert_eq!(ev.field("sc-status"), Some(Value::Int(400)));
//! assert_eq!(ev.field("cs-referer"), Some(Value::Null));
//! assert_eq!(ev.field("no-such-field"), None);
//! ```

use crate::WebEvent;
use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

/// A field's value as the record holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value<'a> {
    /// Text, borrowed from the record where it lies whole in it.
    Str(Cow<'a, str>),
    /// A number the record holds as one (status codes, event ids, sizes).
    Int(i64),
    /// The field exists in the record's kind but is empty or absent in this
    /// record (`-` in an access log): Sigma's `null`.
    Null,
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(s: &'a str) -> Value<'a> {
        Value::Str(Cow::Borrowed(s))
    }
}

impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) => f.write_str(s),
            Value::Int(n) => write!(f, "{n}"),
            Value::Null => Ok(()),
        }
    }
}

/// Named fields of one record.
pub trait FieldView {
    /// The value of `name`: `None` when records of this kind have no such
    /// field, [`Value::Null`] when this one leaves it empty.
    fn field(&self, name: &str) -> Option<Value<'_>>;

    /// Every field this record has a value for, with its canonical name
    /// (one name per value, where several names alias it). Web fields come
    /// in a fixed order; JSON members in the JSON map's order (sorted, or
    /// as written when serde_json's `preserve_order` is on in the build).
    fn for_each_field(&self, f: &mut dyn FnMut(&str, Value<'_>));

    /// The text of every field value [`FieldView::for_each_field`] gives
    /// (numbers in decimal), where values whose text lies whole inside
    /// another one's may be left out: what a search for a substring in any
    /// field value needs to read, and no more (Sigma's literal prefilter).
    /// By default every value, in that order.
    fn for_each_text(&self, f: &mut dyn FnMut(&[u8])) {
        let mut buf = [0u8; 20];
        self.for_each_field(&mut |_, v| match v {
            Value::Str(s) => f(s.as_bytes()),
            Value::Int(n) => f(decimal(n, &mut buf)),
            Value::Null => {}
        });
    }
}

/// Decimal text of `n`, written at the end of `buf` (20 bytes hold
/// `i64::MIN`), without formatting machinery.
pub fn decimal(n: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = digits(n.unsigned_abs(), buf);
    if n < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}

/// [`decimal`] of an unsigned number (20 bytes hold `u64::MAX`).
pub fn decimal_u64(n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let i = digits(n, buf);
    &buf[i..]
}

/// Write the digits of `u` at the end of `buf`; where they start.
fn digits(mut u: u64, buf: &mut [u8; 20]) -> usize {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (u % 10) as u8;
        u /= 10;
        if u == 0 {
            return i;
        }
    }
}

/// Empty text is Sigma's null.
fn text(s: &str) -> Value<'_> {
    if s.is_empty() {
        Value::Null
    } else {
        Value::from(s)
    }
}

/// The web fields, canonical name first; the others are aliases of the
/// same value (webserver and proxy taxonomies, both spellings of referrer).
const WEB_FIELDS: &[&[&str]] = &[
    &["c-ip", "src_ip"],
    &["cs-method"],
    &["cs-uri-stem", "c-uri-stem"],
    &["cs-uri-query", "c-uri-query"],
    &["c-uri", "cs-uri"],
    &["c-uri-extension"],
    &["sc-status"],
    &["sc-bytes"],
    &["cs-user-agent", "c-useragent"],
    &["cs-referer", "cs-referrer"],
    &["cs-host", "s-sitename", "r-dns"],
    &["cs-username"],
    &["cs-version"],
    &["x-forwarded-for"],
];

impl WebEvent<'_> {
    /// The value of the field at `WEB_FIELDS[i]`.
    fn web_field(&self, i: usize) -> Value<'_> {
        match i {
            0 => Value::Str(Cow::Owned(self.source_ip.to_string())),
            1 => text(self.method),
            2 => text(self.path),
            3 => text(self.query),
            4 if self.query.is_empty() => text(self.path),
            4 => Value::Str(Cow::Owned(format!("{}?{}", self.path, self.query))),
            5 => extension(self.path),
            6 if self.status == 0 => Value::Null,
            6 => Value::Int(i64::from(self.status)),
            7 => Value::Int(i64::try_from(self.bytes).unwrap_or(i64::MAX)),
            8 => text(self.user_agent),
            9 => text(self.referrer),
            10 => text(self.site),
            11 => text(self.user),
            12 => text(self.protocol),
            _ => text(self.forwarded),
        }
    }
}

/// The extension of the path's last segment, without the dot.
fn extension(path: &str) -> Value<'_> {
    let last = path.rsplit('/').next().unwrap_or(path);
    match last.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && !ext.is_empty() => Value::from(ext),
        _ => Value::Null,
    }
}

impl FieldView for WebEvent<'_> {
    fn field(&self, name: &str) -> Option<Value<'_>> {
        WEB_FIELDS
            .iter()
            .position(|names| names.iter().any(|n| n.eq_ignore_ascii_case(name)))
            .map(|i| self.web_field(i))
    }

    fn for_each_field(&self, f: &mut dyn FnMut(&str, Value<'_>)) {
        for (i, names) in WEB_FIELDS.iter().enumerate() {
            let v = self.web_field(i);
            if v != Value::Null {
                f(names[0], v);
            }
        }
    }

    /// Without `cs-uri-stem`, `cs-uri-query` and `c-uri-extension` (parts
    /// of `c-uri`), and nothing allocated: the address and `c-uri` are
    /// written into buffers on the stack (a longer `c-uri` into the heap).
    fn for_each_text(&self, f: &mut dyn FnMut(&[u8])) {
        let mut ip = [0u8; 48];
        f(ip_text(self.source_ip, &mut ip));
        let mut some = |s: &str| {
            if !s.is_empty() {
                f(s.as_bytes());
            }
        };
        some(self.method);
        if self.query.is_empty() {
            some(self.path);
        } else {
            let (p, q) = (self.path.as_bytes(), self.query.as_bytes());
            let n = p.len() + 1 + q.len();
            let mut stack = [0u8; 512];
            let mut heap = Vec::new();
            let uri = if n <= stack.len() {
                &mut stack[..n]
            } else {
                heap.resize(n, 0);
                &mut heap[..]
            };
            uri[..p.len()].copy_from_slice(p);
            uri[p.len()] = b'?';
            uri[p.len() + 1..].copy_from_slice(q);
            f(uri);
        }
        let mut buf = [0u8; 20];
        if self.status != 0 {
            f(decimal(i64::from(self.status), &mut buf));
        }
        f(decimal(
            i64::try_from(self.bytes).unwrap_or(i64::MAX),
            &mut buf,
        ));
        for s in [
            self.user_agent,
            self.referrer,
            self.site,
            self.user,
            self.protocol,
            self.forwarded,
        ] {
            if !s.is_empty() {
                f(s.as_bytes());
            }
        }
    }
}

/// An address as `Display` writes it, into `buf` (IPv4 without the
/// formatting machinery).
fn ip_text(ip: IpAddr, buf: &mut [u8; 48]) -> &[u8] {
    match ip {
        IpAddr::V4(a) => {
            let mut n = 0;
            for (i, o) in a.octets().into_iter().enumerate() {
                if i > 0 {
                    buf[n] = b'.';
                    n += 1;
                }
                let mut d = [0u8; 20];
                let t = decimal(i64::from(o), &mut d);
                buf[n..n + t.len()].copy_from_slice(t);
                n += t.len();
            }
            &buf[..n]
        }
        IpAddr::V6(_) => {
            use std::io::Write;
            let mut w = &mut buf[..];
            let _ = write!(w, "{ip}");
            let left = w.len();
            &buf[..48 - left]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Ts;

    fn ev<'a>(path: &'a str, query: &'a str) -> WebEvent<'a> {
        WebEvent {
            ts: Ts::from_secs(0),
            source_ip: "::ffff:192.0.2.9"
                .parse::<std::net::Ipv6Addr>()
                .unwrap()
                .to_canonical(),
            method: "POST",
            path,
            query,
            status: 0,
            bytes: 0,
            user_agent: "",
            referrer: "https://a.example/",
            site: "",
            user: "alice",
            forwarded: "",
            protocol: "",
        }
    }

    #[test]
    fn every_alias_answers_and_unknown_names_do_not() {
        let e = ev("/wp-login.php", "");
        for names in WEB_FIELDS {
            let first = e.field(names[0]);
            assert!(first.is_some(), "{}", names[0]);
            for n in *names {
                assert_eq!(e.field(n), first, "{n}");
                assert_eq!(e.field(&n.to_uppercase()), first, "{n} upper case");
            }
        }
        assert_eq!(e.field("c-ip"), Some(Value::from("192.0.2.9")));
        assert_eq!(
            e.field("cs-referrer"),
            Some(Value::from("https://a.example/"))
        );
        assert_eq!(e.field("c-uri"), Some(Value::from("/wp-login.php")));
        assert_eq!(e.field("c-uri-extension"), Some(Value::from("php")));
        assert_eq!(e.field("sc-status"), Some(Value::Null));
        assert_eq!(e.field("cs-uri"), e.field("c-uri"));
        assert_eq!(e.field("uri"), None);
        assert_eq!(e.field(""), None);
    }

    #[test]
    fn extensions_of_the_last_segment_only() {
        for (path, want) in [
            ("/a/b.tar.gz", Some("gz")),
            ("/.env", None),
            ("/dir.d/file", None),
            ("/x.", None),
            ("/", None),
            ("", None),
        ] {
            let got = extension(path);
            assert_eq!(got, want.map_or(Value::Null, Value::from), "{path}");
        }
    }

    /// Every value `for_each_field` gives lies whole in a text
    /// `for_each_text` gives.
    fn texts_cover_fields(e: &WebEvent<'_>) -> Result<(), String> {
        let mut texts: Vec<Vec<u8>> = Vec::new();
        e.for_each_text(&mut |t| texts.push(t.to_vec()));
        let mut bad = Vec::new();
        e.for_each_field(&mut |n, v| {
            let v = v.to_string();
            let inside = texts
                .iter()
                .any(|t| t.windows(v.len().max(1)).any(|w| w == v.as_bytes()));
            if !inside {
                bad.push(format!("{n}={v}"));
            }
        });
        if bad.is_empty() {
            Ok(())
        } else {
            Err(format!("not covered: {bad:?} by {texts:?}"))
        }
    }

    #[test]
    fn decimals_read_as_rust_writes_them() {
        let mut buf = [0u8; 20];
        for n in [0, 7, -1, 10, -305, i64::MAX, i64::MIN] {
            assert_eq!(decimal(n, &mut buf), n.to_string().as_bytes());
        }
        for n in [0, 9, 1_000, u64::MAX] {
            assert_eq!(decimal_u64(n, &mut buf), n.to_string().as_bytes());
        }
    }

    #[test]
    fn texts_cover_every_field_without_the_parts_of_the_uri() {
        let long = "q=".to_string() + &"a".repeat(600);
        let mut e = ev("/search", &long);
        texts_cover_fields(&e).unwrap();
        e.source_ip = "2001:db8::1".parse().unwrap();
        e.status = 404;
        e.bytes = u64::MAX;
        e.user_agent = "curl/8.0";
        e.site = "a.example";
        e.protocol = "HTTP/1.1";
        e.forwarded = "198.51.100.7";
        texts_cover_fields(&e).unwrap();
        let texts_of = |e: &WebEvent<'_>| {
            let mut texts = Vec::new();
            e.for_each_text(&mut |t| texts.push(String::from_utf8_lossy(t).into_owned()));
            texts
        };
        assert_eq!(
            texts_of(&e),
            [
                "2001:db8::1",
                "POST",
                &format!("/search?{long}"),
                "404",
                "9223372036854775807",
                "curl/8.0",
                "https://a.example/",
                "a.example",
                "alice",
                "HTTP/1.1",
                "198.51.100.7",
            ]
        );
        assert_eq!(
            texts_of(&ev("/a.php", "")),
            [
                "192.0.2.9",
                "POST",
                "/a.php",
                "0",
                "https://a.example/",
                "alice"
            ]
        );
        texts_cover_fields(&e).unwrap();
    }

    proptest::proptest! {
        #[test]
        fn texts_cover_fields_of_any_request(
            v4 in proptest::prelude::any::<u32>(),
            v6 in proptest::prelude::any::<u128>(),
            six in proptest::prelude::any::<bool>(),
            path in "(/[a-z.%?=]{0,8}){0,70}",
            query in "[a-z=&%.]{0,40}",
            status in proptest::prelude::any::<u16>(),
            bytes in proptest::prelude::any::<u64>(),
            ua in ".{0,20}",
        ) {
            let mut e = ev(&path, &query);
            e.source_ip = if six {
                std::net::IpAddr::from(v6.to_be_bytes())
            } else {
                std::net::IpAddr::from(v4.to_be_bytes())
            };
            e.status = status;
            e.bytes = bytes;
            e.user_agent = &ua;
            proptest::prop_assert_eq!(texts_cover_fields(&e), Ok(()));
            let mut ip = [0u8; 48];
            let want = e.source_ip.to_string();
            proptest::prop_assert_eq!(ip_text(e.source_ip, &mut ip), want.as_bytes());
        }
    }

    #[test]
    fn for_each_lists_values_under_canonical_names() {
        let e = ev("/search", "q=%27+or+1%3D1");
        let mut got = Vec::new();
        e.for_each_field(&mut |n, v| got.push(format!("{n}={v}")));
        assert_eq!(
            got,
            [
                "c-ip=192.0.2.9",
                "cs-method=POST",
                "cs-uri-stem=/search",
                "cs-uri-query=q=%27+or+1%3D1",
                "c-uri=/search?q=%27+or+1%3D1",
                "sc-bytes=0",
                "cs-referer=https://a.example/",
                "cs-username=alice",
            ]
        );
    }
}
