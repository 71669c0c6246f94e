//! `web.sweep`'s second shape: one wordlist walked from several addresses.
//!
//! **What it detects.** Sources that each ask one site for the same first
//! [`K`] missing names in the same order (requests answered 4xx, not static
//! assets, no referrer, not site metadata such as `robots.txt`), whatever
//! the names are: a tool walking its own wordlist from a new address each
//! time. Only light walks count: a source's walk ends after [`WALK_MS`]
//! idle, and counts when it asked at most [`MAX_LIGHT`] such requests
//! (below `web.scan`'s 10 distinct names): heavy scanners are reported by
//! the per-source rules, and unrelated actors running one public wordlist
//! in full are not made one. Once [`WordlistParams::min_sources`] light
//! addresses (3 by default) share one walk within 30 days, one alert
//! (medium) lists them all, the names and the time spread. The names may
//! belong to no known class, which is why this is its own shape.
//!
//! **Why it matters.** On a real site's logs (not in this repository) a
//! backup-folder finder walked `/wordpress`, `/wp`, `/bc`, `/bk`, … from
//! five addresses of one hosting network, one a day; another tool walked
//! `/form.html`, `/upl.php`, `/geoip/`, … from nine addresses over a week:
//! below every per-source bar, in no family of the fingerprint sweep.
//!
//! **Quiet on.** Browsers (their missing subresources carry a referrer),
//! crawler user agents, site metadata (`robots.txt`, `sitemap.xml`,
//! `ads.txt`, `security.txt`, `humans.txt`, `favicon`, `/.well-known/`),
//! fewer than [`K`] distinct names, and walks that differ in order.
//!
//! Memory is bounded: at most [`MAX_WALKS`] sources and [`MAX_GROUPS`]
//! walks are tracked, the longest idle dropped first; a source's walk
//! restarts after [`WALK_MS`] idle.

use crate::web::episode::bounded;
use crate::web::fxhash::{hash_bytes, FxBuild};
use crate::web::request::Req;
use haboob_model::{content_id, Alert, AlertSource, Origin, Severity, Ts, WebEvent};
use std::collections::HashMap;
use std::net::IpAddr;

/// Distinct missing names that make a walk.
pub(crate) const K: usize = 4;
/// Bytes of each name kept for the alert.
const NAME: usize = 48;
/// A source's walk ends after this long idle (ms).
const WALK_MS: i64 = 10 * 60 * 1000;
/// Most requests of a light walk.
pub(crate) const MAX_LIGHT: u16 = 9;
/// A shared walk ends this long after its last source completed it (ms).
const GROUP_MS: i64 = 30 * 24 * 3600 * 1000;
/// Sources whose walk is tracked at once.
pub(crate) const MAX_WALKS: usize = 1 << 16;
/// Shared walks tracked at once.
pub(crate) const MAX_GROUPS: usize = 1 << 14;
/// Events between sweeps for idle walks.
const SWEEP_EVERY: u32 = 4096;

/// Settings.
#[derive(Debug, Clone)]
pub(crate) struct WordlistParams {
    /// Sources sharing a walk that make an alert (0: off).
    pub min_sources: usize,
    /// Sources listed in the alert.
    pub max_members: usize,
    pub max_evidence: usize,
}

/// One source's first missing names on one site, in order (fixed size: no
/// allocation per source).
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
struct Walk {
    first: Ts,
    last: Ts,
    /// Requests of the walk (missing names, repeats included).
    n: u16,
    /// The shared walk it completed (0: not complete), and when.
    sig: u64,
    done: Ts,
    k: u8,
    hashes: [u64; K],
    #[serde(with = "names_serde")]
    names: [[u8; NAME]; K],
    lens: [u8; K],
}

mod names_serde {
    use super::{K, NAME};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &[[u8; NAME]; K], s: S) -> Result<S::Ok, S::Error> {
        v.iter()
            .map(|n| n.to_vec())
            .collect::<Vec<_>>()
            .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[[u8; NAME]; K], D::Error> {
        let v: Vec<Vec<u8>> = Vec::deserialize(d)?;
        let mut out = [[0u8; NAME]; K];
        for (o, n) in out.iter_mut().zip(v) {
            let l = n.len().min(NAME);
            o[..l].copy_from_slice(&n[..l]);
        }
        Ok(out)
    }
}

