use super::*;
use crate::{hunt, HuntOptions};
use haboob_model::{AuthEvent, AuthOutcome, Ts, WebEvent};
use std::io::Write;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn a_network_stays_in_one_lane_and_networks_spread() {
    for lanes in [2, 3, 8] {
        assert_eq!(
            lane_of(ip("198.51.100.1"), lanes),
            lane_of(ip("198.51.100.254"), lanes)
        );
        assert_eq!(
            lane_of(ip("2001:db8:1:2::1"), lanes),
            lane_of(ip("2001:db8:1:2:ffff::9"), lanes)
        );
        let mut per = vec![0usize; lanes];
        for n in 0..3000u32 {
            per[lane_of(IpAddr::from((0x0a00_0000 + (n << 8)).to_be_bytes()), lanes)] += 1;
        }
        // Consecutive /24s spread evenly (within 20 % of a fair share).
        let fair = 3000 / lanes;
        assert!(
            per.iter()
                .all(|&c| c * 10 >= fair * 8 && c * 10 <= fair * 12),
            "{per:?}"
        );
    }
}

fn web<'a>(src: &str, path: &'a str, ua: &'a str, t: i64) -> WebEvent<'a> {
    WebEvent {
        ts: Ts::from_secs(t),
        source_ip: ip(src),
        method: "GET",
        path,
        query: "a=1",
        status: 404,
        bytes: 12,
        user_agent: ua,
        referrer: "-",
        site: "www.example.org",
        user: "",
        forwarded: "",
        protocol: "HTTP/1.1",
    }
}

