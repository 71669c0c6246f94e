//! The per-event view shared by all web detectors: the request target
//! percent-decoded (once and, when needed, twice) and lower-cased into reused
//! buffers, the static-asset flag and the path hash. Computed once per event.

use super::episode::hash_bytes;
use super::lists::STATIC_EXTENSIONS;
use haboob_model::WebEvent;

/// Longest request target (path + query) inspected; the rest is ignored.
pub(crate) const MAX_TARGET: usize = 8192;

/// Reusable decoded view of one request.
#[derive(Debug, Default)]
pub(crate) struct Req {
    /// Decoded-once, lower-cased `path` + (`?` + `query` when present).
    pub once: Vec<u8>,
    /// Length of the path part of `once`.
    pub path_len: usize,
    /// Decoded-twice, lower-cased target; empty when `once` has no `%`.
    pub twice: Vec<u8>,
    /// Length of the path part of `twice`.
    pub twice_path_len: usize,
    /// The path ends in a static-asset extension.
    pub is_static: bool,
    /// Hash of the decoded, lower-cased path (without query).
    pub path_hash: u64,
    /// Hash of the site.
    pub site_hash: u64,
    /// What `web.exploit`'s classifier matched (filled by the detector set
    /// after [`Req::fill`] when a rule needs it; empty otherwise).
    pub exploit: super::exploit::Hits,
}

#[inline]
fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decode and lower-case `src` into `out` (appending). In a query, `+`
/// becomes a space.
fn decode_into(src: &[u8], out: &mut Vec<u8>, query: bool) {
    if memchr::memchr2(b'%', b'+', src).is_none() {
        out.extend(src.iter().map(u8::to_ascii_lowercase));
        return;
    }
    let mut i = 0;
    while i < src.len() {
        let c = src[i];
        if c == b'%' && i + 2 < src.len() {
            if let (Some(h), Some(l)) = (hex(src[i + 1]), hex(src[i + 2])) {
                out.push((h << 4 | l).to_ascii_lowercase());
                i += 3;
                continue;
            }
        }
        out.push(if query && c == b'+' {
            b' '
        } else {
            c.to_ascii_lowercase()
        });
        i += 1;
    }
}

impl Req {
    /// Fill the view from an event.
    pub fn fill(&mut self, w: &WebEvent<'_>) {
        self.once.clear();
        self.twice.clear();
        let path = &w.path.as_bytes()[..w.path.len().min(MAX_TARGET)];
        let room = MAX_TARGET - path.len();
        let query = &w.query.as_bytes()[..w.query.len().min(room)];
        decode_into(path, &mut self.once, false);
        self.path_len = self.once.len();
        if !w.query.is_empty() {
            self.once.push(b'?');
            decode_into(query, &mut self.once, true);
        }
        if memchr::memchr(b'%', &self.once).is_some() {
            let (p, q) = self.once.split_at(self.path_len);
            decode_into(p, &mut self.twice, false);
            self.twice_path_len = self.twice.len();
            decode_into(q, &mut self.twice, true);
        }
        self.path_hash = hash_bytes(&self.once[..self.path_len]);
        self.site_hash = hash_bytes(w.site.as_bytes());
        self.is_static = is_static(path);
    }

    /// The decoded path (lower case, may be non-UTF-8).
    pub fn path(&self) -> &[u8] {
        &self.once[..self.path_len]
    }

    /// The decoded path as text for samples (lossy).
    pub fn path_text(&self) -> String {
        self.path_lossy().into_owned()
    }

    /// [`Req::path_text`] without a copy when the path is valid UTF-8.
    pub fn path_lossy(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.path()[..self.path_len.min(256)])
    }
}

/// The raw path ends in a static-asset extension.
fn is_static(path: &[u8]) -> bool {
    let last = match memchr::memrchr(b'/', path) {
        Some(i) => &path[i + 1..],
        None => path,
    };
    let Some(dot) = memchr::memrchr(b'.', last) else {
        return false;
    };
    let ext = &last[dot + 1..];
    if ext.is_empty() || ext.len() > 5 {
        return false;
    }
    STATIC_EXTENSIONS
        .iter()
        .any(|s| s.as_bytes().eq_ignore_ascii_case(ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_once_and_twice() {
        let mut out = Vec::new();
        decode_into(b"/%252E%252E%252Ffoo", &mut out, false);
        assert_eq!(out, b"/%2e%2e%2ffoo");
        let mut out2 = Vec::new();
        decode_into(&out, &mut out2, false);
        assert_eq!(out2, b"/../foo");
        let mut q = Vec::new();
        decode_into(b"a=1+UNION+select%", &mut q, true);
        assert_eq!(q, b"a=1 union select%");
        let mut bad = Vec::new();
        decode_into(b"%zz%4", &mut bad, false);
        assert_eq!(bad, b"%zz%4");
    }

    #[test]
    fn static_assets() {
        assert!(is_static(b"/static/app.JS"));
        assert!(is_static(b"/a/b/logo.png"));
        assert!(!is_static(b"/index.php"));
        assert!(!is_static(b"/v1.2/api"));
        assert!(!is_static(b"/"));
    }
}
