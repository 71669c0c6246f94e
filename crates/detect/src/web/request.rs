//! The per-event view shared by all web detectors: the request target
//! percent-decoded (once and, when needed, twice) and lower-cased into reused
//! buffers, the static-asset flag and the path hash. Computed once per event.

use super::fxhash::hash_bytes;
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

    /// [`Req::path_text`] without a copy when the path is valid UTF-8
    /// (checked by `from_utf8`, faster than the lossy decoder's loop).
    pub fn path_lossy(&self) -> std::borrow::Cow<'_, str> {
        let p = &self.path()[..self.path_len.min(256)];
        match std::str::from_utf8(p) {
            Ok(s) => std::borrow::Cow::Borrowed(s),
            Err(_) => String::from_utf8_lossy(p),
        }
    }
}

/// Bytes of a note's fixed part: flags, two hashes, four lengths, two kind
/// sets and the number of products.
const NOTE_HEAD: usize = 1 + 8 + 8 + 4 * 4 + 4 + 4 + 4;
/// Note flag: the request was classified ([`Req::exploit`] holds the verdict).
const NOTE_CLASSIFIED: u8 = 1;
/// Note flag: [`Req::is_static`].
const NOTE_STATIC: u8 = 2;

impl Req {
    /// Append this view to `out` as one note ([`crate::Note`]): what
    /// [`Req::read_note`] restores; `classified` says whether
    /// [`Req::exploit`] holds the classifier's verdict.
    pub(crate) fn write_note(&self, classified: bool, out: &mut Vec<u8>) {
        let len = |n: usize| u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes();
        let mut flags = 0;
        if classified {
            flags |= NOTE_CLASSIFIED;
        }
        if self.is_static {
            flags |= NOTE_STATIC;
        }
        out.reserve(NOTE_HEAD + self.once.len() + self.twice.len());
        out.push(flags);
        out.extend_from_slice(&self.path_hash.to_le_bytes());
        out.extend_from_slice(&self.site_hash.to_le_bytes());
        out.extend_from_slice(&len(self.path_len));
        out.extend_from_slice(&len(self.once.len()));
        out.extend_from_slice(&len(self.twice_path_len));
        out.extend_from_slice(&len(self.twice.len()));
        let hits = &self.exploit;
        out.extend_from_slice(&hits.kinds.bits().to_le_bytes());
        out.extend_from_slice(&hits.header_kinds.bits().to_le_bytes());
        out.extend_from_slice(&len(hits.products.len()));
        out.extend_from_slice(&self.once);
        out.extend_from_slice(&self.twice);
        for p in &hits.products {
            out.extend_from_slice(&len(*p));
        }
    }

    /// Restore the view [`Req::write_note`] wrote; `Some(classified)`, or
    /// `None` (the view unchanged: fill it) when `note` is not one whole
    /// note.
    pub(crate) fn read_note(&mut self, note: &[u8]) -> Option<bool> {
        let (head, rest) = note.split_first_chunk::<NOTE_HEAD>()?;
        let u32_at = |i: usize| {
            let b: [u8; 4] = head[i..i + 4].try_into().unwrap_or_default();
            u32::from_le_bytes(b)
        };
        let u64_at = |i: usize| {
            let b: [u8; 8] = head[i..i + 8].try_into().unwrap_or_default();
            u64::from_le_bytes(b)
        };
        let flags = head[0];
        let path_len = u32_at(17) as usize;
        let once_len = u32_at(21) as usize;
        let twice_path_len = u32_at(25) as usize;
        let twice_len = u32_at(29) as usize;
        let products = u32_at(41) as usize;
        if path_len > once_len
            || twice_path_len > twice_len
            || rest.len() != once_len + twice_len + 4 * products
        {
            return None;
        }
        let (once, rest) = rest.split_at(once_len);
        let (twice, products) = rest.split_at(twice_len);
        self.once.clear();
        self.once.extend_from_slice(once);
        self.twice.clear();
        self.twice.extend_from_slice(twice);
        self.path_len = path_len;
        self.twice_path_len = twice_path_len;
        self.path_hash = u64_at(1);
        self.site_hash = u64_at(9);
        self.is_static = flags & NOTE_STATIC != 0;
        let hits = &mut self.exploit;
        hits.kinds = super::lists::KindSet::from_bits(u32_at(33));
        hits.header_kinds = super::lists::KindSet::from_bits(u32_at(37));
        hits.products.clear();
        hits.products.extend(products.chunks_exact(4).map(|c| {
            let b: [u8; 4] = c.try_into().unwrap_or_default();
            u32::from_le_bytes(b) as usize
        }));
        Some(flags & NOTE_CLASSIFIED != 0)
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

    fn event<'a>(path: &'a str, query: &'a str) -> WebEvent<'a> {
        WebEvent {
            ts: haboob_model::Ts::from_secs(1),
            source_ip: "192.0.2.1".parse().unwrap(),
            method: "GET",
            path,
            query,
            status: 200,
            bytes: 10,
            user_agent: "-",
            referrer: "-",
            site: "www.example.org",
            user: "",
            forwarded: "",
            protocol: "HTTP/1.1",
        }
    }

    /// Every field of the view as text, to compare two views.
    fn fields(r: &Req) -> String {
        format!(
            "{:?} {} {:?} {} {} {} {} {:?}",
            String::from_utf8_lossy(&r.once),
            r.path_len,
            String::from_utf8_lossy(&r.twice),
            if r.twice.is_empty() {
                0
            } else {
                r.twice_path_len
            },
            r.is_static,
            r.path_hash,
            r.site_hash,
            r.exploit
        )
    }

    /// A note restores the view it was written from (decoded once and
    /// twice, static flag, hashes, classification); a cut or padded note
    /// is refused; one note is read after another from the same buffer.
    #[test]
    fn a_note_restores_the_view() {
        use super::super::lists::ExploitKind;
        let mut buf = Vec::new();
        let mut ends = Vec::new();
        let mut written = Vec::new();
        for (path, query, classified) in [
            ("/a/%252E%252E%252Fetc/passwd", "x=%2527+or+1", true),
            ("/static/App.JS", "", false),
            ("/", "", true),
        ] {
            let mut r = Req::default();
            r.fill(&event(path, query));
            if classified {
                r.exploit.kinds.insert(ExploitKind::Traversal);
                r.exploit.header_kinds.insert(ExploitKind::Log4Shell);
                r.exploit.products.extend([3, 70_000]);
            }
            r.write_note(classified, &mut buf);
            ends.push(buf.len());
            written.push((fields(&r), classified));
        }
        assert!(written[0].0.contains("../etc/passwd"), "{}", written[0].0);
        let mut start = 0;
        // One reused view, as a lane reads notes one after another.
        let mut r = Req::default();
        for (end, (want, classified)) in ends.iter().zip(&written) {
            let note = &buf[start..*end];
            assert_eq!(r.read_note(note), Some(*classified));
            assert_eq!(&fields(&r), want);
            assert_eq!(r.read_note(&note[..note.len() - 1]), None);
            let mut padded = note.to_vec();
            padded.push(0);
            assert_eq!(r.read_note(&padded), None);
            start = *end;
        }
        assert_eq!(r.read_note(&[]), None);
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
