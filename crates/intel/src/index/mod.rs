//! Matching at ingest speed: [`IntelIndex`] answers "which indicators match
//! this event" with a few hash probes per field.
//!
//! - addresses and networks: a bitmap of the /24s (top 24 bits) any
//!   indicator covers answers most misses in one probe; then, per prefix
//!   length present, a hash map of the masked address (one probe per
//!   length present, longest first);
//! - plain lists are held compact (one provenance per list, values in one
//!   arena) and numbered after the other indicators; their [`Indicator`]s
//!   are made when asked for ([`IntelIndex::indicator`]);
//! - domains: the label-suffix walk (`a.b.evil.example` probes itself,
//!   `b.evil.example`, `evil.example`, `example`), so a sub-domain of a
//!   listed domain matches and a parent never does;
//! - URLs: by host, then path prefix;
//! - user agents, accounts, e-mail addresses, hashes: exact (accounts,
//!   e-mail addresses and hashes case-folded);
//! - STIX patterns that are more than an `OR` of equalities: looked up by
//!   their anchors and evaluated by the pattern module ([`patterns`]:
//!   stateless ones here, stateful ones with the caller's
//!   [`PatternStates`]); patterns logs cannot answer, that do not parse, or
//!   without an anchor beyond [`patterns::MAX_UNANCHORED`] are listed in the
//!   [`BuildReport`] as unsupported, never silently dropped.
//!
//! An indicator matches only at a time within its validity
//! (`valid_from` ≤ ts ≤ `valid_until`).

mod build;
mod lists;
pub mod patterns;
mod postings;
mod walk;

use crate::sources::list::ListBatch;
use crate::sources::value::{url_host, url_path};
use crate::{HashAlgo, Indicator, IndicatorCondition, IntelHit, IntelLookup, Observable, Observed};
use build::{by_length, LenSet};
use haboob_model::Ts;
pub use patterns::{PatternHit, PatternStateError, PatternStates, SavedPatternStates};
use postings::{Postings, Top24};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Most bytes of a matched value kept in a hit.
pub const MAX_MATCHED_BYTES: usize = 256;

/// How to build an index.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Leave out indicators that expired before this time (they could never
    /// match events after it). `None` keeps every indicator.
    pub drop_expired_before: Option<Ts>,
}

/// What a build did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildReport {
    /// Indicators indexed.
    pub indicators: usize,
    /// Values indexed per kind (`ip`, `cidr`, `domain`, …).
    pub by_kind: BTreeMap<String, u64>,
    /// Indicators left out because they expired before
    /// [`BuildOptions::drop_expired_before`].
    pub expired: usize,
    /// Indicators that were loaded twice (same id): the later one is kept.
    pub duplicates: usize,
    /// Indicators that cannot be evaluated on logs: (id, reason).
    pub unsupported: Vec<(String, String)>,
}

/// Loaded indicators, indexed for lookup. Immutable once built; shared by
/// every detection lane (`Arc<IntelIndex>`).
#[derive(Debug, Default)]
pub struct IntelIndex {
    indicators: Vec<Indicator>,
    /// Plain lists, numbered after `indicators`.
    lists: lists::Lists,
    v4: Vec<(u8, Postings<u32>)>,
    v6: Vec<(u8, Postings<u128>)>,
    /// The /24s (top 24 bits) `v4` and `v6` cover.
    v4_top: Top24,
    v6_top: Top24,
    domains: Postings<Box<str>>,
    url_hosts: Postings<Box<str>>,
    /// URL entries: (indicator, path prefix).
    urls: Vec<(u32, Box<str>)>,
    user_agents: Postings<Box<str>>,
    /// The lengths of the listed user agents (most of a log's are not).
    ua_lens: LenSet,
    accounts: Postings<Box<str>>,
    emails: Postings<Box<str>>,
    hashes: [Postings<Box<str>>; 4],
    /// STIX patterns evaluated on events.
    patterns: patterns::PatternSet,
}

fn algo_slot(a: HashAlgo) -> usize {
    match a {
        HashAlgo::Md5 => 0,
        HashAlgo::Sha1 => 1,
        HashAlgo::Sha256 => 2,
        HashAlgo::Sha512 => 3,
    }
}

