//! YAML files of Sigma rules: documents with their position, rule
//! collections (`action: global/reset/repeat`), and finding where in a
//! document a piece of text is (for errors that say where).

use crate::mapping::line_col;
use serde_yaml_ng::Value as Y;

/// One `---`-separated document of a file.
#[derive(Debug, Clone)]
pub(crate) struct Doc {
    /// Its text.
    pub(crate) text: String,
    /// 1-based line of its first line in the file.
    pub(crate) line: usize,
}

/// Splits a file into documents on `---` lines (and drops `...` ends).
pub(crate) fn split(text: &str) -> Vec<Doc> {
    let mut docs = Vec::new();
    let mut cur = String::new();
    let mut start = 1;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        let t = l.trim_end();
        if t == "---" || t.starts_with("--- ") || t == "..." {
            if !cur.trim().is_empty() {
                docs.push(Doc {
                    text: std::mem::take(&mut cur),
                    line: start,
                });
            }
            cur.clear();
            start = i + 2;
            continue;
        }
        cur.push_str(l);
    }
    if !cur.trim().is_empty() {
        docs.push(Doc {
            text: cur,
            line: start,
        });
    }
    docs
}

impl Doc {
    /// Parses the document; on error the file line and column and the reason.
    pub(crate) fn parse(&self) -> Result<Y, (usize, usize, String)> {
        serde_yaml_ng::from_str::<Y>(&self.text).map_err(|e| {
            let (l, c) = e.location().map_or((0, 0), |p| (p.line(), p.column()));
            let reason = e.to_string();
            let reason = reason
                .split(" at line ")
                .next()
                .unwrap_or(&reason)
                .to_string();
            (
                self.line + l.saturating_sub(1),
                c,
                format!("bad YAML: {reason}"),
            )
        })
    }

    /// File line and column of the first occurrence of `near` in the
    /// document (its first line when not found).
    pub(crate) fn locate(&self, near: &str) -> (usize, usize) {
        let first = near.lines().next().unwrap_or("");
        match (!first.is_empty()).then(|| self.text.find(first)).flatten() {
            Some(off) => {
                let (l, c) = line_col(&self.text, off);
                (self.line + l - 1, c)
            }
            None => (self.line, 1),
        }
    }
}

/// `over` merged into `base`: maps merge key by key, anything else is
/// replaced (how collections combine `global` with each document).
pub(crate) fn merge(base: &Y, over: &Y) -> Y {
    match (base, over) {
        (Y::Mapping(b), Y::Mapping(o)) => {
            let mut out = b.clone();
            for (k, v) in o {
                let merged = match out.get(k) {
                    Some(old) => merge(old, v),
                    None => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Y::Mapping(out)
        }
        (_, o) => o.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_and_lines() {
        let docs = split("a: 1\n---\nb: 2\nc: 3\n---\n\n---\nd: {a: 1]\n");
        assert_eq!(docs.len(), 3);
        assert_eq!((docs[1].line, docs[2].line), (3, 8));
        assert_eq!(docs[1].locate("c:"), (4, 1));
        let (l, _, r) = docs[2].parse().unwrap_err();
        assert_eq!(l, 8, "{r}");
        assert!(r.starts_with("bad YAML"));
        assert_eq!(split("---\nx: 1\n")[0].line, 2);
    }

    #[test]
    fn merge_is_deep() {
        let a: Y = serde_yaml_ng::from_str("x: {a: 1, b: 2}\ny: 1").unwrap();
        let b: Y = serde_yaml_ng::from_str("x: {b: 3}\nz: 2").unwrap();
        let m = merge(&a, &b);
        let want: Y = serde_yaml_ng::from_str("x: {a: 1, b: 3}\ny: 1\nz: 2").unwrap();
        assert_eq!(m, want);
    }
}
