//! Tests of [`crate::actor`].

use super::*;
use crate::campaign::group;
use crate::merge::tests::alert;
use crate::HuntConfig;

/// A scan alert of `ip` on `site` at day `day`, 09:00 UTC, with a
/// fingerprint: `ua`, and the 40-path wordlist `list` walked in order.
pub(crate) fn scan(ip: &str, site: &str, day: i64, ua: &str, stock: bool, list: u32) -> Alert {
    let t = day * 86_400 + 9 * 3600;
    let mut a = alert("web.scan", ip, site, t, t + 300);
    let paths: Vec<u32> = (0..40).map(|i| (list * 1000 + i) * 7919).collect();
    let mut ps = paths.clone();
    ps.sort();
    ps.truncate(K);
    let mut pairs: Vec<u32> = paths
        .windows(2)
        .map(|w| w[0] ^ w[1].rotate_left(7))
        .collect();
    pairs.sort();
    pairs.truncate(K);
    let hex = |v: &[u32]| v.iter().map(|x| format!("{x:08x}")).collect::<Vec<_>>();
    a.details.insert(
        "fingerprint".into(),
        serde_json::json!({
            "ua": ua, "ua_stock": stock, "methods": ["GET"], "hours": 1 << 9,
            "weekdays": 1 << (day % 7), "habits": [], "paths": 40,
            "path_sketch": hex(&ps), "order_sketch": hex(&pairs),
        }),
    );
    a
}

fn group_of(alerts: &[Alert]) -> Vec<Vec<IpAddr>> {
    let mut g: Vec<Vec<IpAddr>> = group(alerts, &Targets::default(), &HuntConfig::default(), None)
        .into_iter()
        .map(|c| c.sources)
        .collect();
    g.sort();
    g
}

fn ips(v: &[&str]) -> Vec<IpAddr> {
    v.iter().map(|s| s.parse().unwrap()).collect()
}

#[test]
fn a_rare_wordlist_and_user_agent_link_across_weeks_and_networks() {
    let alerts = vec![
        scan("192.0.2.10", "a", 0, "00000000000000aa", false, 1),
        scan("198.51.100.20", "b", 9, "00000000000000aa", false, 1),
        scan("2001:db8:1::5", "c", 20, "00000000000000aa", false, 1),
        // Another wordlist, same User-Agent and hours: not linked.
        scan("203.0.113.30", "a", 1, "00000000000000aa", false, 2),
    ];
    assert_eq!(
        group_of(&alerts),
        vec![
            ips(&["192.0.2.10", "198.51.100.20", "2001:db8:1::5"]),
            ips(&["203.0.113.30"]),
        ]
    );
    let c = group(&alerts, &Targets::default(), &HuntConfig::default(), None);
    let r: Vec<&String> = c[0]
        .reasons
        .iter()
        .filter(|r| r.starts_with("same actor"))
        .collect();
    assert_eq!(r.len(), 2, "{r:?}");
    assert!(
        r[0].contains("same wordlist (1.00 Jaccard over 40 paths) 0.50"),
        "{}",
        r[0]
    );
}

#[test]
fn a_stock_user_agent_and_a_public_wordlist_link_nobody() {
    // Five unrelated networks, days apart, same list, `python-requests`.
    let alerts: Vec<Alert> = (0..5)
        .map(|k| {
            scan(
                &format!("{}.0.2.1", 10 + k),
                "a",
                k * 3,
                "00000000000000bb",
                true,
                3,
            )
        })
        .collect();
    assert_eq!(group_of(&alerts).len(), 5);
    // The same with a rare, non-stock User-Agent but shared by many
    // networks (eight): the wordlist and User-Agent lose their weight.
    let alerts: Vec<Alert> = (0..8)
        .map(|k| {
            scan(
                &format!("{}.0.2.1", 10 + k),
                "a",
                k * 3,
                "00000000000000cc",
                false,
                4,
            )
        })
        .collect();
    assert_eq!(group_of(&alerts).len(), 8);
}

#[test]
fn weak_links_alone_do_not_merge() {
    // Same /24, same hours, same site, days apart, different wordlists
    // and User-Agents.
    let alerts = vec![
        scan("192.0.2.10", "a", 0, "00000000000000d1", false, 5),
        scan("192.0.2.11", "a", 3, "00000000000000d2", false, 6),
    ];
    assert_eq!(group_of(&alerts).len(), 2);
}