fn lower(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

#[derive(Default)]
pub(crate) struct Pairs {
    v4: BTreeMap<u8, Vec<(u32, u32)>>,
    v6: BTreeMap<u8, Vec<(u128, u32)>>,
    domains: Vec<(Box<str>, u32)>,
    url_hosts: Vec<(Box<str>, u32)>,
    urls: Vec<(u32, Box<str>)>,
    user_agents: Vec<(Box<str>, u32)>,
    accounts: Vec<(Box<str>, u32)>,
    emails: Vec<(Box<str>, u32)>,
    hashes: [Vec<(Box<str>, u32)>; 4],
}

impl IntelIndex {
    /// Index `indicators`. A later indicator with the id of an earlier one
    /// replaces it.
    pub fn build(indicators: Vec<Indicator>, opts: &BuildOptions) -> (IntelIndex, BuildReport) {
        Self::build_with_lists(indicators, Vec::new(), opts)
    }

    /// [`IntelIndex::build`] with plain lists kept compact
    /// ([`crate::sources::load_for_index`]): the same matches and hits as
    /// building their indicators ([`ListBatch::into_indicators`]) after
    /// `indicators`, in a fraction of the time and memory. A list value
    /// replaces an indicator of `indicators` with its id (a stored copy).
    pub fn build_with_lists(
        indicators: Vec<Indicator>,
        lists: Vec<ListBatch>,
        opts: &BuildOptions,
    ) -> (IntelIndex, BuildReport) {
        let shadowed = lists::Lists::shadowed(&indicators, &lists);
        let mut report = BuildReport::default();
        let mut inds = Vec::with_capacity(indicators.len());
        for ind in indicators {
            if let (Some(cut), Some(until)) = (opts.drop_expired_before, ind.valid_until) {
                if until < cut {
                    report.expired += 1;
                    continue;
                }
            }
            inds.push(ind);
        }
        // Last one of an id wins.
        let keep: Vec<bool> = {
            let mut last: std::collections::HashMap<&str, usize, postings::Fx> =
                std::collections::HashMap::default();
            last.reserve(inds.len());
            for (i, ind) in inds.iter().enumerate() {
                last.insert(ind.id.as_str(), i);
            }
            inds.iter()
                .enumerate()
                .map(|(i, ind)| {
                    last.get(ind.id.as_str()) == Some(&i) && !shadowed.contains(&ind.id)
                })
                .collect()
        };
        report.duplicates = keep.iter().filter(|k| !**k).count();
        let kept = inds.into_iter().zip(keep).map(|(ind, k)| k.then_some(ind));
        let mut list = Vec::new();
        let mut p = Pairs::default();
        let mut pats = Vec::new();
        let mut unanchored = 0;
        for ind in kept.into_iter().flatten() {
            let n = list.len() as u32;
            let mut index_any = |obs: &[Observable], report: &mut BuildReport| {
                for o in obs {
                    *report
                        .by_kind
                        .entry(crate::sources::kind_of(o).to_string())
                        .or_default() += 1;
                    add(&mut p, o, n);
                }
            };
            match &ind.condition {
                IndicatorCondition::Any(obs) => index_any(obs, &mut report),
                IndicatorCondition::Pattern(text) => match patterns::prepare(text) {
                    Ok(patterns::Prepared::Any(obs)) => index_any(&obs, &mut report),
                    Ok(patterns::Prepared::Eval(pattern, anchors)) => {
                        if anchors.is_none() {
                            if unanchored >= patterns::MAX_UNANCHORED {
                                report.unsupported.push((
                                    ind.id.clone(),
                                    format!("no anchor: the pattern has no value to look it up by, and {} patterns without one are already evaluated on every event", patterns::MAX_UNANCHORED),
                                ));
                                continue;
                            }
                            unanchored += 1;
                        }
                        *report.by_kind.entry("pattern".into()).or_default() += 1;
                        pats.push((n, pattern, anchors));
                    }
                    Err(reason) => {
                        report.unsupported.push((ind.id.clone(), reason));
                        continue;
                    }
                },
            }
            list.push(ind);
        }
        let lists = lists::Lists::build(lists, list.len() as u32, opts, &mut report, &mut p);
        report.indicators = list.len() + lists.len();
        let idx = Self::assemble(list, lists, p, pats);
        tracing::debug!(
            indicators = report.indicators,
            v4_lengths = idx.v4.len(),
            v6_lengths = idx.v6.len(),
            "Intel index built."
        );
        (idx, report)
    }

    /// The index from its parts: every kind's postings (and the address
    /// bitmaps, the pattern set) built at once on the rayon pool. Each part
    /// is built from its own pairs alone, so the result is the same on any
    /// number of threads.
    fn assemble(
        indicators: Vec<Indicator>,
        lists: lists::Lists,
        p: Pairs,
        pats: Vec<(u32, crate::pattern::Pattern, Option<Vec<Observable>>)>,
    ) -> IntelIndex {
        let Pairs {
            v4,
            v6,
            domains,
            url_hosts,
            urls,
            user_agents,
            accounts,
            emails,
            hashes,
        } = p;
        let mut idx = IntelIndex {
            indicators,
            lists,
            urls,
            ..IntelIndex::default()
        };
        let IntelIndex {
            v4: v4_out,
            v6: v6_out,
            v4_top,
            v6_top,
            domains: domains_out,
            url_hosts: url_hosts_out,
            user_agents: ua_out,
            ua_lens,
            accounts: accounts_out,
            emails: emails_out,
            hashes: hashes_out,
            patterns: patterns_out,
            ..
        } = &mut idx;
        rayon::scope(|s| {
            s.spawn(|_| {
                *v4_top = Top24::build(
                    v4.iter()
                        .flat_map(|(l, v)| v.iter().map(move |(a, _)| (a >> 8, *l))),
                );
                *v4_out = by_length(v4, Postings::build_u32);
            });
            s.spawn(|_| {
                *v6_top = Top24::build(
                    v6.iter()
                        .flat_map(|(l, v)| v.iter().map(move |(a, _)| ((a >> 104) as u32, *l))),
                );
                *v6_out = by_length(v6, Postings::build);
            });
            s.spawn(|_| *domains_out = Postings::build_hashed(domains));
            s.spawn(|_| *url_hosts_out = Postings::build_hashed(url_hosts));
            s.spawn(|_| {
                *ua_lens = LenSet::build(user_agents.iter().map(|(u, _)| u.len()));
                *ua_out = Postings::build_hashed(user_agents);
            });
            s.spawn(|_| *accounts_out = Postings::build_hashed(accounts));
            s.spawn(|_| *emails_out = Postings::build_hashed(emails));
            for (out, pairs) in hashes_out.iter_mut().zip(hashes) {
                if !pairs.is_empty() {
                    s.spawn(move |_| *out = Postings::build_hashed(pairs));
                }
            }
            s.spawn(|_| *patterns_out = patterns::PatternSet::build(pats));
        });
        idx
    }

    /// Indicators indexed.
    pub fn len(&self) -> usize {
        self.indicators.len() + self.lists.len()
    }

    /// Whether no indicator is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Indicator number `i` (numbers run from 0 to [`IntelIndex::len`]).
    /// Values of plain lists are made on demand (hence the `Cow`).
    pub fn indicator(&self, i: u32) -> Option<Cow<'_, Indicator>> {
        match self.indicators.get(i as usize) {
            Some(ind) => Some(Cow::Borrowed(ind)),
            None => self.lists.indicator(i).map(Cow::Owned),
        }
    }

    /// The id of indicator number `i` (cheaper than
    /// [`IntelIndex::indicator`] for a value of a plain list).
    pub fn indicator_id(&self, i: u32) -> Option<Cow<'_, str>> {
        match self.indicators.get(i as usize) {
            Some(ind) => Some(Cow::Borrowed(ind.id.as_str())),
            None => self.lists.id(i).map(Cow::Owned),
        }
    }

    /// Indicators valid at `ts` whose address or network holds `ip`.
    /// Returns whether any indicator holds `ip` at any time: when it is
    /// false, the answer is the same at every time (callers may cache it).
    #[inline]
    pub fn ip_ids(&self, ip: IpAddr, ts: Ts, out: &mut Vec<u32>) -> bool {
        let mut any = false;
        match haboob_model::canonical_ip(ip) {
            IpAddr::V4(a) => {
                let a = u32::from(a);
                if !self.v4_top.maybe(a >> 8) {
                    return false;
                }
                for (len, p) in &self.v4 {
                    let mask = u32::MAX.checked_shl(32 - u32::from(*len)).unwrap_or(0);
                    any |= self.valid(p.get(&(a & mask)), ts, out);
                }
            }
            IpAddr::V6(a) => {
                let a = u128::from(a);
                if !self.v6_top.maybe((a >> 104) as u32) {
                    return false;
                }
                for (len, p) in &self.v6 {
                    let mask = u128::MAX.checked_shl(128 - u32::from(*len)).unwrap_or(0);
                    any |= self.valid(p.get(&(a & mask)), ts, out);
                }
            }
        }
        any
    }

    /// Indicators valid at `ts` listing `domain` or a parent of it.
    pub fn domain_ids(&self, domain: &str, ts: Ts, out: &mut Vec<u32>) {
        if self.domains.is_empty() || domain.is_empty() {
            return;
        }
        let d = lower(domain.trim_end_matches('.'));
        let mut rest: &str = &d;
        loop {
            self.valid(self.domains.get(rest), ts, out);
            match rest.find('.') {
                Some(i) => rest = &rest[i + 1..],
                None => break,
            }
        }
    }

    /// Indicators valid at `ts` whose URL has host `host` and a path that
    /// `path` (path and query as requested) starts with.
    pub fn url_ids(&self, host: &str, path: &str, ts: Ts, out: &mut Vec<u32>) {
        self.url_parts_ids(host, path, "", ts, out);
    }

    /// [`IntelIndex::url_ids`] with the path and the query (without `?`)
    /// apart, as access logs give them.
    pub fn url_parts_ids(&self, host: &str, path: &str, query: &str, ts: Ts, out: &mut Vec<u32>) {
        if self.url_hosts.is_empty() || host.is_empty() {
            return;
        }
        let h = lower(host);
        for &u in self.url_hosts.get(h.as_ref()) {
            let (n, prefix) = &self.urls[u as usize];
            let prefix: &str = prefix;
            let hit = path.starts_with(prefix)
                || prefix == "/"
                || prefix.strip_prefix(path).is_some_and(|rest| {
                    rest.strip_prefix('?').is_some_and(|q| query.starts_with(q))
                });
            if hit {
                self.valid(std::slice::from_ref(n), ts, out);
            }
        }
    }

    /// Whether any URL indicator has host `host` (callers may remember a
    /// host that has none and skip its requests).
    pub fn url_host_listed(&self, host: &str) -> bool {
        !self.url_hosts.is_empty() && !self.url_hosts.get(lower(host).as_ref()).is_empty()
    }

    /// Indicators valid at `ts` listing this user agent exactly.
    #[inline]
    pub fn user_agent_ids(&self, ua: &str, ts: Ts, out: &mut Vec<u32>) {
        if !ua.is_empty() && self.ua_lens.maybe(ua.len()) {
            self.valid(self.user_agents.get(ua), ts, out);
        }
    }

    /// Indicators valid at `ts` listing this account (case-folded).
    pub fn account_ids(&self, account: &str, ts: Ts, out: &mut Vec<u32>) {
        if !self.accounts.is_empty() && !account.is_empty() {
            self.valid(self.accounts.get(lower(account).as_ref()), ts, out);
        }
    }

    /// Indicators valid at `ts` listing this e-mail address (case-folded).
    pub fn email_ids(&self, email: &str, ts: Ts, out: &mut Vec<u32>) {
        if !self.emails.is_empty() && !email.is_empty() {
            self.valid(self.emails.get(lower(email).as_ref()), ts, out);
        }
    }

    /// Indicators valid at `ts` listing this hash.
    pub fn hash_ids(&self, algo: HashAlgo, hex: &str, ts: Ts, out: &mut Vec<u32>) {
        let p = &self.hashes[algo_slot(algo)];
        if !p.is_empty() {
            self.valid(p.get(lower(hex).as_ref()), ts, out);
        }
    }

    /// Whether any URL, user-agent, account or e-mail indicator is loaded
    /// (callers may skip those fields otherwise).
    pub fn has(&self) -> Has {
        Has {
            ip: !self.v4.is_empty() || !self.v6.is_empty(),
            domain: !self.domains.is_empty(),
            url: !self.url_hosts.is_empty(),
            user_agent: !self.user_agents.is_empty(),
            account: !self.accounts.is_empty() || !self.emails.is_empty(),
        }
    }

    /// Push the ids valid at `ts`; whether there were any ids at all.
    #[inline]
    fn valid(&self, ids: &[u32], ts: Ts, out: &mut Vec<u32>) -> bool {
        for &i in ids {
            let valid = match self.indicators.get(i as usize) {
                Some(ind) => {
                    !(ind.valid_from.is_some_and(|f| ts < f)
                        || ind.valid_until.is_some_and(|u| ts > u))
                }
                None => self.lists.valid_at(i, ts),
            };
            if !valid {
                continue;
            }
            if !out.contains(&i) {
                out.push(i);
            }
        }
        !ids.is_empty()
    }

    /// The hit of indicator `i` for `matched` seen in `field`.
    pub fn hit(&self, i: u32, field: &str, matched: &str) -> Option<IntelHit> {
        let ind = self.indicator(i)?.into_owned();
        Some(IntelHit {
            indicator: ind.id,
            name: ind.name,
            matched: haboob_model::bounded(matched, MAX_MATCHED_BYTES).to_string(),
            field: field.to_string(),
            source: ind.provenance.source,
            confidence: ind.provenance.confidence,
            tlp: ind.provenance.tlp,
            actors: ind.actors,
            labels: ind.labels,
        })
    }
}

