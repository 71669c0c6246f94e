//! The reader resolves the client behind trusted proxies once per event:
//! `ReadOptions::proxies` and `combined_forwarded_field` through
//! `read_reader`, for combined, IIS and JSON logs.

use haboob_ingest::{read_reader, Format, ReadOptions, TrustedProxies};
use haboob_model::EventRef;
use std::sync::Arc;

/// (source, forwarded) of every web event.
fn sources(data: &str, opts: &ReadOptions) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let stats = read_reader(data.as_bytes(), "t", opts, &|_| {}, &mut |ev, _| {
        let EventRef::Web(w) = ev else { panic!() };
        out.push((w.source_ip.to_string(), w.forwarded.to_string()));
    })
    .unwrap();
    assert_eq!(stats.rejected, 0, "{:?}", stats.samples);
    out
}

fn trusting(blocks: &[&str]) -> ReadOptions {
    ReadOptions {
        proxies: Some(Arc::new(TrustedProxies::new(blocks).unwrap())),
        ..ReadOptions::default()
    }
}

const COMBINED: &str = r#"10.0.0.5 - - [10/Oct/2000:13:55:36 -0700] "GET /.env HTTP/1.1" 404 5 "-" "curl/8" "198.51.100.7, 10.1.2.3"
10.0.0.5 - - [10/Oct/2000:13:55:37 -0700] "GET / HTTP/1.1" 200 5 "-" "Mozilla/5.0" "-"
203.0.113.9 - - [10/Oct/2000:13:55:38 -0700] "GET / HTTP/1.1" 200 5 "-" "curl/8" "1.1.1.1"
::ffff:10.0.0.5 - - [10/Oct/2000:13:55:39 -0700] "GET / HTTP/1.1" 200 5 "-" "curl/8" "unknown, 10.1.2.3"
"#;

#[test]
fn combined_with_and_without_trust() {
    let plain = sources(COMBINED, &ReadOptions::default());
    let peers: Vec<&str> = plain.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(peers, ["10.0.0.5", "10.0.0.5", "203.0.113.9", "10.0.0.5"]);
    let forwarded: Vec<&str> = plain.iter().map(|(_, f)| f.as_str()).collect();
    assert_eq!(
        forwarded,
        ["198.51.100.7, 10.1.2.3", "", "1.1.1.1", "unknown, 10.1.2.3"]
    );
    let resolved = sources(COMBINED, &trusting(&["10.0.0.5", "10.1.0.0/16"]));
    let got: Vec<&str> = resolved.iter().map(|(s, _)| s.as_str()).collect();
    // The scanner; the proxy (no header); the untrusted peer whatever it
    // sent; the last trusted hop before `unknown`.
    assert_eq!(got, ["198.51.100.7", "10.0.0.5", "203.0.113.9", "10.1.2.3"]);
    // The header in another field: `combined_forwarded_field = 0` reads none.
    let off = ReadOptions {
        combined_forwarded_field: 0,
        ..trusting(&["10.0.0.5", "10.1.0.0/16"])
    };
    let got: Vec<String> = sources(COMBINED, &off)
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(got, ["10.0.0.5", "10.0.0.5", "203.0.113.9", "10.0.0.5"]);
    let second = format!(
        "{}\n",
        r#"10.0.0.5 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "ua" "votes.example.gov" "198.51.100.7""#
    );
    let opts = ReadOptions {
        combined_forwarded_field: 2,
        format: Some(Format::Combined),
        ..trusting(&["10.0.0.5"])
    };
    assert_eq!(sources(&second, &opts)[0].0, "198.51.100.7");
}

#[test]
fn iis_and_json_resolve_the_same_way() {
    let iis = "#Fields: date time c-ip cs-uri-stem sc-status cs(X-Forwarded-For)\n\
               2024-05-01 10:00:00 10.0.0.5 /a 404 198.51.100.7,+10.1.2.3\n\
               2024-05-01 10:00:01 203.0.113.9 /a 404 1.1.1.1\n";
    let json = concat!(
        r#"{"time_local":"01/Jan/2024:00:30:00 +0000","remote_addr":"10.0.0.5","request":"GET / HTTP/1.1","http_x_forwarded_for":"198.51.100.7, 10.1.2.3"}"#,
        "\n",
        r#"{"time_local":"01/Jan/2024:00:30:00 +0000","remote_addr":"203.0.113.9","request":"GET / HTTP/1.1","http_x_forwarded_for":"1.1.1.1"}"#,
        "\n"
    );
    let opts = trusting(&["10.0.0.5", "10.1.0.0/16"]);
    for data in [iis, json] {
        let got: Vec<String> = sources(data, &opts).into_iter().map(|(s, _)| s).collect();
        assert_eq!(got, ["198.51.100.7", "203.0.113.9"], "{data}");
    }
}
