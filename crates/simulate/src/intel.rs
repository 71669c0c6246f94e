//! Threat intelligence of the kind an ISAC would publish about the
//! scenarios' seeded actors, written next to the logs in `intel/`:
//!
//! - `intel/isac.stix.json`: a STIX 2.1 bundle from a simulated elections
//!   ISAC (an `identity`), marked TLP:GREEN: `intrusion-set` objects with
//!   aliases, `indicator` objects with a confidence for SOME of each seeded
//!   actor's infrastructure, `indicates` relationships, and decoy
//!   indicators whose values never appear in the logs.
//! - `intel/isac-list.txt`: a plain list (`# actor:`, `# confidence:` and
//!   `# tlp:` headers, then one value per line with a label after a tab)
//!   with more of one actor's infrastructure, and decoys.
//!
//! The seeded actors' identities (haboob's canonical names; the intel uses
//! other vendors' names, so that attribution must resolve aliases):
//!
//! | Scenario | Seeded actor | Identity | Named in the intel as |
//! |---|---|---|---|
//! | election-recon | `actor-a` | Cotton Sandstorm (reconnaissance and limited scanning of election sites, after the public reports) | Emennet Pasargad |
//! | election-actor | `actor-b` | Seashell Blizzard (a GRU unit that scanned state election sites) | Sandworm Team |
//! | account-campaign | the attacker | Mint Sandstorm (phishing and password attacks on campaign accounts) | Charming Kitten / APT35 |
//!
//! Commodity scanners, sweeps and benign sources get no intel: they must
//! stay unattributed. Labels of seeded actors carry `attributed_to`.

use crate::{SimError, SimSummary};
use haboob_model::{Fnv64, Ts};
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;

/// TLP:GREEN, the STIX 2.1 predefined marking definition.
const TLP_GREEN: &str = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da";

/// A value an indicator names.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Obs {
    /// An address or CIDR network.
    Ip(&'static str),
    /// A domain.
    Domain(&'static str),
    /// An HTTP User-Agent, exactly.
    UserAgent(&'static str),
}

impl Obs {
    fn pattern(self) -> String {
        let q = |s: &str| s.replace('\\', "\\\\").replace('\'', "\\'");
        match self {
            Obs::Ip(v) if v.contains(':') => format!("[ipv6-addr:value = '{}']", q(v)),
            Obs::Ip(v) => format!("[ipv4-addr:value = '{}']", q(v)),
            Obs::Domain(v) => format!("[domain-name:value = '{}']", q(v)),
            Obs::UserAgent(v) => format!(
                "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = '{}']",
                q(v)
            ),
        }
    }
    fn value(self) -> &'static str {
        match self {
            Obs::Ip(v) | Obs::Domain(v) | Obs::UserAgent(v) => v,
        }
    }
}

/// One published indicator: what, how confident, a name.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Published {
    pub(crate) obs: Obs,
    pub(crate) confidence: u8,
    pub(crate) name: &'static str,
}

/// A seeded actor as the ISAC knows it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SeededActor {
    /// The scenario's actor label (`actor-a`).
    pub(crate) label_actor: &'static str,
    /// haboob's canonical name, the expected attribution.
    pub(crate) identity: &'static str,
    /// The intrusion set's name in the intel.
    pub(crate) intel_name: &'static str,
    /// Its aliases in the intel.
    pub(crate) intel_aliases: &'static [&'static str],
    /// Indicators in the STIX bundle.
    pub(crate) stix: &'static [Published],
}

/// What one scenario publishes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Isac {
    pub(crate) scenario: &'static str,
    pub(crate) actors: &'static [SeededActor],
    /// The plain list: its actor (intel name), confidence, values and labels.
    pub(crate) list_actor: &'static str,
    pub(crate) list_confidence: u8,
    pub(crate) list: &'static [(&'static str, &'static str)],
}

/// Decoys: published, never in any scenario's logs (the retired 6to4
/// relay range and a documentation IPv6 prefix no scenario uses, `.invalid`
/// domains, a made-up client).
const DECOYS: &[Published] = &[
    Published {
        obs: Obs::Ip("192.88.99.77"),
        confidence: 80,
        name: "decoy: staging server",
    },
    Published {
        obs: Obs::Ip("2001:db8:dead:beef::1"),
        confidence: 60,
        name: "decoy: IPv6 relay",
    },
    Published {
        obs: Obs::Domain("vote-count-update.invalid"),
        confidence: 90,
        name: "decoy: lookalike domain",
    },
    Published {
        obs: Obs::UserAgent("Mozilla/5.0 (compatible; DecoyRecon/3.3)"),
        confidence: 70,
        name: "decoy: recon client",
    },
];

/// Decoy lines of every plain list.
const LIST_DECOYS: &[(&str, &str)] = &[
    ("192.88.99.128/25", "decoy hosting range"),
    ("ballot-portal-login.invalid", "decoy lookalike domain"),
];

