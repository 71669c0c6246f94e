//! Hand-written bundles: markings, relationships, provenance, and every way
//! an object is rejected or left unsupported.

use super::*;
use crate::Observable;
use serde_json::json;

fn read(objects: Value) -> StixImport {
    let bundle = json!({"type": "bundle", "id": "bundle--t", "objects": objects});
    read_bundle(bundle.to_string().as_bytes(), "test.json", Ts::from_secs(5)).expect("bundle")
}

fn ind(id: &str, pattern: &str) -> Value {
    json!({"type": "indicator", "spec_version": "2.1", "id": id, "pattern": pattern,
           "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"})
}

fn with(mut v: Value, key: &str, val: Value) -> Value {
    v[key] = val;
    v
}

#[test]
fn not_a_bundle_is_a_format_error() {
    for doc in [
        &b"not json"[..],
        b"[1, 2]",
        b"{\"type\": \"indicator\"}",
        b"{\"id\": 1}",
    ] {
        match read_bundle(doc, "x.json", Ts(0)) {
            Err(IntelError::Format {
                source_name,
                reason,
            }) => {
                assert_eq!(source_name, "x.json");
                assert!(!reason.is_empty());
            }
            other => panic!("{:?}: {other:?}", String::from_utf8_lossy(doc)),
        }
    }
    // A TAXII envelope (objects without a bundle type) reads.
    let env = json!({"objects": [ind("indicator--1", "[url:value = 'http://a.example/']")]});
    let imp = read_bundle(env.to_string().as_bytes(), "taxii", Ts(0)).expect("envelope");
    assert_eq!(imp.indicators.len(), 1);
}

#[test]
fn bad_objects_are_rejected_with_their_id() {
    let imp = read(json!([
        {"type": "indicator"},
        {"id": "indicator--notype"},
        "a string",
        ind("indicator--bad", "[file:name = 'a'"),
        with(ind("indicator--time", "[file:name = 'a']"), "valid_from", json!("yesterday")),
        json!({"type": "indicator", "id": "indicator--nopattern"}),
        {"type": "relationship", "id": "relationship--1", "relationship_type": "indicates"},
        {"type": "intrusion-set", "id": "intrusion-set--noname"},
        ind("indicator--ok", "[file:name = 'a']"),
    ]));
    assert_eq!(imp.indicators.len(), 1);
    let got: Vec<(String, String)> = imp
        .rejected
        .iter()
        .map(|e| match e {
            IntelError::Rejected {
                source_name,
                location,
                reason,
            } => {
                assert_eq!(source_name, "test.json");
                (location.clone(), reason.clone())
            }
            e => panic!("{e:?}"),
        })
        .collect();
    let locations: Vec<&str> = got.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(
        locations,
        [
            "objects[0]",
            "indicator--notype",
            "objects[2]",
            "relationship--1",
            "indicator--bad",
            "indicator--time",
            "indicator--nopattern",
            "intrusion-set--noname",
        ]
    );
    assert_eq!(
        got[4].1,
        "pattern at byte 16: expected ']', found end of pattern"
    );
    assert!(
        got[5].1.starts_with("valid_from \"yesterday\""),
        "{}",
        got[5].1
    );
}

#[test]
fn unsupported_indicators_say_why() {
    let imp = read(json!([
        with(ind("indicator--snort", "alert tcp any any -> any any"), "pattern_type", json!("snort")),
        ind("indicator--reg", "[windows-registry-key:key = 'HKLM\\\\Run']"),
        with(ind("indicator--revoked", "[url:value = 'http://a.example/']"), "revoked", json!(true)),
        ind("indicator--ua", "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'Mozilla Firefox']"),
    ]));
    assert_eq!(
        imp.unsupported,
        [
            (
                "indicator--snort".to_string(),
                "pattern_type \"snort\" is not supported (only stix)".to_string()
            ),
            (
                "indicator--reg".to_string(),
                "not in logs: windows-registry-key:key".to_string()
            ),
            ("indicator--revoked".to_string(), "revoked".to_string()),
        ]
    );
    assert_eq!(imp.indicators.len(), 1);
    assert_eq!(
        imp.indicators[0].condition,
        IndicatorCondition::Any(vec![Observable::UserAgent("Mozilla Firefox".into())])
    );
}