/// Sources that completed one walk.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Group {
    site: String,
    names: Vec<String>,
    /// Light sources whose walk ended, in that order (bounded).
    members: Vec<IpAddr>,
    /// Light walks ended in all (beyond the listed sources, an upper
    /// bound on distinct ones).
    total: u64,
    /// Heavy walks ended (not members).
    heavy: u64,
    first: Ts,
    last: Ts,
    /// When its first walk completed: walks completed before belong to
    /// an earlier shared walk of the same names, ended since.
    created: Ts,
    /// The line that completed each walk, by source (bounded); the
    /// members' are the alert's evidence.
    lines: Vec<(IpAddr, haboob_model::Evidence)>,
}

/// The tracker (owned by [`super::WebSweep`], saved with it).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Wordlists {
    /// Members listed per shared walk (from the settings).
    #[serde(skip)]
    cap: usize,
    walks: HashMap<(IpAddr, u64), Walk, FxBuild>,
    groups: HashMap<u64, Box<Group>, FxBuild>,
    since_sweep: u32,
    last_sweep: Option<Ts>,
}

/// Site metadata everyone asks for; never part of a walk.
fn metadata(path: &[u8]) -> bool {
    const NAMES: &[&[u8]] = &[
        b"/robots.txt",
        b"/ads.txt",
        b"/app-ads.txt",
        b"/security.txt",
        b"/humans.txt",
        b"/crossdomain.xml",
        b"/browserconfig.xml",
        b"/manifest.json",
        b"/site.webmanifest",
        b"/apple-app-site-association",
    ];
    path.starts_with(b"/.well-known/")
        || path.starts_with(b"/favicon")
        || path.starts_with(b"/apple-touch-icon")
        || (path.starts_with(b"/sitemap") && path.ends_with(b".xml"))
        || NAMES.contains(&path)
}

impl Wordlists {
    /// Whether `w` may be a step of a walk: missing, not an asset, no
    /// referrer, a path (not protocol junk such as a TLS handshake sent in
    /// clear, which any scanner sends), not site metadata.
    #[inline]
    pub(crate) fn takes(w: &WebEvent<'_>, req: &Req) -> bool {
        w.status_class() == 4
            && w.status != 429
            && !req.is_static
            && matches!(w.referrer.trim(), "" | "-")
            && req.path().first() == Some(&b'/')
            && !metadata(req.path())
    }

