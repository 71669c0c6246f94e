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
//! - `protocols`: the HTTP versions of the request lines, when the log has
//!   them (`HTTP/1.0`, `HTTP/1.1`, `HTTP/2`, `HTTP/3`, `HTTP/0.9`, `other`
//!   for a version no client speaks, as flood tools send);
//! - `paths`: distinct paths seen; `path_sketch`: the 32 smallest 32-bit
//!   hashes of the distinct (decoded, lower-case) paths, a bottom-k sketch
//!   whose overlap estimates the Jaccard similarity of two wordlists;
//!   `order_sketch`: the same over consecutive pairs of new paths (paths of
//!   one timestamp taken in hash order, so the sketch does not depend on how
//!   equal-time lines were ordered), which compares the order a wordlist is
//!   walked in.
//!
//! The sketches are allocated at an episode's second distinct path: a
//! source that probes one path costs a few fixed fields.

use super::fxhash::hash_bytes;
use aho_corasick::AhoCorasick;
use haboob_model::{Ts, WebEvent};
use std::sync::LazyLock;

/// Hashes kept per sketch.
pub(crate) const SKETCH: usize = 32;

/// The `k` smallest distinct values seen (sorted ascending).
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
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
/// New paths of one timestamp ordered by hash before they enter the order
/// sketch (so equal-time neighbours read in either order give one sketch);
/// beyond this many in one timestamp, the smallest hashes are kept.
const TIES: usize = 8;

/// The sketches, allocated at an episode's second distinct path (most
/// sources never probe two).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct Sketches {
    path: Bottom,
    order: Bottom,
    prev: u64,
    tie_ts: i64,
    ties: [u64; TIES],
    tie_n: u8,
}

impl Sketches {
    fn add(&mut self, ts: Ts, h: u64) {
        self.path.insert((h >> 32) as u32);
        if self.tie_n > 0 && ts.0 != self.tie_ts {
            self.flush();
        }
        self.tie_ts = ts.0;
        let n = usize::from(self.tie_n);
        if n < TIES {
            self.ties[n] = h;
            self.tie_n += 1;
        } else if let Some(max) = (0..TIES).max_by_key(|&i| self.ties[i]) {
            // Full: keep the smallest hashes, whatever the arrival order.
            if h < self.ties[max] {
                self.ties[max] = h;
            }
        }
    }

    /// Feed the buffered same-time paths, in hash order, to the order sketch.
    fn flush(&mut self) {
        let n = usize::from(self.tie_n);
        let mut t = self.ties;
        t[..n].sort_unstable();
        for &h in &t[..n] {
            if self.prev != 0 {
                let mut pair = [0u8; 16];
                pair[..8].copy_from_slice(&self.prev.to_le_bytes());
                pair[8..].copy_from_slice(&h.to_le_bytes());
                self.order.insert((hash_bytes(&pair) >> 32) as u32);
            }
            self.prev = h;
        }
        self.tie_n = 0;
    }
}

/// Habits of one episode: a few fixed fields, plus the sketches once the
/// episode has two distinct paths.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Habits {
    ua: u64,
    /// The User-Agent is a stock tool or library one.
    stock: bool,
    methods: u8,
    hours: u32,
    weekdays: u8,
    flags: u8,
    protocols: u8,
    paths: u32,
    /// The first distinct path (hash, time), until the sketches exist.
    first: (u64, Ts),
    sketches: Option<Box<Sketches>>,
}

const METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "other"];
const FLAGS: &[&str] = &["upper", "encoded", "trailing_slash", "double_slash"];
const PROTOCOLS: &[&str] = &[
    "HTTP/1.0", "HTTP/1.1", "HTTP/2", "HTTP/3", "HTTP/0.9", "other",
];

/// Bit of [`PROTOCOLS`] for a logged protocol; 0 when none was logged.
fn protocol_bit(p: &str) -> u8 {
    match p.as_bytes() {
        [] => 0,
        b"HTTP/1.0" => 1,
        b"HTTP/1.1" => 2,
        b"HTTP/2" | b"HTTP/2.0" => 4,
        b"HTTP/3" | b"HTTP/3.0" => 8,
        b"HTTP/0.9" => 16,
        _ => 32,
    }
}

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
            self.stock = stock_by_hash(w.user_agent, ua);
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
        self.protocols |= protocol_bit(w.protocol);
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
        match &mut self.sketches {
            Some(s) => s.add(w.ts, path_hash),
            None if self.paths == 1 => self.first = (path_hash, w.ts),
            None => {
                let mut s = Box::<Sketches>::default();
                s.add(self.first.1, self.first.0);
                s.add(w.ts, path_hash);
                self.sketches = Some(s);
            }
        }
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
        let (path, order) = match &self.sketches {
            Some(s) => {
                let mut s = (**s).clone();
                s.flush();
                (hex(&s.path), hex(&s.order))
            }
            None if self.paths == 1 => (vec![format!("{:08x}", self.first.0 >> 32)], Vec::new()),
            None => (Vec::new(), Vec::new()),
        };
        serde_json::json!({
            "ua": ua,
            "ua_stock": self.stock,
            "methods": names(self.methods, METHODS),
            "hours": self.hours,
            "weekdays": self.weekdays,
            "habits": names(self.flags, FLAGS),
            "protocols": names(self.protocols, PROTOCOLS),
            "paths": self.paths,
            "path_sketch": path,
            "order_sketch": order,
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

/// [`STOCK`] as one case-insensitive automaton.
static STOCK_FINDER: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(STOCK)
        .expect("fixed stock User-Agent list")
});