/// Which kinds of value an index holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Has {
    /// Addresses or networks.
    pub ip: bool,
    /// Domains.
    pub domain: bool,
    /// URLs.
    pub url: bool,
    /// User agents.
    pub user_agent: bool,
    /// Accounts or e-mail addresses.
    pub account: bool,
}

fn add(p: &mut Pairs, o: &Observable, n: u32) {
    match o {
        Observable::Ip(net) => match net.trunc() {
            ipnet::IpNet::V4(v) => {
                p.v4.entry(v.prefix_len())
                    .or_default()
                    .push((u32::from(v.network()), n))
            }
            ipnet::IpNet::V6(v) => {
                p.v6.entry(v.prefix_len())
                    .or_default()
                    .push((u128::from(v.network()), n))
            }
        },
        Observable::Domain(d) => p.domains.push((d.to_ascii_lowercase().into(), n)),
        Observable::Url(u) => {
            if let Some(h) = url_host(u) {
                let e = p.urls.len() as u32;
                p.urls.push((n, url_path(u).into()));
                p.url_hosts.push((h.to_ascii_lowercase().into(), e));
            }
        }
        Observable::UserAgent(u) => p.user_agents.push((u.as_str().into(), n)),
        Observable::Account(a) => p.accounts.push((a.to_ascii_lowercase().into(), n)),
        Observable::Email(e) => p.emails.push((e.to_ascii_lowercase().into(), n)),
        Observable::Hash(a, h) => p.hashes[algo_slot(*a)].push((h.to_ascii_lowercase().into(), n)),
    }
}

