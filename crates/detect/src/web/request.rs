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
#[inline]
fn decode_into(src: &[u8], out: &mut Vec<u8>, query: bool) -> bool {
    decode::<true>(src, out, query)
}

/// [`decode_into`], lower-casing when `LOWER` (else the case is kept: the
/// same bytes at the same offsets, lower-cased, are what `decode_into` gives).
#[inline]
fn decode<const LOWER: bool>(src: &[u8], out: &mut Vec<u8>, query: bool) -> bool {
    let copy = |src: &[u8], out: &mut Vec<u8>| {
        if LOWER {
            lower_into(src, out);
        } else {
            out.extend_from_slice(src);
        }
    };
    let Some(first) = memchr::memchr2(b'%', b'+', src) else {
        copy(src, out);
        return false;
    };
    copy(&src[..first], out);
    let mut percent = false;
    let mut i = first;
    while i < src.len() {
        let c = src[i];
        if c == b'%' && i + 2 < src.len() {
            if let (Some(h), Some(l)) = (hex(src[i + 1]), hex(src[i + 2])) {
                let d = h << 4 | l;
                let d = if LOWER { d.to_ascii_lowercase() } else { d };
                percent |= d == b'%';
                out.push(d);
                i += 3;
                continue;
            }
        }
        percent |= c == b'%';
        out.push(if query && c == b'+' {
            b' '
        } else if LOWER {
            c.to_ascii_lowercase()
        } else {
            c
        });
        i += 1;
    }
    percent
}

/// The request target of `w` as [`Req::fill_view`] decodes it into
/// [`Req::once`] (or, when `twice`, into [`Req::twice`]) but with its case
/// kept: lower-cased, the same bytes. Built only to confirm an anchor whose
/// case matters, never per request.
pub(crate) fn cased_target(w: &WebEvent<'_>, twice: bool) -> Vec<u8> {
    let (path, query) = clipped(w);
    let mut once = Vec::with_capacity(path.len() + 1 + query.len());
    decode::<false>(path, &mut once, false);
    let path_len = once.len();
    if !w.query.is_empty() {
        once.push(b'?');
        decode::<false>(query, &mut once, true);
    }
    if !twice {
        return once;
    }
    let mut out = Vec::with_capacity(once.len());
    decode_again::<false>(&once, path_len, &mut out);
    out
}

/// The request target of `w` clipped to [`MAX_TARGET`] bytes: the path's
/// first bytes, then as many of the query's as still fit.
#[inline]
fn clipped<'a>(w: &WebEvent<'a>) -> (&'a [u8], &'a [u8]) {
    let path = &w.path.as_bytes()[..w.path.len().min(MAX_TARGET)];
    let room = MAX_TARGET - path.len();
    let query = &w.query.as_bytes()[..w.query.len().min(room)];
    (path, query)
}

/// Decode again (with [`decode`]) a target decoded once, `once`, whose path
/// is `once[..path_len]`, appending to `out`; returns the length of `out`
/// after the path part.
#[inline]
fn decode_again<const LOWER: bool>(once: &[u8], path_len: usize, out: &mut Vec<u8>) -> usize {
    let (p, q) = once.split_at(path_len);
    decode::<LOWER>(p, out, false);
    let path_end = out.len();
    decode::<LOWER>(q, out, true);
    path_end
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
    #[inline]
    pub fn fill_view(&mut self, w: &WebEvent<'_>) {
        self.path_id = None;
        self.target_id = None;
        self.ua_id = None;
        self.once.clear();
        self.twice.clear();
        let (path, query) = clipped(w);
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
            self.twice_path_len = decode_again::<true>(&self.once, self.path_len, &mut self.twice);
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

/// Bytes of a note's fixed part: flags, the path's and the site's hashes,
/// the lengths of the decoded path and target, two kind sets and the
/// number of products.
const NOTE_HEAD: usize = 1 + 8 + 8 + 4 + 4 + 4 + 4 + 4;
/// Note flag: the request was classified ([`Req::exploit`] holds the verdict).
const NOTE_CLASSIFIED: u8 = 1;
/// Note flag: [`Req::is_static`].
const NOTE_STATIC: u8 = 2;

impl Req {
    /// Append to `out` one note ([`crate::Note`]) of what the rules that
    /// compare sources (those of [`crate::Part::Shared`]) read of this view:
    /// the decoded target ([`Req::once`]) and its path's length, the static
    /// flag, the path's and the site's hashes and the classifier's verdict
    /// ([`Req::exploit`]; `classified` says whether it holds one). Not
    /// carried (no such rule reads them): the target decoded twice, the
    /// target's and the agent's hashes, the last segment and extension.
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
        // The fixed part is assembled on the stack and appended at once.
        let mut head = [0u8; NOTE_HEAD];
        head[0] = flags;
        head[1..9].copy_from_slice(&self.path_hash.to_le_bytes());
        head[9..17].copy_from_slice(&self.site_hash.to_le_bytes());
        head[17..21].copy_from_slice(&len(self.path_len));
        head[21..25].copy_from_slice(&len(self.once.len()));
        head[25..29].copy_from_slice(&hits.kinds.bits().to_le_bytes());
        head[29..33].copy_from_slice(&hits.header_kinds.bits().to_le_bytes());
        head[33..37].copy_from_slice(&len(hits.products.len()));
        out.reserve(NOTE_HEAD + self.once.len() + 4 * hits.products.len());
        out.extend_from_slice(&head);
        out.extend_from_slice(&self.once);
        // Most requests have no product.
        for p in &hits.products {
            out.extend_from_slice(&len(*p));
        }
    }

    /// Restore what [`Req::write_note`] wrote; `Some(classified)`, or `None`
    /// (the view unchanged: fill it) when `note` is not one whole note. The
    /// last segment and extension are derived from the carried path; the
    /// other fields a note does not carry are left as they were: only a
    /// detector set whose rules read none of them reads notes
    /// (`WebDetectors::reads_notes`).
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
        let products = u32_at(33) as usize;
        if path_len > once_len || rest.len() != once_len + 4 * products {
            return None;
        }
        let (once, products) = rest.split_at(once_len);
        self.once.clear();
        self.once.extend_from_slice(once);
        self.path_len = path_len;
        // Derived from the carried path, so that no offset of an earlier
        // request's path is left in the view.
        self.locate_name();
        self.path_hash = u64_at(1);
        self.site_hash = u64_at(9);
        self.is_static = flags & NOTE_STATIC != 0;
        let hits = &mut self.exploit;
        hits.kinds = super::lists::KindSet::from_bits(u32_at(25));
        hits.header_kinds = super::lists::KindSet::from_bits(u32_at(29));
        hits.products.clear();
        if !products.is_empty() {
            hits.products.extend(products.chunks_exact(4).map(|c| {
                let b: [u8; 4] = c.try_into().unwrap_or_default();
                u32::from_le_bytes(b) as usize
            }));
        }
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
