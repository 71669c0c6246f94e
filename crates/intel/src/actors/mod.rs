//! Actor knowledge: haboob's own profiles (`data/actors.toml`, shipped in
//! the binary) merged with the MITRE ATT&CK Enterprise bundle when one is
//! given.
//!
//! An [`ActorDb`] finds an actor by any of its names, case-insensitively and
//! ignoring spaces and punctuation (`apt 35`, `Charming-Kitten` and
//! `mint sandstorm` are one actor), and suggests near names for a miss.
//! Profiles and ATT&CK groups are merged by ATT&CK id, else by a shared
//! alias; the profile's name stays canonical, aliases, techniques and
//! software are united.

mod attack;
mod profiles;

pub use profiles::Fingerprint;

use crate::IntelError;
use haboob_model::TargetSector;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

/// Where an actor's knowledge comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActorOrigin {
    /// haboob's own profile only.
    Profile,
    /// The ATT&CK bundle only.
    Attack,
    /// A profile merged with its ATT&CK group.
    ProfileAndAttack,
}

/// One actor (intrusion set) with everything haboob knows about it.
#[derive(Debug, Clone, Serialize)]
pub struct Actor {
    /// Canonical name.
    pub name: String,
    /// Every other name (vendors', governments', ATT&CK's), sorted.
    pub aliases: Vec<String>,
    /// MITRE ATT&CK group id (`G0059`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attack_id: Option<String>,
    /// State sponsor as publicly attributed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sponsor: Option<String>,
    /// One sentence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Sectors targeted.
    pub sectors: Vec<TargetSector>,
    /// Regions targeted (country codes or names).
    pub regions: Vec<String>,
    /// ATT&CK technique ids (profile ∪ ATT&CK `uses`).
    pub techniques: BTreeSet<String>,
    /// Tools and malware (profile ∪ ATT&CK `uses`); shown, never evidence.
    pub software: BTreeSet<String>,
    /// Infrastructure habits (text).
    pub infrastructure: Vec<String>,
    /// Distinctive tooling fingerprints that attribution matches.
    pub fingerprints: Vec<Fingerprint>,
    /// Working-hours time zone, in minutes east of UTC, when documented.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utc_offset_minutes: Option<i32>,
    /// Local working hours `[start, end)`, when documented.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub work_hours: Option<[u8; 2]>,
    /// Public report URLs.
    pub sources: Vec<String>,
    /// Where this comes from.
    pub origin: ActorOrigin,
}

