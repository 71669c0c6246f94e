//! `web.harvest`: scripted record harvesting.
//!
//! **What it detects.** One source (linked sources are the campaign's job)
//! fetching ≥ 50 distinct records within an hour: a record is a request
//! (GET or POST) for a data-bearing resource (`lookup`, `export`,
//! `download`, `api`, `voter`, `registration`, `ballot`, `record`, … as a
//! word of the path or query; PDF, CSV, spreadsheet, JSON, XML files) or one
//! carrying an identifier (a numeric path segment, or a query value of digits
//! or with ≥ 4 digits). Distinct records are distinct paths with their
//! non-cache-busting query parameters (`_`, `t`, `ts`, `cb`, `nocache`,
//! `rand`, `v` and `utm_*` are ignored). The answers must be mostly 2xx
//! (`min_ok_share`) of similar sizes (standard deviation over mean at most
//! `max_size_spread`): a script reading one kind of record, not a person
//! reading pages.
//!
//! **Against the site's own visitors.** A site's visitors read a handful of
//! such records; `min_records` is set far above that. Where they read more
//! (an API that apps sync from, a data portal), the bar rises with the site:
//! once `baseline_min_visitors` sources have read records there, a harvest
//! must also reach `baseline_factor` × the count that only one visitor in a
//! hundred reaches within the window ([`super::baseline`]). The alert says
//! which bar it passed (`details.site_ceiling` when the site's own).
//!
//! `details.records` (distinct records answered 2xx), `details.bytes` (bytes
//! of the 2xx answers), `details.pattern`: `sequential` (one identifier walked
//! with ≥ 90 % of the range fetched), `dense` (≥ 30 %), `enumerated` (from a
//! list: sparse identifiers), `resources` (distinct data-bearing resources).
//!
//! **Benign look-alikes stay quiet.** Search-engine crawlers (the
//! `web.sweep` list plus `crawler_user_agents`) are exempt; a feed client
//! polling one resource, even with a cache-busting query, and a monitor
//! fetching one URL are one record; a person downloading the public results
//! files fetches a handful.
//!
//! **ATT&CK.** T1213 Data from Information Repositories (the records are
//! read through the site's own data interfaces), T1119 Automated Collection.

use super::super::cache::VerdictCache;
use super::super::crawlers::Crawlers;
use super::super::episode::{insert_capped, Key, Recycle, Slot, Tracker};
use super::super::fxhash::{hash_bytes, FxBuild, FxSet};
use super::super::method::method_is;
use super::super::request::Req;
use super::super::scan::secs_ms;
use super::super::WebRule;
use super::baseline::Reached;
use super::{extension, mix, HarvestConfig, Table};
use aho_corasick::AhoCorasick;
use haboob_model::{Alert, Origin, Severity, WebEvent};
use std::collections::HashMap;

const ID: &str = "web.harvest";
/// Sites whose visitors are counted; on overflow all are forgotten.
const MAX_SITES: usize = 4096;
const TECHNIQUES: &[&str] = &["T1213", "T1119"];

/// Words that mark a path or query as data-bearing (matched as whole words:
/// not inside a longer run of letters).
const DATA_WORDS: &[&str] = &[
    "lookup",
    "export",
    "download",
    "downloads",
    "api",
    "voter",
    "voters",
    "registration",
    "registrations",
    "ballot",
    "ballots",
    "record",
    "records",
    "dump",
    "report",
    "reports",
    "roll",
    "rolls",
];

/// Extensions of data files.
const DATA_EXTENSIONS: &[&[u8]] = &[
    b"pdf", b"csv", b"tsv", b"xls", b"xlsx", b"ods", b"json", b"xml", b"txt", b"doc", b"docx",
];

/// Query parameters that only defeat caches; they do not name a record.
fn cache_buster(name: &[u8]) -> bool {
    matches!(
        name,
        b"_" | b"t"
            | b"ts"
            | b"time"
            | b"timestamp"
            | b"cb"
            | b"cachebust"
            | b"nocache"
            | b"rand"
            | b"r"
            | b"v"
            | b"ver"
    ) || name.starts_with(b"utm_")
}

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct HarvestState {
    records: FxSet,
    requests: u64,
    ok: u64,
    bytes: u64,
    /// Sum and sum of squares of the 2xx sizes.
    sum: f64,
    sq: f64,
    /// Identifier template of the first record that had one.
    tmpl: u64,
    ids: u64,
    id_min: u64,
    id_max: u64,
    /// The site's own bar when it was above `min_records` at firing time.
    #[serde(default)]
    ceiling: Option<u64>,
    /// The episode's first request came from a listed crawler: not counted.
    #[serde(default)]
    crawler: bool,
}

