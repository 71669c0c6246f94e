//! The field view of a JSON record: its fields by their original paths
//! (`Status.errorCode`, `outcome.result`), as cloud sign-in rules name them.
//! The record is parsed on first use only, so events no rule looks into
//! cost nothing.

use crate::record::{FieldView, Value};
use std::borrow::Cow;
use std::cell::OnceCell;

/// A JSON record's fields, from its text.
#[derive(Debug)]
pub struct JsonView<'a> {
    raw: &'a str,
    doc: OnceCell<Option<serde_json::Value>>,
}

impl<'a> JsonView<'a> {
    /// A view of `raw`, one JSON object (not parsed yet).
    pub fn new(raw: &'a str) -> JsonView<'a> {
        JsonView {
            raw,
            doc: OnceCell::new(),
        }
    }

    fn doc(&self) -> Option<&serde_json::Value> {
        self.doc
            .get_or_init(|| serde_json::from_str(self.raw).ok())
            .as_ref()
            .filter(|d| d.is_object())
    }
}

/// The member `key` of `v`: exact, else the first whose name matches
/// ignoring ASCII case (exports differ: `status` in Graph, `Status` in Log
/// Analytics).
fn member<'v>(v: &'v serde_json::Value, key: &str) -> Option<&'v serde_json::Value> {
    let o = v.as_object()?;
    o.get(key).or_else(|| {
        o.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// The value at a dotted path; a top-level key that itself contains dots
/// is tried first.
fn lookup<'v>(doc: &'v serde_json::Value, path: &str) -> Option<&'v serde_json::Value> {
    if let Some(v) = member(doc, path) {
        return Some(v);
    }
    path.split('.').try_fold(doc, member)
}

fn scalar(v: &serde_json::Value) -> Value<'_> {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::String(s) if s.is_empty() => Value::Null,
        serde_json::Value::String(s) => Value::Str(Cow::Borrowed(s)),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Str(Cow::Owned(n.to_string())),
        },
        serde_json::Value::Bool(b) => Value::from(if *b { "true" } else { "false" }),
        // Lists and objects as their compact JSON text, for now.
        other => Value::Str(Cow::Owned(other.to_string())),
    }
}

fn leaves(prefix: &mut String, v: &serde_json::Value, f: &mut dyn FnMut(&str, Value<'_>)) {
    match v {
        serde_json::Value::Object(o) => {
            for (k, child) in o {
                let len = prefix.len();
                if !prefix.is_empty() {
                    prefix.push('.');
                }
                prefix.push_str(k);
                leaves(prefix, child, f);
                prefix.truncate(len);
            }
        }
        leaf => {
            let v = scalar(leaf);
            if v != Value::Null {
                f(prefix, v);
            }
        }
    }
}

impl FieldView for JsonView<'_> {
    fn field(&self, name: &str) -> Option<Value<'_>> {
        lookup(self.doc()?, name).map(scalar)
    }

    fn for_each_field(&self, f: &mut dyn FnMut(&str, Value<'_>)) {
        if let Some(d) = self.doc() {
            leaves(&mut String::new(), d, f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENTRA: &str = r#"{"createdDateTime":"2026-09-01T10:00:00Z","userPrincipalName":"a@x.example","appDisplayName":"Office 365 Exchange Online","ipAddress":"192.0.2.7","status":{"errorCode":50126,"failureReason":"Invalid username or password."},"location":{"city":"","countryOrRegion":"FR"},"isInteractive":true,"riskEventTypes_v2":["unfamiliarFeatures"],"deviceDetail":null,"a.b":"dotted key"}"#;

    #[test]
    fn paths_cases_and_types() {
        let v = JsonView::new(ENTRA);
        assert_eq!(v.field("status.errorCode"), Some(Value::Int(50126)));
        assert_eq!(v.field("Status.ErrorCode"), Some(Value::Int(50126)));
        assert_eq!(
            v.field("AppDisplayName"),
            Some(Value::from("Office 365 Exchange Online"))
        );
        assert_eq!(v.field("location.city"), Some(Value::Null));
        assert_eq!(v.field("deviceDetail"), Some(Value::Null));
        assert_eq!(v.field("isInteractive"), Some(Value::from("true")));
        assert_eq!(
            v.field("riskEventTypes_v2"),
            Some(Value::Str(Cow::Owned(r#"["unfamiliarFeatures"]"#.into())))
        );
        assert_eq!(v.field("a.b"), Some(Value::from("dotted key")));
        assert_eq!(v.field("status.nope"), None);
        assert_eq!(v.field("ipAddress.x"), None);
        assert_eq!(v.field("missing"), None);
    }

    #[test]
    fn not_an_object_has_no_fields() {
        for raw in ["", "[1,2]", "{\"a\":", "42", "not json"] {
            let v = JsonView::new(raw);
            assert_eq!(v.field("a"), None, "{raw}");
            let mut n = 0;
            v.for_each_field(&mut |_, _| n += 1);
            assert_eq!(n, 0, "{raw}");
        }
    }

    #[test]
    fn leaves_under_dotted_names() {
        let v = JsonView::new(ENTRA);
        let mut got = Vec::new();
        v.for_each_field(&mut |n, v| got.push(format!("{n}={v}")));
        assert!(
            got.contains(&"status.errorCode=50126".to_string()),
            "{got:?}"
        );
        assert!(got.contains(&"location.countryOrRegion=FR".to_string()));
        assert!(!got.iter().any(|g| g.starts_with("location.city")));
        assert!(!got.iter().any(|g| g.starts_with("deviceDetail")));
        assert_eq!(got.len(), 10, "{got:?}");
    }
}