#[test]
fn methods_path_habits_and_http_versions_are_each_a_reason() {
    let with = |ip: &str, day: i64, protocols: serde_json::Value, habits: serde_json::Value| {
        let mut a = scan(ip, "a", day, "00000000000000e1", false, 7);
        let fp = a.details.get_mut("fingerprint").unwrap();
        fp["protocols"] = protocols;
        fp["habits"] = habits;
        a
    };
    // The habit reasons of the one link, in order.
    let habit_reasons = |alerts: &[Alert]| -> Vec<String> {
        let mut ps = Profiles::default();
        for (i, a) in alerts.iter().enumerate() {
            ps.add(i, a, &Targets::default());
        }
        let l = links(ps, None);
        assert_eq!(l.len(), 1);
        l[0].reason
            .strip_suffix(')')
            .unwrap()
            .split("; ")
            .filter(|r| {
                r.starts_with("same methods")
                    || r.starts_with("same path")
                    || r.starts_with("same HTTP")
            })
            .map(str::to_string)
            .collect()
    };
    let (h1, h10) = (
        serde_json::json!(["HTTP/1.1"]),
        serde_json::json!(["HTTP/1.0"]),
    );
    let plain = serde_json::json!([]);
    let same = [
        with("192.0.2.10", 0, h1.clone(), plain.clone()),
        with("198.51.100.20", 9, h1.clone(), plain.clone()),
    ];
    assert_eq!(
        habit_reasons(&same),
        [
            "same methods (GET) 0.02",
            "same path habits (plain) 0.02",
            "same HTTP versions (HTTP/1.1) 0.01"
        ]
    );
    let differ = [
        with(
            "192.0.2.10",
            0,
            h1.clone(),
            serde_json::json!(["upper", "encoded"]),
        ),
        with(
            "198.51.100.20",
            9,
            h10,
            serde_json::json!(["encoded", "upper"]),
        ),
    ];
    assert_eq!(
        habit_reasons(&differ),
        [
            "same methods (GET) 0.02",
            "same path habits (encoded, upper) 0.02"
        ]
    );
    // One log without versions (IIS without cs-version): nothing either way;
    // other habits: not the same habits.
    let unknown = [
        with("192.0.2.10", 0, h1, plain),
        with(
            "198.51.100.20",
            9,
            serde_json::json!([]),
            serde_json::json!(["upper"]),
        ),
    ];
    assert_eq!(habit_reasons(&unknown), ["same methods (GET) 0.02"]);
}

#[test]
fn jaccard_of_sketches() {
    let a: Vec<u32> = (0..32).collect();
    let b: Vec<u32> = (0..32).collect();
    assert_eq!(jaccard(&a, &b), 1.0);
    let c: Vec<u32> = (100..132).collect();
    assert_eq!(jaccard(&a, &c), 0.0);
    let d: Vec<u32> = (16..48).collect();
    // Union's 32 smallest are 0..32, of which 16..32 are in both.
    assert_eq!(jaccard(&a, &d), 0.5);
}

#[test]
fn networks() {
    let net = |ip: &str| network(ip.parse().unwrap());
    assert_eq!(net("198.51.100.7").to_string(), "198.51.100.0/24");
    assert_eq!(net("2001:db8:4b1d:7::35").to_string(), "2001:db8:4b1d::/48");
    assert_eq!(net("198.51.100.7"), net("198.51.100.200"));
    assert_ne!(net("198.51.100.7"), net("198.51.101.7"));
    assert_eq!(net("2001:db8:4b1d:7::35"), net("2001:db8:4b1d:ffff::1"));
}

#[test]
fn named_sets_compare_as_the_sets_of_their_texts() {
    let mut names = Names::default();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    names.add_strs(&mut a, &serde_json::json!(["POST", "GET", "GET", "HEAD"]));
    names.add_strs(&mut b, &serde_json::json!(["HEAD", "GET", "PUT"]));
    assert_eq!(a.len(), 3);
    assert_eq!(set_jaccard(&a, &b), 0.5);
    let mut both: Vec<&str> = common(&a, &b).map(|i| names.name(i)).collect();
    both.sort_unstable();
    assert_eq!(both, ["GET", "HEAD"]);
    let mut c = Vec::new();
    names.add_strs(&mut c, &serde_json::json!(["GET", "HEAD", "POST"]));
    assert_eq!(a, c);
    assert_eq!(set_jaccard(&[], &[]), 0.0);
}