/// Record sets up to this capacity are kept (cleared) when a slot is reused.
const KEEP_RECORDS: usize = 256;

impl Recycle for HarvestState {
    /// As new, keeping a small record set's allocation (most visitors read a
    /// few records, and a pooled slot then needs no allocation).
    fn recycle(&mut self) {
        let mut records = std::mem::take(&mut self.records);
        if records.capacity() > KEEP_RECORDS {
            records = FxSet::default();
        }
        records.clear();
        *self = HarvestState {
            records,
            ..HarvestState::default()
        };
    }
}

impl HarvestState {
    fn spread(&self) -> f64 {
        if self.ok < 2 || self.sum <= 0.0 {
            return 0.0;
        }
        let n = self.ok as f64;
        let mean = self.sum / n;
        let var = (self.sq / n - mean * mean).max(0.0);
        var.sqrt() / mean
    }

    fn pattern(&self, min_records: usize) -> &'static str {
        if self.ids as usize >= min_records.div_ceil(2) && self.id_max >= self.id_min {
            let range = (self.id_max - self.id_min).saturating_add(1) as f64;
            let density = self.ids as f64 / range;
            if density >= 0.9 {
                "sequential"
            } else if density >= 0.3 {
                "dense"
            } else {
                "enumerated"
            }
        } else {
            "resources"
        }
    }
}

/// The `web.harvest` detector.
#[derive(Debug)]
pub(crate) struct WebHarvest {
    window_ms: i64,
    min_ok: f64,
    spread: f64,
    words: Option<AhoCorasick>,
    crawlers: Crawlers,
    /// The last user agents' crawler verdicts (derived, not saved).
    crawler_cache: VerdictCache<super::super::crawlers::Claim>,
    max_evidence: usize,
    bar: Bar,
    /// The last targets' [`record`] verdicts (derived, not saved).
    cache: Table<Option<Record>>,
    s: Stream,
}

/// Slots of the per-target record cache.
const CACHE_SLOTS: usize = 4096;

/// The fixed bar (`min_records`) and how the site's own is set.
#[derive(Debug, Clone, Copy)]
struct Bar {
    min: usize,
    factor: f64,
    min_visitors: u32,
}

/// Episodes and per-site visitor counts, saved together.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Stream {
    t: Tracker<HarvestState>,
    sites: HashMap<u64, Reached, FxBuild>,
}

impl WebHarvest {
    /// `crawler_rules`: `[web.sweep] crawler_rules`, the crawler file.
    pub fn new(
        c: &HarvestConfig,
        crawler_rules: Option<&str>,
        max_evidence: usize,
        max_sources: usize,
    ) -> Self {
        let words: Vec<String> = DATA_WORDS
            .iter()
            .map(|s| s.to_string())
            .chain(c.data_words.iter().map(|s| s.to_ascii_lowercase()))
            .collect();
        WebHarvest {
            window_ms: secs_ms(c.window_secs),
            min_ok: c.min_ok_share,
            spread: c.max_size_spread,
            words: super::super::dfa::dfa(
                words.iter().filter(|w| !w.is_empty()),
                false,
                aho_corasick::MatchKind::LeftmostLongest,
            ),
            crawlers: Crawlers::new(&c.crawler_user_agents, crawler_rules),
            crawler_cache: VerdictCache::default(),
            max_evidence,
            cache: Table::new(CACHE_SLOTS),
            bar: Bar {
                min: c.min_records.max(2),
                factor: c.baseline_factor.max(0.0),
                min_visitors: c.baseline_min_visitors.max(1),
            },
            s: Stream {
                t: Tracker::new(c.window_secs, max_sources),
                sites: HashMap::with_hasher(FxBuild),
            },
        }
    }
}

