//! Network logs (Zeek TSV and JSON, Suricata EVE, Squid) read from the
//! fixtures in `tests/fixtures/{zeek,suricata,squid}` (see SOURCES.md there)
//! with format auto-detection: every line parsed or rejected with a reason,
//! every event exactly as expected.

use haboob_ingest::{read_input, Input, ReadOptions, ReadStats};
use haboob_model::EventRef;
use std::path::PathBuf;

/// line, dataset, client, server, domain, url, method, status, answers.
type Row = (
    u64,
    String,
    String,
    String,
    String,
    String,
    String,
    u16,
    String,
);

fn read(rel: &str) -> (ReadStats, Vec<Row>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel);
    let mut rows = Vec::new();
    let s = read_input(
        &Input::File(path),
        &ReadOptions::default(),
        &|_| {},
        &mut |ev, o| {
            let EventRef::Net(n) = ev else {
                panic!("{rel}:{}: not a network event: {ev:?}", o.line)
            };
            let ip = |a: Option<std::net::IpAddr>| a.map(|a| a.to_string()).unwrap_or_default();
            rows.push((
                o.line,
                n.dataset.to_owned(),
                ip(n.client),
                ip(n.server),
                n.domain.to_string(),
                n.url.to_string(),
                n.method.to_string(),
                n.status,
                n.answers.to_string(),
            ));
        },
    )
    .unwrap();
    assert_eq!(s.lines, s.parsed + s.rejected, "{rel}");
    assert_eq!(s.events, rows.len() as u64, "{rel}");
    (s, rows)
}

fn row(r: (u64, &str, &str, &str, &str, &str, &str, u16, &str)) -> Row {
    (
        r.0,
        r.1.into(),
        r.2.into(),
        r.3.into(),
        r.4.into(),
        r.5.into(),
        r.6.into(),
        r.7,
        r.8.into(),
    )
}

fn format_of(s: &ReadStats) -> Vec<&str> {
    s.formats.keys().map(String::as_str).collect()
}

#[test]
fn zeek_dns_log() {
    let (s, rows) = read("zeek/dns.log");
    assert_eq!(format_of(&s), ["zeek"]);
    assert_eq!((s.lines, s.parsed, s.rejected), (11, 11, 0));
    assert_eq!(
        rows,
        [
            row((9, "zeek.dns", "55.247.223.174", "222.195.43.124", "www.cmu.edu", "", "", 0,
                "www-cmu.andrew.cmu.edu,www-cmu-2.andrew.cmu.edu,128.2.10.163,www-cmu.andrew.cmu.edu")),
            row((10, "zeek.dns", "55.247.223.174", "222.195.43.124", "", "", "", 0,
                "www-cmu-2.andrew.cmu.edu,128.2.10.163")),
        ]
    );
}

#[test]
fn zeek_http_and_ssl_logs() {
    let (s, rows) = read("zeek/http.log");
    assert_eq!(format_of(&s), ["zeek"]);
    assert_eq!((s.lines, s.rejected), (12, 0));
    assert_eq!(
        rows,
        [
            row((
                9,
                "zeek.http",
                "128.2.6.136",
                "173.194.75.103",
                "www.google.com",
                "*",
                "OPTIONS",
                405,
                ""
            )),
            row((
                10,
                "zeek.http",
                "128.2.6.136",
                "173.194.75.103",
                "",
                "",
                "",
                400,
                ""
            )),
            row((
                11,
                "zeek.http",
                "128.2.6.136",
                "173.194.75.103",
                "www.google.com",
                "/",
                "GET",
                200,
                ""
            )),
        ]
    );
    let (s, rows) = read("zeek/ssl.log");
    assert_eq!(format_of(&s), ["zeek"]);
    assert_eq!((s.lines, s.rejected), (8, 0));
    assert_eq!(
        rows,
        [row((
            8,
            "zeek.ssl",
            "192.168.1.105",
            "74.125.224.79",
            "ssl.gstatic.com",
            "",
            "",
            0,
            ""
        ))]
    );
}

