//! STIX 2.1 bundles: indicators (with their patterns, validity, confidence,
//! TLP marking and producer), intrusion sets, and the relationships that
//! tie indicators to actors.
//!
//! Every object is accounted for: an indicator is imported, or listed in
//! [`StixImport::unsupported`] with the reason (a pattern type other than
//! `stix`, a pattern no log can answer, revoked), or in
//! [`StixImport::rejected`] with the object and the reason (no id or type,
//! a pattern that does not parse, a bad timestamp).
//!
//! ```
//! use haboob_intel::stix::read_bundle;
//! use haboob_model::Ts;
//!
//! let bundle = r#"{"type":"bundle","id":"bundle--1","objects":[
//!   {"type":"indicator","spec_version":"2.1","id":"indicator--1","name":"C2",
//!    "pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix",
//!    "valid_from":"2024-01-01T00:00:00Z"}]}"#;
//! let import = read_bundle(bundle.as_bytes(), "example.json", Ts::from_secs(0)).unwrap();
//! assert_eq!(import.indicators.len(), 1);
//! ```

mod import;
mod markings;
#[cfg(test)]
mod tests;

pub use import::{import_objects, import_value, REVOKED};

use crate::pattern::{Pattern, Support};
use crate::{Indicator, IndicatorCondition, IntelError, Provenance, Tlp};
use haboob_model::Ts;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufReader, Read};
use std::path::Path;

/// Largest bundle read, in bytes (the MITRE ATT&CK bundle is ~45 MB).
pub const MAX_BUNDLE_BYTES: u64 = 512 * 1024 * 1024;
/// Longest name, alias or reference kept, in bytes.
const MAX_NAME: usize = 512;
/// Longest description kept, in bytes.
const MAX_DESCRIPTION: usize = 16 * 1024;

/// An intrusion set of a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntrusionSet {
    /// STIX id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Other names.
    pub aliases: Vec<String>,
    /// Description, if any (bounded).
    pub description: Option<String>,
}

/// What a bundle gave.
#[derive(Debug, Default)]
pub struct StixImport {
    /// Indicators that logs can match.
    pub indicators: Vec<Indicator>,
    /// Intrusion sets (not the revoked ones, which `counts` still counts).
    pub intrusion_sets: Vec<IntrusionSet>,
    /// Indicators not imported: (indicator id, reason).
    pub unsupported: Vec<(String, String)>,
    /// Objects rejected, with the object and the reason.
    pub rejected: Vec<IntelError>,
    /// Number of objects by STIX type (each version of an object counts).
    pub counts: BTreeMap<String, usize>,
}

/// Reads a STIX 2.1 bundle (or a TAXII envelope: an object with `objects`).
/// Not JSON, or not such an object, is [`IntelError::Format`]; bad objects
/// are rejected one by one.
pub fn read_bundle(
    reader: impl Read,
    source_name: &str,
    imported: Ts,
) -> Result<StixImport, IntelError> {
    let reader = BufReader::new(reader.take(MAX_BUNDLE_BYTES));
    let value: Value = serde_json::from_reader(reader).map_err(|e| IntelError::Format {
        source_name: source_name.to_string(),
        reason: format!("not a JSON document: {e}"),
    })?;
    read_bundle_value(value, source_name, imported)
}

/// [`read_bundle`] on a file.
pub fn read_bundle_path(path: &Path, imported: Ts) -> Result<StixImport, IntelError> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|error| IntelError::Io {
        source_name: name.clone(),
        error,
    })?;
    read_bundle(file, &name, imported)
}

/// [`read_bundle`] on a parsed document.
pub fn read_bundle_value(
    value: Value,
    source_name: &str,
    imported: Ts,
) -> Result<StixImport, IntelError> {
    let format = |reason: &str| IntelError::Format {
        source_name: source_name.to_string(),
        reason: reason.to_string(),
    };
    let Value::Object(mut doc) = value else {
        return Err(format(
            "not a STIX bundle: the document is not a JSON object",
        ));
    };
    match doc.get("type").and_then(Value::as_str) {
        None | Some("bundle") => {}
        Some(_) => return Err(format("not a STIX bundle: type is not \"bundle\"")),
    }
    let objects = match doc.remove("objects") {
        Some(Value::Array(a)) => a,
        None if doc.get("type").is_some() => Vec::new(),
        _ => return Err(format("not a STIX bundle: no \"objects\" array")),
    };
    Ok(read_objects(&objects, source_name, imported))
}

fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    format!("{}…", haboob_model::bounded(s, max))
}

fn str_field<'a>(o: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    o.get(key).and_then(Value::as_str)
}

fn strings(o: &Map<String, Value>, key: &str) -> Vec<String> {
    o.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(|s| clip(s, MAX_NAME))
                .collect()
        })
        .unwrap_or_default()
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

fn type_of(id: &str) -> &str {
    id.split_once("--").map_or("", |(t, _)| t)
}

/// Reads the objects of a bundle or envelope; `source_name` names the
/// source in rejections and in the indicators' provenance.
pub fn read_objects(objects: &[Value], source_name: &str, imported: Ts) -> StixImport {
    read_objects_as(
        objects,
        &Origin {
            file: source_name,
            source: source_name,
            imported,
            tlp: None,
        },
    )
}

/// Where objects come from and what their indicators' provenance says.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Origin<'a> {
    /// File path or URL, named in rejections.
    pub file: &'a str,
    /// Provenance source of the indicators.
    pub source: &'a str,
    /// Import time.
    pub imported: Ts,
    /// TLP of indicators that carry no TLP marking.
    pub tlp: Option<Tlp>,
}

/// [`read_objects`] with the provenance apart from the file name.
pub(crate) fn read_objects_as(objects: &[Value], origin: &Origin<'_>) -> StixImport {
    let source_name = origin.file;
    let mut out = StixImport::default();
    let reject = |location: String, reason: String| IntelError::Rejected {
        source_name: source_name.to_string(),
        location,
        reason,
    };
    // Pass 1: valid objects (of several versions of an id, the latest
    // `modified`), names, markings, relationships.
    let mut valid: Vec<(&str, &Map<String, Value>)> = Vec::new();
    let mut latest: HashMap<&str, usize> = HashMap::new();
    for (i, v) in objects.iter().enumerate() {
        let Some(o) = v.as_object() else {
            out.rejected
                .push(reject(format!("objects[{i}]"), "not a JSON object".into()));
            continue;
        };
        let (Some(ty), Some(id)) = (str_field(o, "type"), str_field(o, "id")) else {
            let at = str_field(o, "id").map_or(format!("objects[{i}]"), |id| clip(id, MAX_NAME));
            out.rejected.push(reject(
                at,
                "object without a string \"type\" and \"id\"".into(),
            ));
            continue;
        };
        *out.counts.entry(clip(ty, 64)).or_default() += 1;
        match latest.get(id) {
            Some(&k) => {
                let modified = |o: &Map<String, Value>| {
                    str_field(o, "modified").and_then(|m| Ts::parse_rfc3339(m).ok())
                };
                let newer = modified(o) > modified(valid[k].1);
                if newer {
                    valid[k] = (ty, o);
                }
            }
            None => {
                latest.insert(id, valid.len());
                valid.push((ty, o));
            }
        }
    }
    let mut names: HashMap<&str, String> = HashMap::new();
    let mut tlps: HashMap<&str, Tlp> = HashMap::new();
    let mut indicates: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut attributed: HashMap<&str, Vec<&str>> = HashMap::new();
    for &(ty, o) in &valid {
        let id = str_field(o, "id").unwrap_or_default();
        match ty {
            "intrusion-set" | "threat-actor" | "campaign" | "malware" => {
                if let Some(n) = str_field(o, "name") {
                    names.insert(id, clip(n, MAX_NAME));
                }
            }
            "marking-definition" => {
                if let Some(t) = markings::from_object(o) {
                    tlps.insert(id, t);
                }
            }
            "relationship" => {
                let (Some(src), Some(dst)) =
                    (str_field(o, "source_ref"), str_field(o, "target_ref"))
                else {
                    out.rejected.push(reject(
                        clip(id, MAX_NAME),
                        "relationship without source_ref and target_ref".into(),
                    ));
                    continue;
                };
                match str_field(o, "relationship_type") {
                    Some("indicates") if type_of(src) == "indicator" => {
                        indicates.entry(src).or_default().push(dst);
                    }
                    Some("attributed-to") if type_of(src) == "campaign" => {
                        attributed.entry(src).or_default().push(dst);
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    // Pass 2: indicators and intrusion sets.
    for &(ty, o) in &valid {
        let id = str_field(o, "id").unwrap_or_default();
        match ty {
            "indicator" => match indicator(o, id, origin, &names, &tlps, &indicates, &attributed) {
                Ok(Ok(ind)) => out.indicators.push(ind),
                Ok(Err(reason)) => out.unsupported.push((clip(id, MAX_NAME), reason)),
                Err(reason) => out.rejected.push(reject(clip(id, MAX_NAME), reason)),
            },
            "intrusion-set" if o.get("revoked").and_then(Value::as_bool) == Some(true) => {}
            "intrusion-set" => match str_field(o, "name") {
                Some(name) => out.intrusion_sets.push(IntrusionSet {
                    id: clip(id, MAX_NAME),
                    name: clip(name, MAX_NAME),
                    aliases: strings(o, "aliases"),
                    description: str_field(o, "description").map(|d| clip(d, MAX_DESCRIPTION)),
                }),
                None => out.rejected.push(reject(
                    clip(id, MAX_NAME),
                    "intrusion-set without a name".into(),
                )),
            },
            _ => {}
        }
    }
    out
}

/// One indicator: `Ok(Ok)` imported, `Ok(Err(reason))` unsupported,
/// `Err(reason)` rejected.
#[allow(clippy::too_many_arguments)]
fn indicator(
    o: &Map<String, Value>,
    id: &str,
    origin: &Origin<'_>,
    names: &HashMap<&str, String>,
    tlps: &HashMap<&str, Tlp>,
    indicates: &HashMap<&str, Vec<&str>>,
    attributed: &HashMap<&str, Vec<&str>>,
) -> Result<Result<Indicator, String>, String> {
    let Some(text) = str_field(o, "pattern") else {
        return Err("indicator without a pattern".into());
    };
    let ts = |key: &str| -> Result<Option<Ts>, String> {
        match o.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ts::parse_rfc3339(s)
                .map(Some)
                .map_err(|e| format!("{key} {:?}: {e}", clip(s, 64))),
            Some(_) => Err(format!("{key} is not a string")),
        }
    };
    let valid_from = ts("valid_from")?;
    let valid_until = ts("valid_until")?;
    match str_field(o, "pattern_type") {
        None | Some("stix") => {}
        Some(other) => {
            return Ok(Err(format!(
                "pattern_type {:?} is not supported (only stix)",
                clip(other, 64)
            )))
        }
    }
    let pattern = Pattern::parse(text).map_err(|e| format!("pattern {e}"))?;
    if o.get("revoked").and_then(Value::as_bool) == Some(true) {
        return Ok(Err(REVOKED.into()));
    }
    if let Support::NotOnLogs(reason) = pattern.support() {
        return Ok(Err(reason));
    }
    let condition = match pattern.as_any() {
        Some(obs) => IndicatorCondition::Any(obs),
        None => IndicatorCondition::Pattern(text.to_string()),
    };
    let mut labels = Vec::new();
    for l in strings(o, "indicator_types")
        .into_iter()
        .chain(strings(o, "labels"))
    {
        push_unique(&mut labels, l);
    }
    let mut actors = Vec::new();
    for target in indicates.get(id).into_iter().flatten() {
        match type_of(target) {
            "intrusion-set" | "threat-actor" | "malware" | "campaign" => {
                if let Some(n) = names.get(target) {
                    push_unique(&mut actors, n.clone());
                }
                for a in attributed.get(target).into_iter().flatten() {
                    if let Some(n) = names.get(a) {
                        push_unique(&mut actors, n.clone());
                    }
                }
            }
            _ => {}
        }
    }
    let tlp = o
        .get("object_marking_refs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter_map(|m| markings::standard(m).or_else(|| tlps.get(m).copied()))
        .max()
        .or(origin.tlp);
    let confidence = o
        .get("confidence")
        .and_then(Value::as_u64)
        .filter(|c| *c <= 100)
        .map(|c| c as u8);
    let reference = str_field(o, "created_by_ref")
        .map(|r| clip(r, MAX_NAME))
        .or_else(|| {
            o.get("external_references")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find_map(|r| r.get("url").and_then(Value::as_str))
                .map(|u| clip(u, MAX_NAME))
        });
    Ok(Ok(Indicator {
        id: clip(id, MAX_NAME),
        name: clip(str_field(o, "name").unwrap_or(text), MAX_NAME),
        condition,
        valid_from,
        valid_until,
        labels,
        actors,
        provenance: Provenance {
            source: origin.source.to_string(),
            imported: origin.imported,
            confidence,
            tlp,
            reference,
        },
    }))
}
