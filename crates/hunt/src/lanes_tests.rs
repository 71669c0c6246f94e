use super::*;
use crate::{hunt, HuntOptions};
use haboob_model::{AuthEvent, AuthOutcome, Ts, WafEvent, WebEvent};
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
    let waf = WafEvent {
        ts: Ts::from_secs(103),
        source_ip: ip("192.0.2.8"),
        site: "www.example.org",
        method: "GET",
        path: "/x",
        blocked: true,
        engine: "modsecurity",
        rule: "942100",
        message: "SQLi",
    };
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
    let collect = |list: usize| {
        let mut got = Vec::new();
        b.each(&b.lists[list], &mut |_, _, ev, o| {
            got.push((
                format!("{ev:?}"),
                o.file.to_string(),
                o.line,
                o.raw.to_string(),
            ));
        });
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
        let got = collect(usize::from(l));
        assert_eq!(got, expect(&|ev| lane(ev) == Some(l)));
    }
    let shared = collect(2);
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
