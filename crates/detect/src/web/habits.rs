//! A source's tool habits within one episode, kept in fixed-size state (no
//! allocation per event) and written into the alert's `fingerprint` detail,
//! so that the hunt can link one actor's addresses across sites, formats and
//! weeks (see `haboob_hunt::actor`).
//!
//! - `ua`: hash of the User-Agent (IIS `+` read as a space), `"none"` when
//!   absent, `"mixed"` when the episode saw several;
//! - `methods`, `hours` (UTC hours active, a 24-bit mask), `weekdays` (bit 0 =
//!   Monday);
//! - `habits`: path casing and encoding habits (`upper`, `encoded`,
//!   `trailing_slash`, `double_slash`);
//! - `paths`: distinct paths seen; `path_sketch`: the 32 smallest 32-bit
//!   hashes of the distinct (decoded, lower-case) paths, a bottom-k sketch
//!   whose overlap estimates the Jaccard similarity of two wordlists;
//!   `order_sketch`: the same over consecutive pairs of new paths, which
//!   compares the order a wordlist is walked in.

use super::episode::hash_bytes;
use haboob_model::{Ts, WebEvent};

/// Hashes kept per sketch.
pub(crate) const SKETCH: usize = 32;

/// The `k` smallest distinct values seen (sorted ascending).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bottom {
    v: [u32; SKETCH],
    n: u8,
}

impl Default for Bottom {
    fn default() -> Self {
        Bottom {
            v: [0; SKETCH],
            n: 0,
        }
    }
}

impl Bottom {
    #[inline]
    fn insert(&mut self, x: u32) {
        let n = usize::from(self.n);
        if n == SKETCH && x >= self.v[SKETCH - 1] {
            return;
        }
        let at = match self.v[..n].binary_search(&x) {
            Ok(_) => return,
            Err(i) => i,
        };
        let end = n.min(SKETCH - 1);
        self.v.copy_within(at..end, at + 1);
        self.v[at] = x;
        if n < SKETCH {
            self.n += 1;
        }
    }

    fn values(&self) -> &[u32] {
        &self.v[..usize::from(self.n)]
    }
}

const UA_NONE: u64 = 1;
const UA_MIXED: u64 = 2;

/// Fixed-size habits of one episode.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Habits {
    ua: u64,
    /// The User-Agent is a stock tool or library one.
    stock: bool,
    methods: u8,
    hours: u32,
    weekdays: u8,
    flags: u8,
    paths: u32,
    prev: u64,
    path_sketch: Bottom,
    order_sketch: Bottom,
}

const METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "other"];
const FLAGS: &[&str] = &["upper", "encoded", "trailing_slash", "double_slash"];

fn ua_hash(ua: &str) -> u64 {
    if ua.is_empty() || ua == "-" {
        return UA_NONE;
    }
    let b = &ua.as_bytes()[..ua.len().min(512)];
    // IIS writes spaces as '+': hash the text as other formats log it.
    let h = if memchr::memchr(b'+', b).is_some() {
        let mut buf = [0u8; 512];
        for (d, s) in buf.iter_mut().zip(b) {
            *d = if *s == b'+' { b' ' } else { *s };
        }
        hash_bytes(&buf[..b.len()])
    } else {
        hash_bytes(b)
    };
    h.max(3)
}

impl Habits {
    /// Forget everything (an episode restarted).
    pub fn clear(&mut self) {
        *self = Habits::default();
    }

    /// Record one request; `new_path`: its path is new to the episode
    /// (`path_hash` is the decoded, lower-case path's hash).
    #[inline]
    pub fn observe(&mut self, w: &WebEvent<'_>, path_hash: u64, new_path: bool) {
        let ua = ua_hash(w.user_agent);
        if self.ua == 0 {
            self.ua = ua;
            self.stock = is_stock(w.user_agent);
        } else if self.ua != ua && self.ua != UA_MIXED {
            self.ua = UA_MIXED;
        }
        let m = METHODS
            .iter()
            .position(|m| *m == w.method)
            .unwrap_or(METHODS.len() - 1);
        self.methods |= 1 << m;
        self.hours |= 1 << hour_of(w.ts);
        self.weekdays |= 1 << weekday_of(w.ts);
        if !new_path {
            return;
        }
        let p = w.path.as_bytes();
        if p.iter().any(u8::is_ascii_uppercase) {
            self.flags |= 1;
        }
        if memchr::memchr(b'%', p).is_some() {
            self.flags |= 2;
        }
        if p.len() > 1 && p.ends_with(b"/") {
            self.flags |= 4;
        }
        if memchr::memmem::find(p, b"//").is_some() {
            self.flags |= 8;
        }
        self.paths = self.paths.saturating_add(1);
        self.path_sketch.insert((path_hash >> 32) as u32);
        if self.prev != 0 {
            let mut pair = [0u8; 16];
            pair[..8].copy_from_slice(&self.prev.to_le_bytes());
            pair[8..].copy_from_slice(&path_hash.to_le_bytes());
            self.order_sketch.insert((hash_bytes(&pair) >> 32) as u32);
        }
        self.prev = path_hash;
    }