    /// One request that [`Wordlists::takes`]; `crawler`: whether its user
    /// agent is a crawler's (asked only when a walk completes).
    pub(crate) fn observe(
        &mut self,
        p: &WordlistParams,
        w: &WebEvent<'_>,
        req: &Req,
        o: &Origin<'_>,
        crawler: impl FnOnce() -> bool,
        out: &mut Vec<Alert>,
    ) {
        let now = w.ts;
        self.cap = p.max_members.max(p.min_sources);
        self.maintain(now, p, out);
        let key = (w.source_ip, req.site_hash);
        if !self.walks.contains_key(&key) && self.walks.len() >= MAX_WALKS {
            self.evict_walks();
        }
        if self
            .walks
            .get(&key)
            .is_some_and(|w| now.0.saturating_sub(w.last.0) > WALK_MS)
        {
            let old = self.walks.remove(&key).expect("present");
            self.close(key.0, old);
        }
        let walk = self.walks.entry(key).or_insert(Walk {
            first: now,
            last: now,
            n: 0,
            sig: 0,
            done: now,
            k: 0,
            hashes: [0; K],
            names: [[0; NAME]; K],
            lens: [0; K],
        });
        walk.last = walk.last.max(now);
        walk.n = walk.n.saturating_add(1);
        let k = usize::from(walk.k);
        if k >= K || walk.hashes[..k].contains(&req.path_hash) {
            return;
        }
        walk.hashes[k] = req.path_hash;
        let path = req.path();
        let l = path.len().min(NAME);
        walk.names[k][..l].copy_from_slice(&path[..l]);
        walk.lens[k] = l as u8;
        walk.k += 1;
        if usize::from(walk.k) < K || crawler() {
            return;
        }
        let mut b = [0u8; 8 * (K + 1)];
        b[..8].copy_from_slice(&req.site_hash.to_le_bytes());
        for (i, h) in walk.hashes.iter().enumerate() {
            b[8 * (i + 1)..8 * (i + 2)].copy_from_slice(&h.to_le_bytes());
        }
        // 0 means "not complete".
        let sig = hash_bytes(&b).max(1);
        walk.sig = sig;
        walk.done = now;
        let walk = *walk;
        if let Some(g) = self.groups.get(&sig) {
            if now.0.saturating_sub(g.last.0) > GROUP_MS {
                self.end(vec![sig], p, out);
            }
        }
        if !self.groups.contains_key(&sig) && self.groups.len() >= MAX_GROUPS {
            self.evict_groups(p, out);
        }
        let g = self.groups.entry(sig).or_insert_with(|| {
            Box::new(Group {
                site: haboob_model::bounded(w.site, 255).to_string(),
                names: (0..K)
                    .map(|i| {
                        bounded(&String::from_utf8_lossy(
                            &walk.names[i][..usize::from(walk.lens[i])],
                        ))
                    })
                    .collect(),
                members: Vec::new(),
                total: 0,
                heavy: 0,
                first: walk.first,
                last: now,
                created: now,
                lines: Vec::new(),
            })
        });
        g.last = g.last.max(now);
        let cap = p.max_members.max(p.min_sources);
        if g.lines.len() < cap && !g.lines.iter().any(|(ip, _)| *ip == w.source_ip) {
            g.lines
                .push((w.source_ip, haboob_model::Evidence::from_origin(o)));
        }
    }

    /// A source's walk ended: a complete, light one joins its shared walk.
    fn close(&mut self, ip: IpAddr, walk: Walk) {
        if walk.sig == 0 {
            return;
        }
        let Some(g) = self
            .groups
            .get_mut(&walk.sig)
            .filter(|g| walk.done >= g.created)
        else {
            return;
        };
        if walk.n > MAX_LIGHT {
            g.heavy += 1;
            return;
        }
        g.first = g.first.min(walk.first);
        g.last = g.last.max(walk.last);
        if g.members.contains(&ip) {
            return;
        }
        g.total += 1;
        if g.members.len() < self.cap {
            g.members.push(ip);
        }
    }

    /// End the walks of `keys` (in time order, then by key: the same
    /// order at any thread count).
    fn close_all(&mut self, keys: Vec<(IpAddr, u64)>) {
        let mut ended: Vec<((IpAddr, u64), Walk)> = keys
            .into_iter()
            .filter_map(|k| self.walks.remove(&k).map(|w| (k, w)))
            .collect();
        ended.sort_by_key(|(k, w)| (w.last, *k));
        for (k, w) in ended {
            self.close(k.0, w);
        }
    }

    /// Every few thousand events, or when time moved on by more than a
    /// walk's idle time: end idle walks, end shared walks over.
    fn maintain(&mut self, now: Ts, p: &WordlistParams, out: &mut Vec<Alert>) {
        self.since_sweep += 1;
        let last = *self.last_sweep.get_or_insert(now);
        if self.since_sweep < SWEEP_EVERY && now.0.saturating_sub(last.0) <= WALK_MS {
            return;
        }
        self.since_sweep = 0;
        self.last_sweep = Some(now);
        let idle: Vec<(IpAddr, u64)> = self
            .walks
            .iter()
            .filter(|(_, w)| now.0.saturating_sub(w.last.0) > WALK_MS)
            .map(|(k, _)| *k)
            .collect();
        self.close_all(idle);
        let over: Vec<u64> = self
            .groups
            .iter()
            .filter(|(_, g)| now.0.saturating_sub(g.last.0) > GROUP_MS)
            .map(|(k, _)| *k)
            .collect();
        self.end(over, p, out);
    }

