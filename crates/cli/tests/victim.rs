//! `intel.victim` through the binary: `haboob hunt --intel seized.txt` on
//! hand-written network logs (`fixtures/netlogs/`, see its SOURCES.md) of
//! every kind the hunt reads them in (Zeek TSV dns + http, Zeek JSON dns,
//! Suricata EVE dns/http/tls, Squid, Sysmon 22 as Windows event XML). The list names `charming-login.example`,
//! `mail.update-service.example` and `203.0.113.66` (actor Mint Sandstorm).
//! Victims: 10.0.0.5 (a sub-domain of a listed domain, the domain itself,
//! the listed sub-domain), 10.0.0.7 (the listed address in DNS answers, TLS
//! to it), 10.0.0.8 (HTTP to the listed address). 10.0.0.9 reaches only
//! decoys: a look-alike with more labels (`charming-login.example.net`), a
//! name without the label boundary (`xcharming-login.example`), the parent
//! and a sibling of the listed sub-domain, the unlisted neighbour address
//! 203.0.113.67. Exact victims, exact non-victims, and the internal hosts
//! are never attacker sources.

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn netlogs() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/netlogs")
}

fn hunt(args: &[&str]) -> Vec<Value> {
    run_jsonl(args, 1)
}

fn hunt_with_list(input: &Path) -> Vec<Value> {
    let o = hunt_with_intel(&netlogs().join("seized.txt"), &[input]);
    exited(&o, 1);
    jsonl(&o.stdout)
}

fn kind<'a>(v: &'a [Value], k: &str) -> Vec<&'a Value> {
    v.iter().filter(|x| x["kind"] == k).collect()
}

fn v(host: &str, src: Option<&str>, infra: &[&str], count: u64) -> Victim {
    (
        host.to_owned(),
        src.map(str::to_owned),
        infra.iter().map(|s| (*s).to_owned()).collect(),
        count,
    )
}

const C2: Option<&str> = Some("203.0.113.66");

/// The hunt of `input` (under `fixtures/netlogs`) with the list: exactly
/// the victims `want`, and no internal host as a source; its output.
fn hunt_finds_victims(input: &str, want: &[Victim]) -> Vec<Value> {
    let out = hunt_with_list(&netlogs().join(input));
    assert_eq!(victims(&out), want);
    internal_hosts_are_never_sources(&out);
    out
}

/// No alert or campaign names an internal host as a source, and the host
/// that reached only decoys appears nowhere.
fn internal_hosts_are_never_sources(out: &[Value]) {
    for a in kind(out, "alert") {
        let src = a["source"]["ip"].as_str().unwrap_or("");
        assert!(!src.starts_with("10.0.0."), "{a}");
        assert_ne!(a["target"], "10.0.0.9", "{a}");
    }
    for c in kind(out, "campaign") {
        let text = c.to_string();
        assert!(!text.contains("10.0.0.9"), "{text}");
        for s in c["sources"].as_array().unwrap() {
            assert!(!s.as_str().unwrap().starts_with("10."), "{c}");
        }
        // The listed infrastructure names an actor: every victim campaign
        // is attributed to it.
        assert_eq!(c["attribution"][0]["actor"], "Mint Sandstorm", "{c}");
    }
}

