use super::*;
use crate::merge::tests::alert;
use std::path::Path;

fn targets() -> Targets {
    Targets::parse(
        r#"
[[target]]
name = "a.oh"
sector = "election"
region = "OH"
[[target]]
name = "b.oh"
sector = "election"
region = "OH"
[[target]]
name = "c.ga"
sector = "election"
region = "GA"
[[target]]
name = "news"
sector = "news"
"#,
        Path::new("/"),
        "t",
    )
    .unwrap()
}

#[test]
fn same_source_across_sites_is_one_campaign() {
    let alerts = vec![
        alert("web.scan", "203.0.113.5", "a.oh", 0, 10),
        alert(
            "web.sensitive",
            "203.0.113.5",
            "b.oh",
            86_400 * 7,
            86_400 * 7 + 10,
        ),
        alert(
            "web.scan",
            "203.0.113.5",
            "c.ga",
            86_400 * 14,
            86_400 * 14 + 10,
        ),
        alert(
            "web.scan",
            "203.0.113.5",
            "news",
            86_400 * 20,
            86_400 * 20 + 10,
        ),
        alert("web.scan", "192.0.2.200", "news", 50, 60),
    ];
    let c = group(&alerts, &targets(), &HuntConfig::default(), None);
    assert_eq!(c.len(), 2);
    assert_eq!(c[0].alerts.len(), 4);
    assert_eq!(
        c[0].summary,
        "one source (203.0.113.5) scanned 3 election sites in 2 states (GA, OH) and 1 news site"
    );
    // Three election offices: sector-wide targeting, raised to High.
    assert_eq!(
        c[0].reasons,
        [
            "same source 203.0.113.5",
            "raised to high: 3 organisations of one sector or region"
        ]
    );
    assert_eq!(c[0].severity, Severity::High);
    assert_eq!(c[1].sources, vec!["192.0.2.200".parse::<IpAddr>().unwrap()]);
}

#[test]
fn neighbours_group_only_within_the_window() {
    let alerts = vec![
        alert("web.scan", "198.51.100.1", "a.oh", 0, 100),
        alert("web.scan", "198.51.100.2", "b.oh", 3600, 3700),
        alert(
            "web.scan",
            "198.51.100.3",
            "c.ga",
            86_400 * 5,
            86_400 * 5 + 1,
        ),
    ];
    let c = group(&alerts, &targets(), &HuntConfig::default(), None);
    assert_eq!(c.len(), 2);
    assert_eq!(c[0].sources.len(), 2);
    assert!(c[0].reasons[0].contains("198.51.100.0/24"));
}

#[test]
fn several_organisations_of_one_sector_rank_first_within_a_severity() {
    let alerts = vec![
        // Three unknown sites (sector other).
        alert("web.scan", "192.0.2.1", "x.example", 0, 10),
        alert("web.scan", "192.0.2.1", "y.example", 20, 30),
        alert("web.scan", "192.0.2.1", "z.example", 40, 50),
        // Two election sites in two states.
        alert("web.scan", "203.0.113.9", "a.oh", 86_400, 86_410),
        alert("web.scan", "203.0.113.9", "c.ga", 86_420, 86_430),
    ];
    let c = group(&alerts, &targets(), &HuntConfig::default(), None);
    assert_eq!(c.len(), 2);
    assert_eq!(c[0].sources, vec!["203.0.113.9".parse::<IpAddr>().unwrap()]);
    assert_eq!((focus(&c[0]), focus(&c[1])), (2, 0));
}

#[test]
fn same_tool_within_hours() {
    let mut a = alert("web.scanner_ua", "192.0.2.1", "a.oh", 0, 10);
    let mut b = alert("web.scanner_ua", "203.0.113.9", "news", 600, 700);
    let mut c = alert("web.scanner_ua", "198.51.100.9", "c.ga", 86_400, 86_401);
    for x in [&mut a, &mut b, &mut c] {
        x.details.insert("tool".into(), serde_json::json!("Nuclei"));
    }
    let g = group(&[a, b, c], &targets(), &HuntConfig::default(), None);
    assert_eq!(g.len(), 2);
    assert_eq!(g[0].sources.len(), 2);
}