    /// Cap reached: end the longest-idle eighth of the walks.
    fn evict_walks(&mut self) {
        let mut lasts: Vec<(Ts, (IpAddr, u64))> =
            self.walks.iter().map(|(k, w)| (w.last, *k)).collect();
        let n = (lasts.len() / 8).max(1);
        lasts.select_nth_unstable(n - 1);
        self.close_all(lasts[..n].iter().map(|(_, k)| *k).collect());
    }

    /// Cap reached: end the longest-idle eighth of the shared walks.
    fn evict_groups(&mut self, p: &WordlistParams, out: &mut Vec<Alert>) {
        let mut lasts: Vec<(Ts, u64)> = self.groups.iter().map(|(k, g)| (g.last, *k)).collect();
        let n = (lasts.len() / 8).max(1);
        lasts.select_nth_unstable(n - 1);
        let keys = lasts[..n].iter().map(|(_, k)| *k).collect();
        self.end(keys, p, out);
    }

    /// End these shared walks: those of enough sources are reported
    /// (oldest first).
    fn end(&mut self, keys: Vec<u64>, p: &WordlistParams, out: &mut Vec<Alert>) {
        let mut gone: Vec<(u64, Box<Group>)> = keys
            .into_iter()
            .filter_map(|k| self.groups.remove(&k).map(|g| (k, g)))
            .filter(|(_, g)| p.min_sources > 0 && g.total >= p.min_sources as u64)
            .collect();
        gone.sort_by_key(|(k, g)| (g.first, *k));
        out.extend(gone.iter().map(|(_, g)| alert(g, p.max_evidence)));
    }

    /// Sources whose walk is tracked.
    #[cfg(test)]
    pub(crate) fn walks(&self) -> usize {
        self.walks.len()
    }

    /// The end of the input: every shared walk ends.
    pub(crate) fn finish(&mut self, p: &WordlistParams, out: &mut Vec<Alert>) {
        self.cap = p.max_members.max(p.min_sources);
        let walks: Vec<(IpAddr, u64)> = self.walks.keys().copied().collect();
        self.close_all(walks);
        let keys: Vec<u64> = self.groups.keys().copied().collect();
        self.end(keys, p, out);
        self.walks = HashMap::with_hasher(FxBuild);
    }
}

fn days(ms: i64) -> String {
    let d = ms as f64 / 86_400_000.0;
    if d >= 1.0 {
        format!("{d:.1} days")
    } else {
        format!("{:.1} h", ms as f64 / 3_600_000.0)
    }
}

/// The alert of one shared walk.
fn alert(g: &Group, max_evidence: usize) -> Alert {
    let mut members = g.members.clone();
    members.sort();
    let spread = g.last.0.saturating_sub(g.first.0);
    let on = if g.site.is_empty() {
        String::new()
    } else {
        format!(" on {}", g.site)
    };
    let title = format!(
        "One wordlist walked{on} from {} addresses over {}: {} …",
        g.total,
        days(spread),
        g.names.join(", ")
    );
    let mut d = haboob_model::Details::new();
    d.insert("shape".into(), "wordlist".into());
    d.insert("wordlist".into(), g.names.clone().into());
    d.insert("sources_total".into(), g.total.into());
    d.insert("sources_listed".into(), (members.len() as u64).into());
    d.insert("heavy_sources_not_counted".into(), g.heavy.into());
    d.insert("max_requests_per_source".into(), MAX_LIGHT.into());
    d.insert("time_spread_secs".into(), (spread / 1000).into());
    let names = g.names.join(" ");
    Alert {
        id: content_id(
            "al",
            &[super::ID, "wordlist", &names, &g.site, &g.first.to_string()],
        ),
        detector: super::ID.to_string(),
        title,
        techniques: super::TECHNIQUES.iter().map(|t| t.to_string()).collect(),
        severity: Severity::Medium,
        source: AlertSource {
            ip: members.first().copied(),
            prefix: None,
            members,
        },
        target: g.site.clone(),
        user: None,
        first_seen: g.first,
        last_seen: g.last,
        count: g.total * K as u64,
        details: d,
        evidence: g
            .lines
            .iter()
            .filter(|(ip, _)| g.members.contains(ip))
            .take(max_evidence)
            .map(|(_, e)| e.clone())
            .collect(),
    }
}