/// A data word in `hay` (lower case) as a whole word. Leftmost-longest
/// matches are enough: a word hidden inside a longer match starts after a
/// letter, so it is never whole.
fn has_word(words: Option<&AhoCorasick>, hay: &[u8]) -> bool {
    let Some(ac) = words else { return false };
    ac.find_iter(hay).any(|m| {
        let before = m.start().checked_sub(1).map(|i| hay[i]);
        let after = hay.get(m.end()).copied();
        !before.is_some_and(|c| c.is_ascii_alphabetic())
            && !after.is_some_and(|c| c.is_ascii_alphabetic())
    })
}

/// The site's own bar for a harvest, when above `min_records`.
fn site_bar(sites: &HashMap<u64, Reached, FxBuild>, site: u64, h: &Bar) -> Option<u64> {
    if h.factor <= 0.0 {
        return None;
    }
    let c = sites.get(&site)?.ceiling(h.min_visitors)?;
    let b = (c as f64 * h.factor).ceil() as u64;
    (b > h.min as u64).then_some(b)
}

/// An identifier: all digits (1..=12), or letters and digits with ≥ 4
/// digits (`v00012345`). Its numeric value (digits only) when it has one.
fn identifier(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 24 {
        return None;
    }
    let mut digits = 0usize;
    let mut value: u64 = 0;
    for &c in s {
        if c.is_ascii_digit() {
            digits += 1;
            value = value.saturating_mul(10).saturating_add(u64::from(c - b'0'));
        } else if !(c.is_ascii_alphabetic() || c == b'-' || c == b'_') {
            return None;
        }
    }
    let all = digits == s.len() && digits <= 12;
    (all || digits >= 4).then_some(value)
}

/// What makes a request a record: its key (path and meaningful query
/// parameters) and its identifier template and value when it has one.
#[derive(Debug, Clone, Copy)]
struct Record {
    key: u64,
    id: Option<(u64, u64)>,
}

fn record(req: &Req, has_word: impl Fn(&[u8]) -> bool) -> Option<Record> {
    let path = req.path();
    let mut id = None;
    // Numeric path segments (the last one names the record); the parts of a
    // date (`/2026/08/07/`: a year and the one- or two-digit segments after
    // it) are not identifiers.
    let mut start = 0;
    let mut date = false;
    for (i, seg) in path.split(|&c| c == b'/').enumerate() {
        let year = seg.len() == 4 && (seg.starts_with(b"19") || seg.starts_with(b"20"));
        let part = seg.len() <= 2 && date;
        date = (year || part) && seg.iter().all(u8::is_ascii_digit);
        if date {
            start += seg.len() + 1;
            continue;
        }
        if let Some(v) = identifier(seg) {
            id = Some((mix(hash_bytes(&path[..start]), i as u64), v));
        }
        start += seg.len() + 1;
    }
    let mut key = req.path_hash;
    let query = req.once.get(req.path_len + 1..).unwrap_or_default();
    for param in query.split(|&c| c == b'&') {
        if param.is_empty() {
            continue;
        }
        let (name, value) = match memchr::memchr(b'=', param) {
            Some(e) => (&param[..e], &param[e + 1..]),
            None => (param, &[][..]),
        };
        if cache_buster(name) {
            continue;
        }
        key = mix(key, hash_bytes(param));
        if let Some(v) = identifier(value) {
            if id.is_none() {
                id = Some((mix(req.path_hash, hash_bytes(name)), v));
            }
        }
    }
    let ext = extension(path);
    let record =
        id.is_some() || (!ext.is_empty() && DATA_EXTENSIONS.contains(&ext)) || has_word(&req.once);
    record.then_some(Record { key, id })
}

