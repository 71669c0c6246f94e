//! `web.exploit_success` on hand-built events: one hit and one near miss per
//! signal, and save/restore. Shared helpers for the other outcome tests.

use super::super::{WebConfig, WebDetectors};
use crate::Detector;
use haboob_model::{Alert, EventRef, Origin, Severity, Ts, WebEvent};

/// One request (time in seconds).
#[derive(Debug, Clone)]
pub(super) struct E {
    pub t: i64,
    pub ip: &'static str,
    pub method: &'static str,
    pub target: String,
    pub status: u16,
    pub bytes: u64,
    pub ua: &'static str,
}

pub(super) const BROWSER: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/128.0";
pub(super) const SITE: &str = "vote.example.gov";

pub(super) fn e(
    t: i64,
    ip: &'static str,
    method: &'static str,
    target: &str,
    status: u16,
    bytes: u64,
) -> E {
    E {
        t,
        ip,
        method,
        target: target.to_string(),
        status,
        bytes,
        ua: BROWSER,
    }
}

/// Feed `evs` (in order) to `d`; alerts pushed so far.
pub(super) fn feed(d: &mut WebDetectors, evs: &[E], line0: u64, out: &mut Vec<Alert>) {
    for (i, x) in evs.iter().enumerate() {
        let (path, query) = x.target.split_once('?').unwrap_or((&x.target, ""));
        let w = WebEvent {
            ts: Ts(x.t * 1000),
            source_ip: x.ip.parse().unwrap(),
            method: x.method,
            path,
            query,
            status: x.status,
            bytes: x.bytes,
            user_agent: x.ua,
            referrer: "",
            site: SITE,
            user: "",
            forwarded: "",
            protocol: "",
        };
        let raw = format!(
            "{} {} {} {} {}",
            x.ip, x.method, x.target, x.status, x.bytes
        );
        let o = Origin {
            file: "access.log",
            line: line0 + i as u64 + 1,
            raw: &raw,
        };
        d.observe(&EventRef::Web(w), &o, out);
    }
}

/// Alerts of `detector` for `evs` under `cfg`.
pub(super) fn run_cfg(cfg: &WebConfig, evs: &[E], detector: &str) -> Vec<Alert> {
    let mut d = WebDetectors::new(cfg);
    let mut out = Vec::new();
    feed(&mut d, evs, 0, &mut out);
    d.finish(&mut out);
    out.retain(|a| a.detector == detector);
    out
}

pub(super) fn run(evs: &[E], detector: &str) -> Vec<Alert> {
    run_cfg(&WebConfig::default(), evs, detector)
}

/// The same alerts when the stream is cut after `cut` events, the state
/// saved, and a fresh detector restored from it.
pub(super) fn run_split(evs: &[E], cut: usize, detector: &str) -> Vec<Alert> {
    let cfg = WebConfig::default();
    run_split_cfg(&cfg, &cfg, evs, cut, detector)
}

/// [`run_split`] with the state saved under `before` and restored under
/// `after` (rules enabled or disabled in between).
pub(super) fn run_split_cfg(
    before: &WebConfig,
    after: &WebConfig,
    evs: &[E],
    cut: usize,
    detector: &str,
) -> Vec<Alert> {
    let mut a = WebDetectors::new(before);
    let mut out = Vec::new();
    feed(&mut a, &evs[..cut], 0, &mut out);
    let state = a.save_state().unwrap();
    let mut b = WebDetectors::new(after);
    b.restore_state(state).unwrap();
    feed(&mut b, &evs[cut..], cut as u64, &mut out);
    b.finish(&mut out);
    out.retain(|a| a.detector == detector);
    out
}

pub(super) fn lines(a: &Alert) -> Vec<u64> {
    a.evidence.iter().map(|e| e.line).collect()
}

const ES: &str = "web.exploit_success";
const SCANNER: &str = "203.0.113.66";