impl Actor {
    /// The canonical name followed by every alias.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

/// Actors, looked up by any name.
#[derive(Debug, Clone, Default)]
pub struct ActorDb {
    actors: Vec<Actor>,
    by_key: HashMap<String, usize>,
    technique_names: BTreeMap<String, String>,
    attack_loaded: bool,
}

/// A name as a lookup key: lower-case ASCII letters and digits only.
pub fn name_key(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// `T1234` or `T1234.567`.
pub(crate) fn is_technique_id(t: &str) -> bool {
    let b = t.as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    match b.len() {
        5 => b[0] == b'T' && digits(&b[1..]),
        9 => b[0] == b'T' && digits(&b[1..5]) && b[5] == b'.' && digits(&b[6..]),
        _ => false,
    }
}

fn from_profile(p: profiles::Profile) -> Actor {
    let mut aliases: Vec<String> = p.aliases;
    aliases.sort();
    aliases.dedup();
    Actor {
        name: p.name,
        aliases,
        attack_id: p.attack_id,
        sponsor: p.sponsor,
        summary: p.summary,
        sectors: p.sectors,
        regions: p.regions,
        techniques: p.techniques.into_iter().collect(),
        software: p.tools.into_iter().collect(),
        infrastructure: p.infrastructure,
        fingerprints: p.fingerprints,
        utc_offset_minutes: p.utc_offset.map(|h| (h * 60.0).round() as i32),
        work_hours: p.work_hours,
        sources: p.sources,
        origin: ActorOrigin::Profile,
    }
}

impl ActorDb {
    /// haboob's own profiles only.
    pub fn builtin() -> ActorDb {
        // The shipped file is checked by a test; a broken build is a bug.
        match ActorDb::from_profiles(profiles::BUILTIN, "actors.toml (built in)") {
            Ok(db) => db,
            Err(e) => {
                tracing::error!(error = %e, "Built-in actor profiles do not load.");
                ActorDb::default()
            }
        }
    }

    /// Actors from a profiles file's text (the format of `data/actors.toml`).
    pub fn from_profiles(text: &str, source_name: &str) -> Result<ActorDb, IntelError> {
        let mut db = ActorDb::default();
        for p in profiles::parse(text, source_name)? {
            db.actors.push(from_profile(p));
        }
        db.reindex();
        Ok(db)
    }

    /// The built-in profiles merged with the ATT&CK bundle at `path`.
    pub fn with_attack(path: &Path) -> Result<ActorDb, IntelError> {
        let mut db = ActorDb::builtin();
        db.merge_attack(path)?;
        Ok(db)
    }

    /// Merge the ATT&CK bundle at `path` into this database.
    pub fn merge_attack(&mut self, path: &Path) -> Result<(), IntelError> {
        let data = attack::load(path)?;
        let groups = data.groups.len();
        let mut merged = 0;
        for g in data.groups {
            let hit = self
                .actors
                .iter()
                .position(|a| a.attack_id.is_some() && a.attack_id == g.id)
                .or_else(|| {
                    std::iter::once(&g.name)
                        .chain(&g.aliases)
                        .find_map(|n| self.by_key.get(&name_key(n)).copied())
                });
            match hit {
                Some(i) => {
                    merged += 1;
                    let a = &mut self.actors[i];
                    // One spelling per name: the profile's, else ATT&CK's first.
                    let mut names: BTreeMap<String, String> = BTreeMap::new();
                    for n in a
                        .aliases
                        .iter()
                        .cloned()
                        .chain(std::iter::once(g.name))
                        .chain(g.aliases)
                    {
                        names.entry(name_key(&n)).or_insert(n);
                    }
                    names.remove(&name_key(&a.name));
                    let mut aliases: Vec<String> = names.into_values().collect();
                    aliases.sort();
                    a.aliases = aliases;
                    if a.attack_id.is_none() {
                        a.attack_id = g.id;
                    }
                    if a.summary.is_none() {
                        a.summary = g.summary;
                    }
                    a.techniques.extend(g.techniques);
                    a.software.extend(g.software);
                    a.origin = ActorOrigin::ProfileAndAttack;
                }
                None => self.actors.push(Actor {
                    name: g.name,
                    aliases: g.aliases,
                    attack_id: g.id,
                    sponsor: None,
                    summary: g.summary,
                    sectors: Vec::new(),
                    regions: Vec::new(),
                    techniques: g.techniques,
                    software: g.software,
                    infrastructure: Vec::new(),
                    fingerprints: Vec::new(),
                    utc_offset_minutes: None,
                    work_hours: None,
                    sources: Vec::new(),
                    origin: ActorOrigin::Attack,
                }),
            }
        }
        self.technique_names.extend(data.technique_names);
        self.attack_loaded = true;
        self.reindex();
        tracing::debug!(
            groups,
            merged,
            skipped = data.skipped,
            actors = self.actors.len(),
            "ATT&CK bundle loaded."
        );
        Ok(())
    }

    fn reindex(&mut self) {
        self.actors.sort_by_key(|a| name_key(&a.name));
        self.by_key.clear();
        // Canonical names first, so that an alias never shadows a name.
        for (i, a) in self.actors.iter().enumerate() {
            self.by_key.entry(name_key(&a.name)).or_insert(i);
        }
        for (i, a) in self.actors.iter().enumerate() {
            for n in a.aliases.iter().chain(&a.attack_id) {
                let k = name_key(n);
                if let Some(&j) = self.by_key.get(&k) {
                    if j != i {
                        tracing::debug!(alias = %n, first = %self.actors[j].name, also = %a.name, "Alias names two actors; the first keeps it.");
                    }
                    continue;
                }
                if !k.is_empty() {
                    self.by_key.insert(k, i);
                }
            }
        }
    }

    /// Every actor, sorted by name.
    pub fn actors(&self) -> &[Actor] {
        &self.actors
    }

    /// Number of actors.
    pub fn len(&self) -> usize {
        self.actors.len()
    }

    /// No actors at all.
    pub fn is_empty(&self) -> bool {
        self.actors.is_empty()
    }

    /// Whether an ATT&CK bundle was merged.
    pub fn attack_loaded(&self) -> bool {
        self.attack_loaded
    }

    /// The actor called `name` (any alias or its ATT&CK id; case, spaces and
    /// punctuation ignored).
    pub fn get(&self, name: &str) -> Option<&Actor> {
        self.by_key.get(&name_key(name)).map(|&i| &self.actors[i])
    }

    /// An ATT&CK technique's name, when the bundle is loaded.
    pub fn technique_name(&self, id: &str) -> Option<&str> {
        self.technique_names.get(id).map(String::as_str)
    }

    /// Up to `n` names close to `name` (edit distance on the lookup key, or
    /// containing it), nearest first, for "did you mean".
    pub fn suggest(&self, name: &str, n: usize) -> Vec<String> {
        let key = name_key(name);
        if key.is_empty() {
            return Vec::new();
        }
        let mut scored: BTreeMap<(usize, String), ()> = BTreeMap::new();
        for a in &self.actors {
            for alias in a.names() {
                let k = name_key(alias);
                let d = if k.contains(&key) || key.contains(&k) && k.len() >= 3 {
                    1
                } else {
                    edit_distance(&key, &k)
                };
                let limit = (key.len() / 3).max(2);
                if d <= limit {
                    let label = if alias == a.name {
                        a.name.clone()
                    } else {
                        format!("{alias} ({})", a.name)
                    };
                    scored.insert((d, label), ());
                }
            }
        }
        let mut out: Vec<String> = Vec::new();
        for ((_, label), ()) in scored {
            if !out.contains(&label) {
                out.push(label);
            }
            if out.len() == n {
                break;
            }
        }
        out
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests;
