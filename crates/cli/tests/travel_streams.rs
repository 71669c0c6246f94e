//! `auth.impossible_travel` across inputs: a success in an Entra ID export
//! and one in an Okta System Log are compared (each file is its own stream,
//! hunted in parallel), with a City database generated here.

mod common;

use common::{haboob, jsonl};
use serde::Serialize;
use std::path::Path;

#[derive(Serialize)]
struct CityRecord {
    country: Iso,
    location: Location,
}

#[derive(Serialize)]
struct Iso {
    iso_code: String,
}

#[derive(Serialize)]
struct Location {
    latitude: f64,
    longitude: f64,
    accuracy_radius: u16,
}

/// A GeoLite2-City-shaped database: Paris and Tehran.
fn write_city_db(path: &Path) {
    let mut w = mmdb_writer::Writer::new("GeoLite2-City");
    for (net, cc, lat, lon) in [
        ("192.0.2.0/24", "FR", 48.8566, 2.3522),
        ("198.51.100.0/24", "IR", 35.6892, 51.3890),
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
    std::fs::write(path, w.to_bytes().unwrap()).unwrap();
}

/// ann signs in to Entra from Paris at 08:00, and to Okta from Tehran at
/// `okta_time`; bob signs in to both from Paris.
fn write_logs(dir: &Path, okta_time: &str) -> [String; 2] {
    let entra = dir.join("entra-signins.jsonl");
    let mut e = String::new();
    for (t, u, ip) in [
        ("2026-09-01T08:00:00Z", "ann", "192.0.2.10"),
        ("2026-09-01T08:05:00Z", "bob", "192.0.2.11"),
    ] {
        e.push_str(&format!(
            "{{\"TimeGenerated\":\"{t}\",\"UserPrincipalName\":\"{u}@news.example\",\"IPAddress\":\"{ip}\",\"ResultType\":\"0\",\"AppDisplayName\":\"OfficeHome\",\"ClientAppUsed\":\"Browser\",\"UserAgent\":\"Mozilla/5.0\",\"TenantId\":\"t-news\",\"LocationDetails\":{{}}}}\n"
        ));
    }
    std::fs::write(&entra, e).unwrap();
    let okta = dir.join("okta-system-log.jsonl");
    let mut o = String::new();
    for (t, u, ip) in [
        (okta_time, "ann", "198.51.100.20"),
        ("2026-09-01T08:30:00Z", "bob", "192.0.2.11"),
    ] {
        o.push_str(&format!(
            "{{\"published\":\"{t}\",\"eventType\":\"user.session.start\",\"actor\":{{\"alternateId\":\"{u}@news.example\",\"type\":\"User\"}},\"client\":{{\"ipAddress\":\"{ip}\",\"userAgent\":{{\"rawUserAgent\":\"Mozilla/5.0\"}}}},\"outcome\":{{\"result\":\"SUCCESS\"}}}}\n"
        ));
    }
    std::fs::write(&okta, o).unwrap();
    [entra.display().to_string(), okta.display().to_string()]
}

fn hunt(dir: &Path, logs: &[String; 2], threads: &str) -> std::process::Output {
    let db = dir.join("city.mmdb");
    write_city_db(&db);
    haboob()
        .args([
            "--threads",
            threads,
            "hunt",
            "--output-format",
            "jsonl",
            "--geoip",
        ])
        .arg(&db)
        .args(logs)
        .output()
        .unwrap()
}

#[test]
fn paris_in_entra_then_tehran_in_okta_twenty_minutes_later_is_one_alert() {
    let dir = tempfile::tempdir().unwrap();
    let logs = write_logs(dir.path(), "2026-09-01T08:20:00Z");
    let out = hunt(dir.path(), &logs, "2");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = jsonl(&out.stdout);
    let alerts: Vec<_> = v.iter().filter(|o| o["kind"] == "alert").collect();
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let a = alerts[0];
    assert_eq!(a["detector"], "auth.impossible_travel");
    assert_eq!(a["user"], "ann@news.example");
    assert_eq!(a["source"]["ip"], "198.51.100.20");
    assert_eq!(a["details"]["from"]["country"], "FR");
    assert_eq!(a["details"]["to"]["country"], "IR");
    assert_eq!(a["details"]["distance_km"], 4_168);
    let ev: Vec<(String, u64)> = a["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let f = e["file"].as_str().unwrap();
            let name = Path::new(f).file_name().unwrap().to_str().unwrap();
            (name.to_string(), e["line"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(
        ev,
        [
            ("entra-signins.jsonl".to_string(), 1),
            ("okta-system-log.jsonl".to_string(), 1)
        ]
    );
    // The same on one thread: streams ending in another order change nothing.
    let one = hunt(dir.path(), &logs, "1");
    assert_eq!(one.stdout, out.stdout);
}

#[test]
fn paris_then_tehran_six_hours_later_is_plausible() {
    let dir = tempfile::tempdir().unwrap();
    let logs = write_logs(dir.path(), "2026-09-01T14:00:00Z");
    let out = hunt(dir.path(), &logs, "2");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = jsonl(&out.stdout);
    let alerts: Vec<_> = v.iter().filter(|o| o["kind"] == "alert").collect();
    assert!(alerts.is_empty(), "{alerts:#?}");
    let s = v.iter().find(|o| o["kind"] == "summary").unwrap();
    assert_eq!(
        (&s["lines"], &s["parsed"]),
        (&4.into(), &4.into()),
        "{s:#?}"
    );
}
