use super::*;
use haboob_intel::sources::{list, ImportOptions};
use haboob_intel::BuildOptions;
use haboob_model::{AuthEvent, AuthOutcome, WebEvent};
use std::borrow::Cow;

fn index(text: &str) -> Arc<IntelIndex> {
    let i = list::read_list(
        text.as_bytes(),
        "t.txt",
        "list:t",
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(i.summary.rejected, 0);
    Arc::new(IntelIndex::build(i.indicators, &BuildOptions::default()).0)
}

fn web(ip: &str, secs: i64, site: &'static str, path: &'static str) -> WebEvent<'static> {
    WebEvent {
        ts: Ts::from_secs(secs),
        source_ip: ip.parse().unwrap(),
        method: "GET",
        path,
        query: "",
        status: 200,
        bytes: 1,
        user_agent: "curl/8",
        referrer: "",
        site,
        user: "",
        forwarded: "",
        protocol: "HTTP/1.1",
    }
}

fn feed(d: &mut IntelMatch, evs: &[EventRef<'_>], first_line: u64, out: &mut Vec<Alert>) {
    for (i, e) in evs.iter().enumerate() {
        let o = Origin {
            file: "access.log",
            line: first_line + i as u64,
            raw: "raw line",
        };
        d.observe(e, &o, out);
    }
}

#[test]
fn one_alert_per_source_and_target_episode() {
    let ix = index("203.0.113.7\tseized\nhttps://news.example/wp-login.php\tkit path\n");
    let mut d = IntelMatch::new(ix, Part::All);
    let mut out = Vec::new();
    feed(
        &mut d,
        &[
            EventRef::Web(web("203.0.113.7", 0, "news.example", "/")),
            EventRef::Web(web("203.0.113.7", 60, "news.example", "/a")),
            EventRef::Web(web("203.0.113.7", 60, "shop.example", "/")),
            EventRef::Web(web("198.51.100.1", 70, "news.example", "/wp-login.php")),
            EventRef::Web(web("198.51.100.1", 80, "news.example", "/index.php")),
            // After the window: a new episode.
            EventRef::Web(web(
                "203.0.113.7",
                60 + WINDOW_SECS + 1,
                "news.example",
                "/",
            )),
        ],
        1,
        &mut out,
    );
    d.finish(&mut out);
    let mut got: Vec<_> = out
        .iter()
        .map(|a| {
            (
                a.source.ip.unwrap().to_string(),
                a.target.clone(),
                a.count,
                a.evidence.iter().map(|e| e.line).collect::<Vec<_>>(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("198.51.100.1".into(), "news.example".into(), 1, vec![4]),
            ("203.0.113.7".into(), "news.example".into(), 1, vec![6]),
            ("203.0.113.7".into(), "news.example".into(), 2, vec![1, 2]),
            ("203.0.113.7".into(), "shop.example".into(), 1, vec![3]),
        ]
    );
    let url = out
        .iter()
        .find(|a| a.source.ip.unwrap().to_string() == "198.51.100.1")
        .unwrap();
    let hits: Vec<IntelHit> = serde_json::from_value(url.details["intel"].clone()).unwrap();
    assert_eq!(
        (hits[0].field.as_str(), hits[0].matched.as_str()),
        ("url", "news.example/wp-login.php")
    );
    assert_eq!(url.severity, Severity::Medium);
}

#[test]
fn sign_ins_in_the_shared_lane_web_in_source_lanes() {
    let ix = index("203.0.113.7\nspy@evil.example\n");
    let mut a = AuthEvent::empty(Ts::from_secs(5), "auth.entra", AuthOutcome::Failure);
    a.source_ip = Some("203.0.113.7".parse().unwrap());
    a.user = Cow::Borrowed("spy@evil.example");
    a.tenant = Cow::Borrowed("contoso");
    let evs = [
        EventRef::Web(web("203.0.113.7", 0, "news.example", "/")),
        EventRef::Auth(a),
    ];
    let run = |part| {
        let mut d = IntelMatch::new(Arc::clone(&ix), part);
        let mut out = Vec::new();
        feed(&mut d, &evs, 1, &mut out);
        d.finish(&mut out);
        out.into_iter().map(|a| a.target).collect::<Vec<_>>()
    };
    assert_eq!(run(Part::BySource { lanes: 4 }), ["news.example"]);
    assert_eq!(run(Part::Shared), ["contoso"]);
    let mut all = run(Part::All);
    all.sort();
    assert_eq!(all, ["contoso", "news.example"]);
}

#[test]
fn state_carries_an_open_episode_across_runs() {
    let ix = index("# actor: Cotton Sandstorm\n203.0.113.7\n");
    let evs1 = [EventRef::Web(web("203.0.113.7", 0, "news.example", "/"))];
    let evs2 = [EventRef::Web(web("203.0.113.7", 30, "news.example", "/b"))];
    let mut d = IntelMatch::new(Arc::clone(&ix), Part::All);
    let mut out = Vec::new();
    feed(&mut d, &evs1, 1, &mut out);
    let st = d.save_state().unwrap();
    let mut d2 = IntelMatch::new(ix, Part::All);
    d2.restore_state(st).unwrap();
    feed(&mut d2, &evs2, 2, &mut out);
    d2.finish(&mut out);
    assert_eq!(out.len(), 1);
    assert_eq!((out[0].count, out[0].severity), (2, Severity::High));
    assert_eq!(out[0].first_seen, Ts::from_secs(0));
    assert_eq!(
        out[0].evidence.iter().map(|e| e.line).collect::<Vec<_>>(),
        [1, 2]
    );
}

#[test]
fn without_indicators_it_reads_nothing_until_a_restore_opens_an_episode() {
    let ix = index("203.0.113.7\n");
    let mut d = IntelMatch::new(Arc::clone(&ix), Part::All);
    assert_eq!(d.reads(), Kinds::ALL);
    let mut out = Vec::new();
    feed(
        &mut d,
        &[EventRef::Web(web("203.0.113.7", 0, "news.example", "/"))],
        1,
        &mut out,
    );
    let open = d.save_state().unwrap();
    let empty = Arc::new(IntelIndex::default());
    let idle = IntelMatch::new(Arc::clone(&empty), Part::All);
    assert_eq!(idle.reads(), Kinds::NONE);
    // An episode restored without indicators is still closed by events.
    let mut d2 = IntelMatch::new(empty, Part::All);
    d2.restore_state(open).unwrap();
    assert_eq!(d2.reads(), Kinds::ALL);
    d2.finish(&mut out);
    assert_eq!(out.len(), 1);
}

#[test]
fn severity_from_confidence_and_labels() {
    let h = |c: Option<u8>, labels: &[&str]| IntelHit {
        indicator: "i".into(),
        name: "n".into(),
        matched: "m".into(),
        field: "src_ip".into(),
        source: "s".into(),
        confidence: c,
        tlp: None,
        actors: vec![],
        labels: labels.iter().map(|s| s.to_string()).collect(),
    };
    assert_eq!(severity(&[h(Some(90), &[])]), Severity::High);
    assert_eq!(severity(&[h(None, &["seized"])]), Severity::High);
    assert_eq!(severity(&[h(Some(30), &[])]), Severity::Low);
    assert_eq!(severity(&[h(None, &["context"])]), Severity::Low);
    assert_eq!(
        severity(&[h(None, &[]), h(Some(30), &[])]),
        Severity::Medium
    );
}

fn pattern_index(pattern: &str) -> Arc<IntelIndex> {
    let ind = haboob_intel::Indicator {
        id: "indicator--p".into(),
        name: "p".into(),
        condition: haboob_intel::IndicatorCondition::Pattern(pattern.into()),
        valid_from: None,
        valid_until: None,
        labels: vec![],
        actors: vec![],
        provenance: haboob_intel::Provenance {
            source: "test".into(),
            imported: Ts(0),
            confidence: None,
            tlp: None,
            reference: None,
        },
    };
    let (ix, report) = IntelIndex::build(vec![ind], &BuildOptions::default());
    assert!(report.unsupported.is_empty(), "{:?}", report.unsupported);
    Arc::new(ix)
}

#[test]
fn a_partial_pattern_match_carries_across_runs_with_its_evidence() {
    let path = "network-traffic:extensions.'http-request-ext'.request_value";
    let ix = pattern_index(&format!(
        "([{path} = '/.env'] FOLLOWEDBY [{path} = '/.aws/credentials']) WITHIN 60 SECONDS"
    ));
    let evs1 = [EventRef::Web(web(
        "203.0.113.7",
        0,
        "news.example",
        "/.env",
    ))];
    let evs2 = [
        EventRef::Web(web("203.0.113.7", 20, "news.example", "/x")),
        EventRef::Web(web("203.0.113.7", 30, "news.example", "/.aws/credentials")),
    ];
    let mut d = IntelMatch::new(Arc::clone(&ix), Part::All);
    let mut out = Vec::new();
    feed(&mut d, &evs1, 1, &mut out);
    let st = d.save_state().unwrap();
    let mut d2 = IntelMatch::new(Arc::clone(&ix), Part::All);
    d2.restore_state(st).unwrap();
    feed(&mut d2, &evs2, 2, &mut out);
    d2.finish(&mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].count, 1);
    assert_eq!(
        out[0].evidence.iter().map(|e| e.line).collect::<Vec<_>>(),
        [1, 3]
    );
    // A state saved before the partial matches were (episodes alone)
    // restores its episodes; junk is an error naming the rule.
    let old = DetectorState::of(ID, &State::default()).unwrap();
    let mut d3 = IntelMatch::new(Arc::clone(&ix), Part::All);
    d3.restore_state(old).unwrap();
    let junk = DetectorState::of(ID, &"junk").unwrap();
    assert!(d3.restore_state(junk).unwrap_err().to_string().contains(ID));
}

#[test]
fn the_miss_memo_and_cache_never_hide_a_match() {
    // Misses before and after hits, the IPv4-mapped spelling of a miss and
    // of a listed address, an IPv6 network, and more distinct misses than
    // the cache has slots: every listed event matches, no other does.
    let ix = index("203.0.113.7\tseized\n2001:db8::/32\tnet\n");
    let mut d = IntelMatch::new(ix, Part::All);
    let mut ips: Vec<String> = [
        "198.51.100.9",
        "198.51.100.9",
        "203.0.113.7",
        "198.51.100.9",
        "::ffff:198.51.100.9",
        "::ffff:203.0.113.7",
        "2001:db8::5",
        "2001:db9::5",
        "2001:db8::5",
    ]
    .map(String::from)
    .to_vec();
    ips.extend((0..CACHE_SLOTS as u32 + 1000).map(|i| format!("10.{}.{}.1", i >> 8, i & 255)));
    ips.push("203.0.113.7".into());
    let evs: Vec<EventRef<'_>> = ips
        .iter()
        .enumerate()
        .map(|(i, ip)| EventRef::Web(web(ip, i as i64, "news.example", "/")))
        .collect();
    let mut out = Vec::new();
    feed(&mut d, &evs, 1, &mut out);
    d.finish(&mut out);
    let mut lines: Vec<u64> = out
        .iter()
        .flat_map(|a| a.evidence.iter().map(|e| e.line))
        .collect();
    lines.sort();
    let last = ips.len() as u64;
    assert_eq!(lines, [3, 6, 7, 9, last]);
    assert_eq!(out.iter().map(|a| a.count).sum::<u64>(), 5);
}