/// The site's ordinary traffic: 30 visitors reading pages, and a scanner's
/// probes for missing files answered 404 with the site's 1,210-byte page.
fn background() -> Vec<E> {
    let mut v = Vec::new();
    for i in 0..30 {
        let ip: &'static str = Box::leak(format!("198.51.100.{}", i + 1).into_boxed_str());
        v.push(e(i, ip, "GET", "/", 200, 15_000));
        v.push(e(i, ip, "GET", "/results.php", 200, 8_000));
    }
    for (i, p) in ["/admin.php", "/old.php", "/test.php", "/backup/", "/x.asp"]
        .iter()
        .enumerate()
    {
        v.push(e(100 + i as i64, SCANNER, "GET", p, 404, 1_210));
    }
    v
}

#[test]
fn traversal_answered_with_content_is_a_success() {
    let mut evs = background();
    // Line 36: /etc/passwd served through the download script.
    evs.push(e(
        200,
        SCANNER,
        "GET",
        "/download.php?file=../../../../etc/passwd",
        200,
        2_950,
    ));
    let a = run(&evs, ES);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].details["signal"], "probe_answered");
    assert_eq!(
        a[0].details["categories"],
        serde_json::json!(["path_traversal"])
    );
    assert_eq!(a[0].details["max_bytes"], 2_950);
    assert_eq!(a[0].severity, Severity::Critical);
    assert_eq!(a[0].source.ip, Some(SCANNER.parse().unwrap()));
    assert_eq!(lines(&a[0]), [66]);
    assert_eq!(a[0].techniques, ["T1190"]);
}

#[test]
fn traversal_answered_with_the_soft_404_page_is_a_near_miss() {
    let mut evs = background();
    // The site answers 200 with its not-found page (1,210 bytes, ± a few for
    // the echoed path): no success.
    evs.push(e(
        200,
        SCANNER,
        "GET",
        "/download.php?file=../../../../etc/passwd",
        200,
        1_236,
    ));
    assert!(run(&evs, ES).is_empty());
    // Not judged at all before the site gave three not-found answers.
    let early = vec![e(
        0,
        SCANNER,
        "GET",
        "/download.php?file=../../../../etc/passwd",
        200,
        2_950,
    )];
    assert!(run(&early, ES).is_empty());
    // A page that ignores the injection answers its usual size: no success.
    let mut same = background();
    same.push(e(
        200,
        SCANNER,
        "GET",
        "/results.php?id=../../../etc/passwd",
        200,
        8_000,
    ));
    assert!(run(&same, ES).is_empty());
}

#[test]
fn soft_404_learned_from_scanner_random_paths() {
    // A site that answers 200 to everything: the scanner's random paths
    // (after three 404s elsewhere) teach its catch-all size, 4,400 bytes.
    let mut evs = background();
    for (i, p) in ["/Nikto-8f3k2j91x.php", "/a9d8e7f6c5b4.php"]
        .iter()
        .enumerate()
    {
        evs.push(e(150 + i as i64, SCANNER, "GET", p, 200, 4_400));
    }
    evs.push(e(
        200,
        SCANNER,
        "GET",
        "/index.php?page=php://filter/resource=config",
        200,
        4_410,
    ));
    assert!(run(&evs, ES).is_empty());
    evs.push(e(
        201,
        SCANNER,
        "GET",
        "/index.php?page=php://filter/convert.base64-encode/resource=config",
        200,
        9_800,
    ));
    let a = run(&evs, ES);
    assert_eq!(a.len(), 1);
    assert_eq!(
        a[0].details["categories"],
        serde_json::json!(["php_wrapper"])
    );
    assert_eq!(a[0].count, 1);
}

