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

#[derive(Serialize)]
struct CityRecord {
    country: Iso,
    location: Location,
}

#[derive(Serialize)]
struct Location {
    latitude: f64,
    longitude: f64,
    accuracy_radius: u16,
}

/// A GeoLite2-City-shaped database: Paris, a second Paris network, London,
/// Sydney. 100.64.0.0/10 is not in it.
fn city_db() -> Geo {
    let mut w = mmdb_writer::Writer::new("GeoLite2-City");
    for (net, cc, lat, lon) in [
        ("192.0.2.0/24", "FR", 48.8566, 2.3522),
        ("198.51.100.128/25", "FR", 48.86, 2.34),
        ("198.51.100.0/25", "GB", 51.5074, -0.1278),
        ("203.0.113.0/24", "AU", -33.8688, 151.2093),
    ] {
        w.insert(
            net.parse::<ipnet::IpNet>().unwrap(),
            &CityRecord {
                country: Iso {
                    iso_code: cc.into(),
                },
                location: Location {
                    latitude: lat,
                    longitude: lon,
                    accuracy_radius: 20,
                },
            },
        )
        .unwrap();
    }
    Geo::from_bytes("city.mmdb", w.to_bytes().unwrap()).unwrap()
}

#[test]
fn lookup_reads_city_locations() {
    let geo = city_db();
    let info = geo.lookup("203.0.113.7".parse().unwrap());
    assert_eq!(info.country.as_deref(), Some("AU"));
    let at = info.location.unwrap();
    assert_eq!((at.lat, at.lon, at.radius_km), (-33.8688, 151.2093, 20));
    assert_eq!(
        geo.lookup("100.64.0.1".parse().unwrap()),
        Default::default()
    );
    // ASN and Country databases have no location.
    assert_eq!(
        asn_db().lookup("203.0.113.7".parse().unwrap()).location,
        None
    );
}

/// Successful Entra sign-ins: (hours after the start, account, address).
fn successes(rows: &[(i64, &str, &str)]) -> String {
    let start = Ts::parse_rfc3339("2026-09-01T08:00:00Z").unwrap().0;
    let mut rows = rows.to_vec();
    rows.sort();
    rows.iter()
        .map(|(h, u, ip)| {
            format!(
                "{{\"TimeGenerated\":\"{}\",\"UserPrincipalName\":\"{u}@news.example\",\"IPAddress\":\"{ip}\",\"ResultType\":\"0\",\"AppDisplayName\":\"OfficeHome\",\"ClientAppUsed\":\"Browser\",\"UserAgent\":\"Mozilla/5.0\",\"TenantId\":\"t-news\",\"LocationDetails\":{{}}}}\n",
                Ts(start + h * 3_600_000 / 6)
            )
        })
        .collect()
}

#[test]
fn impossible_travel_through_the_pipeline_with_a_city_database() {
    // Times in tenths of an hour (6 minutes).
    let log = successes(&[
        // Paris, then Sydney 2 h later: impossible.
        (0, "ann", "192.0.2.10"),
        (20, "ann", "203.0.113.20"),
        // Two Paris networks 10 minutes apart.
        (0, "bob", "192.0.2.11"),
        (1, "bob", "198.51.100.140"),
        // Paris, then Sydney 30 h later.
        (0, "cy", "192.0.2.12"),
        (300, "cy", "203.0.113.21"),
        // Paris, then London (344 km) 20 minutes later: a VPN exit.
        (0, "dee", "192.0.2.13"),
        (3, "dee", "198.51.100.9"),
        // Paris, then an address the database does not know.
        (0, "eve", "192.0.2.14"),
        (10, "eve", "100.64.0.1"),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("signin.jsonl");
    std::fs::write(&f, log).unwrap();
    let inputs = haboob_ingest::discover(&[f.display().to_string()]).unwrap();

    let plain = hunt(&inputs, &HuntOptions::default(), &|_| {});
    assert_eq!((plain.stats.events, plain.stats.rejected), (10, 0));
    assert!(plain.alerts.is_empty(), "no locations without --geoip");

    let opts = HuntOptions {
        geo: Some(Arc::new(city_db())),
        ..HuntOptions::default()
    };
    let r = hunt(&inputs, &opts, &|_| {});
    let alerts = r.alerts.to_vec();
    let got: Vec<(&str, Option<&str>, String)> = alerts
        .iter()
        .map(|a| {
            (
                a.detector.as_str(),
                a.user.as_deref(),
                a.source.ip.unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [(
            "auth.impossible_travel",
            Some("ann@news.example"),
            "203.0.113.20".to_string()
        )]
    );
    let a = &r.alerts.to_vec()[0];
    assert_eq!(a.details["distance_km"], 16_920);
    assert_eq!(a.details["from"]["country"], "FR");
    assert_eq!(a.evidence.len(), 2);
    assert_eq!(r.campaigns.len(), 1);
    assert_eq!(r.campaigns[0].funnel.unwrap().attempts, 0);
}
