use super::*;
use haboob_model::{AuthEvent, AuthOutcome, Ts, WafEvent, WebEvent};
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn web(src: &str, path: &'static str, t: i64) -> WebEvent<'static> {
    WebEvent {
        ts: Ts::from_secs(t),
        source_ip: ip(src),
        method: "GET",
        path,
        query: "",
        status: 404,
        bytes: 12,
        user_agent: "Mozilla/5.0 (compatible; Nmap Scripting Engine)",
        referrer: "-",
        site: "www.example.org",
        user: "",
        forwarded: "",
        protocol: "HTTP/1.1",
    }
}

fn auth(src: &str, user: &'static str, t: i64) -> AuthEvent<'static> {
    AuthEvent {
        source_ip: Some(ip(src)),
        user: user.into(),
        ..AuthEvent::empty(Ts::from_secs(t), "auth.sshd", AuthOutcome::Failure)
    }
}

/// A firewall block of one source at `t` seconds (also the lanes' tests').
pub(crate) fn waf(src: &str, t: i64) -> WafEvent<'static> {
    WafEvent {
        ts: Ts::from_secs(t),
        source_ip: ip(src),
        site: "www.example.org",
        method: "GET",
        path: "/x",
        blocked: true,
        engine: "modsecurity",
        rule: "942100",
        message: "SQLi",
    }
}

const PATHS: [&str; 12] = [
    "/.env",
    "/.git/config",
    "/wp-login.php",
    "/phpmyadmin/",
    "/admin/",
    "/backup.zip",
    "/config.php.bak",
    "/server-status",
    "/.aws/credentials",
    "/db.sql",
    "/cgi-bin/test.cgi",
    "/actuator/env",
];

const USERS: [&str; 8] = [
    "root", "admin", "oracle", "test", "ubuntu", "pi", "guest", "postgres",
];

/// A stream of every kind the built-in detectors read, interleaved: a web
/// scan, a sign-in brute force and firewall blocks, from three sources.
fn mixed() -> Vec<EventRef<'static>> {
    let mut v = Vec::new();
    for i in 0..240i64 {
        let p = PATHS[(i as usize) % PATHS.len()];
        v.push(EventRef::Web(web("192.0.2.7", p, 1000 + i)));
        v.push(EventRef::Auth(auth(
            "198.51.100.3",
            USERS[(i as usize) % USERS.len()],
            1000 + i,
        )));
        if i % 4 == 0 {
            v.push(EventRef::Waf(waf("203.0.113.9", 1000 + i)));
        }
    }
    v
}

/// The alerts of a feed over [`mixed`], as sorted debug text.
fn alerts_of(mut feed: Feed<'_>) -> Vec<String> {
    for (i, ev) in mixed().iter().enumerate() {
        let o = Origin {
            file: "mixed.log",
            line: i as u64 + 1,
            raw: "raw",
        };
        feed.observe(ev, &o);
    }
    sorted_alerts(feed)
}

/// The alerts of a feed run to its end, as sorted debug texts.
fn sorted_alerts(feed: Feed<'_>) -> Vec<String> {
    let mut v: Vec<String> = feed
        .finish()
        .alerts
        .iter()
        .map(|a| format!("{a:?}"))
        .collect();
    v.sort();
    v
}

/// Counts the events it is handed; reads sign-ins only.
struct SignInsOnly(Arc<AtomicUsize>);

impl Detector for SignInsOnly {
    fn name(&self) -> &'static str {
        "test.sign_ins"
    }
    fn reads(&self) -> Kinds {
        Kinds::AUTH
    }
    fn observe(&mut self, _: &EventRef<'_>, _: &Origin<'_>, _: &mut Vec<Alert>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    fn finish(&mut self, _: &mut Vec<Alert>) {}
}

#[test]
fn a_detector_that_reads_sign_ins_only_is_not_called_for_other_kinds() {
    let opts = HuntOptions::default();
    let mut feed = Feed::new(&opts);
    let seen = Arc::new(AtomicUsize::new(0));
    feed.detectors
        .push(Box::new(SignInsOnly(Arc::clone(&seen))));
    feed.reroute();
    let evs = mixed();
    let sign_ins = evs
        .iter()
        .filter(|e| matches!(e, EventRef::Auth(_)))
        .count();
    assert!(sign_ins > 0 && sign_ins < evs.len());
    let _ = alerts_of(feed);
    assert_eq!(seen.load(Ordering::Relaxed), sign_ins);
}

/// A built-in detector, handed every event whatever it reads.
struct Every(Box<dyn Detector>);

impl Detector for Every {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn observe(&mut self, ev: &EventRef<'_>, o: &Origin<'_>, out: &mut Vec<Alert>) {
        self.0.observe(ev, o, out);
    }
    fn observe_noted(
        &mut self,
        ev: &EventRef<'_>,
        o: &Origin<'_>,
        note: Note<'_>,
        out: &mut Vec<Alert>,
    ) {
        self.0.observe_noted(ev, o, note, out);
    }
    fn finish(&mut self, out: &mut Vec<Alert>) {
        self.0.finish(out);
    }
}