mod cross_family_tests {
    use super::*;
    use crate::merge::tests::alert;

    #[test]
    fn a_source_in_web_and_sign_in_campaigns_is_named_in_both() {
        let web = alert("web.sensitive", "198.51.100.23", "news.example", 0, 60);
        let mut auth = alert(
            "auth.brute_force",
            "198.51.100.23",
            "t-news",
            86_400,
            90_000,
        );
        auth.user = Some("editor@news.example".into());
        let other = alert("auth.brute_force", "203.0.113.7", "t-news", 86_400, 90_000);
        let c = group_all(
            &[web, auth, other],
            &Targets::default(),
            &HuntConfig::default(),
            None,
            &crate::research::ResearchNets::default(),
        );
        let web_c = c.iter().find(|c| c.detectors == ["web.sensitive"]).unwrap();
        let linked = c
            .iter()
            .find(|c| {
                c.sources == ["198.51.100.23".parse::<IpAddr>().unwrap()]
                    && c.detectors == ["auth.brute_force"]
            })
            .unwrap();
        assert!(
            web_c
                .reasons
                .iter()
                .any(|r| r.contains(&linked.id) && r.contains("attacked accounts")),
            "{:?}",
            web_c.reasons
        );
        assert!(
            linked
                .reasons
                .iter()
                .any(|r| r.contains(&web_c.id) && r.contains("probed web sites")),
            "{:?}",
            linked.reasons
        );
        let unlinked = c
            .iter()
            .find(|c| c.sources == ["203.0.113.7".parse::<IpAddr>().unwrap()])
            .unwrap();
        assert!(unlinked.reasons.iter().all(|r| !r.contains("web sites")));
    }
}

mod shared_sources_tests {
    use super::*;
    use crate::intel_join::tests::campaign;

    /// The comparison of every pair, as the index must answer.
    fn reference(auth: &mut [Campaign], web: &mut [Campaign]) {
        for a in auth.iter_mut() {
            for w in web.iter_mut() {
                let n = a.sources.iter().filter(|s| w.sources.contains(s)).count();
                if n > 0 {
                    name_shared(n, a, w);
                }
            }
        }
    }

    #[test]
    fn shared_sources_are_named_in_both_families_with_their_count() {
        let auth = vec![
            campaign("cp-a1", &["192.0.2.1", "192.0.2.2", "192.0.2.3"], &["t"]),
            campaign("cp-a2", &["198.51.100.1"], &["t"]),
            campaign("cp-a3", &["192.0.2.3", "203.0.113.9"], &["t"]),
        ];
        let web = vec![
            campaign("cp-w1", &["192.0.2.2", "192.0.2.3", "192.0.2.4"], &["s"]),
            campaign("cp-w2", &["203.0.113.8"], &["s"]),
            campaign("cp-w3", &["192.0.2.1", "203.0.113.9"], &["s"]),
        ];
        let (mut a1, mut w1) = (auth.clone(), web.clone());
        name_shared_sources(&mut a1, &mut w1);
        assert_eq!(
            a1[0].reasons,
            [
                "2 of its sources also probed web sites in campaign cp-w1",
                "1 of its sources also probed web sites in campaign cp-w3",
            ]
        );
        assert!(a1[1].reasons.is_empty());
        assert_eq!(
            w1[0].reasons,
            [
                "2 of its sources also attacked accounts in campaign cp-a1",
                "1 of its sources also attacked accounts in campaign cp-a3",
            ]
        );
        assert!(w1[1].reasons.is_empty());
        assert_eq!(
            w1[2].reasons,
            [
                "1 of its sources also attacked accounts in campaign cp-a1",
                "1 of its sources also attacked accounts in campaign cp-a3",
            ]
        );
        let (mut a2, mut w2) = (auth, web);
        reference(&mut a2, &mut w2);
        assert_eq!((a1, w1), (a2, w2));
    }
}

