//! Unit tests of the `web.user_enum` rule (author ids and REST user routes):
//! exact hits and near misses.

use super::*;

fn author(t: i64, ip: &'static str, query: &'static str, status: u16) -> Ev {
    Ev {
        query,
        ..ev(t, ip, "/", status)
    }
}

#[test]
fn user_enum_five_distinct_ids_fire_once() {
    let q = ["author=1", "author=2", "author=3", "author=4", "author=5"];
    let evs: Vec<Ev> = q
        .iter()
        .enumerate()
        .map(|(i, q)| author(i as i64 * 100, "192.0.2.7", q, 404))
        .collect();
    let a = run(&evs, "web.user_enum");
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].source.ip, Some("192.0.2.7".parse().unwrap()));
    assert_eq!(a[0].details["distinct_ids"], 5);
    assert_eq!(a[0].details["revealed"], 0);
    assert_eq!(a[0].severity, Severity::Medium);
    assert_eq!(a[0].techniques, vec!["T1589.002", "T1087"]);
    // Four ids are not enough.
    assert!(run(&evs[..4], "web.user_enum").is_empty());
}

#[test]
fn user_enum_mixes_rest_routes_but_not_repeats_or_slow_visits() {
    let mut evs = vec![
        author(0, "192.0.2.8", "author=1", 200),
        author(1, "192.0.2.8", "author=2", 301),
    ];
    for (i, p) in ["/wp-json/wp/v2/users", "/wp-json/wp/v2/users/3"]
        .iter()
        .enumerate()
    {
        evs.push(ev(2 + i as i64, "192.0.2.8", p, 200));
    }
    evs.push(author(5, "192.0.2.8", "rest_route=/wp/v2/users/4", 404));
    let a = run(&evs, "web.user_enum");
    assert_eq!(a.len(), 1);
    // Four answers gave a name away (200, the author redirect, 200, 200).
    assert_eq!(a[0].details["revealed"], 4);
    assert_eq!(a[0].severity, Severity::High);

    // One id asked six times (a reader following an author link) is quiet.
    let same: Vec<Ev> = (0..6)
        .map(|i| author(i, "192.0.2.9", "author=1", 200))
        .collect();
    assert!(run(&same, "web.user_enum").is_empty());

    // Author pages by name and the editor's own record are not enumeration.
    let browse: Vec<Ev> = ["/author/ann/", "/author/bob/", "/author/cy/", "/author/di/"]
        .iter()
        .chain(["/author/ed/", "/wp-json/wp/v2/users/me"].iter())
        .enumerate()
        .map(|(i, p)| ev(i as i64, "192.0.2.10", p, 200))
        .collect();
    assert!(run(&browse, "web.user_enum").is_empty());

    // Five ids, one every 15 minutes: never five within the 10-minute window.
    let q = ["author=1", "author=2", "author=3", "author=4", "author=5"];
    let slow: Vec<Ev> = q
        .iter()
        .enumerate()
        .map(|(i, q)| author(i as i64 * 900_000, "192.0.2.11", q, 200))
        .collect();
    assert!(run(&slow, "web.user_enum").is_empty());
}

#[test]
fn user_enum_severity_follows_the_answers() {
    let q = ["author=1", "author=2", "author=3", "author=4", "author=5"];
    let run_with = |status: u16, path: &str| {
        let evs: Vec<Ev> = (0..5)
            .map(|i| {
                if path.is_empty() {
                    author(i * 100, "192.0.2.12", q[i as usize], status)
                } else {
                    ev(i * 100, "192.0.2.12", &format!("{path}/{}", i + 1), status)
                }
            })
            .collect();
        let a = run(&evs, "web.user_enum");
        assert_eq!(a.len(), 1, "{status} {path}");
        (a[0].severity, a[0].details["revealed"].as_u64().unwrap())
    };
    // Author ids redirected to their pages: every login name given away.
    assert_eq!(run_with(301, ""), (Severity::High, 5));
    // REST records refused or missing: nothing given away.
    assert_eq!(run_with(401, "/wp-json/wp/v2/users"), (Severity::Medium, 0));
    assert_eq!(run_with(404, ""), (Severity::Medium, 0));
    // A REST route redirected (to a login page, say) names nobody.
    assert_eq!(run_with(302, "/wp-json/wp/v2/users"), (Severity::Medium, 0));
    // REST records served.
    assert_eq!(run_with(200, "/wp-json/wp/v2/users"), (Severity::High, 5));
}
