//! STIX 2.1 bundles of the corpus: exact counts of imported, unsupported
//! and rejected indicators, the observables, actors and provenance
//! (expected values read from the files with jq/python, not from this code).

use haboob_intel::stix::{read_bundle_path, StixImport};
use haboob_intel::{HashAlgo, IndicatorCondition, Observable};
use haboob_model::Ts;

fn load(test: &str, file: &str) -> Option<StixImport> {
    let path = haboob_testdata::corpus_file_or_skip(test, &format!("intel/stix/{file}"))?;
    Some(read_bundle_path(&path, Ts::from_secs(1_700_000_000)).expect("bundle reads"))
}

fn any_of(imp: &StixImport, id_suffix: &str) -> Vec<Observable> {
    let ind = imp
        .indicators
        .iter()
        .find(|i| i.id.ends_with(id_suffix))
        .unwrap_or_else(|| panic!("indicator …{id_suffix} imported"));
    match &ind.condition {
        IndicatorCondition::Any(v) => v.clone(),
        c => panic!("…{id_suffix}: expected Any, got {c:?}"),
    }
}

fn ip(s: &str) -> Observable {
    Observable::Ip(s.parse().expect("net"))
}

#[test]
fn poisonivy_indicators() {
    let Some(imp) = load("poisonivy_indicators", "oasis-poisonivy.json") else {
        return;
    };
    assert_eq!(imp.indicators.len(), 25);
    assert!(imp.unsupported.is_empty(), "{:?}", imp.unsupported);
    assert!(imp.rejected.is_empty(), "{:?}", imp.rejected);
    assert_eq!(imp.counts.get("indicator"), Some(&25));
    assert_eq!(imp.counts.get("relationship"), Some(&90));
    assert_eq!(imp.counts.get("campaign"), Some(&3));
    // file:name has no observable: kept as a pattern (2 of them).
    let patterns: Vec<&str> = imp
        .indicators
        .iter()
        .filter_map(|i| match &i.condition {
            IndicatorCondition::Pattern(p) => Some(p.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        patterns,
        [
            "[file:name = 'CBricksDoc']",
            "[file:name = 'CPiShellPutDoc']"
        ]
    );
    assert_eq!(
        any_of(&imp, "4dbf65459d50"),
        vec![
            Observable::Domain("nkr.iphone.qpoe.com".into()),
            ip("180.210.206.96/32"),
            ip("101.78.151.179/32")
        ]
    );
    let first = imp
        .indicators
        .iter()
        .find(|i| i.id.ends_with("1e27af3c4bde"))
        .unwrap();
    assert_eq!(first.name, "IP address: 219.76.208.163");
    assert_eq!(first.labels, ["malicious-activity", "attribution"]);
    let mut actors = first.actors.clone();
    actors.sort();
    assert_eq!(
        actors,
        [
            "PIVY Variant (808e21d6efa2884811fbd0adf67fda78)",
            "admin@338"
        ]
    );
    assert_eq!(
        first.valid_from,
        Some(Ts::parse_rfc3339("2015-05-15T09:12:16.432Z").unwrap())
    );
    assert_eq!(
        first.provenance.source.rsplit('/').next(),
        Some("oasis-poisonivy.json")
    );
    assert_eq!(first.provenance.imported, Ts::from_secs(1_700_000_000));
    assert_eq!(first.provenance.tlp, None);
}

#[test]
fn apt1_cidrs_domains_hashes() {
    let Some(imp) = load("apt1_cidrs_domains_hashes", "oasis-apt1.json") else {
        return;
    };
    assert_eq!(imp.counts.get("indicator"), Some(&12));
    assert_eq!(imp.indicators.len(), 10);
    assert!(imp.rejected.is_empty(), "{:?}", imp.rejected);
    // The two x509-certificate indicators cannot match logs.
    assert_eq!(imp.unsupported.len(), 2);
    for (_, reason) in &imp.unsupported {
        assert!(reason.contains("x509-certificate:issuer"), "{reason}");
        assert!(
            reason.contains("x509-certificate:serial_number"),
            "{reason}"
        );
    }
    assert_eq!(any_of(&imp, "c8d72b81ccd5"), vec![ip("223.166.0.0/15")]);
    assert_eq!(any_of(&imp, "136e41ab00e4"), vec![ip("139.226.0.0/15")]);
    assert_eq!(
        any_of(&imp, "1991179042ba"),
        vec![Observable::Domain("hugesoft.org".into())]
    );
    assert_eq!(
        any_of(&imp, "3699ca8c9691"),
        vec![Observable::Hash(
            HashAlgo::Md5,
            "001dd76872d80801692ff942308c64e6".into()
        )]
    );
    let ug = imp
        .indicators
        .iter()
        .find(|i| i.id.ends_with("1991179042ba"))
        .unwrap();
    assert_eq!(ug.actors, ["Ugly Gorilla"]);
    assert_eq!(imp.intrusion_sets.len(), 1);
    let apt1 = &imp.intrusion_sets[0];
    assert_eq!(apt1.name, "APT1");
    assert_eq!(apt1.aliases, ["Comment Crew", "Comment Group", "Shady Rat"]);
    assert!(apt1.description.is_some());
}

#[test]
fn amnesty_novispy_quirks() {
    let Some(imp) = load("amnesty_novispy_quirks", "amnesty-novispy.stix2") else {
        return;
    };
    assert_eq!(imp.counts.get("indicator"), Some(&18));
    assert!(imp.rejected.is_empty(), "{:?}", imp.rejected);
    // 7 addresses written as domain-name:value + 4 lower-case sha256 hashes.
    assert_eq!(imp.indicators.len(), 11);
    // 4 app:id + 3 app:cert.sha256 custom objects.
    assert_eq!(imp.unsupported.len(), 7);
    assert_eq!(
        imp.unsupported
            .iter()
            .filter(|(_, r)| r == "not in logs: app:id")
            .count(),
        4
    );
    assert_eq!(
        imp.unsupported
            .iter()
            .filter(|(_, r)| r == "not in logs: app:cert.sha256")
            .count(),
        3
    );
    assert_eq!(any_of(&imp, "08d07d708db9"), vec![ip("176.223.111.131/32")]);
    assert_eq!(
        any_of(&imp, "a8c0a0ea3654"),
        vec![Observable::Hash(
            HashAlgo::Sha256,
            "d55e492d5fce87898e065572a5553d1ac1389cd12bf3d28cabc1218cb29780af".into()
        )]
    );
    for i in &imp.indicators {
        assert_eq!(i.actors, ["NoviSpy"], "{}", i.id);
        assert_eq!(i.labels, ["malicious-activity"], "{}", i.id);
    }
    // Amnesty's indicators have no name: the pattern names them.
    let first = imp
        .indicators
        .iter()
        .find(|i| i.id.ends_with("08d07d708db9"))
        .unwrap();
    assert_eq!(first.name, "[domain-name:value='176.223.111.131']");
}

#[test]
fn misp_made_bundle() {
    let Some(imp) = load(
        "misp_made_bundle",
        "misp-stix-test_objects_collection_stix21.json",
    ) else {
        return;
    };
    assert_eq!(imp.counts.get("indicator"), Some(&3));
    assert_eq!(imp.counts.get("observed-data"), Some(&4));
    assert!(imp.rejected.is_empty(), "{:?}", imp.rejected);
    assert_eq!(imp.indicators.len(), 2);
    assert_eq!(
        any_of(&imp, "159da964451a"),
        vec![Observable::Email("donald.duck@disney.com".into())]
    );
    let multi = imp
        .indicators
        .iter()
        .find(|i| i.id.ends_with("3b4da964451a"))
        .unwrap();
    assert!(
        matches!(&multi.condition, IndicatorCondition::Pattern(p) if p.contains("file:hashes.'SHA-1'")),
        "{:?}",
        multi.condition
    );
    assert_eq!(
        multi.labels,
        ["misp:name=\"file\"", "misp:meta-category=\"file\""]
    );
    // domain-name:resolves_to_refs is not in logs.
    assert_eq!(imp.unsupported.len(), 1);
    assert!(imp.unsupported[0].0.ends_with("02550a00020f"));
    assert_eq!(
        imp.unsupported[0].1,
        "not in logs: domain-name:resolves_to_refs[*].value"
    );
}

#[test]
fn c2_with_coa_and_email() {
    let Some(imp) = load(
        "c2_with_coa_and_email",
        "oasis-indicators-for-C2-with-COA.json",
    ) else {
        return;
    };
    assert_eq!(imp.indicators.len(), 2);
    assert_eq!(any_of(&imp, "97c02164528d"), vec![ip("10.0.0.0/32")]);
    for i in &imp.indicators {
        assert_eq!(i.actors, ["Poison Ivy"]);
        assert_eq!(
            i.provenance.reference.as_deref(),
            Some("identity--f690c992-8e7d-4b9a-9303-3312616c0220")
        );
    }
    let Some(mail) = load(
        "c2_with_coa_and_email",
        "oasis-malicious-email-indicator-with-attachment.json",
    ) else {
        return;
    };
    // Subject and attachment name are not in logs.
    assert!(mail.indicators.is_empty());
    assert_eq!(mail.unsupported.len(), 2);
    assert!(mail.rejected.is_empty());
}

#[test]
fn misp_converted_bundle_has_no_indicators() {
    let Some(imp) = load(
        "misp_converted_bundle_has_no_indicators",
        "misp-stix-converted-eset-kryptocibule.json",
    ) else {
        return;
    };
    assert!(imp.indicators.is_empty());
    assert!(imp.unsupported.is_empty());
    assert!(imp.rejected.is_empty());
    assert_eq!(imp.counts.get("observed-data"), Some(&123));
    assert_eq!(imp.counts.get("domain-name"), Some(&67));
    assert_eq!(imp.counts.get("x-misp-attribute"), Some(&68));
}

/// The objects of a medallion (TAXII 2.1 server) collection, as a pull
/// returns them: three versions of one indicator, a TLP marking object.
#[test]
fn medallion_collection_objects() {
    let Some(path) = haboob_testdata::corpus_file_or_skip(
        "medallion_collection_objects",
        "intel/taxii/medallion-default_data.json",
    ) else {
        return;
    };
    let data: serde_json::Value =
        serde_json::from_reader(std::fs::File::open(path).expect("open")).expect("json");
    let collection = data["trustgroup1"]["collections"]
        .as_array()
        .expect("collections")
        .iter()
        .find(|c| c["id"] == "91a7b528-80eb-42ed-a74d-c6fbd5a26116")
        .expect("collection");
    let objects = collection["objects"].as_array().expect("objects");
    let imp = haboob_intel::stix::read_objects(objects, "taxii:trustgroup1", Ts(0));
    assert!(imp.rejected.is_empty() && imp.unsupported.is_empty());
    assert_eq!(imp.counts.get("indicator"), Some(&4));
    assert_eq!(imp.indicators.len(), 2);
    assert_eq!(
        any_of(&imp, "51178443bdac"),
        vec![Observable::Hash(
            HashAlgo::Sha256,
            "ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c".into()
        )]
    );
    assert_eq!(imp.indicators[0].actors, ["Poison Ivy"]);
    assert_eq!(imp.indicators[0].labels, ["file-hash-watchlist"]);
    // The latest version (modified 2017-01-27) of the URL indicator.
    assert_eq!(
        any_of(&imp, "1c658a46574e"),
        vec![Observable::Url("http://x4z9arb.cn/4712".into())]
    );
    assert_eq!(
        imp.indicators[1].valid_from,
        Some(Ts::parse_rfc3339("2016-11-03T12:30:59Z").unwrap())
    );
}

/// The MITRE ATT&CK enterprise bundle (groups subset): intrusion sets with
/// their aliases across vendors; revoked ones left out.
#[test]
fn attack_intrusion_sets() {
    let Some(path) = haboob_testdata::corpus_file_or_skip(
        "attack_intrusion_sets",
        "attack/enterprise-attack-18.1-groups-reduced.json",
    ) else {
        return;
    };
    let imp = read_bundle_path(&path, Ts(0)).expect("bundle reads");
    assert!(imp.rejected.is_empty(), "{:?}", imp.rejected.first());
    assert!(imp.indicators.is_empty());
    assert_eq!(imp.counts.get("intrusion-set"), Some(&187));
    assert_eq!(imp.counts.get("relationship"), Some(&5466));
    // 6 of the 187 are revoked.
    assert_eq!(imp.intrusion_sets.len(), 181);
    let mh = imp
        .intrusion_sets
        .iter()
        .find(|i| i.name == "Magic Hound")
        .expect("Magic Hound");
    for alias in [
        "APT35",
        "Charming Kitten",
        "Phosphorus",
        "Mint Sandstorm",
        "TA453",
    ] {
        assert!(mh.aliases.iter().any(|a| a == alias), "{alias}");
    }
}

/// Every observable an indicator stands for matches an event carrying it,
/// and an event carrying none of them (a decoy) matches no indicator.
#[test]
fn observables_agree_with_evaluation() {
    for file in [
        "oasis-poisonivy.json",
        "oasis-apt1.json",
        "amnesty-novispy.stix2",
    ] {
        let Some(path) = haboob_testdata::corpus_file_or_skip(
            "observables_agree_with_evaluation",
            &format!("intel/stix/{file}"),
        ) else {
            return;
        };
        let doc: serde_json::Value =
            serde_json::from_reader(std::fs::File::open(path).expect("open")).expect("json");
        let decoy_hashes = [(HashAlgo::Md5, "00000000000000000000000000000000")];
        let decoy = haboob_intel::Observed {
            src_ip: Some("192.0.2.250".parse().unwrap()),
            dst_ip: Some("2001:db8::250".parse().unwrap()),
            domain: Some("decoy.example"),
            url: Some("http://decoy.example/"),
            hashes: &decoy_hashes,
            ..Default::default()
        };
        let mut checked = 0;
        for o in doc["objects"].as_array().expect("objects") {
            let Some(text) = o["pattern"].as_str() else {
                continue;
            };
            let p = haboob_intel::Pattern::parse(text).expect("parses");
            assert!(!p.matches(&decoy), "{file}: decoy matched {text}");
            let Some(obs) = p.as_any() else { continue };
            for ob in obs {
                let hashes;
                let ev = match &ob {
                    Observable::Ip(net) => haboob_intel::Observed {
                        dst_ip: Some(net.addr()),
                        ..Default::default()
                    },
                    Observable::Domain(d) => haboob_intel::Observed {
                        domain: Some(d),
                        ..Default::default()
                    },
                    Observable::Hash(a, h) => {
                        hashes = [(*a, h.as_str())];
                        haboob_intel::Observed {
                            hashes: &hashes,
                            ..Default::default()
                        }
                    }
                    other => panic!("{file}: unexpected {other:?}"),
                };
                assert!(p.matches(&ev), "{file}: {ob:?} does not match {text}");
                checked += 1;
            }
        }
        let expected = match file {
            "oasis-poisonivy.json" => 65,
            "oasis-apt1.json" => 10,
            _ => 11,
        };
        assert_eq!(checked, expected, "{file}");
    }
}