#[test]
fn zeek_tsv_dns_and_http() {
    let out = hunt_finds_victims(
        "zeek",
        &[
            // dns (two queries an hour apart) and http of one host: one
            // alert after merging, both names kept.
            v(
                "10.0.0.5",
                None,
                &["portal.charming-login.example", "charming-login.example"],
                3,
            ),
            v("10.0.0.7", C2, &["203.0.113.66"], 1),
            v("10.0.0.8", C2, &["203.0.113.66"], 1),
        ],
    );
    // Campaigns: the victims of the listed address together (its source),
    // the victim of the listed names alone (the names as its attacker side).
    let mut camps: Vec<(String, Value, Value, Vec<String>)> = kind(&out, "campaign")
        .into_iter()
        .map(|c| {
            (
                c["summary"].as_str().unwrap().to_owned(),
                c["sources"].clone(),
                c["actors"].clone(),
                c["targets"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t["name"].as_str().unwrap().to_owned())
                    .collect(),
            )
        })
        .collect();
    camps.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        camps,
        [
            (
                "1 internal host (10.0.0.5) contacted listed infrastructure (charming-login.example, portal.charming-login.example)".to_owned(),
                serde_json::json!([]),
                serde_json::json!(["charming-login.example", "portal.charming-login.example"]),
                vec!["10.0.0.5".to_owned()],
            ),
            (
                "2 internal hosts (10.0.0.7, 10.0.0.8) contacted listed infrastructure (203.0.113.66)".to_owned(),
                serde_json::json!(["203.0.113.66"]),
                Value::Null,
                vec!["10.0.0.7".to_owned(), "10.0.0.8".to_owned()],
            ),
        ]
    );
    let both = kind(&out, "campaign")
        .into_iter()
        .find(|c| c["targets"].as_array().unwrap().len() == 2)
        .unwrap();
    let reasons: Vec<&str> = both["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(
        reasons.contains(
            &"victim: internal host 10.0.0.7 contacted listed infrastructure 203.0.113.66 (likely compromised)"
        ),
        "{reasons:?}"
    );
}

#[test]
fn zeek_json_dns() {
    hunt_finds_victims(
        "zeek-json/dns.log",
        &[
            v("10.0.0.5", None, &["portal.charming-login.example"], 2),
            v("10.0.0.7", C2, &["203.0.113.66"], 1),
        ],
    );
}

#[test]
fn suricata_dns_http_tls() {
    hunt_finds_victims(
        "suricata/eve.json",
        &[
            v(
                "10.0.0.5",
                None,
                &["mail.update-service.example", "charming-login.example"],
                2,
            ),
            v("10.0.0.7", C2, &["203.0.113.66"], 1),
        ],
    );
}

#[test]
fn squid_access_log() {
    hunt_finds_victims(
        "squid/access.log",
        &[
            v("10.0.0.5", None, &["portal.charming-login.example"], 1),
            v("10.0.0.8", C2, &["203.0.113.66"], 1),
        ],
    );
}

#[test]
fn the_table_shows_the_host_as_the_victim() {
    let list = netlogs().join("seized.txt");
    let o = run(
        &[
            "hunt",
            "-q",
            "--intel",
            list.to_str().unwrap(),
            netlogs().join("squid/access.log").to_str().unwrap(),
        ],
        None,
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("intel.victim  portal.charming-login.example → 10.0.0.5 (victim)  ×1"),
        "{text}"
    );
    assert!(
        text.contains("intel.victim  203.0.113.66 → 10.0.0.8 (victim)  ×1"),
        "{text}"
    );
    assert!(
        text.contains("  sources     portal.charming-login.example\n"),
        "{text}"
    );
}

#[test]
fn without_intel_there_is_no_victim() {
    let out = run_jsonl(
        &[
            "hunt",
            "-q",
            "-O",
            "jsonl",
            netlogs().join("zeek").to_str().unwrap(),
        ],
        0,
    );
    assert!(victims(&out).is_empty());
}

/// Every alert and campaign, whole, by id.
fn by_id(out: &[Value]) -> Vec<Value> {
    let mut v: Vec<Value> = out
        .iter()
        .filter(|x| x["kind"] == "alert" || x["kind"] == "campaign")
        .cloned()
        .collect();
    v.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    v
}

