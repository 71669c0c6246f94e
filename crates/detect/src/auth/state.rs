//! Bounded per-source and per-account state fed by [`super::AuthDetector`].

use haboob_model::{AuthEvent, AuthOutcome, Evidence, FailureClass, Origin};
use std::collections::HashMap;
use std::net::IpAddr;

/// What one attempt answered, as far as the funnel cares.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub(crate) enum Kind {
    /// Signed in.
    Success,
    /// No such account.
    Unknown,
    /// Wrong password for an existing account.
    BadPassword,
    /// Account locked.
    Locked,
    /// Password accepted, MFA challenge issued.
    MfaRequired,
    /// MFA denied.
    MfaDenied,
    /// Disabled or expired account (exists).
    Inactive,
    /// Any other failure (existence not revealed).
    Other,
}

impl Kind {
    pub(crate) fn of(ev: &AuthEvent<'_>) -> Kind {
        match (ev.outcome, ev.failure) {
            (AuthOutcome::Success, _) => Kind::Success,
            (AuthOutcome::Challenge, Some(FailureClass::MfaDenied)) => Kind::MfaDenied,
            (AuthOutcome::Challenge, _) => Kind::MfaRequired,
            (AuthOutcome::Failure, Some(f)) => match f {
                FailureClass::UnknownUser => Kind::Unknown,
                FailureClass::BadPassword => Kind::BadPassword,
                FailureClass::LockedOut => Kind::Locked,
                FailureClass::MfaRequired => Kind::MfaRequired,
                FailureClass::MfaDenied => Kind::MfaDenied,
                FailureClass::Disabled | FailureClass::Expired => Kind::Inactive,
                FailureClass::Other => Kind::Other,
            },
            (AuthOutcome::Failure, None) => Kind::Other,
            // Handled before this by the explicit-credential tracker, and
            // probes never reach the account state (see `observe`).
            (AuthOutcome::Attempt | AuthOutcome::Probe, _) => Kind::Other,
        }
    }
    /// The answer reveals that the account exists.
    pub(crate) fn confirms(self) -> bool {
        !matches!(self, Kind::Unknown | Kind::Other)
    }
    /// A failed password-stage answer for an existing account.
    pub(crate) fn password_failure(self) -> bool {
        matches!(self, Kind::BadPassword | Kind::Locked | Kind::Inactive)
    }
    /// An MFA prompt or denial.
    pub(crate) fn mfa_prompt(self) -> bool {
        matches!(self, Kind::MfaRequired | Kind::MfaDenied)
    }
}

/// One attempt by a source: 16 bytes.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub(crate) struct Touch {
    /// Event time, ms.
    pub ts: i64,
    /// Interned account.
    pub user: u32,
    /// Answer.
    pub kind: Kind,
    /// Low 16 bits of the interned client string (for "one client" checks).
    pub client: u16,
}

/// Everything kept per source address (~64 bytes plus its touches).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct SourceState {
    pub last: i64,
    pub touches: Vec<Touch>,
    /// Attempts past `max_touches_per_source`, only counted.
    pub dropped: u32,
    /// Failures seen (all kinds but success).
    pub failures: u32,
    /// Interned client string of the first attempt.
    pub client: u32,
    /// Autonomous system number, when the log records one.
    pub asn: Option<u32>,
    /// More than one client string was seen.
    pub client_varied: bool,
}

/// Sentinel id for text past an interner's cap.
pub(crate) const OVERFLOW: u32 = u32::MAX;

/// A capped string interner (attacker text is bounded by the caller).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Interner {
    map: HashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
    cap: usize,
    /// Lookups refused because the cap was reached.
    pub overflow: u64,
}

impl Interner {
    pub(crate) fn new(cap: usize) -> Interner {
        Interner {
            cap,
            ..Interner::default()
        }
    }
    pub(crate) fn get_or_insert(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.map.get(s) {
            return id;
        }
        if self.names.len() >= self.cap {
            self.overflow += 1;
            return OVERFLOW;
        }
        let id = self.names.len() as u32;
        self.map.insert(s.into(), id);
        self.names.push(s.into());
        id
    }
    pub(crate) fn name(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("", |s| s)
    }
    /// Approximate heap bytes.
    pub(crate) fn bytes(&self) -> usize {
        let strings: usize = self.names.iter().map(|s| 2 * s.len()).sum();
        strings
            + self.map.capacity() * (std::mem::size_of::<(Box<str>, u32)>() + 1)
            + self.names.capacity() * std::mem::size_of::<Box<str>>()
    }
}