/// [`add`] taking the observable: its text moves into the index (values
/// of plain lists are normalised already; case is folded if not).
pub(crate) fn add_owned(p: &mut Pairs, o: Observable, n: u32) {
    fn lower(s: String) -> Box<str> {
        if s.bytes().any(|b| b.is_ascii_uppercase()) {
            s.to_ascii_lowercase().into()
        } else {
            s.into()
        }
    }
    match o {
        Observable::Domain(d) => p.domains.push((lower(d), n)),
        Observable::UserAgent(u) => p.user_agents.push((u.into(), n)),
        Observable::Email(e) => p.emails.push((lower(e), n)),
        Observable::Account(a) => p.accounts.push((lower(a), n)),
        Observable::Hash(a, h) => p.hashes[algo_slot(a)].push((lower(h), n)),
        o @ (Observable::Ip(_) | Observable::Url(_)) => add(p, &o, n),
    }
}

impl IntelLookup for IntelIndex {
    fn lookup(&self, obs: &Observed<'_>, ts: Ts, out: &mut Vec<IntelHit>) {
        let mut ids = Vec::new();
        self.walk(obs, ts, &mut ids, |field, v, ids| {
            let v = v.text();
            for &i in ids {
                let Some(id) = self.indicator_id(i) else {
                    continue;
                };
                if out.iter().any(|h| h.indicator == id) {
                    continue;
                }
                out.extend(self.hit(i, field, &v));
            }
        });
        if self.has_patterns() {
            // Stateless patterns only: this lookup keeps no state.
            let mut hits = Vec::new();
            self.pattern_matches(obs, ts, None, &mut hits);
            for h in hits {
                let Some(ind) = self.indicator(h.indicator) else {
                    continue;
                };
                if !out.iter().any(|x| x.indicator == ind.id) {
                    out.extend(self.hit(h.indicator, "pattern", &h.matched));
                }
            }
        }
    }

    fn is_empty(&self) -> bool {
        IntelIndex::is_empty(self)
    }
}

#[cfg(test)]
mod tests;