/// Every event comes back to exactly the lanes it belongs to, equal to
/// what was pushed, with its origin; texts outside the raw line (a site
/// from the options) are kept too.
#[test]
fn a_batch_gives_each_lane_its_events_unchanged() {
    let line1 = "192.0.2.7 - - [x] \"GET /wp-login.php?a=1\" 404 12 \"-\" \"curl/8\"";
    let w1 = WebEvent {
        path: &line1[23..36],
        user_agent: &line1[54..60],
        ..web("192.0.2.7", "", "", 100)
    };
    let w2 = web("203.0.113.9", "/.env", "", 101);
    let auth = AuthEvent {
        source_ip: Some(ip("198.51.100.3")),
        user: "alice".into(),
        ..AuthEvent::empty(Ts::from_secs(102), "auth.sshd", AuthOutcome::Failure)
    };
    let waf = crate::feed::tests::waf("192.0.2.8", 103);
    let evs = [
        EventRef::Web(w1),
        EventRef::Web(w2),
        EventRef::Auth(auth),
        EventRef::Waf(waf),
    ];
    let raws = [line1, "line two", "line three", "line four"];
    let mut b = Batch::new(2);
    for (i, (ev, raw)) in evs.iter().zip(raws).enumerate() {
        let file = if i < 2 { "a.log" } else { "b.log" };
        let o = Origin {
            file,
            line: i as u64 + 1,
            raw,
        };
        b.push(lanes_for(ev, 2), ev, &o);
    }
    let lane = |ev: &EventRef<'_>| match ev {
        EventRef::Web(w) => Some(lane_of(w.source_ip, 2) as u8),
        EventRef::Waf(w) => Some(lane_of(w.source_ip, 2) as u8),
        _ => None,
    };
    let collect = |list: Option<usize>| {
        let mut got = Vec::new();
        let mut add = |_, _, ev: &EventRef<'_>, o: &Origin<'_>| {
            got.push((
                format!("{ev:?}"),
                o.file.to_string(),
                o.line,
                o.raw.to_string(),
            ));
        };
        match list {
            Some(l) => b.each(l, &mut add),
            None => b.each_shared(&mut add),
        }
        got
    };
    let expect = |keep: &dyn Fn(&EventRef<'_>) -> bool| {
        evs.iter()
            .zip(raws)
            .enumerate()
            .filter(|(_, (ev, _))| keep(ev))
            .map(|(i, (ev, raw))| {
                let file = if i < 2 { "a.log" } else { "b.log" };
                (
                    format!("{ev:?}"),
                    file.to_string(),
                    i as u64 + 1,
                    raw.to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    for l in 0..2u8 {
        let got = collect(Some(usize::from(l)));
        assert_eq!(got, expect(&|ev| lane(ev) == Some(l)));
    }
    let shared = collect(None);
    assert_eq!(shared, expect(&|ev| !matches!(ev, EventRef::Waf(_))));
    assert_eq!(shared.len(), 3);
}

/// A distributed sweep whose sources fall in different lanes is still one
/// `web.sweep` alert with every source, as without lanes; the per-source
/// alert of a scanner is the same too.
#[test]
fn a_sweep_across_lanes_is_one_alert() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    let mut f = std::fs::File::create(&path).unwrap();
    let mut sources = Vec::new();
    for i in 0..30u32 {
        let src = format!("10.{}.{}.5", i / 7 + 1, i * 13 % 250);
        let t = i * 97;
        writeln!(
            f,
            "{src} - - [02/Mar/2026:10:{:02}:{:02} +0000] \"HEAD /backup.zip HTTP/1.1\" 404 0 \"-\" \"-\"",
            t / 60,
            t % 60
        )
        .unwrap();
        sources.push(ip(&src));
    }
    for i in 0..40 {
        writeln!(
            f,
            "192.0.2.9 - - [02/Mar/2026:11:00:{:02} +0000] \"GET /admin{i}.php HTTP/1.1\" 404 0 \"-\" \"Mozilla/5.0\"",
            i
        )
        .unwrap();
    }
    drop(f);
    let lanes: std::collections::BTreeSet<usize> = sources.iter().map(|s| lane_of(*s, 2)).collect();
    assert_eq!(lanes.len(), 2, "the sweep's sources are in both lanes");
    let inputs = vec![haboob_ingest::Input::File(path)];
    let report = |lanes: u32| {
        let mut o = HuntOptions::default();
        o.config.hunt.detection_lanes = lanes;
        o.config.hunt.lanes_min_mb = 0;
        hunt(&inputs, &o, &|_| {})
    };
    let (one, two) = (report(1), report(2));
    let sweeps: Vec<_> = two
        .alerts
        .iter()
        .filter(|a| a.detector == "web.sweep")
        .collect();
    assert_eq!(sweeps.len(), 1, "{sweeps:#?}");
    let mut members = sweeps[0].source.members.clone();
    members.sort();
    sources.sort();
    assert_eq!(members, sources);
    assert!(two
        .alerts
        .iter()
        .any(|a| a.detector == "web.scan" && a.source.ip == Some(ip("192.0.2.9"))));
    let json = |r: &crate::HuntReport| serde_json::to_string(&r.alerts).unwrap();
    assert_eq!(json(&one), json(&two));

    // Newest first: the sorted pass feeds the lanes in time order.
    let text = std::fs::read_to_string(inputs_path(&inputs)).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.reverse();
    std::fs::write(inputs_path(&inputs), lines.join("\n") + "\n").unwrap();
    let (rev_one, rev_two) = (report(1), report(2));
    assert!(
        rev_two
            .notices
            .iter()
            .any(|n| n.contains("newest-first") || n.contains("sorted by time")),
        "{:?}",
        rev_two.notices
    );
    assert_eq!(json(&rev_one), json(&rev_two));
    assert_eq!(
        rev_two
            .alerts
            .iter()
            .filter(|a| a.detector == "web.sweep")
            .count(),
        1
    );
}

fn inputs_path(inputs: &[haboob_ingest::Input]) -> std::path::PathBuf {
    match &inputs[0] {
        haboob_ingest::Input::File(p) => p.clone(),
        haboob_ingest::Input::Stdin => unreachable!("a file"),
    }
}

/// Requests of many sources over many small batches, with a few batches
/// queued: the lanes (source lanes writing notes, the shared lane reading
/// them one batch or more behind) give exactly the alerts of one feed, at
/// two and three source lanes, whatever the batch size.
#[test]
fn lanes_over_many_batches_give_the_alerts_of_one_feed() {
    let mut reqs: Vec<(String, String, String, u16, &str)> = Vec::new();
    for i in 0..2400u32 {
        // Two sources per kind of request; the sweep's from 250.
        let src = match i % 8 {
            2 => format!("10.200.{}.9", i / 8 % 250),
            k => format!("10.{k}.{}.7", i % 2),
        };
        let (path, status, ua) = match i % 8 {
            // Traversal, decoded twice; some served (exploit success).
            0 => (
                format!("/files/..%252f..%252fetc/passwd{}", i % 3),
                200,
                "curl/8.0",
            ),
            1 => (format!("/admin{i}.php"), 404, "Mozilla/5.0"),
            2 => ("/backup.zip".to_string(), 404, "-"),
            3 => (format!("/cgi-bin/%2e%2e/%2e%2e/bin/sh?x={i}"), 500, "-"),
            4 => ("/static/app.js".to_string(), 200, "Mozilla/5.0"),
            5 => (
                format!("/index.php?id=1%27+union+select+{i}"),
                200,
                "sqlmap/1.7",
            ),
            _ => (format!("/page/{}", i % 50), 200, "Mozilla/5.0"),
        };
        let method = if i % 8 == 2 { "HEAD" } else { "GET" };
        reqs.push((src, path, ua.to_string(), status, method));
    }
    let events: Vec<(EventRef<'_>, String)> = reqs
        .iter()
        .enumerate()
        .map(|(i, (src, path, ua, status, method))| {
            let (p, q) = path.split_once('?').unwrap_or((path, ""));
            let mut w = web(src, p, ua, 1_000 + i as i64 / 8);
            w.query = q;
            w.status = *status;
            // Not-found answers are 12 bytes: a served probe is larger.
            if *status == 200 {
                w.bytes = 2_000 + i as u64 % 7;
            }
            w.method = method;
            let raw = format!("{src} {method} {path} {status}");
            (EventRef::Web(w), raw)
        })
        .collect();
    let opts = HuntOptions::default();
    let run = |lanes: usize, batch_bytes: usize, in_flight: usize| {
        let (_, feeds) = run_feeds_in(lane_feeds(&opts, lanes), batch_bytes, in_flight, |sink| {
            for (i, (ev, raw)) in events.iter().enumerate() {
                let o = Origin {
                    file: "access.log",
                    line: i as u64 + 1,
                    raw,
                };
                sink.observe(ev, &o);
            }
        });
        let mut alerts: Vec<String> = feeds
            .into_iter()
            .flat_map(|f| f.finish().alerts)
            .map(|a| serde_json::to_string(&a).unwrap())
            .collect();
        alerts.sort();
        alerts
    };
    let one = run(1, BATCH_BYTES, IN_FLIGHT);
    for want in ["\"web.exploit\"", "\"web.sweep\"", "\"web.scan\""] {
        assert!(
            one.iter().any(|a| a.contains(want)),
            "no {want} in {one:#?}"
        );
    }
    for (lanes, batch_bytes, in_flight) in [
        (2, 4096, 1),
        (2, 700, 3),
        (3, 20_000, 0),
        (2, BATCH_BYTES, IN_FLIGHT),
    ] {
        assert_eq!(
            run(lanes, batch_bytes, in_flight),
            one,
            "{lanes} lanes, {batch_bytes} bytes, {in_flight} queued"
        );
    }
}

/// The lane of an address as first defined: its network as
/// `ip_prefix` gives it, spread by the same finaliser, modulo the number of
/// lanes.
fn lane_of_reference(ip: IpAddr, lanes: usize) -> usize {
    let net = match haboob_model::ip_prefix(ip).network {
        IpAddr::V4(a) => u64::from(u32::from(a)) >> 8,
        IpAddr::V6(a) => (u128::from(a) >> 64) as u64,
    };
    (super::spread(net) % lanes.max(1) as u64) as usize
}

proptest::proptest! {
    /// The direct network key and the division-free modulo give every
    /// address the lane of the first definition (a checkpoint's lanes and
    /// the per-lane caps depend on it).
    #[test]
    fn lane_of_agrees_with_the_reference(
        v4 in proptest::prelude::any::<u32>(),
        v6 in proptest::prelude::any::<u128>(),
        lanes in 0usize..=MAX_LANES,
    ) {
        for ip in [IpAddr::from(v4.to_be_bytes()), IpAddr::from(v6.to_be_bytes())] {
            proptest::prop_assert_eq!(lane_of(ip, lanes), lane_of_reference(ip, lanes));
        }
    }

    /// Web requests of any shape come back from a batch exactly as pushed,
    /// to the lanes they belong to: texts inside the raw line at any
    /// offset, empty or not, texts outside it (copied, the same one
    /// repeated or a new one each time), IPv4 and IPv6 sources, any
    /// number, size and status, lines longer than 16-bit offsets reach.
    #[test]
    fn a_batch_gives_back_any_web_request(
        reqs in proptest::collection::vec(
            (
                proptest::prelude::any::<[u16; 9]>(),
                proptest::prelude::any::<bool>(),
                proptest::prelude::any::<u128>(),
                proptest::prelude::any::<(i64, u64, u16)>(),
                0usize..3,
            ),
            1..40,
        ),
        lanes in 2usize..5,
    ) {
        let site = "www.example.org".to_string();
        let others: Vec<String> = (0..reqs.len()).map(|i| format!("ua é {i}")).collect();
        let raws: Vec<String> = reqs
            .iter()
            .enumerate()
            .map(|(i, (_, _, _, _, long))| {
                let n = [40, 300, 70_000][*long];
                // Multi-byte characters: ranges start on char boundaries.
                format!("{i} ") + &"aé-".repeat(n / 4)
            })
            .collect();
        let events: Vec<WebEvent<'_>> = reqs
            .iter()
            .zip(&raws)
            .enumerate()
            .map(|(i, ((cuts, v6, addr, (ts, bytes, status), _), raw))| {
                let mut texts = [""; 9];
                for (k, (t, c)) in texts.iter_mut().zip(cuts).enumerate() {
                    *t = match c % 5 {
                        0 => "",
                        1 => &site,
                        2 => &others[i],
                        _ => {
                            // A range of the raw line on char boundaries.
                            let chars: Vec<usize> = raw.char_indices().map(|(j, _)| j).collect();
                            let a = chars[usize::from(*c) * 7 % chars.len()];
                            let b = chars[(usize::from(*c) * 7 + k * 13) % chars.len()].max(a);
                            &raw[a..b]
                        }
                    };
                }
                let ip = if *v6 {
                    IpAddr::from(addr.to_be_bytes())
                } else {
                    IpAddr::from((*addr as u32).to_be_bytes())
                };
                WebEvent::from_texts(Ts(*ts), ip, *status, *bytes, texts)
            })
            .collect();
        let mut b = Batch::new(lanes);
        for (i, (w, raw)) in events.iter().zip(&raws).enumerate() {
            let ev = EventRef::Web(w.clone());
            let o = Origin { file: "a.log", line: i as u64 * 3, raw };
            b.push(lanes_for(&ev, lanes), &ev, &o);
        }
        let want = |keep: &dyn Fn(&WebEvent<'_>) -> bool| -> Vec<String> {
            events
                .iter()
                .zip(&raws)
                .enumerate()
                .filter(|(_, (w, _))| keep(w))
                .map(|(i, (w, raw))| format!("{:?} {} {raw}", EventRef::Web(w.clone()), i * 3))
                .collect()
        };
        let got = |list: Option<usize>| {
            let mut v = Vec::new();
            let mut add = |_, _, ev: &EventRef<'_>, o: &Origin<'_>| {
                v.push(format!("{ev:?} {} {}", o.line, o.raw));
            };
            match list {
                Some(l) => b.each(l, &mut add),
                None => b.each_shared(&mut add),
            }
            v
        };
        for l in 0..lanes {
            proptest::prop_assert_eq!(got(Some(l)), want(&|w| lane_of(w.source_ip, lanes) == l));
        }
        proptest::prop_assert_eq!(got(None), want(&|_| true));
    }
}

/// More texts outside their raw lines than a batch's short form indexes:
/// the records past it are coded whole, and every record still comes back
/// as pushed.
#[test]
fn a_batch_codes_what_its_short_form_cannot_hold() {
    let n = u16::MAX as usize + 40;
    let texts: Vec<String> = (0..n).map(|i| format!("agent {i}")).collect();
    let raws: Vec<String> = (0..n).map(|i| format!("line {i} /x")).collect();
    let events: Vec<WebEvent<'_>> = texts
        .iter()
        .zip(&raws)
        .map(|(ua, raw)| WebEvent {
            path: &raw[raw.len() - 2..],
            ..web("192.0.2.1", "", ua, 5)
        })
        .collect();
    let mut b = Batch::new(2);
    for (i, (w, raw)) in events.iter().zip(&raws).enumerate() {
        let ev = EventRef::Web(w.clone());
        let o = Origin {
            file: "a.log",
            line: i as u64,
            raw,
        };
        b.push(lanes_for(&ev, 2), &ev, &o);
    }
    let mut got = 0;
    b.each_shared(&mut |i, _, ev, o| {
        let i = i as usize;
        assert_eq!(
            format!("{ev:?}"),
            format!("{:?}", EventRef::Web(events[i].clone()))
        );
        assert_eq!((o.line, o.raw), (i as u64, raws[i].as_str()));
        got += 1;
    });
    assert_eq!(got, n);
}

proptest::proptest! {
    /// Any mix of web requests, firewall denials and sign-ins comes back
    /// as the lanes were first defined to take it: each source lane the
    /// records whose source lane it is, in the order pushed, numbered in
    /// that order; the shared lane the records marked for it in the order
    /// pushed, each with the number its source lane gave it (its notes are
    /// found by it).
    #[test]
    fn a_batch_walks_each_lane_in_push_order(
        kinds in proptest::collection::vec((0u8..3, proptest::prelude::any::<u32>()), 1..60),
        lanes in 2usize..5,
    ) {
        let srcs: Vec<String> = kinds
            .iter()
            .map(|(_, a)| IpAddr::from(a.to_be_bytes()).to_string())
            .collect();
        let raws: Vec<String> = (0..kinds.len()).map(|i| format!("raw line {i}")).collect();
        let events: Vec<EventRef<'_>> = kinds
            .iter()
            .zip(&srcs)
            .enumerate()
            .map(|(i, ((k, _), src))| match k {
                0 => EventRef::Web(web(src, "/x", "curl/8", i as i64)),
                1 => EventRef::Waf(crate::feed::tests::waf(src, i as i64)),
                _ => EventRef::Auth(AuthEvent {
                    source_ip: Some(ip(src)),
                    user: "alice".into(),
                    ..AuthEvent::empty(Ts::from_secs(i as i64), "auth.sshd", AuthOutcome::Failure)
                }),
            })
            .collect();
        let mut b = Batch::new(lanes);
        for (i, (ev, raw)) in events.iter().zip(&raws).enumerate() {
            let o = Origin { file: "a.log", line: i as u64, raw };
            b.push(lanes_for(ev, lanes), ev, &o);
        }
        // The first definition: a list of record numbers per source lane.
        let mut lists = vec![Vec::new(); lanes];
        let mut number = vec![None; events.len()];
        for (i, ev) in events.iter().enumerate() {
            let l = usize::from(lanes_for(ev, lanes) & NO_SOURCE);
            if let Some(list) = lists.get_mut(l) {
                number[i] = Some(list.len() as u32);
                list.push(i);
            }
        }
        let show = |i: usize| format!("{:?} {}", events[i], raws[i]);
        for (l, list) in lists.iter().enumerate() {
            let mut got = Vec::new();
            b.each(l, &mut |n, lb, ev, o| {
                got.push((n, lb, format!("{ev:?} {}", o.raw)));
            });
            let want: Vec<_> = list
                .iter()
                .enumerate()
                .map(|(n, &i)| (n as u32, lanes_for(&events[i], lanes), show(i)))
                .collect();
            proptest::prop_assert_eq!(got, want);
        }
        let mut got = Vec::new();
        b.each_shared(&mut |n, lb, ev, o| {
            // A sign-in has no source lane: its number is unused.
            let n = (lb & NO_SOURCE != NO_SOURCE).then_some(n);
            got.push((n, lb, format!("{ev:?} {}", o.raw)));
        });
        let want: Vec<_> = (0..events.len())
            .filter(|&i| lanes_for(&events[i], lanes) & TO_SHARED != 0)
            .map(|i| (number[i], lanes_for(&events[i], lanes), show(i)))
            .collect();
        proptest::prop_assert_eq!(got, want);
    }
}