/// Cut attacker text to at most `max` bytes on a character boundary.
pub(crate) use haboob_model::bounded;

/// One kept evidence line.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct EvItem {
    pub ts: i64,
    pub user: u32,
    pub kind: Kind,
    pub ev: Evidence,
}

/// Evidence kept for one source: the first failures and the first successes.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct SourceEvidence {
    pub items: Vec<EvItem>,
    successes: usize,
}

impl SourceEvidence {
    /// Keep the line if there is room: `max` failures and `max` successes.
    pub(crate) fn offer(&mut self, max: usize, t: Touch, origin: &Origin<'_>) {
        let success = t.kind == Kind::Success;
        let failures = self.items.len() - self.successes;
        if (success && self.successes >= max) || (!success && failures >= max) {
            return;
        }
        self.successes += usize::from(success);
        self.items.push(EvItem {
            ts: t.ts,
            user: t.user,
            kind: t.kind,
            ev: Evidence::from_origin(origin),
        });
    }
}

/// Shards of a [`SourceMap`] (a power of two).
const SHARDS: usize = 64;

/// Per-source state split over [`SHARDS`] hash tables by address. A single
/// table holding ten million sources would, while growing, briefly hold its
/// old and new bucket arrays (about 2 GB together); shards grow one at a
/// time, so that transient is a sixty-fourth of it.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct SourceMap {
    shards: Vec<HashMap<IpAddr, SourceState>>,
}

impl Default for SourceMap {
    fn default() -> Self {
        SourceMap {
            shards: (0..SHARDS).map(|_| HashMap::new()).collect(),
        }
    }
}

impl SourceMap {
    /// The shard of an address (multiplicative hash of its bits).
    fn shard(ip: &IpAddr) -> usize {
        let x = match ip {
            IpAddr::V4(a) => u64::from(u32::from(*a)),
            IpAddr::V6(a) => {
                let v = u128::from(*a);
                (v as u64) ^ ((v >> 64) as u64).rotate_left(29)
            }
        };
        (x.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - SHARDS.trailing_zeros())) as usize
    }

    /// The entry of an address.
    pub(crate) fn entry(
        &mut self,
        ip: IpAddr,
    ) -> std::collections::hash_map::Entry<'_, IpAddr, SourceState> {
        self.shards[Self::shard(&ip)].entry(ip)
    }

    /// The state of an address.
    pub(crate) fn get(&self, ip: &IpAddr) -> Option<&SourceState> {
        self.shards[Self::shard(ip)].get(ip)
    }

    /// All addresses (no particular order).
    pub(crate) fn keys(&self) -> impl Iterator<Item = &IpAddr> {
        self.shards.iter().flat_map(HashMap::keys)
    }

    /// Remove an address.
    pub(crate) fn remove(&mut self, ip: &IpAddr) -> Option<SourceState> {
        self.shards[Self::shard(ip)].remove(ip)
    }

    /// Insert an address.
    pub(crate) fn insert(&mut self, ip: IpAddr, s: SourceState) {
        self.shards[Self::shard(&ip)].insert(ip, s);
    }

    /// Addresses held.
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(HashMap::len).sum()
    }

    /// Buckets allocated over all shards.
    fn capacity(&self) -> usize {
        self.shards.iter().map(HashMap::capacity).sum()
    }

    /// All entries (no particular order).
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&IpAddr, &SourceState)> {
        self.shards.iter().flat_map(HashMap::iter)
    }

    /// All states (no particular order).
    pub(crate) fn values(&self) -> impl Iterator<Item = &SourceState> {
        self.shards.iter().flat_map(HashMap::values)
    }
}

/// All sources, live and retired.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Sources {
    pub live: SourceMap,
    pub retired: SourceMap,
    pub evidence: HashMap<IpAddr, SourceEvidence>,
    /// Retired suspects dropped because `max_retired_sources` was reached.
    pub retired_overflow: u64,
}