#[test]
fn webshell_placed_after_404_and_used_by_posts() {
    let mut evs = background();
    let attacker = "192.0.2.77";
    evs.push(e(300, attacker, "GET", "/uploads/cmd.php", 404, 1_210));
    evs.push(e(
        400,
        attacker,
        "POST",
        "/wp-content/plugins/x/upload.php",
        200,
        40,
    ));
    evs.push(e(410, attacker, "GET", "/uploads/cmd.php", 200, 12));
    evs.push(e(420, attacker, "POST", "/uploads/cmd.php", 200, 530));
    evs.push(e(430, attacker, "POST", "/uploads/cmd.php", 200, 2_100));
    let a = run(&evs, ES);
    let shell: Vec<&Alert> = a
        .iter()
        .filter(|a| a.details["signal"] == "webshell")
        .collect();
    assert_eq!(shell.len(), 1, "{a:#?}");
    assert_eq!(shell[0].count, 2);
    assert_eq!(lines(shell[0]), [69, 70]);
    assert_eq!(shell[0].techniques, ["T1190", "T1505.003"]);
    assert_eq!(
        shell[0].details["sample_paths"],
        serde_json::json!(["/uploads/cmd.php"])
    );
    // The shell path is in web.exploit's catalogue (`/uploads/*.php`): its
    // 2xx answers unlike the not-found page are also answered probes. The
    // upload request itself is no success signal.
    assert_eq!(a.len(), 2);
    let probe: Vec<&Alert> = a
        .iter()
        .filter(|a| a.details["signal"] == "probe_answered")
        .collect();
    assert_eq!(probe.len(), 1);
    assert_eq!(
        probe[0].details["categories"],
        serde_json::json!(["backdoor"])
    );
    assert_eq!(lines(probe[0]), [68, 69, 70]);
}

#[test]
fn contact_form_posted_by_many_visitors_is_not_a_webshell() {
    let mut evs = background();
    // The form 404'd once (a typo link), then it was deployed: its first
    // user posts twice, then other visitors use it too.
    evs.push(e(300, "198.51.100.1", "GET", "/contact.php", 404, 1_210));
    evs.push(e(310, "192.0.2.9", "GET", "/contact.php", 200, 3_000));
    evs.push(e(320, "192.0.2.9", "POST", "/contact.php", 200, 3_100));
    evs.push(e(330, "192.0.2.9", "POST", "/contact.php", 200, 3_100));
    for i in 0..5 {
        evs.push(e(
            400 + i,
            "198.51.100.2",
            "POST",
            "/contact.php",
            200,
            3_100,
        ));
    }
    assert!(run(&evs, ES).is_empty());
    // Without the 404 and without an upload, a new script is just a page.
    let mut fresh = background();
    fresh.push(e(310, "192.0.2.9", "POST", "/newsletter.php", 200, 300));
    fresh.push(e(311, "192.0.2.9", "POST", "/newsletter.php", 200, 300));
    assert!(run(&fresh, ES).is_empty());
}

#[test]
fn admin_endpoint_answered_to_an_outsider() {
    let mut evs = background();
    evs.push(e(500, "192.0.2.50", "GET", "/_cat/indices", 200, 6_400));
    let a = run(&evs, ES);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].details["signal"], "admin_exposed");
    assert_eq!(
        a[0].details["products"],
        serde_json::json!(["Elasticsearch"])
    );
    assert_eq!(lines(&a[0]), [66]);
    assert_eq!(a[0].severity, Severity::Critical);
}

#[test]
fn admin_endpoint_for_a_regular_visitor_or_an_allowed_admin_is_quiet() {
    // 198.51.100.1 has read the site for two hours (25 ordinary answers).
    let mut evs = background();
    for i in 0..25 {
        evs.push(e(
            200 + i * 300,
            "198.51.100.1",
            "GET",
            "/results.php",
            200,
            8_000,
        ));
    }
    evs.push(e(8_000, "198.51.100.1", "GET", "/_cat/indices", 200, 6_400));
    assert!(run(&evs, ES).is_empty());
    // An allowed admin network.
    let mut cfg = WebConfig::default();
    cfg.exploit_success.admin_sources = vec!["192.0.2.0/24".into()];
    let mut evs = background();
    evs.push(e(500, "192.0.2.50", "GET", "/_cat/indices", 200, 6_400));
    assert!(run_cfg(&cfg, &evs, ES).is_empty());
    // The endpoint answered with the not-found page (a catch-all 200).
    let mut evs = background();
    evs.push(e(500, "192.0.2.50", "GET", "/_cat/indices", 200, 1_215));
    assert!(run(&evs, ES).is_empty());
}

fn sqli(t: i64, n: u32, bytes: u64) -> E {
    e(
        t,
        "192.0.2.31",
        "GET",
        &format!("/results.php?id=1+union+select+{n},2,3--"),
        200,
        bytes,
    )
}

