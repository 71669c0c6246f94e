//! `web.defacement` on hand-built events: content writes by non-editors, a
//! page whose size changed and stayed changed, and their near misses.

use super::super::WebConfig;
use super::tests::{e, lines, run, run_cfg, run_split, E};
use haboob_model::Severity;

const D: &str = "web.defacement";
const ATTACKER: &str = "192.0.2.66";
const EDITOR: &str = "10.20.0.5";

fn editors() -> WebConfig {
    let mut c = WebConfig::default();
    c.defacement.editors = vec!["10.20.0.0/16".into()];
    c
}

/// Visitors reading the home page (14,000 bytes) once a minute from `t0`.
fn readers(t0: i64, n: i64, bytes: u64) -> Vec<E> {
    (0..n)
        .map(|i| {
            e(
                t0 + i * 60,
                "198.51.100.7",
                "GET",
                "/index.html",
                200,
                bytes,
            )
        })
        .collect()
}

#[test]
fn put_of_a_page_by_a_non_editor_is_a_content_write() {
    let evs = vec![
        e(0, ATTACKER, "PUT", "/index.html", 201, 0),
        e(5, ATTACKER, "DELETE", "/images/logo.png", 204, 0),
        // Not content, or not successful: not counted.
        e(6, ATTACKER, "PUT", "/api/session", 200, 0),
        e(7, ATTACKER, "PUT", "/about.html", 405, 0),
    ];
    let a = run_cfg(&editors(), &evs, D);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].details["signal"], "content_write");
    assert_eq!(
        a[0].details["methods"],
        serde_json::json!(["PUT", "DELETE"])
    );
    assert_eq!(a[0].count, 2);
    assert_eq!(lines(&a[0]), [1, 2]);
    assert_eq!(a[0].severity, Severity::High);
    assert_eq!(a[0].techniques, ["T1491.002"]);
}

#[test]
fn cms_post_by_a_non_editor_is_a_content_write_and_by_an_editor_is_not() {
    let evs = vec![e(0, ATTACKER, "POST", "/wp-json/wp/v2/pages/12", 200, 900)];
    let a = run_cfg(&editors(), &evs, D);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].details["methods"], serde_json::json!(["POST"]));
    let evs = vec![
        e(0, EDITOR, "POST", "/wp-json/wp/v2/pages/12", 200, 900),
        e(1, EDITOR, "PUT", "/index.html", 200, 0),
    ];
    assert!(run_cfg(&editors(), &evs, D).is_empty());
    // A POST to a page (a form) is not a write to it.
    let evs = vec![e(0, ATTACKER, "POST", "/index.html", 200, 14_000)];
    assert!(run(&evs, D).is_empty());
}

#[test]
fn page_that_shrinks_and_stays_small_is_a_size_change() {
    let mut evs = readers(0, 20, 14_000);
    // Lines 21-26: the defaced page, 2,300 bytes, six answers in a row.
    evs.extend(readers(20 * 60, 6, 2_300));
    let a = run(&evs, D);
    assert_eq!(a.len(), 1);
    let d = &a[0].details;
    assert_eq!(d["signal"], "size_change");
    assert_eq!(d["page"], "/index.html");
    assert_eq!(d["old_bytes"], 14_000);
    assert_eq!(d["new_bytes"], 2_300);
    assert_eq!(d["answers"], 6);
    assert_eq!(lines(&a[0]), [21, 22, 23, 24, 25, 26]);
    assert_eq!(a[0].source.ip, None);
    assert_eq!(a[0].severity, Severity::High);
    // Five changed answers are not yet "stayed changed".
    assert!(run(&evs[..25], D).is_empty());
}

#[test]
fn size_change_after_an_outside_write_names_the_writer() {
    let mut evs = readers(0, 20, 14_000);
    evs.push(e(20 * 60, ATTACKER, "PUT", "/index.html", 204, 0));
    evs.extend(readers(21 * 60, 6, 2_300));
    let a = run(&evs, D);
    assert_eq!(a.len(), 2);
    let size: Vec<_> = a
        .iter()
        .filter(|a| a.details["signal"] == "size_change")
        .collect();
    assert_eq!(size.len(), 1);
    assert_eq!(size[0].source.ip, Some(ATTACKER.parse().unwrap()));
    assert_eq!(size[0].severity, Severity::Critical);
}

#[test]
fn an_editor_changing_the_page_is_not_a_defacement() {
    let mut evs = readers(0, 20, 14_000);
    evs.push(e(
        20 * 60,
        EDITOR,
        "POST",
        "/wp-json/wp/v2/pages/2",
        200,
        800,
    ));
    evs.extend(readers(21 * 60, 10, 2_300));
    assert!(run_cfg(&editors(), &evs, D).is_empty());
}

#[test]
fn monitoring_and_passing_errors_are_not_a_size_change() {
    // The site's monitor: HEAD every 30 s (no body), GET of the health page
    // every minute; one short outage answering a 300-byte error page three
    // times, then the usual page again.
    let mut evs = Vec::new();
    for i in 0..120i64 {
        evs.push(e(i * 30, "10.0.0.9", "HEAD", "/index.html", 200, 0));
        if i % 2 == 0 {
            evs.push(e(i * 30, "10.0.0.9", "GET", "/health", 200, 17));
        }
        let bytes = if (40..43).contains(&i) { 300 } else { 14_000 };
        evs.push(e(
            i * 30 + 1,
            "198.51.100.7",
            "GET",
            "/index.html",
            200,
            bytes,
        ));
    }
    assert!(run(&evs, D).is_empty());
    // A page that grows a little day by day (a news list) is not sharp.
    let evs: Vec<E> = (0..100u64)
        .map(|i| {
            e(
                i as i64 * 60,
                "198.51.100.7",
                "GET",
                "/news.html",
                200,
                10_000 + i * 40,
            )
        })
        .collect();
    assert!(run(&evs, D).is_empty());
}

#[test]
fn defacement_survives_save_and_restore() {
    let mut evs = readers(0, 20, 14_000);
    evs.push(e(20 * 60, ATTACKER, "PUT", "/index.html", 204, 0));
    evs.extend(readers(21 * 60, 6, 2_300));
    let whole = run(&evs, D);
    assert_eq!(whole.len(), 2);
    assert_eq!(run_split(&evs, 23, D), whole);
}