fn emit(s: Slot<HarvestState>, min: usize, out: &mut Vec<Alert>) {
    if !s.ep.fired {
        return;
    }
    let st = &s.st;
    let mut d = haboob_model::Details::new();
    d.insert("records".into(), (st.records.len() as u64).into());
    d.insert("bytes".into(), st.bytes.into());
    d.insert("requests".into(), st.requests.into());
    d.insert(
        "ok_share".into(),
        super::super::episode::ratio(st.ok, st.requests),
    );
    let pattern = st.pattern(min);
    d.insert("pattern".into(), pattern.into());
    if pattern != "resources" {
        d.insert("id_min".into(), st.id_min.into());
        d.insert("id_max".into(), st.id_max.into());
    }
    if let Some(c) = st.ceiling {
        d.insert("site_ceiling".into(), c.into());
    }
    let title = format!(
        "Record harvesting: {} records ({pattern}, {} bytes) by {}",
        st.records.len(),
        st.bytes,
        s.ep.who_where()
    );
    out.push(s.ep.alert(ID, title, TECHNIQUES, d, &[]));
}

impl WebRule for WebHarvest {
    fn id(&self) -> &'static str {
        ID
    }

    fn save(&self) -> Result<crate::DetectorState, crate::StateError> {
        crate::DetectorState::of(ID, &self.s)
    }

    /// A state saved before sites were counted (episodes alone) restores
    /// its episodes with no site counts.
    fn restore(&mut self, s: crate::DetectorState) -> Result<(), crate::StateError> {
        self.s = match s.clone().into::<Stream>(ID) {
            Ok(x) => x,
            Err(_) => Stream {
                t: s.into(ID)?,
                sites: HashMap::with_hasher(FxBuild),
            },
        };
        Ok(())
    }

    #[inline(always)]
    fn observe(&mut self, w: &WebEvent<'_>, req: &Req, o: &Origin<'_>, out: &mut Vec<Alert>) {
        let min = self.bar.min;
        self.s.t.maintain(w.ts, &mut |s| emit(s, min, out));
        if !(method_is(w.method, b"get") || method_is(w.method, b"post")) {
            return;
        }
        // Scripts, styles and images are never records (PDF documents are:
        // the only data extension among the static ones).
        if req.is_static && !req.path().ends_with(b".pdf") {
            return;
        }
        self.request(w, req, o, out);
    }

    fn finish(&mut self, out: &mut Vec<Alert>) {
        let min = self.bar.min;
        self.s.t.drain(&mut |s| emit(s, min, out));
    }
}

impl WebHarvest {
    /// A GET or POST that may be for a record.
    #[inline(never)]
    fn request(&mut self, w: &WebEvent<'_>, req: &Req, o: &Origin<'_>, out: &mut Vec<Alert>) {
        // Most targets repeat: their verdict is looked up by hash.
        let query = req.once.get(req.path_len..).unwrap_or_default();
        let tkey = if query.is_empty() {
            req.path_hash
        } else {
            mix(req.path_hash, hash_bytes(query))
        };
        let (c, fresh) = self.cache.slot(tkey);
        if fresh {
            let words = &self.words;
            *c = record(req, |h| has_word(words.as_ref(), h));
        }
        if let Some(rec) = *c {
            self.take(rec, w, req, o, out);
        }
    }

