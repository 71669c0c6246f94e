//! Geo/ASN enrichment: two sources in different /24s that share an ASN and a
//! client are one cluster only when the ASN database is supplied.

use haboob_hunt::{hunt, Geo, HuntOptions};
use haboob_model::Ts;
use serde::Serialize;
use std::sync::Arc;

#[derive(Serialize)]
struct AsnRecord {
    autonomous_system_number: u32,
    autonomous_system_organization: String,
}

#[derive(Serialize)]
struct CountryRecord {
    country: Iso,
}

#[derive(Serialize)]
struct Iso {
    iso_code: String,
}

fn asn_db() -> Geo {
    let mut w = mmdb_writer::Writer::new("GeoLite2-ASN");
    for net in ["198.51.100.0/24", "203.0.113.0/24"] {
        w.insert(
            net.parse::<ipnet::IpNet>().unwrap(),
            &AsnRecord {
                autonomous_system_number: 64500,
                autonomous_system_organization: "Example Hosting".into(),
            },
        )
        .unwrap();
    }
    Geo::from_bytes("asn.mmdb", w.to_bytes().unwrap()).unwrap()
}

/// Entra sign-in lines: each source tries 3 existing accounts twice with a
/// bad password, with different rhythms (60 s and 300 s), same client.
fn sign_ins() -> String {
    let mut lines = Vec::new();
    let start = Ts::parse_rfc3339("2026-09-01T08:00:00Z").unwrap().0;
    for (ip, gap_s, users) in [
        ("198.51.100.10", 60i64, ["ann", "bob", "cy"]),
        ("203.0.113.20", 300, ["dee", "eve", "fay"]),
    ] {
        let mut t = start;
        for _round in 0..2 {
            for u in users {
                lines.push((
                    t,
                    format!(
                        "{{\"TimeGenerated\":\"{}\",\"UserPrincipalName\":\"{u}@news.example\",\"IPAddress\":\"{ip}\",\"ResultType\":\"50126\",\"AppDisplayName\":\"Office 365 Exchange Online\",\"ClientAppUsed\":\"IMAP4\",\"UserAgent\":\"python-requests/2.31\",\"TenantId\":\"t-news\",\"LocationDetails\":{{}}}}",
                        Ts(t)
                    ),
                ));
                t += gap_s * 1000;
            }
        }
    }
    lines.sort();
    lines.into_iter().map(|(_, l)| l + "\n").collect()
}

#[test]
fn asn_joins_sources_across_prefixes() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("signin.jsonl");
    std::fs::write(&f, sign_ins()).unwrap();
    let inputs = haboob_ingest::discover(&[f.display().to_string()]).unwrap();

    let plain = hunt(&inputs, &HuntOptions::default(), &|_| {});
    assert_eq!(plain.stats.rejected, 0, "{:?}", plain.stats.samples);
    assert_eq!(plain.stats.events, 12);
    assert!(plain.alerts.is_empty(), "{:#?}", plain.alerts);

    let opts = HuntOptions {
        geo: Some(Arc::new(asn_db())),
        ..HuntOptions::default()
    };
    let with_geo = hunt(&inputs, &opts, &|_| {});
    assert!(
        !with_geo.alerts.is_empty(),
        "the shared ASN should join the two sources"
    );
    let members: Vec<String> = with_geo.campaigns[0]
        .sources
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(members, ["198.51.100.10", "203.0.113.20"]);
    assert!(with_geo
        .alerts
        .iter()
        .all(|a| a.detector.starts_with("auth.")));
}

#[test]
fn lookup_reads_asn_and_country() {
    let mut w = mmdb_writer::Writer::new("GeoLite2-Country");
    w.insert(
        "192.0.2.0/24".parse::<ipnet::IpNet>().unwrap(),
        &CountryRecord {
            country: Iso {
                iso_code: "RO".into(),
            },
        },
    )
    .unwrap();
    let country = Geo::from_bytes("c.mmdb", w.to_bytes().unwrap()).unwrap();
    let info = country.lookup("192.0.2.9".parse().unwrap());
    assert_eq!((info.asn, info.country.as_deref()), (None, Some("RO")));
    assert_eq!(
        country.lookup("198.51.100.1".parse().unwrap()),
        Default::default()
    );
    let asn = asn_db().lookup("203.0.113.200".parse().unwrap());
    assert_eq!(asn.asn, Some(64500));
    assert!(Geo::from_bytes("bad", b"not a database".to_vec()).is_err());
}