#[test]
fn lanes_give_the_same_victims() {
    let dir = tempfile::tempdir().unwrap();
    let list = netlogs().join("seized.txt");
    let run_with = |threads: &str, cfg: &str| {
        let path = dir.path().join(format!("c{threads}{}.toml", cfg.len()));
        std::fs::write(&path, format!("[hunt]\n{cfg}\n")).unwrap();
        let o = exits(
            haboob()
                .args(["--quiet", "--threads", threads, "hunt", "-O", "jsonl", "-c"])
                .arg(&path)
                .args(["--intel", list.to_str().unwrap()])
                .arg(netlogs().join("zeek"))
                .arg(netlogs().join("suricata")),
            1,
        );
        by_id(&jsonl(&o.stdout))
    };
    let off = run_with("1", "detection_lanes = 1");
    // Zeek 10.0.0.5/7/8 and Suricata 10.0.0.5/7: one alert per host after
    // merging.
    assert_eq!(victims(&off).len(), 3, "{off:#?}");
    for threads in ["1", "2"] {
        let on = run_with(threads, "lanes_min_mb = 0\ndetection_lanes = 3");
        assert_eq!(on, off, "--threads {threads}");
    }
}

#[test]
fn out_of_order_and_standard_input_give_the_same_victims() {
    let dir = tempfile::tempdir().unwrap();
    let list = netlogs().join("seized.txt");
    let text = std::fs::read_to_string(netlogs().join("suricata/eve.json")).unwrap();
    let in_order = victims(&hunt_with_list(&netlogs().join("suricata/eve.json")));
    // The last record first, three days late: beyond the order tolerance,
    // so the stream is hunted again sorted (from the spool for stdin).
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let late = lines[4].replace("2024-05-01T10:00:04", "2024-05-04T10:00:04");
    lines.remove(4);
    lines.insert(0, late);
    let shuffled = lines.join("\n") + "\n";
    let path = dir.path().join("eve.json");
    std::fs::write(&path, &shuffled).unwrap();
    assert_eq!(in_order.len(), 2);
    for out in [
        hunt_with_list(&path),
        jsonl(
            &run(
                &[
                    "hunt",
                    "-q",
                    "-O",
                    "jsonl",
                    "--intel",
                    list.to_str().unwrap(),
                    "-",
                ],
                Some(shuffled.as_bytes()),
            )
            .stdout,
        ),
    ] {
        assert_eq!(victims(&out), in_order);
        internal_hosts_are_never_sources(&out);
    }
}

#[test]
fn a_growing_log_hunted_in_steps_equals_one_hunt() {
    let dir = tempfile::tempdir().unwrap();
    let list = netlogs().join("seized.txt");
    let full = std::fs::read_to_string(netlogs().join("zeek/dns.log")).unwrap();
    let live = dir.path().join("dns.log");
    let url = format!("sqlite:{}", dir.path().join("h.db").display());
    // Cut after the first query of 10.0.0.5: its episode is open across runs
    // (its second query comes an hour later, in the second part).
    let cut = full.find("1714557601.000000").unwrap();
    let mut last = Vec::new();
    for part in [&full[..cut], &full[..]] {
        std::fs::write(&live, part).unwrap();
        last = hunt(&[
            "hunt",
            "-q",
            "--store",
            &url,
            "-O",
            "jsonl",
            "--intel",
            list.to_str().unwrap(),
            live.to_str().unwrap(),
        ]);
    }
    let once = hunt_with_list(&live);
    assert_eq!(
        victims(&once),
        [
            v("10.0.0.5", None, &["portal.charming-login.example"], 2),
            v("10.0.0.7", C2, &["203.0.113.66"], 1),
        ]
    );
    assert_eq!(by_id(&last), by_id(&once));
}

