//! JSON helpers shared by the JSON sources: scalars that may be strings or
//! numbers, sub-objects that may be embedded as JSON text, and a cheap
//! first-byte check.

use haboob_model::RecordError;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// A raw JSON value borrowed from the line.
pub(crate) type Raw<'a> = &'a RawValue;

/// The text of a scalar: a string's content (borrowed when it has no
/// escapes), a number's or bool's literal, empty for `null`.
pub(crate) fn scalar<'a>(raw: Option<Raw<'a>>) -> Cow<'a, str> {
    let Some(raw) = raw else {
        return Cow::Borrowed("");
    };
    let t = raw.get();
    if t.starts_with('"') {
        if let Ok(s) = serde_json::from_str::<&'a str>(t) {
            return Cow::Borrowed(s);
        }
        return serde_json::from_str::<String>(t).map_or(Cow::Borrowed(""), Cow::Owned);
    }
    if t == "null" || t.starts_with('{') || t.starts_with('[') {
        return Cow::Borrowed("");
    }
    Cow::Borrowed(t)
}

/// Deserialize a sub-object that is either inline JSON or a string holding
/// JSON text (Log Analytics exports both). `None` when absent, null or empty.
pub(crate) fn nested_owned<T: serde::de::DeserializeOwned>(
    raw: Option<Raw<'_>>,
    what: &'static str,
) -> Result<Option<T>, RecordError> {
    let Some(raw) = raw else { return Ok(None) };
    let t = raw.get();
    if t == "null" || t == "\"\"" {
        return Ok(None);
    }
    let owned;
    let body = if t.starts_with('"') {
        owned = serde_json::from_str::<String>(t)
            .map_err(|_| RecordError::new(format!("bad {what} string")))?;
        owned.as_str()
    } else {
        t
    };
    if body.trim().is_empty() {
        return Ok(None);
    }
    serde_json::from_str(body)
        .map(Some)
        .map_err(|_| RecordError::new(format!("bad {what} object")))
}

/// Cheap check that a line can be a JSON object; returns the trimmed line.
pub(crate) fn object_line(line: &str) -> Option<&str> {
    let t = line.trim_start_matches('\u{feff}').trim();
    t.starts_with('{').then_some(t)
}

/// Parse a whole line as `T`, mapping serde errors to a bounded reason.
pub(crate) fn parse_line<'a, T: Deserialize<'a>>(line: &'a str) -> Result<T, RecordError> {
    serde_json::from_str(line).map_err(|e| {
        RecordError::new(format!(
            "bad JSON at column {}: {}",
            e.column(),
            classify(&e)
        ))
    })
}

fn classify(e: &serde_json::Error) -> &'static str {
    use serde_json::error::Category;
    match e.classify() {
        Category::Io => "I/O",
        Category::Syntax => "syntax error",
        Category::Data => "unexpected value type",
        Category::Eof => "truncated",
    }
}

/// Gathers a pretty-printed JSON object spread over lines (a JSON array of
/// objects, one member per several lines) into one text, string-aware.
#[derive(Debug, Default)]
pub(crate) struct JsonGather {
    buf: String,
    done: String,
    depth: u32,
    in_str: bool,
    esc: bool,
}

/// What one more line made.
pub(crate) enum Gathered<'l, 'b> {
    /// Array punctuation or an object still open: nothing yet.
    Nothing,
    /// A whole object on this one line.
    Line(&'l str),
    /// A whole object gathered over several lines.
    Owned(&'b str),
}

impl JsonGather {
    fn scan(&mut self, s: &str) -> Result<(), RecordError> {
        for &b in s.as_bytes() {
            if self.in_str {
                if self.esc {
                    self.esc = false;
                } else if b == b'\\' {
                    self.esc = true;
                } else if b == b'"' {
                    self.in_str = false;
                }
                continue;
            }
            match b {
                b'"' => self.in_str = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth = self
                        .depth
                        .checked_sub(1)
                        .ok_or(RecordError::fixed("unbalanced JSON brackets"))?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Add one line.
    pub(crate) fn feed<'l>(&mut self, line: &'l str) -> Result<Gathered<'l, '_>, RecordError> {
        let t = line.trim_start_matches('\u{feff}').trim();
        if self.buf.is_empty() {
            let body = t.trim_end_matches(',').trim_end();
            if matches!(body, "[" | "]" | "" | "[]") {
                return Ok(Gathered::Nothing);
            }
            if !body.starts_with('{') {
                return Err(RecordError::fixed("not a JSON object"));
            }
            self.scan(body)?;
            if self.depth == 0 && !self.in_str {
                return Ok(Gathered::Line(body));
            }
            self.buf.push_str(body);
            return Ok(Gathered::Nothing);
        }
        if self.buf.len() + t.len() > MAX_OBJECT {
            self.reset();
            return Err(RecordError::fixed("JSON object longer than 1 MiB"));
        }
        if let Err(e) = self.scan(t) {
            self.reset();
            return Err(e);
        }
        self.buf.push('\n');
        self.buf.push_str(t);
        if self.depth == 0 && !self.in_str {
            let end = self.buf.trim_end_matches(',').len();
            self.buf.truncate(end);
            self.depth = 0;
            let out = std::mem::take(&mut self.buf);
            self.buf = String::new();
            self.done = out;
            return Ok(Gathered::Owned(&self.done));
        }
        Ok(Gathered::Nothing)
    }

    /// True when no object is being gathered.
    pub(crate) fn is_idle(&self) -> bool {
        self.buf.is_empty()
    }

    fn reset(&mut self) {
        self.buf.clear();
        self.depth = 0;
        self.in_str = false;
        self.esc = false;
    }
}

/// Largest object gathered across lines before it is rejected.
pub(crate) const MAX_OBJECT: usize = 1 << 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug)]
    struct S<'a> {
        #[serde(borrow)]
        a: Option<Raw<'a>>,
        #[serde(borrow)]
        b: Option<Raw<'a>>,
    }

    #[test]
    fn scalars() {
        let s: S<'_> = serde_json::from_str(r#"{"a":"x\"y","b":50126}"#).unwrap();
        assert_eq!(scalar(s.a), "x\"y");
        assert_eq!(scalar(s.b), "50126");
        let s: S<'_> = serde_json::from_str(r#"{"a":null}"#).unwrap();
        assert_eq!(scalar(s.a), "");
        assert_eq!(scalar(s.b), "");
    }

    #[test]
    fn nested_forms() {
        #[derive(Deserialize, Debug)]
        struct L {
            c: String,
        }
        let s: S<'_> = serde_json::from_str(r#"{"a":{"c":"IL"},"b":"{\"c\":\"US\"}"}"#).unwrap();
        assert_eq!(nested_owned::<L>(s.a, "loc").unwrap().unwrap().c, "IL");
        assert_eq!(nested_owned::<L>(s.b, "loc").unwrap().unwrap().c, "US");
        let s: S<'_> = serde_json::from_str(r#"{"a":"{oops"}"#).unwrap();
        assert_eq!(
            nested_owned::<L>(s.a, "loc").unwrap_err().reason,
            "bad loc object"
        );
    }

    #[test]
    fn bad_json_reason() {
        let e = parse_line::<S<'_>>("{\"a\":").unwrap_err();
        assert_eq!(e.reason, "bad JSON at column 5: truncated");
    }
}