#[test]
fn tlp_markings() {
    let m = |refs: Value| {
        with(
            ind("indicator--m", "[url:value = 'http://a.example/']"),
            "object_marking_refs",
            refs,
        )
    };
    let tlp_of = |objects: Value| read(objects).indicators[0].provenance.tlp;
    // TLP 1.0 and 2.0 standard ids.
    assert_eq!(
        tlp_of(json!([m(json!([
            "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
        ]))])),
        Some(Tlp::Clear)
    );
    assert_eq!(
        tlp_of(json!([m(json!([
            "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
        ]))])),
        Some(Tlp::Green)
    );
    assert_eq!(
        tlp_of(json!([m(json!([
            "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
        ]))])),
        Some(Tlp::AmberStrict)
    );
    // The most restrictive of several.
    assert_eq!(
        tlp_of(json!([m(json!([
            "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
            "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
        ]))])),
        Some(Tlp::Red)
    );
    // Defined in the bundle: STIX 2.0/2.1 `definition_type: tlp`, and a
    // TLP 2.0 style name.
    assert_eq!(
        tlp_of(json!([
            {"type": "marking-definition", "id": "marking-definition--local",
             "definition_type": "tlp", "definition": {"tlp": "amber"}},
            m(json!(["marking-definition--local"]))
        ])),
        Some(Tlp::Amber)
    );
    assert_eq!(
        tlp_of(json!([
            {"type": "marking-definition", "id": "marking-definition--named", "name": "TLP:AMBER+STRICT"},
            m(json!(["marking-definition--named"]))
        ])),
        Some(Tlp::AmberStrict)
    );
    assert_eq!(
        tlp_of(json!([
            {"type": "marking-definition", "id": "marking-definition--v2", "definition_type": "TLP:GREEN",
             "extensions": {"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d":
                 {"extension_type": "property-extension", "tlp_2_0": "green"}}},
            m(json!(["marking-definition--v2"]))
        ])),
        Some(Tlp::Green)
    );
    assert_eq!(
        tlp_of(json!([
            {"type": "marking-definition", "id": "marking-definition--ext",
             "extensions": {"extension-definition--x": {"tlp_2_0": "red"}}},
            m(json!(["marking-definition--ext"]))
        ])),
        Some(Tlp::Red)
    );
    // Other markings are not TLP.
    assert_eq!(
        tlp_of(json!([
            {"type": "marking-definition", "id": "marking-definition--stmt",
             "definition_type": "statement", "definition": {"statement": "Copyright"}},
            m(json!(["marking-definition--stmt"]))
        ])),
        None
    );
}

