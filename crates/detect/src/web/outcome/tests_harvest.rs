//! `web.harvest` on hand-built events: scripted harvests (sequential,
//! enumerated, resources) and the benign look-alikes that stay quiet.

use super::super::WebConfig;
use super::tests::{e, lines, run, run_cfg, run_split, run_split_cfg, E};

const H: &str = "web.harvest";
const BOT: &str = "192.0.2.40";
const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

fn size(i: u64) -> u64 {
    2_000 + (i % 7) * 10
}

/// `n` voter lookups by id from `first`, `step` apart, one a second.
fn lookups(n: u64, first: u64, step: u64) -> Vec<E> {
    (0..n)
        .map(|i| {
            e(
                i as i64,
                BOT,
                "GET",
                &format!("/voter/lookup?id={}&lang=en", first + i * step),
                200,
                size(i),
            )
        })
        .collect()
}

#[test]
fn sequential_voter_lookup_is_a_harvest() {
    let evs = lookups(120, 100_000, 1);
    let a = run(&evs, H);
    assert_eq!(a.len(), 1);
    let d = &a[0].details;
    assert_eq!(d["records"], 120);
    assert_eq!(d["bytes"], (0..120).map(size).sum::<u64>());
    assert_eq!(d["pattern"], "sequential");
    assert_eq!(d["id_min"], 100_000);
    assert_eq!(d["id_max"], 100_119);
    assert_eq!(d["ok_share"], 1.0);
    assert_eq!(a[0].count, 120);
    assert_eq!(a[0].source.ip, Some(BOT.parse().unwrap()));
    assert_eq!(lines(&a[0]), (1..=10).collect::<Vec<u64>>());
    assert_eq!(a[0].techniques, ["T1213", "T1119"]);
}

#[test]
fn ids_from_a_list_are_an_enumerated_harvest() {
    let a = run(&lookups(60, 5_000, 997), H);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].details["pattern"], "enumerated");
    assert_eq!(a[0].details["records"], 60);
}

#[test]
fn many_exports_are_a_resource_harvest() {
    let names = ["adams", "brown", "clark", "dodge", "essex", "floyd"];
    let evs: Vec<E> = (0..60u64)
        .map(|i| {
            let n = names[(i % 6) as usize];
            let p = format!(
                "/export/precinct-{n}-{}.csv",
                ["north", "south", "east", "west", "mid", "upper", "lower", "old", "new", "far"]
                    [(i / 6) as usize]
            );
            e(i as i64 * 2, BOT, "GET", &p, 200, size(i))
        })
        .collect();
    let a = run(&evs, H);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].details["pattern"], "resources");
    assert_eq!(a[0].details["records"], 60);
    assert_eq!(a[0].details["bytes"], (0..60).map(size).sum::<u64>());
    // 49 records: one short of the threshold.
    assert!(run(&evs[..49], H).is_empty());
}

fn pdfs(ua: &'static str) -> Vec<E> {
    (0..300u64)
        .map(|i| E {
            ua,
            ..e(
                i as i64 * 5,
                "66.249.66.1",
                "GET",
                &format!("/docs/canvass-{i}.pdf"),
                200,
                90_000 + (i % 5) * 100,
            )
        })
        .collect()
}

#[test]
fn search_engine_crawler_fetching_300_pdfs_is_quiet() {
    assert!(run(&pdfs(GOOGLEBOT), H).is_empty());
    // The same fetches from an unnamed client are a harvest: the crawler's
    // exemption is what keeps it quiet.
    let a = run(&pdfs("python-requests/2.31"), H);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].details["records"], 300);
}

#[test]
fn journalist_downloading_five_result_files_is_quiet() {
    let evs: Vec<E> = [
        "statewide.csv",
        "county.csv",
        "precinct.csv",
        "turnout.pdf",
        "summary.pdf",
    ]
    .iter()
    .enumerate()
    .map(|(i, f)| {
        e(
            i as i64 * 20,
            "198.51.100.80",
            "GET",
            &format!("/results/download/{f}"),
            200,
            50_000,
        )
    })
    .collect();
    assert!(run(&evs, H).is_empty());
}

#[test]
fn feed_client_polling_one_api_url_is_quiet() {
    // Every 30 s for two hours, with a cache-busting timestamp.
    let evs: Vec<E> = (0..240i64)
        .map(|i| {
            e(
                i * 30,
                "198.51.100.90",
                "GET",
                &format!("/api/v1/results/latest.json?_={}", 1_730_000_000 + i * 30),
                200,
                4_096,
            )
        })
        .collect();
    assert!(run(&evs, H).is_empty());
}

#[test]
fn site_monitoring_is_quiet() {
    let evs: Vec<E> = (0..500i64)
        .map(|i| e(i * 60, "198.51.100.99", "GET", "/api/health", 200, 2))
        .collect();
    assert!(run(&evs, H).is_empty());
}

#[test]
fn lookups_answered_mostly_404_or_of_unlike_sizes_are_quiet() {
    // Ids that do not exist: guessing, not taking.
    let mut evs = lookups(120, 100_000, 1);
    for (i, x) in evs.iter_mut().enumerate() {
        if i % 3 != 0 {
            x.status = 404;
        }
    }
    assert!(run(&evs, H).is_empty());
    // Documents of very different sizes (a reader's mix, not one record type).
    let mut evs = lookups(120, 100_000, 1);
    for (i, x) in evs.iter_mut().enumerate() {
        x.bytes = if i % 10 == 0 { 2_000_000 } else { 500 };
    }
    assert!(run(&evs, H).is_empty());
}