    /// The `fingerprint` alert detail (bounded: about 800 bytes of JSON).
    pub fn details(&self) -> serde_json::Value {
        let ua = match self.ua {
            0 | UA_NONE => "none".to_string(),
            UA_MIXED => "mixed".to_string(),
            h => format!("{h:016x}"),
        };
        let names = |mask: u8, all: &[&str]| -> Vec<String> {
            all.iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, n)| n.to_string())
                .collect()
        };
        let hex =
            |b: &Bottom| -> Vec<String> { b.values().iter().map(|v| format!("{v:08x}")).collect() };
        serde_json::json!({
            "ua": ua,
            "ua_stock": self.stock,
            "methods": names(self.methods, METHODS),
            "hours": self.hours,
            "weekdays": self.weekdays,
            "habits": names(self.flags, FLAGS),
            "paths": self.paths,
            "path_sketch": hex(&self.path_sketch),
            "order_sketch": hex(&self.order_sketch),
        })
    }
}

/// Stock User-Agents of tools and libraries that many unrelated parties
/// run unchanged (lower case, matched as substrings).
const STOCK: &[&str] = &[
    "python-requests",
    "python-urllib",
    "python-httpx",
    "aiohttp",
    "go-http-client",
    "zgrab",
    "curl/",
    "wget/",
    "libwww-perl",
    "okhttp",
    "java/",
    "apache-httpclient",
    "axios/",
    "node-fetch",
    "nuclei",
    "masscan",
    "httpx",
    "scrapy",
    "censysinspect",
    "expanse",
    "l9explore",
];

/// The User-Agent is a stock tool or library one (first 256 bytes).
fn is_stock(ua: &str) -> bool {
    let b = &ua.as_bytes()[..ua.len().min(256)];
    let mut low = [0u8; 256];
    for (d, s) in low.iter_mut().zip(b) {
        *d = s.to_ascii_lowercase();
    }
    let low = &low[..b.len()];
    STOCK
        .iter()
        .any(|s| memchr::memmem::find(low, s.as_bytes()).is_some())
}

/// UTC hour of day.
fn hour_of(ts: Ts) -> u32 {
    (ts.0.div_euclid(3_600_000).rem_euclid(24)) as u32
}

/// Weekday, 0 = Monday (1970-01-01 was a Thursday).
fn weekday_of(ts: Ts) -> u32 {
    ((ts.0.div_euclid(86_400_000) + 3).rem_euclid(7)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bottom_keeps_the_smallest_distinct() {
        let mut b = Bottom::default();
        for x in (0..100u32).rev().chain(0..10) {
            b.insert(x * 7 % 101);
        }
        let mut want: Vec<u32> = (0..100u32).map(|x| x * 7 % 101).collect();
        want.sort();
        want.dedup();
        want.truncate(SKETCH);
        assert_eq!(b.values(), &want[..]);
    }

    #[test]
    fn weekday_and_hour() {
        // 2026-09-01T13:30Z is a Tuesday.
        let ts = Ts(1_788_269_400_000);
        assert_eq!((hour_of(ts), weekday_of(ts)), (13, 1));
    }

    #[test]
    fn iis_plus_is_a_space() {
        assert_eq!(ua_hash("Mozilla/5.0+(X11)"), ua_hash("Mozilla/5.0 (X11)"));
        assert_eq!(ua_hash(""), UA_NONE);
        assert_eq!(ua_hash("-"), UA_NONE);
    }

    #[test]
    fn stock_user_agents() {
        assert!(is_stock("python-requests/2.31.0"));
        assert!(is_stock("Mozilla/5.0 zgrab/0.x"));
        assert!(is_stock("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/108.0.0.0 Safari/537.36 Nuclei"));
        assert!(!is_stock(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/109.0.0.0 Safari/537.36"
        ));
    }
}