#[test]
fn a_victim_and_an_attacker_of_the_same_infrastructure_are_one_campaign() {
    // 203.0.113.9 sweeps a web site (the shared web fixture) and is listed
    // as Mint Sandstorm's C2; 10.0.0.8 contacts it (the Zeek http.log with
    // the listed address changed to it).
    let dir = tempfile::tempdir().unwrap();
    let web = write_fixture(dir.path());
    let http = std::fs::read_to_string(netlogs().join("zeek/http.log"))
        .unwrap()
        .replace("203.0.113.66", "203.0.113.9");
    let zeek = dir.path().join("http.log");
    std::fs::write(&zeek, http).unwrap();
    let list = dir.path().join("c2.txt");
    std::fs::write(&list, "# actor: Mint Sandstorm\n203.0.113.9\tc2 server\n").unwrap();
    let out = hunt(&[
        "hunt",
        "-q",
        "-O",
        "jsonl",
        "--intel",
        list.to_str().unwrap(),
        web.to_str().unwrap(),
        zeek.to_str().unwrap(),
    ]);
    assert_eq!(
        victims(&out),
        [v("10.0.0.8", Some("203.0.113.9"), &["203.0.113.9"], 1)]
    );
    let camps = kind(&out, "campaign");
    let c = camps
        .iter()
        .find(|c| {
            c["detectors"]
                .as_array()
                .unwrap()
                .contains(&"intel.victim".into())
        })
        .unwrap();
    let dets: Vec<&str> = c["detectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert!(dets.contains(&"intel.match"), "{c}");
    assert_eq!(c["sources"], serde_json::json!(["203.0.113.9"]), "{c}");
    let summary = c["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("one source (203.0.113.9) attacked 1 site")
            && summary
                .ends_with("; its infrastructure was contacted by 1 internal host (10.0.0.8)"),
        "{summary}"
    );
    assert_eq!(c["attribution"][0]["actor"], "Mint Sandstorm", "{c}");
    internal_hosts_are_never_sources(&out);
}

#[test]
fn sysmon_dns_query_events() {
    // WS01 asks for a sub-domain of a listed domain (in mixed case), WS03
    // gets the listed address in its answers; WS02 asks only for decoys,
    // and its process-creation event (id 1) carrying a listed name and
    // address is no DNS query.
    let out = hunt_with_list(&netlogs().join("sysmon/dns-22.xml"));
    assert_eq!(
        victims(&out),
        [
            v(
                "WS01.corp.example",
                None,
                &["update.charming-login.example"],
                1
            ),
            v("WS03.corp.example", C2, &["203.0.113.66"], 1),
        ]
    );
    for a in kind(&out, "alert") {
        assert_ne!(a["target"], "WS02.corp.example", "{a}");
    }
    let hosts: Vec<&str> = kind(&out, "alert")
        .iter()
        .filter_map(|a| a["details"]["host"].as_str())
        .collect();
    assert!(hosts.contains(&"computer:WS01.corp.example"), "{hosts:?}");
}

/// A real Zeek `dns.log` (Zeek's own test baseline, see
/// `fixtures/netlogs/SOURCES.md`): with `flickr.com` planted in a list, the
/// host that resolved a name under it is the one victim, with that name as
/// the infrastructure; the decoys of the same list (`lickr.com`, no label
/// boundary; `flickr.co`; the resolver's neighbour address) match nothing,
/// and without the planted line the hunt raises no alert at all.
#[test]
fn a_real_zeek_dns_log() {
    let real = netlogs().join("real");
    let log = real.join("zeek-dns.log");
    let o = hunt_with_intel(&real.join("listed.txt"), &[&log]);
    exited(&o, 1);
    let out = jsonl(&o.stdout);
    assert_eq!(
        victims(&out),
        [v(
            "192.150.187.50",
            None,
            &["flkr._domainkey.flickr.com"],
            1
        )]
    );
    assert_eq!(kind(&out, "alert").len(), 1);
    let decoys = tempfile::tempdir().unwrap();
    let list = decoys.path().join("decoys.txt");
    let text = std::fs::read_to_string(real.join("listed.txt")).unwrap();
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("flickr.com"))
        .collect();
    assert_eq!(kept.len(), text.lines().count() - 1);
    std::fs::write(&list, kept.join("\n")).unwrap();
    let o = hunt_with_intel(&list, &[&log]);
    exited(&o, 0);
    assert!(kind(&jsonl(&o.stdout), "alert").is_empty());
}
