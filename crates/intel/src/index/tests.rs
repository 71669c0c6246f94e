use super::*;
use crate::sources::value::classify;
use crate::Provenance;

fn ind(id: &str, values: &[&str]) -> Indicator {
    Indicator {
        id: id.into(),
        name: id.into(),
        condition: IndicatorCondition::Any(values.iter().map(|v| classify(v).unwrap()).collect()),
        valid_from: None,
        valid_until: None,
        labels: vec![],
        actors: vec![],
        provenance: Provenance {
            source: "t".into(),
            imported: Ts(0),
            confidence: Some(70),
            tlp: None,
            reference: None,
        },
    }
}

fn ids(idx: &IntelIndex, obs: &Observed<'_>, ts: Ts) -> Vec<String> {
    let mut out = Vec::new();
    idx.lookup(obs, ts, &mut out);
    let mut v: Vec<String> = out
        .into_iter()
        .map(|h| format!("{}:{}", h.indicator, h.field))
        .collect();
    v.sort();
    v
}

fn index() -> IntelIndex {
    let mut expired = ind("expired", &["192.0.2.50"]);
    expired.valid_until = Some(Ts::from_secs(1000));
    let mut later = ind("later", &["192.0.2.51"]);
    later.valid_from = Some(Ts::from_secs(5000));
    let mut ua = ind("ua", &[]);
    ua.condition = IndicatorCondition::Any(vec![Observable::UserAgent("EvilBot/1.0".into())]);
    let mut acct = ind("acct", &[]);
    acct.condition = IndicatorCondition::Any(vec![Observable::Account("svc-backup".into())]);
    let mut pat = ind("pat", &[]);
    pat.condition = IndicatorCondition::Pattern("[a:b = 'c' AND d:e = 'f']".into());
    let (idx, report) = IntelIndex::build(
        vec![
            ind("host", &["203.0.113.7"]),
            ind("net", &["198.51.100.0/24"]),
            ind("wide", &["10.0.0.0/8", "2001:db8::/32"]),
            ind("sub", &["login.evil.example"]),
            ind("url", &["https://cdn.example/payload/"]),
            ind("mail", &["spy@evil.example"]),
            expired,
            later,
            ua,
            acct,
            pat,
        ],
        &BuildOptions::default(),
    );
    assert_eq!(report.indicators, 10);
    assert_eq!(report.unsupported.len(), 1);
    idx
}

#[test]
fn addresses_and_networks_match_neighbours_do_not() {
    let idx = index();
    let t = Ts::from_secs(2000);
    let ip = |s: &str| Observed {
        src_ip: Some(s.parse().unwrap()),
        ..Observed::default()
    };
    assert_eq!(ids(&idx, &ip("203.0.113.7"), t), ["host:src_ip"]);
    assert!(ids(&idx, &ip("203.0.113.8"), t).is_empty());
    assert!(ids(&idx, &ip("203.0.113.6"), t).is_empty());
    assert_eq!(ids(&idx, &ip("198.51.100.255"), t), ["net:src_ip"]);
    assert!(ids(&idx, &ip("198.51.101.0"), t).is_empty());
    assert_eq!(ids(&idx, &ip("10.200.3.4"), t), ["wide:src_ip"]);
    assert_eq!(ids(&idx, &ip("::ffff:10.1.1.1"), t), ["wide:src_ip"]);
    assert_eq!(ids(&idx, &ip("2001:db8:ffff::1"), t), ["wide:src_ip"]);
    assert!(ids(&idx, &ip("2001:db9::1"), t).is_empty());
}

#[test]
fn validity_is_respected() {
    let idx = index();
    let ip = |s: &str| Observed {
        src_ip: Some(s.parse().unwrap()),
        ..Observed::default()
    };
    assert_eq!(
        ids(&idx, &ip("192.0.2.50"), Ts::from_secs(999)),
        ["expired:src_ip"]
    );
    assert!(ids(&idx, &ip("192.0.2.50"), Ts::from_secs(1001)).is_empty());
    assert!(ids(&idx, &ip("192.0.2.51"), Ts::from_secs(4999)).is_empty());
    assert_eq!(
        ids(&idx, &ip("192.0.2.51"), Ts::from_secs(5000)),
        ["later:src_ip"]
    );
}

#[test]
fn domains_by_suffix_urls_by_prefix_strings_exact() {
    let idx = index();
    let t = Ts::from_secs(2000);
    let dom = |s: &'static str| Observed {
        domain: Some(s),
        ..Observed::default()
    };
    assert_eq!(ids(&idx, &dom("login.evil.example"), t), ["sub:domain"]);
    assert_eq!(ids(&idx, &dom("A.Login.Evil.Example."), t), ["sub:domain"]);
    // The parent of a listed sub-domain, and a look-alike, do not match.
    assert!(ids(&idx, &dom("evil.example"), t).is_empty());
    assert!(ids(&idx, &dom("xlogin.evil.example"), t).is_empty());
    let url = |s: &'static str| Observed {
        url: Some(s),
        ..Observed::default()
    };
    assert_eq!(
        ids(&idx, &url("http://CDN.example/payload/x.bin?a=1"), t),
        ["url:url"]
    );
    assert!(ids(&idx, &url("https://cdn.example/payloads"), t).is_empty());
    assert!(ids(&idx, &url("https://cdn.example.org/payload/x"), t).is_empty());
    let ua = |s: &'static str| Observed {
        user_agent: Some(s),
        ..Observed::default()
    };
    assert_eq!(ids(&idx, &ua("EvilBot/1.0"), t), ["ua:user_agent"]);
    assert!(ids(&idx, &ua("EvilBot/1.0 "), t).is_empty());
    assert!(ids(&idx, &ua("evilbot/1.0"), t).is_empty());
    let acct = Observed {
        account: Some("SVC-Backup"),
        email: Some("Spy@evil.example"),
        ..Observed::default()
    };
    assert_eq!(ids(&idx, &acct, t), ["acct:account", "mail:email"]);
}

#[test]
fn one_hit_per_indicator_and_duplicates_replace() {
    let (idx, r) = IntelIndex::build(
        vec![
            ind("a", &["203.0.113.7"]),
            ind("b", &["203.0.113.0/24", "203.0.113.7"]),
            ind("a", &["192.0.2.1"]),
        ],
        &BuildOptions::default(),
    );
    assert_eq!((r.indicators, r.duplicates), (2, 1));
    let t = Ts(0);
    let o = Observed {
        src_ip: Some("203.0.113.7".parse().unwrap()),
        ..Observed::default()
    };
    assert_eq!(ids(&idx, &o, t), ["b:src_ip"]);
    let o = Observed {
        src_ip: Some("192.0.2.1".parse().unwrap()),
        ..Observed::default()
    };
    assert_eq!(ids(&idx, &o, t), ["a:src_ip"]);
}
