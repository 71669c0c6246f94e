//! The victim signal (`intel.victim`) on real network-log samples (the
//! ingest fixtures: Zeek baselines, suricata-verify EVE output, Squid) with
//! planted indicators: exactly the lines naming listed infrastructure match,
//! decoys (a parent of a listed sub-domain, a name sharing a suffix but not
//! a label, an unrelated name, the internal host's own address) never do.

use haboob_ingest::{read_input, Input, ReadOptions};
use haboob_intel::{IntelHit, IntelLookup, Observed, VictimConfig, VictimSignal};
use haboob_model::{Alert, EventRef, Origin, Severity, Ts, WinEvent, WinView};
use std::borrow::Cow;
use std::net::IpAddr;
use std::path::PathBuf;

/// A test double of the lookup: listed domains (sub-domains match at a
/// label boundary) and addresses, each with its labels.
#[derive(Default)]
struct Listed {
    domains: Vec<(&'static str, &'static [&'static str])>,
    ips: Vec<(IpAddr, &'static [&'static str])>,
}

fn hit(id: &str, matched: &str, field: &str, labels: &[&str]) -> IntelHit {
    IntelHit {
        indicator: format!("indicator--{id}"),
        name: id.to_owned(),
        matched: matched.to_owned(),
        field: field.to_owned(),
        source: "test".to_owned(),
        confidence: Some(80),
        tlp: None,
        actors: Vec::new(),
        labels: labels.iter().map(|l| (*l).to_owned()).collect(),
    }
}

impl IntelLookup for Listed {
    fn lookup(&self, obs: &Observed<'_>, _ts: Ts, out: &mut Vec<IntelHit>) {
        if let Some(d) = obs.domain {
            for (l, labels) in &self.domains {
                let sub = d.len() > l.len()
                    && d.ends_with(l)
                    && d.as_bytes()[d.len() - l.len() - 1] == b'.';
                if d == *l || sub {
                    out.push(hit(l, d, "domain", labels));
                }
            }
        }
        for (ip, field) in [(obs.src_ip, "src_ip"), (obs.dst_ip, "dst_ip")] {
            for (l, labels) in &self.ips {
                if ip == Some(*l) {
                    out.push(hit(&l.to_string(), &l.to_string(), field, labels));
                }
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.domains.is_empty() && self.ips.is_empty()
    }
}

fn fixture(rel: &str) -> Input {
    Input::File(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../ingest/tests/fixtures")
            .join(rel),
    )
}

fn run(rel: &str, listed: &Listed, cfg: VictimConfig) -> Vec<Alert> {
    let mut v = VictimSignal::new(cfg);
    let mut out = Vec::new();
    read_input(
        &fixture(rel),
        &ReadOptions::default(),
        &|_| {},
        &mut |ev, o| {
            v.observe(listed, ev, o, &mut out);
        },
    )
    .unwrap();
    v.finish(&mut out);
    out
}

/// host, matched values, count, evidence lines, severity.
type Summary = (String, Vec<String>, u64, Vec<u64>, Severity);

fn summary(a: &Alert) -> Summary {
    let hits: Vec<IntelHit> = serde_json::from_value(a.details["intel"].clone()).unwrap();
    assert_eq!(a.detector, "intel.victim");
    assert_eq!(a.details["role"], "victim");
    assert!(a.title.starts_with("internal host "), "{}", a.title);
    // The internal host is the target (the victim), never the source: the
    // source is the listed address reached, when an address matched.
    let listed_ip = hits
        .iter()
        .find(|h| h.field == "dst_ip")
        .map(|h| h.matched.clone());
    assert_eq!(a.source.ip.map(|i| i.to_string()), listed_ip);
    let mut infra: Vec<String> = Vec::new();
    for h in &hits {
        if !infra.contains(&h.matched) {
            infra.push(h.matched.clone());
        }
    }
    assert_eq!(a.details["infrastructure"], serde_json::json!(infra));
    (
        a.target.clone(),
        hits.iter()
            .map(|h| format!("{}={}", h.field, h.matched))
            .collect(),
        a.count,
        a.evidence.iter().map(|e| e.line).collect(),
        a.severity,
    )
}

fn summaries(alerts: &[Alert]) -> Vec<Summary> {
    alerts.iter().map(summary).collect()
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| (*x).to_owned()).collect()
}

#[test]
fn zeek_dns_resolving_a_listed_domain() {
    let listed = Listed {
        domains: vec![("cmu.edu", &["seized"])],
        ..Listed::default()
    };
    let alerts = run("zeek/dns.log", &listed, VictimConfig::default());
    assert_eq!(
        summaries(&alerts),
        [(
            "55.247.223.174".into(),
            s(&["domain=www.cmu.edu"]),
            1,
            vec![9],
            Severity::High
        )]
    );
    assert_eq!(
        alerts[0].title,
        "internal host 55.247.223.174 contacted listed infrastructure www.cmu.edu (cmu.edu; 1 event)"
    );
    // Decoys: a sub-domain of what was asked (its parent never matches),
    // names only in answers (not queries), an unrelated name, the host itself.
    let decoys = Listed {
        domains: vec![
            ("mail.www.cmu.edu", &["seized"]),
            ("andrew.cmu.edu", &["seized"]),
            ("edu-cmu.net", &["seized"]),
        ],
        ips: vec![("55.247.223.174".parse().unwrap(), &["c2"])],
    };
    assert!(run("zeek/dns.log", &decoys, VictimConfig::default()).is_empty());
}

#[test]
fn zeek_http_repeated_contact_with_c2_is_critical() {
    let listed = Listed {
        domains: vec![("www.google.com", &["malicious-activity"])],
        ..Listed::default()
    };
    assert_eq!(
        summaries(&run("zeek/http.log", &listed, VictimConfig::default())),
        [(
            "128.2.6.136".into(),
            s(&["domain=www.google.com"]),
            2,
            vec![9, 11],
            Severity::Critical
        )]
    );
    // The same contacts of a domain labelled only "seized" stay high.
    let listed = Listed {
        domains: vec![("google.com", &["seized"])],
        ..Listed::default()
    };
    let got = summaries(&run("zeek/http.log", &listed, VictimConfig::default()));
    assert_eq!((got[0].3.clone(), got[0].4), (vec![9, 11], Severity::High));
}

#[test]
fn suricata_dns_query_and_answer_of_a_listed_domain() {
    let listed = Listed {
        domains: vec![("codemonkey.net", &["c2"])],
        ..Listed::default()
    };
    // Query and answer at the same instant: not "kept contacting", so high.
    assert_eq!(
        summaries(&run("suricata/eve.json", &listed, VictimConfig::default())),
        [(
            "10.16.1.11".into(),
            s(&["domain=codemonkey.net"]),
            2,
            vec![5, 6],
            Severity::High
        )]
    );
    let decoys = Listed {
        domains: vec![
            ("cf.dropbox.com", &["c2"]),
            ("sub.codemonkey.net", &["c2"]),
            ("google.com.evil.example", &["c2"]),
        ],
        ips: vec![("10.16.1.11".parse().unwrap(), &["c2"])],
    };
    assert!(run("suricata/eve.json", &decoys, VictimConfig::default()).is_empty());
}

#[test]
fn suricata_sinkhole_address_in_answers_and_http() {
    let listed = Listed {
        ips: vec![("198.51.100.66".parse().unwrap(), &["sinkhole"])],
        ..Listed::default()
    };
    assert_eq!(
        summaries(&run(
            "suricata/eve-v2v3.json",
            &listed,
            VictimConfig::default()
        )),
        [(
            "192.0.2.20".into(),
            s(&["dst_ip=198.51.100.66"]),
            2,
            vec![1, 3],
            Severity::High
        )]
    );
}

#[test]
fn squid_connect_to_a_listed_domain() {
    let listed = Listed {
        domains: vec![("login.example.org", &["seized"])],
        ips: vec![("198.51.100.7".parse().unwrap(), &["c2"])],
    };
    assert_eq!(
        summaries(&run("squid/access.log", &listed, VictimConfig::default())),
        [
            (
                "10.1.2.3".into(),
                s(&["domain=login.example.org"]),
                1,
                vec![2],
                Severity::High
            ),
            (
                "172.17.0.2".into(),
                s(&["dst_ip=198.51.100.7"]),
                1,
                vec![4],
                Severity::High
            ),
        ]
    );
}

#[test]
fn state_is_bounded_and_carried() {
    let listed = Listed {
        domains: vec![("example.org", &["seized"]), ("example.com", &["seized"])],
        ..Listed::default()
    };
    let whole = run("squid/access.log", &listed, VictimConfig::default());
    assert_eq!(
        summaries(&whole)
            .iter()
            .map(|x| (x.0.as_str(), x.2, x.3.clone()))
            .collect::<Vec<_>>(),
        [
            ("10.1.2.3", 1, vec![1]),
            ("10.1.2.3", 1, vec![2]),
            ("172.17.0.2", 1, vec![3])
        ]
    );
    // At most one open episode: each is closed (its alert emitted) when the
    // next opens; nothing is lost.
    let tight = VictimConfig {
        max_episodes: 1,
        ..VictimConfig::default()
    };
    let mut bounded = run("squid/access.log", &listed, tight);
    let mut sorted = whole.clone();
    bounded.sort_by(|a, b| a.id.cmp(&b.id));
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(bounded, sorted);
    // Saved mid-stream and restored: the same alerts as one pass.
    let (mut first, mut second) = (VictimSignal::default(), VictimSignal::default());
    let (mut out, mut n, mut state) = (Vec::new(), 0, None);
    let input = fixture("squid/access.log");
    read_input(&input, &ReadOptions::default(), &|_| {}, &mut |ev, o| {
        n += 1;
        if n <= 2 {
            first.observe(&listed, ev, o, &mut out);
            if n == 2 {
                state = Some(first.save_state());
            }
        } else {
            if let Some(st) = state.take() {
                second.restore_state(st);
            }
            second.observe(&listed, ev, o, &mut out);
        }
    })
    .unwrap();
    second.finish(&mut out);
    assert_eq!(out, whole);
}

#[test]
fn sysmon_dns_query_event() {
    // A Sysmon event 22 as the Windows XML reader sees it (written for the
    // test after Sysmon's DnsQuery schema; documentation names/addresses).
    let xml = r#"<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Sysmon" Guid="{5770385F-C22A-43E0-BF4C-06F5698FFBD9}"/><EventID>22</EventID><TimeCreated SystemTime="2024-05-01T10:00:00.000Z"/><EventRecordID>7</EventRecordID><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>WS01.corp.example</Computer></System><EventData><Data Name="QueryName">Update.Example.NET</Data><Data Name="QueryStatus">0</Data><Data Name="QueryResults">type:  5 cdn.example.net;::ffff:198.51.100.66;</Data><Data Name="Image">C:\Users\a\AppData\x.exe</Data></EventData></Event>"#;
    let win = |id: u32| {
        EventRef::Win(WinEvent {
            ts: Ts::from_secs(1_714_557_600),
            event_id: id,
            record_id: 7,
            channel: Cow::Borrowed("Microsoft-Windows-Sysmon/Operational"),
            provider: Cow::Borrowed("Microsoft-Windows-Sysmon"),
            computer: Cow::Borrowed("WS01.corp.example"),
            record: WinView::from_xml(xml),
        })
    };
    let o = Origin {
        file: "sysmon.xml",
        line: 1,
        raw: xml,
    };
    let by_name = Listed {
        domains: vec![("example.net", &["c2"])],
        ..Listed::default()
    };
    let by_answer = Listed {
        ips: vec![("198.51.100.66".parse().unwrap(), &["sinkhole"])],
        ..Listed::default()
    };
    for (listed, field) in [
        (by_name, "domain=update.example.net"),
        (by_answer, "dst_ip=198.51.100.66"),
    ] {
        let (mut v, mut out) = (VictimSignal::default(), Vec::new());
        v.observe(&listed, &win(22), &o, &mut out);
        // Another Sysmon event id with the same fields is not a DNS query.
        v.observe(&listed, &win(1), &o, &mut out);
        v.finish(&mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].details["host"], "computer:WS01.corp.example");
        let (host, hits, count, ..) = summary(&out[0]);
        assert_eq!(
            (host.as_str(), hits, count),
            ("WS01.corp.example", s(&[field]), 1)
        );
    }
}

#[test]
fn an_idle_episode_ends_whatever_came_between() {
    // Two contacts of one listed name 25 h apart (idle window 24 h) are two
    // alerts, though no sweep ran between them (fewer than 4096 events):
    // what the detector reports must not depend on how many other events a
    // lane saw.
    let listed = Listed {
        domains: vec![("evil.example", &["c2"])],
        ..Listed::default()
    };
    let client: IpAddr = "10.0.0.5".parse().unwrap();
    let ev = |secs: i64| {
        let mut n = haboob_model::NetEvent::empty(
            Ts::from_secs(secs),
            "zeek.dns",
            haboob_model::NetKind::Dns,
        );
        n.client = Some(client);
        n.domain = Cow::Borrowed("a.evil.example");
        n
    };
    let o = Origin {
        file: "dns.log",
        line: 1,
        raw: "-",
    };
    let (mut v, mut out) = (VictimSignal::default(), Vec::new());
    for t in [0, 60, 60 + 25 * 3600] {
        v.observe(&listed, &EventRef::Net(ev(t)), &o, &mut out);
    }
    v.finish(&mut out);
    let got: Vec<(i64, u64, Severity)> = out
        .iter()
        .map(|a| (a.first_seen.0 / 1000, a.count, a.severity))
        .collect();
    assert_eq!(
        got,
        [
            (0, 2, Severity::Critical),
            (60 + 25 * 3600, 1, Severity::High)
        ]
    );
}