#[test]
fn actors_through_relationships() {
    let imp = read(json!([
        ind("indicator--a", "[domain-name:value = 'a.example']"),
        ind("indicator--b", "[domain-name:value = 'b.example']"),
        {"type": "intrusion-set", "id": "intrusion-set--1", "name": "Mint Sandstorm",
         "aliases": ["APT35", "Charming Kitten"], "description": "Iran"},
        {"type": "campaign", "id": "campaign--1", "name": "Spring 2024"},
        {"type": "threat-actor", "id": "threat-actor--1", "name": "Phosphorus"},
        {"type": "attack-pattern", "id": "attack-pattern--1", "name": "Phishing"},
        {"type": "relationship", "id": "relationship--1", "relationship_type": "indicates",
         "source_ref": "indicator--a", "target_ref": "intrusion-set--1"},
        {"type": "relationship", "id": "relationship--2", "relationship_type": "indicates",
         "source_ref": "indicator--b", "target_ref": "campaign--1"},
        {"type": "relationship", "id": "relationship--3", "relationship_type": "attributed-to",
         "source_ref": "campaign--1", "target_ref": "threat-actor--1"},
        {"type": "relationship", "id": "relationship--4", "relationship_type": "indicates",
         "source_ref": "indicator--b", "target_ref": "attack-pattern--1"},
        {"type": "relationship", "id": "relationship--5", "relationship_type": "related-to",
         "source_ref": "indicator--a", "target_ref": "threat-actor--1"},
    ]));
    assert_eq!(imp.indicators[0].actors, ["Mint Sandstorm"]);
    assert_eq!(imp.indicators[1].actors, ["Spring 2024", "Phosphorus"]);
    assert_eq!(
        imp.intrusion_sets,
        [IntrusionSet {
            id: "intrusion-set--1".into(),
            name: "Mint Sandstorm".into(),
            aliases: vec!["APT35".into(), "Charming Kitten".into()],
            description: Some("Iran".into()),
        }]
    );
    assert_eq!(imp.counts.get("relationship"), Some(&5));
}

#[test]
fn provenance_and_versions() {
    let imp = read(json!([
        {"type": "indicator", "id": "indicator--v", "pattern": "[url:value = 'http://old.example/']",
         "modified": "2024-01-01T00:00:00Z", "valid_from": "2024-01-01T00:00:00Z"},
        {"type": "indicator", "id": "indicator--v", "pattern": "[url:value = 'http://new.example/']",
         "modified": "2024-02-01T00:00:00Z", "valid_from": "2024-01-01T00:00:00Z",
         "valid_until": "2025-01-01T00:00:00Z", "confidence": 85,
         "indicator_types": ["malicious-activity"], "labels": ["seized", "malicious-activity"],
         "external_references": [{"source_name": "report"}, {"source_name": "court", "url": "https://court.example/order"}]},
        with(with(ind("indicator--c", "[url:value = 'http://c.example/']"), "confidence", json!(101)),
             "created_by_ref", json!("identity--isac")),
    ]));
    assert_eq!(imp.indicators.len(), 2);
    assert_eq!(imp.counts.get("indicator"), Some(&3));
    let v = &imp.indicators[0];
    assert_eq!(
        v.condition,
        IndicatorCondition::Any(vec![Observable::Url("http://new.example/".into())])
    );
    assert_eq!(v.name, "[url:value = 'http://new.example/']");
    assert_eq!(
        v.valid_until,
        Ts::parse_rfc3339("2025-01-01T00:00:00Z").ok()
    );
    assert_eq!(v.labels, ["malicious-activity", "seized"]);
    assert_eq!(v.provenance.confidence, Some(85));
    assert_eq!(
        v.provenance.reference.as_deref(),
        Some("https://court.example/order")
    );
    assert_eq!(v.provenance.source, "test.json");
    assert_eq!(v.provenance.imported, Ts::from_secs(5));
    let c = &imp.indicators[1];
    assert_eq!(c.provenance.confidence, None);
    assert_eq!(c.provenance.reference.as_deref(), Some("identity--isac"));
}

#[test]
fn long_text_is_bounded() {
    let long = "x".repeat(10_000);
    let imp = read(json!([
        with(ind("indicator--long", "[url:value = 'http://a.example/']"), "name", json!(long)),
        {"type": "intrusion-set", "id": "intrusion-set--l", "name": "n", "aliases": [long], "description": "é".repeat(20_000)},
    ]));
    assert!(imp.indicators[0].name.len() <= MAX_NAME + 3);
    assert!(imp.intrusion_sets[0].aliases[0].len() <= MAX_NAME + 3);
    assert!(imp.intrusion_sets[0].description.as_ref().unwrap().len() <= MAX_DESCRIPTION + 3);
}