#[test]
fn harvest_survives_save_and_restore() {
    let evs = lookups(120, 100_000, 1);
    let whole = run(&evs, H);
    assert_eq!(whole.len(), 1);
    assert_eq!(run_split(&evs, 30, H), whole);
    assert_eq!(run_split(&evs, 80, H), whole);
}

#[test]
fn reader_of_dated_news_pages_is_not_iterating_an_identifier() {
    // 80 articles under /news/2026/08/NN/: dates are not record ids.
    let evs: Vec<E> = (0..80u64)
        .map(|i| {
            e(
                i as i64 * 10,
                BOT,
                "GET",
                &format!(
                    "/news/2026/08/{:02}/story-{}",
                    i % 28 + 1,
                    ["a", "b", "c"][(i % 3) as usize]
                ),
                200,
                size(i),
            )
        })
        .collect();
    assert!(run(&evs, H).is_empty());
    // The same site's article ids are.
    let evs: Vec<E> = (0..80u64)
        .map(|i| {
            e(
                i as i64 * 10,
                BOT,
                "GET",
                &format!("/news/2026/08/article/{}", 5_000 + i),
                200,
                size(i),
            )
        })
        .collect();
    let a = run(&evs, H);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].details["pattern"], "sequential");
}

/// `clients` app clients syncing `per` precinct records each, in rounds
/// (every client fetches its next record each round, 20 s apart), then
/// `BOT` walking `harvest` records.
fn api_site(clients: usize, per: u64, harvest: u64) -> Vec<E> {
    let mut v = Vec::new();
    for r in 0..per {
        for c in 0..clients {
            let ip: &'static str =
                Box::leak(format!("10.{}.{}.7", c / 250, c % 250).into_boxed_str());
            let id = (c as u64 * 7_919 + r * 104_729) % 1_000_000;
            v.push(e(
                r as i64 * 20,
                ip,
                "GET",
                &format!("/api/precinct/{id}"),
                200,
                size(r),
            ));
        }
    }
    let t0 = per as i64 * 20;
    for i in 0..harvest {
        v.push(e(
            t0 + i as i64,
            BOT,
            "GET",
            &format!("/api/precinct/{}", 2_000_000 + i),
            200,
            size(i),
        ));
    }
    v
}

#[test]
fn site_whose_visitors_read_many_records_raises_the_bar() {
    // 150 app clients read 80 records each within the hour: more than the
    // fixed 50, ordinary for this site.
    let evs = api_site(150, 80, 0);
    assert!(run(&evs, H).is_empty());
    // Without the site's own bar each of them is a harvest: the baseline is
    // what keeps them quiet.
    let mut fixed = WebConfig::default();
    fixed.harvest.baseline_factor = 0.0;
    assert_eq!(run_cfg(&fixed, &evs, H).len(), 150);
    // A walk through 300 records is under 3 × what one client in a hundred
    // reaches here (80 lies in the bucket [80, 96): the bar is 3 × 96);
    // 400 records pass it.
    assert!(run(&api_site(150, 80, 280), H).is_empty());
    let a = run(&api_site(150, 80, 400), H);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].source.ip, Some(BOT.parse().unwrap()));
    assert_eq!(a[0].details["site_ceiling"], 288);
    assert_eq!(a[0].details["records"], 400);
    // On the ordinary test site (no such readers) the fixed bar holds and
    // the detail is absent.
    assert!(!run(&lookups(60, 5_000, 997), H)[0]
        .details
        .contains_key("site_ceiling"));
}

#[test]
fn too_few_readers_leave_the_fixed_bar() {
    // 99 clients: under `baseline_min_visitors`; each of their 60-record
    // syncs is over the fixed bar.
    assert_eq!(run(&api_site(99, 60, 0), H).len(), 99);
}

#[test]
fn harvest_state_restores_with_the_site_counts() {
    let evs = api_site(150, 80, 400);
    let whole = run(&evs, H);
    assert_eq!(run_split(&evs, 150 * 60, H), whole);
}

#[test]
fn a_rule_added_since_the_state_was_saved_starts_empty() {
    // Saved with web.harvest off, restored with it on: the other rules'
    // states are taken by id and the harvest counts only what it saw.
    let mut off = WebConfig::default();
    off.harvest.enabled = false;
    let on = WebConfig::default();
    let evs = lookups(90, 100_000, 1);
    assert_eq!(run_split_cfg(&on, &on, &evs, 45, H).len(), 1);
    assert!(
        run_split_cfg(&off, &on, &evs, 45, H).is_empty(),
        "45 seen < 50"
    );
    let a = run_split_cfg(&off, &on, &evs, 30, H);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].details["records"], 60);
    assert_eq!(lines(&a[0])[0], 31);
    // And saved with it on, restored with it off: dropped, no error.
    assert!(run_split_cfg(&on, &off, &evs, 45, H).is_empty());
    // A rule saved both times keeps its state across the change: ten
    // probes for missing files, five on each side of the cut, are one scan.
    let probes: Vec<E> = (0..10)
        .map(|i| {
            e(
                i,
                "203.0.113.9",
                "GET",
                &format!("/probe-{i}.php"),
                404,
                300,
            )
        })
        .collect();
    let whole = run(&probes, "web.scan");
    assert_eq!(whole.len(), 1);
    assert_eq!(run_split_cfg(&off, &on, &probes, 5, "web.scan"), whole);
    assert_eq!(run_split_cfg(&on, &off, &probes, 5, "web.scan"), whole);
}