impl Sources {
    /// Approximate bytes held by source state (tables plus touch vectors).
    pub(crate) fn bytes(&self) -> usize {
        let entry = std::mem::size_of::<(IpAddr, SourceState)>() + 1;
        // Heap bytes of the touch vector plus the allocator's own header.
        let touches = |s: &SourceState| {
            let cap = s.touches.capacity();
            cap * std::mem::size_of::<Touch>() + if cap > 0 { 16 } else { 0 }
        };
        let live: usize = self.live.values().map(touches).sum();
        let retired: usize = self.retired.values().map(touches).sum();
        let ev: usize = self
            .evidence
            .values()
            .flat_map(|e| e.items.iter())
            .map(|i| std::mem::size_of::<EvItem>() + i.ev.raw.len() + i.ev.file.len())
            .sum();
        self.live.capacity() * entry + live + self.retired.capacity() * entry + retired + ev
    }

    /// Put every source's attempts in time order (stable).
    pub(crate) fn sort_touches(&mut self) {
        for map in [&mut self.live, &mut self.retired] {
            for s in map.shards.iter_mut().flat_map(HashMap::values_mut) {
                if s.touches.windows(2).any(|w| w[1].ts < w[0].ts) {
                    s.touches.sort_by_key(|t| t.ts);
                }
            }
        }
    }

    /// Whether a source is worth keeping after it idles: some account failed
    /// from it and never succeeded from it.
    pub(crate) fn worth_retiring(s: &SourceState) -> bool {
        if s.failures == 0 {
            return false;
        }
        let mut ok: Vec<u32> = s
            .touches
            .iter()
            .filter(|t| t.kind == Kind::Success)
            .map(|t| t.user)
            .collect();
        ok.sort_unstable();
        s.touches
            .iter()
            .any(|t| t.kind != Kind::Success && ok.binary_search(&t.user).is_err())
    }

    /// Evict sources idle since before `cutoff`; retire the suspect ones.
    pub(crate) fn sweep(&mut self, cutoff: i64, max_retired: usize) {
        let idle: Vec<IpAddr> = self
            .live
            .iter()
            .filter(|(_, s)| s.last < cutoff)
            .map(|(ip, _)| *ip)
            .collect();
        for ip in idle {
            let Some(s) = self.live.remove(&ip) else {
                continue;
            };
            if Sources::worth_retiring(&s) {
                if self.retired.len() < max_retired {
                    self.retired.insert(ip, s);
                    continue;
                }
                self.retired_overflow += 1;
            }
            self.evidence.remove(&ip);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(last: i64) -> SourceState {
        SourceState {
            last,
            touches: Vec::new(),
            dropped: 0,
            failures: 0,
            client: 0,
            asn: None,
            client_varied: false,
        }
    }

    #[test]
    fn source_map_spreads_and_finds_every_address() {
        let mut m = SourceMap::default();
        let ips: Vec<IpAddr> = (0..1000u32)
            .map(|i| IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + i)))
            .chain((0..1000u128).map(|i| IpAddr::from(std::net::Ipv6Addr::from(i << 64 | 1))))
            .collect();
        for (i, ip) in ips.iter().enumerate() {
            m.insert(*ip, st(i as i64));
        }
        assert_eq!(m.len(), 2000);
        assert!(m.shards.iter().filter(|s| !s.is_empty()).count() > SHARDS / 2);
        for (i, ip) in ips.iter().enumerate() {
            match m.entry(*ip) {
                std::collections::hash_map::Entry::Occupied(o) => {
                    assert_eq!(o.get().last, i as i64)
                }
                std::collections::hash_map::Entry::Vacant(_) => panic!("{ip} lost"),
            }
        }
        assert_eq!(m.iter().count(), 2000);
        assert_eq!(
            m.values().map(|s| s.last).sum::<i64>(),
            2 * (0..1000).sum::<i64>() + 1000 * 1000
        );
        assert_eq!(m.remove(&ips[5]).map(|s| s.last), Some(5));
        assert!(m.remove(&ips[5]).is_none());
        assert_eq!(m.len(), 1999);
    }
}