    /// A request for a record: the source's episode counts it.
    #[inline(never)]
    fn take(
        &mut self,
        rec: Record,
        w: &WebEvent<'_>,
        req: &Req,
        o: &Origin<'_>,
        out: &mut Vec<Alert>,
    ) {
        let min = self.bar.min;
        let key: Key = (w.source_ip, req.site_hash);
        let slot = self
            .s
            .t
            .entry(key, w.source_ip, w.site, w.ts, &mut |s| emit(s, min, out));
        if slot.ep.restart_if_expired(w.ts, self.window_ms) {
            slot.st.recycle();
        }
        if slot.ep.count == 1 {
            // A second request in the episode: is the source a listed
            // crawler? (Asked once per episode, and not of the many visitors
            // who read one record.)
            let ua = &w.user_agent.as_bytes()[..w.user_agent.len().min(1024)];
            // User agents repeat: the verdict is cached under the whole
            // agent's id.
            let crawlers = &self.crawlers;
            let id = req.ua_id.filter(|_| ua.len() == w.user_agent.len());
            let claim = self.crawler_cache.get_or(id, ua, |ua| crawlers.claim(ua));
            slot.st.crawler = crawlers.believed(claim, w.source_ip);
        }
        if slot.st.crawler {
            return;
        }
        let st = &mut slot.st;
        st.requests += 1;
        let ok = w.status_class() == 2;
        // A record is taken when it is answered 2xx.
        let new = ok && insert_capped(&mut st.records, rec.key);
        if ok {
            st.ok += 1;
            st.bytes = st.bytes.saturating_add(w.bytes);
            let b = w.bytes as f64;
            st.sum += b;
            st.sq += b * b;
        }
        if let (true, Some((tmpl, v))) = (new, rec.id) {
            if st.ids == 0 {
                st.tmpl = tmpl;
                st.id_min = v;
                st.id_max = v;
            }
            if st.tmpl == tmpl {
                st.ids += 1;
                st.id_min = st.id_min.min(v);
                st.id_max = st.id_max.max(v);
            }
        }
        slot.ep.hit(w.ts, o, self.max_evidence);
        if new {
            slot.ep.sample(&req.path_lossy());
        }
        let st = &mut slot.st;
        if !slot.ep.fired
            && st.records.len() >= self.bar.min
            && st.ok as f64 >= self.min_ok * st.requests as f64
            && st.spread() <= self.spread
        {
            let own = site_bar(&self.s.sites, req.site_hash, &self.bar);
            if own.is_none_or(|b| st.records.len() as u64 >= b) {
                slot.ep.fired = true;
                slot.ep.severity = Severity::High;
                st.ceiling = own;
            }
        }
        if new && !slot.ep.fired {
            // A harvest that fired is not one of the site's visitors.
            let c = st.records.len() as u64;
            let sites = &mut self.s.sites;
            if sites.len() >= MAX_SITES && !sites.contains_key(&req.site_hash) {
                sites.clear();
            }
            sites.entry(req.site_hash).or_default().crossed(c);
        }
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn a_state_saved_before_site_counts_restores_its_episodes() {
        // Before the site baseline the saved state was the episode tracker
        // alone; it restores, with no site counts.
        let c = HarvestConfig::default();
        let mut old = Tracker::<HarvestState>::new(c.window_secs, 1000);
        let ip: std::net::IpAddr = "192.0.2.40".parse().unwrap();
        let slot = old.entry(
            (ip, 7),
            ip,
            "vote.example.gov",
            haboob_model::Ts(1_000),
            &mut |_| {},
        );
        slot.st.requests = 42;
        let saved = crate::DetectorState::of(ID, &old).unwrap();
        let mut h = WebHarvest::new(&c, None, 10, 1000);
        h.restore(saved).unwrap();
        assert!(h.s.sites.is_empty());
        assert_eq!(h.s.t.len(), 1);
        let back = h.s.t.get_live(&(ip, 7), haboob_model::Ts(2_000)).unwrap();
        assert_eq!(back.st.requests, 42);
        // The current form round-trips with its site counts.
        h.s.sites.entry(7).or_default().crossed(1);
        let mut h2 = WebHarvest::new(&c, None, 10, 1000);
        h2.restore(h.save().unwrap()).unwrap();
        assert_eq!(h2.s.sites[&7].visitors(), 1);
        // Anything else is an error that names the rule.
        let junk = crate::DetectorState::of(ID, &"junk").unwrap();
        assert!(h2.restore(junk).unwrap_err().to_string().contains(ID));
    }

    #[test]
    fn a_recycled_state_is_a_new_one_with_its_small_record_set_kept() {
        let mut st = HarvestState {
            requests: 9,
            sum: 7.0,
            ceiling: Some(80),
            crawler: true,
            ..HarvestState::default()
        };
        st.records.extend([1, 2, 3]);
        st.recycle();
        let saved = |s: &HarvestState| crate::DetectorState::of(ID, s).unwrap();
        assert_eq!(saved(&st), saved(&HarvestState::default()));
        assert!(st.records.capacity() >= 3);
        st.records.extend(0..10_000);
        st.recycle();
        assert_eq!(st.records.capacity(), 0, "a large set is not kept");
    }

    #[test]
    fn identifiers() {
        assert_eq!(identifier(b"12345"), Some(12345));
        assert_eq!(identifier(b"v00012345"), Some(12345));
        assert_eq!(identifier(b"page2"), None);
        assert_eq!(identifier(b"results"), None);
        assert_eq!(identifier(b"a.b"), None);
        assert_eq!(identifier(b""), None);
    }
}
