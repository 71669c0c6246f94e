//! The per-event view shared by all web detectors: the request target
//! percent-decoded (once and, when needed, twice) and lower-cased into reused
//! buffers, the static-asset flag, the hashes of the path, the whole target,
//! the site and the user agent, and where the path's last segment and its
//! extension start. Computed once per event, read by every rule.

use super::cache::TextId;
use super::fxhash::{chain_word, hash_bytes, hash_resume, hash_tail};
use super::lists::STATIC_EXTENSIONS;
use super::lower::lower_hashed;
use haboob_model::WebEvent;

/// Longest request target (path + query) inspected; the rest is ignored.
pub(crate) const MAX_TARGET: usize = 8192;
/// Longest user agent hashed ([`Req::ua_hash`]).
pub(crate) const MAX_UA: usize = 1024;

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
    /// Hash of the whole decoded target `once` (path and query): equal to
    /// `path_hash` when there is no query.
    pub target_hash: u64,
    /// Hash of the user agent's first [`MAX_UA`] bytes.
    pub ua_hash: u64,
    /// Start of the path's last segment (after its last `/`) in `once`.
    pub name_at: usize,
    /// Start of the last segment's extension (after its last `.`) in
    /// `once`; `None` when the last segment has no dot.
    pub ext_at: Option<usize>,
    /// What `web.exploit`'s classifier matched (filled by the detector set
    /// after [`Req::fill`] when a rule needs it; empty otherwise).
    pub exploit: super::exploit::Hits,
    /// Ids of the decoded path, the decoded target and the user agent in the
    /// detector set's text tables, for the rules' verdict caches: set by the
    /// detector set after the view is filled or read ([`Req::fill`] clears
    /// them; `None`: no id, verdicts computed).
    pub path_id: Option<TextId>,
    /// See [`Req::path_id`].
    pub target_id: Option<TextId>,
    /// See [`Req::path_id`].
    pub ua_id: Option<TextId>,
    /// The last site filled and its hash (`None`: none yet): a file's
    /// requests share one site.
    site: Vec<u8>,
    site_held: Option<u64>,
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
/// becomes a space. Returns whether a `%` was written (decoded from `%25`
/// or left as it was), so that the caller knows whether to decode again.
fn decode_into(src: &[u8], out: &mut Vec<u8>, query: bool) -> bool {
    let Some(first) = memchr::memchr2(b'%', b'+', src) else {
        lower_into(src, out);
        return false;
    };
    lower_into(&src[..first], out);
    let mut percent = false;
    let mut i = first;
    while i < src.len() {
        let c = src[i];
        if c == b'%' && i + 2 < src.len() {
            if let (Some(h), Some(l)) = (hex(src[i + 1]), hex(src[i + 2])) {
                let d = (h << 4 | l).to_ascii_lowercase();
                percent |= d == b'%';
                out.push(d);
                i += 3;
                continue;
            }
        }
        percent |= c == b'%';
        out.push(if query && c == b'+' {
            b' '
        } else {
            c.to_ascii_lowercase()
        });
        i += 1;
    }
    percent
}

/// Append `src` lower-cased to `out`.
#[inline]
fn lower_into(src: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(src);
    out[start..].make_ascii_lowercase();
}

impl Req {
    /// Fill the view from an event.
    #[cfg(test)]
    pub fn fill(&mut self, w: &WebEvent<'_>) {
        self.fill_view(w);
        let ua = w.user_agent.as_bytes();
        self.ua_hash = hash_bytes(&ua[..ua.len().min(MAX_UA)]);
    }

    /// Fill the view from an event, all but [`Req::ua_hash`] (the detector
    /// set takes it from its table of recent agents). A path with nothing
    /// to decode is lower-cased and hashed in one pass; the whole target's
    /// hash resumes the path's chain (no byte hashed twice); the site's hash
    /// is kept for the next request of the same site.
    pub fn fill_view(&mut self, w: &WebEvent<'_>) {
        self.path_id = None;
        self.target_id = None;
        self.ua_id = None;
        self.once.clear();
        self.twice.clear();
        let path = &w.path.as_bytes()[..w.path.len().min(MAX_TARGET)];
        let room = MAX_TARGET - path.len();
        let query = &w.query.as_bytes()[..w.query.len().min(room)];
        // The chain's state after the decoded path's whole words.
        let (mut percent, chained, tail) = match lower_hashed(path, &mut self.once) {
            Some((h, tail)) => (false, h, Some(tail)),
            None => {
                self.once.clear();
                let percent = decode_into(path, &mut self.once, false);
                let whole = self.once.len() & !7;
                let h = self.once[..whole].chunks_exact(8).fold(0, |h, c| {
                    let mut a = [0u8; 8];
                    a.copy_from_slice(c);
                    chain_word(h, u64::from_le_bytes(a))
                });
                (percent, h, None)
            }
        };
        self.path_len = self.once.len();
        let whole = self.path_len & !7;
        self.path_hash = match tail {
            Some(t) => hash_tail(chained, t, self.path_len),
            None => hash_resume(chained, &self.once[whole..], self.path_len),
        };
        self.target_hash = if w.query.is_empty() {
            self.path_hash
        } else {
            self.once.push(b'?');
            percent |= decode_into(query, &mut self.once, true);
            hash_resume(chained, &self.once[whole..], self.once.len())
        };
        if percent {
            let (p, q) = self.once.split_at(self.path_len);
            decode_into(p, &mut self.twice, false);
            self.twice_path_len = self.twice.len();
            decode_into(q, &mut self.twice, true);
        }
        let site = w.site.as_bytes();
        self.site_hash = match self.site_held {
            Some(h) if super::cache::same(&self.site, site) => h,
            _ => {
                let h = hash_bytes(site);
                self.site.clear();
                self.site.extend_from_slice(site);
                self.site_held = Some(h);
                h
            }
        };
        self.locate_name();
        // The decoded path is the raw one lower-cased when their lengths
        // agree (no escape was decoded): the same last segment and dot.
        self.is_static = if path.len() == self.path_len {
            self.ext_at
                .is_some_and(|e| static_lower_ext(&self.once[..self.path_len], e))
        } else {
            is_static(path)
        };
    }

