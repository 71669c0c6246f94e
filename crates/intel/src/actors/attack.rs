//! The MITRE ATT&CK Enterprise bundle (STIX 2.1): intrusion sets with their
//! aliases and group ids, the techniques and software they use.
//!
//! Read once, streaming from the file through serde, keeping only the fields
//! needed; revoked and deprecated objects are skipped.

use crate::IntelError;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::BufReader;
use std::path::Path;

#[derive(Deserialize)]
struct Bundle {
    #[serde(default)]
    objects: Vec<Object>,
}

#[derive(Deserialize)]
struct ExternalRef {
    source_name: Option<String>,
    external_id: Option<String>,
}

#[derive(Deserialize)]
struct Object {
    #[serde(rename = "type")]
    kind: String,
    id: String,
    name: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    description: Option<String>,
    #[serde(default)]
    external_references: Vec<ExternalRef>,
    #[serde(default)]
    revoked: bool,
    #[serde(default)]
    x_mitre_deprecated: bool,
    relationship_type: Option<String>,
    source_ref: Option<String>,
    target_ref: Option<String>,
}

impl Object {
    fn mitre_id(&self) -> Option<&str> {
        self.external_references
            .iter()
            .find(|r| r.source_name.as_deref() == Some("mitre-attack"))
            .and_then(|r| r.external_id.as_deref())
    }
}

/// One intrusion set of the bundle.
#[derive(Debug, Clone)]
pub(crate) struct AttackGroup {
    pub(crate) name: String,
    pub(crate) aliases: Vec<String>,
    pub(crate) id: Option<String>,
    pub(crate) summary: Option<String>,
    pub(crate) techniques: BTreeSet<String>,
    pub(crate) software: BTreeSet<String>,
}

/// What the bundle gives: groups, and technique names by id.
#[derive(Debug, Default)]
pub(crate) struct AttackData {
    pub(crate) groups: Vec<AttackGroup>,
    pub(crate) technique_names: BTreeMap<String, String>,
    /// Intrusion sets skipped as revoked or deprecated.
    pub(crate) skipped: usize,
}

/// The first sentence of an ATT&CK description, without its markdown links
/// and citations, bounded.
fn first_sentence(d: &str) -> String {
    let mut out = String::new();
    let mut rest = d;
    // `[Name](https://…)` → `Name`; `(Citation: …)` dropped.
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("(Citation:") {
            rest = r.find(')').map_or("", |i| &r[i + 1..]);
            continue;
        }
        if let Some(r) = rest.strip_prefix('[') {
            if let Some(close) = r.find("](") {
                if let Some(end) = r[close..].find(')') {
                    out.push_str(&r[..close]);
                    rest = &r[close + end + 1..];
                    continue;
                }
            }
        }
        let c = rest.chars().next().unwrap_or(' ');
        rest = &rest[c.len_utf8()..];
        if c == '\n' {
            break;
        }
        out.push(c);
        if c == '.'
            && (rest.is_empty()
                || rest.starts_with(' ')
                || rest.starts_with('\n')
                || rest.starts_with("(Citation:"))
        {
            // Not after a one-letter initial or "U.S".
            let tail = out.trim_end_matches('.');
            let last = tail.rsplit(' ').next().unwrap_or("");
            if last.len() > 2 && !last.contains('.') {
                break;
            }
        }
        if out.len() > 400 {
            out.push('…');
            break;
        }
    }
    out.trim().to_string()
}

/// Read the bundle at `path`.
pub(crate) fn load(path: &Path) -> Result<AttackData, IntelError> {
    let name = path.display().to_string();
    let f = std::fs::File::open(path).map_err(|error| IntelError::Io {
        source_name: name.clone(),
        error,
    })?;
    let bundle: Bundle =
        serde_json::from_reader(BufReader::new(f)).map_err(|e| IntelError::Format {
            source_name: name.clone(),
            reason: format!("not a STIX bundle: {e}"),
        })?;
    from_objects(bundle.objects, &name)
}