mod group_split_tests {
    use super::*;
    use crate::merge::tests::alert;
    use crate::research::ResearchNets;

    /// A web alert of one matching request.
    fn probe(det: &str, ip: &str, target: &str, at: i64) -> Alert {
        let mut a = alert(det, ip, target, at, at + 1);
        a.count = 1;
        a
    }

    /// One-off probes (one and two requests, an exploit category, a named
    /// tool), a same-source campaign, linked neighbours, a one-off research
    /// scanner hit, and a sign-in campaign whose two sources each also
    /// probed web sites: a research scanner across three election offices
    /// (raised to high, then lowered to low: it ranks first as built, last
    /// once labelled) and what would otherwise be a one-off probe.
    fn mixed() -> Vec<Alert> {
        let mut v = Vec::new();
        for i in 1..=4 {
            let mut a = probe("web.exploit", &format!("203.0.{i}.1"), "a.oh", i * 60);
            a.details
                .insert("categories".into(), serde_json::json!(["log4shell"]));
            v.push(a);
        }
        v.push(probe("web.exploit", "198.18.7.1", "b.oh", 10));
        v.push(probe("web.exploit", "198.18.7.1", "b.oh", 86_400));
        let mut nikto = probe("web.scanner_ua", "198.18.9.1", "news", 30);
        nikto.details.insert("tool".into(), "Nikto".into());
        v.push(nikto);
        v.push(probe("web.scan", "192.0.2.40", "a.oh", 0));
        v.push(probe("web.scan", "192.0.2.40", "c.ga", 7_200));
        v.push(probe("web.scan", "198.51.100.1", "news", 0));
        v.push(probe("web.scan", "198.51.100.2", "news", 600));
        v.push(probe("web.scan", "167.94.138.99", "b.oh", 86_400 * 30));
        for (t, at) in [("a.oh", 0), ("b.oh", 3_600), ("c.ga", 7_200)] {
            v.push(probe("web.scan", "167.94.138.10", t, at));
        }
        v.push(probe("web.exploit", "198.18.20.5", "c.ga", 40));
        let mut auth = alert("auth.brute_force", "198.18.20.5", "t-news", 100, 900);
        auth.user = Some("editor@news.example".into());
        auth.source.members = ["198.18.20.5", "167.94.138.10"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        v.push(auth);
        v
    }

    #[test]
    fn counting_one_offs_as_built_gives_what_splitting_them_after_did() {
        let (alerts, cfg) = (mixed(), HuntConfig::default());
        let nets = ResearchNets::new(haboob_detect::web::scanners::builtin());
        let all = group_all(&alerts, &targets(), &cfg, None, &nets);
        let (old, old_bg) = crate::background::split(all, &alerts);
        let (new, new_bg) = group_split(&alerts, &targets(), &cfg, None, &nets);
        assert_eq!(new, old);
        assert_eq!(new_bg, old_bg);
        // Four exploit probes, two requests from one source, Nikto.
        assert_eq!((new_bg.alerts, new_bg.sources), (7, 6));
        assert_eq!(new.len(), 6, "{new:#?}");
        // The sign-in campaign names the web ones in their order as built.
        let find = |f: &dyn Fn(&Campaign) -> bool| new.iter().find(|c| f(c)).unwrap();
        let auth = find(&|c| c.detectors == ["auth.brute_force"]);
        let scanner =
            find(&|c| c.summary.starts_with("research scanner (") && c.targets.len() == 3);
        let shared = find(&|c| c.sources == ["198.18.20.5".parse::<IpAddr>().unwrap()]);
        let named: Vec<&str> = auth
            .reasons
            .iter()
            .filter_map(|r| r.split("campaign ").nth(1))
            .collect();
        assert_eq!(named, [scanner.id.as_str(), shared.id.as_str()]);
    }
}
