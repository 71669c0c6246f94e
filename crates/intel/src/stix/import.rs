//! STIX objects as an intel source: the one conversion of the STIX reader's
//! result ([`StixImport`]) into the sources' [`Import`] (indicators and an
//! [`ImportSummary`]), for files (`sources::load_path`) and TAXII pages
//! (`sources::taxii`).
//!
//! The summary counts every object: indicators imported (per observable
//! kind, `pattern` for the rest), rejected (`file: object id` and the
//! reason), unsupported (per reason: a pattern type other than `stix`, a
//! pattern logs cannot answer; the ids in
//! [`ImportSummary::unsupported_samples`]), revoked indicators and objects
//! of other types skipped (`revoked`, `STIX <type>`).

use super::{read_objects_as, Origin, StixImport};
use crate::sources::{kind_of, Import, ImportOptions, ImportSummary};
use crate::{IndicatorCondition, IntelError};
use serde_json::Value;

/// The reason [`StixImport::unsupported`] gives for a revoked indicator
/// (skipped on purpose, counted as such in an [`ImportSummary`]).
pub const REVOKED: &str = "revoked";

/// Read a STIX document as an intel source: a bundle (or TAXII envelope),
/// an array of STIX objects, or one STIX object. `file` names the file or
/// URL in rejections, `source` is the indicators' provenance source;
/// `opts` gives the import time and the TLP of indicators without a
/// marking.
///
/// # Errors
/// The document is none of these.
pub fn import_value(
    v: &Value,
    file: &str,
    source: &str,
    opts: &ImportOptions,
) -> Result<Import, IntelError> {
    let objs: &[Value] = match v {
        Value::Array(a) => a,
        Value::Object(o) => match o.get("type").and_then(Value::as_str) {
            None | Some("bundle") => match o.get("objects") {
                Some(Value::Array(a)) => a,
                None if o.get("type").is_some() => &[],
                _ => {
                    return Err(IntelError::Format {
                        source_name: file.to_string(),
                        reason: "not a STIX bundle: no \"objects\" array".into(),
                    })
                }
            },
            Some(_) => std::slice::from_ref(v),
        },
        _ => {
            return Err(IntelError::Format {
                source_name: file.to_string(),
                reason: "not a STIX bundle, object or array of objects".into(),
            })
        }
    };
    Ok(import_objects(objs, file, source, opts))
}

/// Read STIX objects (a bundle's, or a TAXII page's) as an intel source;
/// see [`import_value`].
pub fn import_objects(objs: &[Value], file: &str, source: &str, opts: &ImportOptions) -> Import {
    let origin = Origin {
        file,
        source,
        imported: opts.imported,
        tlp: opts.tlp,
    };
    to_import(read_objects_as(objs, &origin), file)
}

/// The one conversion of a [`StixImport`] into an [`Import`].
fn to_import(s: StixImport, file: &str) -> Import {
    let mut summary = ImportSummary::default();
    for ind in &s.indicators {
        match &ind.condition {
            IndicatorCondition::Any(obs) => obs.iter().for_each(|o| summary.count(kind_of(o))),
            IndicatorCondition::Pattern(_) => summary.count("pattern"),
        }
    }
    for e in s.rejected {
        match e {
            IntelError::Rejected {
                location, reason, ..
            } => summary.reject(format!("{file}: {location}"), reason),
            other => summary.reject(file, other.to_string()),
        }
    }
    for (id, reason) in s.unsupported {
        if reason == REVOKED {
            summary.skip(REVOKED);
        } else {
            // Counted by the first reason (`not in logs: <first path>`);
            // the sample keeps the whole of it.
            let first = reason.split(", ").next().unwrap_or(&reason);
            summary.unsupported(&format!("STIX {first}"));
            summary.sample_unsupported(format!("{file}: {id}"), reason);
        }
    }
    for (ty, n) in s.counts {
        if ty != "indicator" {
            *summary.skipped.entry(format!("STIX {ty}")).or_default() += n as u64;
        }
    }
    Import {
        indicators: s.indicators,
        summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Observable, Tlp};
    use haboob_model::Ts;
    use serde_json::json;

    #[test]
    fn summary_counts_every_object() {
        let doc = json!({"type": "bundle", "id": "bundle--1", "objects": [
            {"type": "indicator", "id": "indicator--ip", "pattern": "[ipv4-addr:value = '198.51.100.7' OR domain-name:value = 'evil.example']", "valid_from": "2024-01-01T00:00:00Z"},
            {"type": "indicator", "id": "indicator--and", "pattern": "[ipv4-addr:value = '198.51.100.7' AND network-traffic:dst_port = 443]", "valid_from": "2024-01-01T00:00:00Z",
             "object_marking_refs": ["marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"]},
            {"type": "indicator", "id": "indicator--rev", "pattern": "[url:value = 'http://a.example/']", "revoked": true},
            {"type": "indicator", "id": "indicator--reg", "pattern": "[windows-registry-key:key = 'HKLM']"},
            {"type": "indicator", "id": "indicator--bad", "pattern": "[url:value = "},
            {"type": "malware", "id": "malware--1", "name": "m"},
            {"type": "relationship", "id": "relationship--1", "relationship_type": "indicates",
             "source_ref": "indicator--ip", "target_ref": "malware--1"},
        ]});
        let opts = ImportOptions {
            imported: Ts::from_secs(9),
            tlp: Some(Tlp::Green),
            ..ImportOptions::default()
        };
        let imp = import_value(&doc, "x.json", "stix:x.json", &opts).expect("bundle");
        let s = &imp.summary;
        assert_eq!(imp.indicators.len(), 2);
        assert_eq!(
            s.by_kind
                .iter()
                .map(|(k, v)| (k.as_str(), *v))
                .collect::<Vec<_>>(),
            [("domain", 1), ("ip", 1), ("pattern", 1)]
        );
        assert_eq!(s.rejected, 1);
        assert_eq!(s.rejections[0].location, "x.json: indicator--bad");
        assert_eq!(s.skipped.get("revoked"), Some(&1));
        assert_eq!(s.skipped.get("STIX malware"), Some(&1));
        assert_eq!(s.skipped.get("STIX relationship"), Some(&1));
        assert_eq!(
            s.unsupported
                .get("STIX not in logs: windows-registry-key:key"),
            Some(&1)
        );
        assert_eq!(s.unsupported_samples[0].location, "x.json: indicator--reg");
        // Provenance: the source given, the default TLP only where there is
        // no marking, the actor through `indicates`.
        let ip = &imp.indicators[0];
        assert_eq!(ip.provenance.source, "stix:x.json");
        assert_eq!(ip.provenance.imported, Ts::from_secs(9));
        assert_eq!(ip.provenance.tlp, Some(Tlp::Green));
        assert_eq!(ip.actors, ["m"]);
        assert_eq!(
            ip.condition,
            IndicatorCondition::Any(vec![
                Observable::Ip("198.51.100.7/32".parse().unwrap()),
                Observable::Domain("evil.example".into())
            ])
        );
        assert_eq!(imp.indicators[1].provenance.tlp, Some(Tlp::Red));
        // An array of objects and a single object read too; other JSON does not.
        let arr = json!([doc["objects"][0]]);
        assert_eq!(
            import_value(&arr, "a", "s", &opts)
                .unwrap()
                .indicators
                .len(),
            1
        );
        let one = doc["objects"][0].clone();
        assert_eq!(
            import_value(&one, "o", "s", &opts)
                .unwrap()
                .indicators
                .len(),
            1
        );
        assert!(import_value(&json!(3), "n", "s", &opts).is_err());
    }
}