#[test]
fn skipping_the_kinds_a_detector_does_not_read_changes_no_alert() {
    let opts = HuntOptions::default();
    for part in [Part::All, Part::Shared, Part::BySource { lanes: 2 }] {
        let skipping = Feed::part(&opts, part);
        assert!(
            skipping.detectors.iter().any(|d| d.reads() != Kinds::ALL),
            "some built-in detector reads fewer kinds"
        );
        let mut every = Feed::part(&opts, part);
        every.detectors = std::mem::take(&mut every.detectors)
            .into_iter()
            .map(|d| Box::new(Every(d)) as Box<dyn Detector>)
            .collect();
        every.reroute();
        assert!(every.detectors.iter().all(|d| d.reads() == Kinds::ALL));
        assert!(every.route.iter().all(|r| r.len() == every.detectors.len()));
        let got = alerts_of(skipping);
        assert_eq!(got, alerts_of(every), "{part:?}");
        // Web, sign-in and firewall detectors found something, each in
        // the part that has it.
        let ids: &[&str] = match part {
            Part::All => &["\"web.", "\"auth.", "\"web.waf"],
            Part::Shared => &["\"auth."],
            Part::BySource { .. } => &["\"web.", "\"web.waf"],
        };
        for id in ids {
            assert!(
                got.iter().any(|a| a.contains(id)),
                "{part:?} {id}: {got:#?}"
            );
        }
    }
}

/// Reads the kinds it is given, finds nothing.
struct Reads(Kinds);

impl Detector for Reads {
    fn name(&self) -> &'static str {
        "test.reads"
    }
    fn reads(&self) -> Kinds {
        self.0
    }
    fn observe(&mut self, _: &EventRef<'_>, _: &Origin<'_>, _: &mut Vec<Alert>) {}
    fn finish(&mut self, _: &mut Vec<Alert>) {}
}

#[test]
fn each_kind_is_routed_to_its_readers_in_build_order() {
    let reads = [
        Kinds::ALL,
        Kinds::AUTH,
        Kinds::NONE,
        Kinds::WEB.with(Kinds::AUTH),
        Kinds::NET,
    ];
    let detectors: Vec<Box<dyn Detector>> = reads
        .into_iter()
        .map(|k| Box::new(Reads(k)) as Box<dyn Detector>)
        .collect();
    let r = route(&detectors);
    assert_eq!(r[0], [0, 3], "web");
    assert_eq!(r[1], [0, 1, 3], "sign-ins");
    assert_eq!(r[4], [0, 4], "network");
    assert_eq!(r[2], [0], "firewall: only the one that reads every kind");
    assert_eq!(r[7], [0]);
    for ev in mixed() {
        assert_eq!(1u8 << kind_bit(&ev), Kinds::of(&ev).bits(), "{ev:?}");
    }
}

/// A web stream whose Exchange requests derive sign-ins (401s naming
/// many accounts from one source), beside a web scan.
fn exchange_and_scan() -> Vec<EventRef<'static>> {
    let mut v = Vec::new();
    for i in 0..240i64 {
        let p = PATHS[(i as usize) % PATHS.len()];
        v.push(EventRef::Web(web("192.0.2.7", p, 1000 + i)));
        let paths = ["/EWS/Exchange.asmx", "/owa/", "/Autodiscover/x.xml"];
        v.push(EventRef::Web(WebEvent {
            status: 401,
            user: USERS[(i as usize) % USERS.len()],
            method: "POST",
            ..web("198.51.100.3", paths[(i as usize) % paths.len()], 1000 + i)
        }));
    }
    v
}

/// The web requests that take the short way ([`Feed::observe_noted`]
/// without Sigma rules or a sign-in to derive) give the alerts of the
/// long way ([`Feed::observe_any`]) every request took before, in every
/// part; the derived sign-ins are still found.
#[test]
fn web_requests_on_the_short_way_give_the_alerts_of_the_long_way() {
    let opts = HuntOptions::default();
    for part in [Part::All, Part::Shared, Part::BySource { lanes: 2 }] {
        let run = |short: bool| {
            let mut feed = Feed::part(&opts, part);
            for (i, ev) in exchange_and_scan().iter().enumerate() {
                let o = Origin {
                    file: "ex.log",
                    line: i as u64 + 1,
                    raw: "raw",
                };
                if short {
                    feed.observe_noted(ev, &o, Note::Read(&[]));
                } else {
                    feed.observe_any(ev, &o, Note::Read(&[]));
                }
            }
            sorted_alerts(feed)
        };
        let got = run(true);
        assert_eq!(got, run(false), "{part:?}");
        if part != (Part::BySource { lanes: 2 }) {
            assert!(
                got.iter().any(|a| a.contains("\"auth.")),
                "{part:?}: {got:#?}"
            );
        }
    }
}