/// election-recon: actor-a's main address and its distributed-scan range;
/// not its scanner address or its IPv6 address.
pub(crate) const ELECTION_RECON: Isac = Isac {
    scenario: "election-recon",
    actors: &[SeededActor {
        label_actor: "actor-a",
        identity: "Cotton Sandstorm",
        intel_name: "Emennet Pasargad",
        intel_aliases: &["Cotton Sandstorm", "Neptunium"],
        stix: &[Published {
            obs: Obs::Ip("198.51.100.23"),
            confidence: 85,
            name: "Reconnaissance of state election sites",
        }],
    }],
    list_actor: "Emennet Pasargad",
    list_confidence: 60,
    list: &[("192.0.2.0/28", "distributed scan range")],
};

/// election-actor: one of actor-b's networks and one more address.
pub(crate) const ELECTION_ACTOR: Isac = Isac {
    scenario: "election-actor",
    actors: &[SeededActor {
        label_actor: "actor-b",
        identity: "Seashell Blizzard",
        intel_name: "Sandworm Team",
        intel_aliases: &["APT44"],
        stix: &[Published {
            obs: Obs::Ip("91.92.251.17"),
            confidence: 70,
            name: "Election-site wordlist scanning",
        }],
    }],
    list_actor: "Sandworm Team",
    list_confidence: 55,
    list: &[("45.146.164.0/24", "VPS range used for scanning")],
};

/// account-campaign: the attacker's sign-in client and one of its five
/// networks.
pub(crate) const ACCOUNT_CAMPAIGN: Isac = Isac {
    scenario: "account-campaign",
    actors: &[SeededActor {
        label_actor: "attacker",
        identity: "Mint Sandstorm",
        intel_name: "Charming Kitten",
        intel_aliases: &["APT35", "Phosphorus"],
        stix: &[
            Published {
                obs: Obs::Ip("198.18.91.0/24"),
                confidence: 75,
                name: "Password attacks on campaign accounts",
            },
            Published {
                obs: Obs::UserAgent("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/108.0.0.0 Safari/537.36"),
                confidence: 40,
                name: "Sign-in client of the password attacks",
            },
        ],
    }],
    list_actor: "Charming Kitten",
    list_confidence: 65,
    list: &[("198.18.57.0/24", "password-spray exit range")],
};

/// The identity a scenario's actor label should be attributed to.
pub(crate) fn identity_of(label_actor: &str) -> Option<&'static str> {
    [ELECTION_RECON, ELECTION_ACTOR, ACCOUNT_CAMPAIGN]
        .iter()
        .flat_map(|i| i.actors)
        .find(|a| a.label_actor == label_actor)
        .map(|a| a.identity)
}

/// A STIX id: the type and a UUID (version 4 layout) hashed from `parts`,
/// so that the same scenario always writes the same ids.
fn stix_id(ty: &str, parts: &[&str]) -> String {
    let mut a = Fnv64::default();
    let mut b = Fnv64::default();
    a.field(ty);
    b.field("haboob-simulate").field(ty);
    for p in parts {
        a.field(p);
        b.field(p);
    }
    let (x, y) = (a.finish(), b.finish());
    format!(
        "{ty}--{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        x >> 32,
        (x >> 16) & 0xffff,
        x & 0xfff,
        0x8000 | ((y >> 48) & 0x3fff),
        y & 0xffff_ffff_ffff
    )
}

fn bundle(isac: &Isac) -> Value {
    // Published two weeks before the simulated period starts.
    let when = Ts::from_secs(crate::clock::PERIOD_START - 14 * crate::clock::DAY).to_string();
    let producer = stix_id("identity", &["Simulated Elections ISAC"]);
    let common = |ty: &str, id: &str| {
        json!({
            "type": ty, "spec_version": "2.1", "id": id,
            "created": when, "modified": when,
            "created_by_ref": producer,
            "object_marking_refs": [TLP_GREEN],
        })
    };
    let mut objects = vec![
        json!({
            "type": "identity", "spec_version": "2.1", "id": producer,
            "created": when, "modified": when,
            "name": "Simulated Elections ISAC", "identity_class": "organization",
            "sectors": ["government-national"],
        }),
        json!({
            "type": "marking-definition", "spec_version": "2.1", "id": TLP_GREEN,
            "created": "2017-01-20T00:00:00.000Z", "definition_type": "tlp",
            "name": "TLP:GREEN", "definition": {"tlp": "green"},
        }),
    ];
    let indicator = |p: &Published, labels: &[&str], target: Option<&str>| {
        let id = stix_id("indicator", &[isac.scenario, p.obs.value()]);
        let mut o = common("indicator", &id);
        o["name"] = json!(p.name);
        o["indicator_types"] = json!(labels);
        o["pattern"] = json!(p.obs.pattern());
        o["pattern_type"] = json!("stix");
        o["valid_from"] = json!(when);
        o["confidence"] = json!(p.confidence);
        let mut out = vec![o];
        if let Some(t) = target {
            let rid = stix_id("relationship", &[&id, t]);
            let mut r = common("relationship", &rid);
            r["relationship_type"] = json!("indicates");
            r["source_ref"] = json!(id);
            r["target_ref"] = json!(t);
            out.push(r);
        }
        out
    };
    for a in isac.actors {
        let set = stix_id("intrusion-set", &[a.intel_name]);
        for p in a.stix {
            objects.extend(indicator(
                p,
                &["malicious-activity", "attribution"],
                Some(&set),
            ));
        }
        let mut o = common("intrusion-set", &set);
        o["name"] = json!(a.intel_name);
        o["aliases"] = json!(a.intel_aliases);
        objects.push(o);
    }
    for d in DECOYS {
        objects.extend(indicator(d, &["malicious-activity"], None));
    }
    json!({
        "type": "bundle",
        "id": stix_id("bundle", &[isac.scenario]),
        "objects": objects,
    })
}