    /// Set [`Req::name_at`] and [`Req::ext_at`] from the decoded path.
    fn locate_name(&mut self) {
        (self.name_at, self.ext_at) = super::lower::name_and_ext(&self.once[..self.path_len]);
    }

    /// The extension of the decoded path's last segment (after its last
    /// `.`, possibly empty); `None` when that segment has no dot.
    pub fn ext(&self) -> Option<&[u8]> {
        self.ext_at.map(|e| &self.once[e..self.path_len])
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
/// sets, the number of products, two more hashes and the two offsets of the
/// last segment.
const NOTE_HEAD: usize = 1 + 8 + 8 + 4 * 4 + 4 + 4 + 4 + 8 + 8 + 4 + 4;
/// [`Req::ext_at`] `None` in a note.
const NO_EXT: u32 = u32::MAX;
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
        let hits = &self.exploit;
        let ext = self
            .ext_at
            .map_or(NO_EXT, |e| u32::try_from(e).unwrap_or(NO_EXT));
        // The fixed part is assembled on the stack and appended at once.
        let mut head = [0u8; NOTE_HEAD];
        head[0] = flags;
        let mut at = 1;
        let mut put = |b: &[u8]| {
            head[at..at + b.len()].copy_from_slice(b);
            at += b.len();
        };
        put(&self.path_hash.to_le_bytes());
        put(&self.site_hash.to_le_bytes());
        put(&len(self.path_len));
        put(&len(self.once.len()));
        put(&len(self.twice_path_len));
        put(&len(self.twice.len()));
        put(&hits.kinds.bits().to_le_bytes());
        put(&hits.header_kinds.bits().to_le_bytes());
        put(&len(hits.products.len()));
        put(&self.target_hash.to_le_bytes());
        put(&self.ua_hash.to_le_bytes());
        put(&len(self.name_at));
        put(&ext.to_le_bytes());
        debug_assert_eq!(at, NOTE_HEAD);
        out.reserve(NOTE_HEAD + self.once.len() + self.twice.len() + 4 * hits.products.len());
        out.extend_from_slice(&head);
        out.extend_from_slice(&self.once);
        // Most requests have nothing decoded twice and no product.
        if !self.twice.is_empty() {
            out.extend_from_slice(&self.twice);
        }
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
        let name_at = u32_at(61) as usize;
        let ext_at = match u32_at(65) {
            NO_EXT => None,
            e => Some(e as usize),
        };
        if path_len > once_len
            || name_at > path_len
            || ext_at.is_some_and(|e| e > path_len || e < name_at)
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
        if !twice.is_empty() {
            self.twice.extend_from_slice(twice);
        }
        self.path_len = path_len;
        self.twice_path_len = twice_path_len;
        self.path_hash = u64_at(1);
        self.site_hash = u64_at(9);
        self.target_hash = u64_at(45);
        self.ua_hash = u64_at(53);
        self.name_at = name_at;
        self.ext_at = ext_at;
        self.is_static = flags & NOTE_STATIC != 0;
        let hits = &mut self.exploit;
        hits.kinds = super::lists::KindSet::from_bits(u32_at(33));
        hits.header_kinds = super::lists::KindSet::from_bits(u32_at(37));
        hits.products.clear();
        if products.is_empty() {
            return Some(flags & NOTE_CLASSIFIED != 0);
        }
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
    static_ext(&last[dot + 1..])
}

/// `ext` (after the dot, any case) is a static-asset extension: one of
/// [`STATIC_EXTENSIONS`] (none longer than five bytes), compared packed
/// (one number each instead of a case-insensitive compare of bytes).
#[inline]
fn static_ext(ext: &[u8]) -> bool {
    if ext.is_empty() || ext.len() > 5 {
        return false;
    }
    STATIC_PACKED.contains(&pack_ext(ext))
}

/// [`static_ext`] of `path[e..]`, the extension of a lower-cased path:
/// packed from the path's last eight bytes read at once when it has them.
#[inline]
fn static_lower_ext(path: &[u8], e: usize) -> bool {
    let n = path.len();
    let len = n - e;
    if len == 0 || len > 5 {
        return false;
    }
    let packed = if n >= 8 {
        let mut a = [0u8; 8];
        a.copy_from_slice(&path[n - 8..]);
        u64::from_le_bytes(a) >> (8 * (8 - len)) | (len as u64) << 56
    } else {
        pack_ext(&path[e..])
    };
    STATIC_PACKED.contains(&packed)
}

/// Up to seven bytes lower-cased and their number, as one number.
const fn pack_ext(ext: &[u8]) -> u64 {
    let mut x = (ext.len() as u64) << 56;
    let mut i = 0;
    while i < ext.len() && i < 7 {
        x |= (ext[i].to_ascii_lowercase() as u64) << (8 * i);
        i += 1;
    }
    x
}

/// [`STATIC_EXTENSIONS`] packed by [`pack_ext`].
const STATIC_PACKED: [u64; STATIC_EXTENSIONS.len()] = {
    let mut p = [0; STATIC_EXTENSIONS.len()];
    let mut i = 0;
    while i < p.len() {
        p[i] = pack_ext(STATIC_EXTENSIONS[i].as_bytes());
        i += 1;
    }
    p
};

#[cfg(test)]
#[path = "request_tests.rs"]
mod request_tests;