fn from_objects(objects: Vec<Object>, name: &str) -> Result<AttackData, IntelError> {
    let mut data = AttackData::default();
    // STIX id → technique id / software name / group index.
    let mut techniques: HashMap<String, String> = HashMap::new();
    let mut software: HashMap<String, String> = HashMap::new();
    let mut groups: HashMap<String, usize> = HashMap::new();
    let mut relations = Vec::new();
    for o in objects {
        let dead = o.revoked || o.x_mitre_deprecated;
        match o.kind.as_str() {
            "attack-pattern" if !dead => {
                if let (Some(tid), Some(n)) = (o.mitre_id(), o.name.as_deref()) {
                    data.technique_names.insert(tid.to_string(), n.to_string());
                    techniques.insert(o.id.clone(), tid.to_string());
                }
            }
            "malware" | "tool" if !dead => {
                if let Some(n) = o.name {
                    software.insert(o.id, n);
                }
            }
            "intrusion-set" if dead => data.skipped += 1,
            "intrusion-set" => {
                let Some(n) = o.name.clone() else {
                    return Err(IntelError::Rejected {
                        source_name: name.to_string(),
                        location: o.id,
                        reason: "intrusion set without a name".into(),
                    });
                };
                groups.insert(o.id.clone(), data.groups.len());
                data.groups.push(AttackGroup {
                    aliases: o.aliases.iter().filter(|a| **a != n).cloned().collect(),
                    id: o.mitre_id().map(str::to_string),
                    summary: o.description.as_deref().map(first_sentence),
                    name: n,
                    techniques: BTreeSet::new(),
                    software: BTreeSet::new(),
                });
            }
            "relationship" if !dead && o.relationship_type.as_deref() == Some("uses") => {
                if let (Some(s), Some(t)) = (o.source_ref, o.target_ref) {
                    relations.push((s, t));
                }
            }
            _ => {}
        }
    }
    for (s, t) in relations {
        let Some(&g) = groups.get(&s) else { continue };
        if let Some(tid) = techniques.get(&t) {
            data.groups[g].techniques.insert(tid.clone());
        } else if let Some(sw) = software.get(&t) {
            data.groups[g].software.insert(sw.clone());
        }
    }
    if data.groups.is_empty() {
        return Err(IntelError::Format {
            source_name: name.to_string(),
            reason: "no intrusion sets: not an ATT&CK bundle".into(),
        });
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_sentence_drops_links_and_citations() {
        let d = "[APT28](https://attack.mitre.org/groups/G0007) is a threat group attributed to Russia's GRU.(Citation: NSA) It has operated since 2004.";
        assert_eq!(
            first_sentence(d),
            "APT28 is a threat group attributed to Russia's GRU."
        );
        assert_eq!(first_sentence("A U.S. group. Second."), "A U.S. group.");
    }

    #[test]
    fn revoked_sets_are_skipped_and_uses_resolve() {
        let json = r#"{"type":"bundle","id":"bundle--1","objects":[
          {"type":"intrusion-set","id":"intrusion-set--a","name":"Alpha","aliases":["Alpha","A-Team"],
           "external_references":[{"source_name":"mitre-attack","external_id":"G9001"}]},
          {"type":"intrusion-set","id":"intrusion-set--b","name":"Old","revoked":true},
          {"type":"attack-pattern","id":"attack-pattern--t","name":"Active Scanning",
           "external_references":[{"source_name":"mitre-attack","external_id":"T1595"}]},
          {"type":"tool","id":"tool--x","name":"Nmap"},
          {"type":"relationship","id":"relationship--1","relationship_type":"uses","source_ref":"intrusion-set--a","target_ref":"attack-pattern--t"},
          {"type":"relationship","id":"relationship--2","relationship_type":"uses","source_ref":"intrusion-set--a","target_ref":"tool--x"},
          {"type":"relationship","id":"relationship--3","relationship_type":"uses","source_ref":"intrusion-set--b","target_ref":"tool--x"}
        ]}"#;
        let b: Bundle = serde_json::from_str(json).unwrap();
        let d = from_objects(b.objects, "t").unwrap();
        assert_eq!(d.skipped, 1);
        assert_eq!(d.groups.len(), 1);
        let g = &d.groups[0];
        assert_eq!(g.name, "Alpha");
        assert_eq!(g.aliases, ["A-Team"]);
        assert_eq!(g.id.as_deref(), Some("G9001"));
        assert_eq!(g.techniques.iter().collect::<Vec<_>>(), ["T1595"]);
        assert_eq!(g.software.iter().collect::<Vec<_>>(), ["Nmap"]);
        assert_eq!(d.technique_names["T1595"], "Active Scanning");
    }
}