fn list(isac: &Isac) -> String {
    let mut s = format!(
        "# Simulated Elections ISAC: infrastructure of {}\n# actor: {}\n# confidence: {}\n# tlp: green\n",
        isac.list_actor, isac.list_actor, isac.list_confidence
    );
    for (v, label) in isac.list.iter().chain(LIST_DECOYS) {
        s.push_str(&format!("{v}\t{label}\n"));
    }
    s
}

/// Write `intel/isac.stix.json` and `intel/isac-list.txt` under `out`.
pub(crate) fn write(out: &Path, isac: &Isac, summary: &mut SimSummary) -> Result<(), SimError> {
    let dir = out.join("intel");
    std::fs::create_dir_all(&dir).map_err(SimError::io(&dir))?;
    let path = dir.join("isac.stix.json");
    let text = serde_json::to_string_pretty(&bundle(isac))
        .map_err(|e| SimError::io(&path)(std::io::Error::other(e)))?;
    let mut f = std::fs::File::create(&path).map_err(SimError::io(&path))?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.write_all(b"\n"))
        .map_err(SimError::io(&path))?;
    summary.files.push(path);
    let path = dir.join("isac-list.txt");
    std::fs::write(&path, list(isac)).map_err(SimError::io(&path))?;
    summary.files.push(path);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundle_links_indicators_to_intrusion_sets_and_keeps_decoys_apart() {
        let b = bundle(&ACCOUNT_CAMPAIGN);
        let objs = b["objects"].as_array().unwrap();
        fn by<'a>(objs: &'a [Value], t: &'a str) -> impl Iterator<Item = &'a Value> {
            objs.iter().filter(move |o| o["type"] == t)
        }
        let of = |t: &'static str| by(objs, t);
        assert_eq!(of("intrusion-set").count(), 1);
        assert_eq!(of("indicator").count(), 2 + DECOYS.len());
        let rels: Vec<&Value> = of("relationship").collect();
        assert_eq!(rels.len(), 2);
        let set = of("intrusion-set").next().unwrap();
        assert_eq!(set["name"], "Charming Kitten");
        assert!(rels
            .iter()
            .all(|r| r["target_ref"] == set["id"] && r["relationship_type"] == "indicates"));
        // Every id is unique and well formed; everything but the marking is
        // marked TLP:GREEN.
        let mut ids: Vec<&str> = objs.iter().map(|o| o["id"].as_str().unwrap()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), objs.len());
        for o in objs
            .iter()
            .filter(|o| o["type"] != "marking-definition" && o["type"] != "identity")
        {
            assert_eq!(o["object_marking_refs"][0], TLP_GREEN, "{o}");
            let id = o["id"].as_str().unwrap();
            let uuid = id.split_once("--").unwrap().1;
            assert_eq!(uuid.len(), 36, "{id}");
            assert_eq!(&uuid[14..15], "4", "{id}");
        }
        let ua = of("indicator")
            .find(|o| o["name"] == "Sign-in client of the password attacks")
            .unwrap();
        assert!(ua["pattern"]
            .as_str()
            .unwrap()
            .starts_with("[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'Mozilla/5.0 (Windows NT 10.0"));
        assert_eq!(bundle(&ACCOUNT_CAMPAIGN), b, "deterministic");
    }

    #[test]
    fn identities_of_the_seeded_actors() {
        assert_eq!(identity_of("actor-a"), Some("Cotton Sandstorm"));
        assert_eq!(identity_of("actor-b"), Some("Seashell Blizzard"));
        assert_eq!(identity_of("attacker"), Some("Mint Sandstorm"));
        assert_eq!(identity_of("commodity"), None);
        assert_eq!(identity_of("sweep-a"), None);
    }

    #[test]
    fn list_has_headers_then_values_with_labels() {
        assert_eq!(
            list(&ELECTION_RECON),
            "# Simulated Elections ISAC: infrastructure of Emennet Pasargad\n# actor: Emennet Pasargad\n# confidence: 60\n# tlp: green\n192.0.2.0/28\tdistributed scan range\n192.88.99.128/25\tdecoy hosting range\nballot-portal-login.invalid\tdecoy lookalike domain\n"
        );
    }
}