#[test]
fn zeek_json_log() {
    let (s, rows) = read("zeek/mixed.json");
    assert_eq!(format_of(&s), ["zeek-json"]);
    // The files record is parsed and carries nothing; a bad address and a
    // web access log line are rejected with their reasons.
    assert_eq!((s.lines, s.parsed, s.rejected), (7, 5, 2));
    let reasons: Vec<(u64, &str)> = s
        .samples
        .iter()
        .map(|r| (r.line, r.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [
            (6, "bad id.orig_h address"),
            (7, "not a Zeek JSON record (no ts)"),
        ]
    );
    assert_eq!(
        rows,
        [
            row((
                1,
                "zeek.dns",
                "55.247.223.174",
                "222.195.43.124",
                "www.cmu.edu",
                "",
                "",
                0,
                "www-cmu.andrew.cmu.edu,128.2.10.163"
            )),
            row((
                2,
                "zeek.ssl",
                "192.168.1.105",
                "74.125.224.79",
                "ssl.gstatic.com",
                "",
                "",
                0,
                ""
            )),
            row((
                3,
                "zeek.http",
                "128.2.6.136",
                "173.194.75.103",
                "www.google.com",
                "/",
                "GET",
                200,
                ""
            )),
            row((
                4,
                "zeek.conn",
                "128.2.6.136",
                "173.194.75.103",
                "",
                "",
                "",
                0,
                ""
            )),
        ]
    );
}

#[test]
fn suricata_eve_v1() {
    let (s, rows) = read("suricata/eve.json");
    assert_eq!(format_of(&s), ["suricata"]);
    // The flow record is read and counted, no event.
    assert_eq!((s.lines, s.parsed, s.rejected, s.events), (8, 8, 0, 7));
    let (c, r) = ("10.16.1.11", "10.16.1.1");
    assert_eq!(
        rows,
        [
            row((
                1,
                "suricata.dns",
                c,
                r,
                "client-cf.dropbox.com",
                "",
                "",
                0,
                ""
            )),
            // Answers logged in packet direction: the client is still the host.
            row((
                2,
                "suricata.dns",
                c,
                r,
                "client-cf.dropbox.com",
                "",
                "",
                0,
                "52.85.112.21"
            )),
            row((3, "suricata.dns", c, r, "block.dropbox.com", "", "", 0, "")),
            row((
                4,
                "suricata.dns",
                c,
                r,
                "block.dropbox.com",
                "",
                "",
                0,
                "block.g1.dropbox.com"
            )),
            row((5, "suricata.dns", c, r, "codemonkey.net", "", "", 0, "")),
            row((
                6,
                "suricata.dns",
                c,
                r,
                "codemonkey.net",
                "",
                "",
                0,
                "104.131.202.103"
            )),
            row((
                7,
                "suricata.tls",
                c,
                "24.244.4.23",
                "www.google.com",
                "",
                "",
                0,
                ""
            )),
        ]
    );
}

#[test]
fn suricata_eve_v2_v3_http_and_others() {
    let (s, rows) = read("suricata/eve-v2v3.json");
    assert_eq!(format_of(&s), ["suricata"]);
    assert_eq!((s.lines, s.parsed, s.rejected, s.events), (7, 5, 2, 3));
    let reasons: Vec<(u64, &str)> = s
        .samples
        .iter()
        .map(|r| (r.line, r.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [
            (6, "dns record without a query name"),
            (7, "not a Suricata EVE record (no timestamp or event_type)"),
        ]
    );
    let (c, r) = ("192.0.2.20", "192.0.2.53");
    assert_eq!(
        rows,
        [
            row((
                1,
                "suricata.dns",
                c,
                r,
                "update.example.net",
                "",
                "",
                0,
                "198.51.100.66"
            )),
            row((2, "suricata.dns", c, r, "gone.example.org", "", "", 3, "")),
            row((
                3,
                "suricata.http",
                c,
                "198.51.100.66",
                "update.example.net",
                "/get?id=1",
                "GET",
                200,
                ""
            )),
        ]
    );
}

#[test]
fn squid_access_log() {
    let (s, rows) = read("squid/access.log");
    assert_eq!(format_of(&s), ["squid"]);
    assert_eq!((s.lines, s.parsed, s.rejected), (5, 4, 1));
    assert_eq!(s.samples[0].line, 5);
    assert_eq!(
        rows,
        [
            row((
                1,
                "squid",
                "10.1.2.3",
                "93.184.215.14",
                "example.com",
                "example.com:443",
                "CONNECT",
                200,
                ""
            )),
            row((
                2,
                "squid",
                "10.1.2.3",
                "192.0.2.80",
                "login.example.org",
                "login.example.org:443",
                "CONNECT",
                200,
                ""
            )),
            row((
                3,
                "squid",
                "172.17.0.2",
                "192.0.2.81",
                "files.example.org",
                "http://files.example.org/setup.exe",
                "GET",
                200,
                ""
            )),
            row((
                4,
                "squid",
                "172.17.0.2",
                "198.51.100.7",
                "",
                "http://198.51.100.7/x",
                "GET",
                403,
                ""
            )),
        ]
    );
}