/// The User-Agent is a stock tool or library one (first 256 bytes).
fn is_stock(ua: &str) -> bool {
    STOCK_FINDER.is_match(&ua.as_bytes()[..ua.len().min(256)])
}

/// Slots of [`stock_by_hash`]'s memo (a power of two).
const STOCK_MEMO: usize = 1024;

thread_local! {
    /// [`is_stock`] by agent hash, direct-mapped; 0 is no agent's hash.
    static STOCK_BY_HASH: std::cell::RefCell<Vec<(u64, bool)>> =
        std::cell::RefCell::new(vec![(0, false); STOCK_MEMO]);
}

/// [`is_stock`] of `ua`, whose [`ua_hash`] is `hash`, remembered by hash:
/// every new episode asks, and most ask about an agent seen before. Exact
/// because an equal hash means equal first 512 bytes with IIS `+` read as a
/// space, and no [`STOCK`] name holds a space or a `+`.
fn stock_by_hash(ua: &str, hash: u64) -> bool {
    STOCK_BY_HASH.with(|memo| {
        let mut memo = memo.borrow_mut();
        let slot = &mut memo[hash as usize & (STOCK_MEMO - 1)];
        if slot.0 != hash {
            *slot = (hash, is_stock(ua));
        }
        slot.1
    })
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

    fn ev(ts: i64, path: &str) -> WebEvent<'_> {
        WebEvent {
            ts: Ts(ts),
            source_ip: "192.0.2.1".parse().unwrap(),
            method: "GET",
            path,
            query: "",
            status: 404,
            bytes: 0,
            user_agent: "x",
            referrer: "",
            site: "s",
            user: "",
            forwarded: "",
            protocol: "",
        }
    }

    #[test]
    fn equal_time_paths_give_one_order_sketch_in_either_order() {
        let mut a = Habits::default();
        let mut b = Habits::default();
        let paths = ["/a", "/b", "/c", "/d", "/e"];
        let times = [0, 1000, 1000, 1000, 2000];
        for i in 0..5 {
            a.observe(
                &ev(times[i], paths[i]),
                hash_bytes(paths[i].as_bytes()),
                true,
            );
        }
        for i in [0, 3, 1, 2, 4] {
            b.observe(
                &ev(times[i], paths[i]),
                hash_bytes(paths[i].as_bytes()),
                true,
            );
        }
        assert_eq!(a.details(), b.details());
        assert_eq!(a.details()["order_sketch"].as_array().unwrap().len(), 4);
        // A different order of distinct times is a different sketch.
        let mut c = Habits::default();
        for i in [4, 0, 1, 2, 3] {
            c.observe(
                &ev(times[4 - i], paths[i]),
                hash_bytes(paths[i].as_bytes()),
                true,
            );
        }
        assert_ne!(a.details()["order_sketch"], c.details()["order_sketch"]);
        assert_eq!(a.details()["path_sketch"], c.details()["path_sketch"]);
    }

    #[test]
    fn http_versions_are_a_habit() {
        let mut h = Habits::default();
        h.observe(&ev(0, "/a"), 1, true);
        assert_eq!(h.details()["protocols"], serde_json::json!([]));
        for p in ["HTTP/1.1", "HTTP/2.0", "HTTP/2", "HTTP/1.2"] {
            let w = WebEvent {
                protocol: p,
                ..ev(0, "/a")
            };
            h.observe(&w, 1, false);
        }
        assert_eq!(
            h.details()["protocols"],
            serde_json::json!(["HTTP/1.1", "HTTP/2", "other"])
        );
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
    fn stock_names_hold_no_space_or_plus() {
        // `stock_by_hash` relies on it (IIS writes spaces as `+`).
        for name in STOCK {
            assert!(!name.contains([' ', '+']), "{name}");
        }
    }

    #[test]
    fn stock_by_hash_agrees_with_the_automaton() {
        for ua in [
            "python-requests/2.31.0",
            "Mozilla/5.0+zgrab/0.x",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/109.0.0.0 Safari/537.36",
            "",
            "-",
            "curl/8.0",
        ] {
            let h = ua_hash(ua);
            // Twice: the second answer comes from the memo.
            assert_eq!(stock_by_hash(ua, h), is_stock(ua), "{ua}");
            assert_eq!(stock_by_hash(ua, h), is_stock(ua), "{ua}");
        }
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
