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