#[test]
fn sql_injection_with_growing_answers() {
    let mut evs = background();
    for (i, b) in [8_000, 8_900, 10_400, 14_000, 21_000].iter().enumerate() {
        evs.push(sqli(600 + i as i64, i as u32, *b));
    }
    let a = run(&evs, ES);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].details["signal"], "growing_answers");
    assert_eq!(a[0].details["categories"], serde_json::json!(["sqli"]));
    assert_eq!(a[0].details["max_bytes"], 21_000);
    assert_eq!(a[0].count, 5);
    assert_eq!(lines(&a[0]), [66, 67, 68, 69, 70]);
}

#[test]
fn sql_injection_with_the_same_answers_is_a_near_miss() {
    let mut evs = background();
    for i in 0..6 {
        evs.push(sqli(600 + i, i as u32, 8_000));
    }
    assert!(run(&evs, ES).is_empty());
    // Growing on a page whose ordinary answers vary by themselves.
    let mut evs = background();
    for i in 0..30 {
        evs.push(e(
            300 + i,
            "198.51.100.200",
            "GET",
            "/search.php",
            200,
            8_000 + (i as u64 * 7_919) % 20_000,
        ));
    }
    for (i, b) in [8_000, 8_900, 10_400, 14_000, 21_000].iter().enumerate() {
        let mut x = sqli(600 + i as i64, i as u32, *b);
        x.target = x.target.replace("/results.php", "/search.php");
        evs.push(x);
    }
    assert!(run(&evs, ES).is_empty());
    // Growing, but by less than half of the first answer: a reflected payload.
    let mut evs = background();
    for (i, b) in [8_000, 8_100, 8_200, 8_300, 8_400].iter().enumerate() {
        evs.push(sqli(600 + i as i64, i as u32, *b));
    }
    assert!(run(&evs, ES).is_empty());
}

#[test]
fn exploit_success_survives_save_and_restore() {
    let mut evs = background();
    for (i, b) in [8_000, 8_900, 10_400, 14_000, 21_000].iter().enumerate() {
        evs.push(sqli(600 + i as i64, i as u32, *b));
    }
    evs.push(e(
        700,
        SCANNER,
        "GET",
        "/download.php?file=../../../../etc/passwd",
        200,
        2_950,
    ));
    let whole = run(&evs, ES);
    assert_eq!(whole.len(), 2);
    // Cut after the learning and two of the growing answers.
    let split = run_split(&evs, 67, ES);
    assert_eq!(split, whole);
}

#[test]
fn exploited_upload_handler_then_shell_in_an_image_folder() {
    // Telerik: the dialog handler's key found (a real 18 kB page after
    // 500s), the upload handler answered, then the placed shell used.
    let mut evs = background();
    let op = "198.51.100.141";
    for i in 0..3 {
        evs.push(e(
            300 + i,
            op,
            "GET",
            &format!("/Telerik.Web.UI.DialogHandler.aspx?dp={i:016x}"),
            500,
            1_200,
        ));
    }
    evs.push(e(
        310,
        op,
        "GET",
        "/Telerik.Web.UI.DialogHandler.aspx?dp=00000000000000ff",
        200,
        18_200,
    ));
    evs.push(e(
        400,
        op,
        "POST",
        "/Telerik.Web.UI.WebResource.axd?type=rau",
        200,
        340,
    ));
    evs.push(e(500, op, "GET", "/Content/images/logo_s.aspx", 200, 48));
    evs.push(e(560, op, "POST", "/Content/images/logo_s.aspx", 200, 900));
    let a = run(&evs, ES);
    let signals: Vec<&str> = a
        .iter()
        .map(|a| a.details["signal"].as_str().unwrap())
        .collect();
    assert_eq!(signals, ["probe_answered", "webshell"], "{a:#?}");
    assert_eq!(
        a[0].details["cves"],
        serde_json::json!(["CVE-2017-9248", "CVE-2019-18935"])
    );
    assert_eq!(lines(&a[0]), [69, 70]);
    assert_eq!(lines(&a[1]), [72]);
    // Without the upload the image-folder script is not a placed shell.
    let mut no_upload = evs.clone();
    no_upload.remove(69);
    let a = run(&no_upload, ES);
    assert!(
        a.iter().all(|a| a.details["signal"] != "webshell"),
        "{a:#?}"
    );
}
