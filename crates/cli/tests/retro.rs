//! Retro-hunting through the binary, on SQLite and PostgreSQL: a web log
//! (the shared fixture: a sweep by 203.0.113.9) and an sshd log (40
//! guesses at root from the same address, the repository's sign-in
//! fixture with its address changed) hunted into a store without intel;
//! then a list naming 203.0.113.9 and a decoy (198.51.100.77, in no log)
//! is imported:
//! - `intel import --store` reports exactly the stored alerts of
//!   203.0.113.9, and nothing for the decoy;
//! - `hunt --store --retro` creates exactly the `intel.match` alerts a
//!   batch hunt with the list gives (same ids, evidence lines from the old
//!   logs), in live campaigns;
//! - a second `--retro` creates nothing;
//! - a normal incremental hunt afterwards reads only the appended lines,
//!   keeps the retro alerts, and matches the new line.
//!
//! A retro-hunt run from another folder than the hunts finds the inputs
//! they named by relative paths (`retro_hunt_from_another_folder_…`).
//!
//! And the victim signal: network logs hunted without intel, then
//! `--retro` after the list of listed infrastructure arrives gives the
//! `intel.victim` alerts of a hunt with the list (see
//! `retro_hunt_finds_old_victims`).

mod common;

use common::*;
use haboob_store::{AlertQuery, Store};
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

const ATTACKER: &str = "203.0.113.9";

fn sshd_log() -> String {
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/signin/syslog_sshd_root_guessing.log"
    );
    std::fs::read_to_string(fixture)
        .unwrap()
        .replace("203.0.113.99", ATTACKER)
}

fn retro_hunt_finds_old_activity(url: &str, dir: &Path) {
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let access = logs.join("access.log");
    std::fs::write(&access, fixture()).unwrap();
    std::fs::write(logs.join("auth.log"), sshd_log()).unwrap();
    let logs_arg = logs.to_str().unwrap();

    // 1. Hunt into the store with no intel.
    let o = run(&["hunt", "--store", url, "-O", "jsonl", logs_arg], None);
    exited(&o, 1);
    assert!(alerts_of(&o.stdout, Some("intel.match")).is_empty());
    let st = Store::open(url).unwrap();
    let stored_before = st.all_alerts().unwrap().len();
    let attacker_alerts: BTreeSet<String> = st
        .alerts(&AlertQuery {
            source: Some(ATTACKER.into()),
            limit: 500,
            ..Default::default()
        })
        .unwrap()
        .items
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert!(
        attacker_alerts.len() >= 2,
        "web and sshd: {attacker_alerts:?}"
    );

    // 2. Import a list naming the attacker and a decoy: exactly the
    //    attacker's stored alerts now match.
    let list = dir.join("ips.txt");
    std::fs::write(
        &list,
        format!("{ATTACKER}\tseized VPS\n198.51.100.77\tdecoy host\n"),
    )
    .unwrap();
    let o = run(
        &[
            "intel",
            "import",
            list.to_str().unwrap(),
            "--store",
            url,
            "--format",
            "json",
        ],
        None,
    );
    let err = exited(&o, 0);
    assert!(err.contains("2 added, 0 updated, 0 unchanged"), "{err}");
    let rep: Value = serde_json::from_slice(&o.stdout).unwrap();
    let matches = rep["matches"].as_array().unwrap();
    let matched: BTreeSet<String> = matches
        .iter()
        .map(|m| m["alert"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(matched, attacker_alerts);
    assert_eq!(rep["alerts"], attacker_alerts.len());
    for m in matches {
        assert_eq!(m["name"], "seized VPS", "{m}");
        assert_eq!(m["value"], ATTACKER, "{m}");
        assert_eq!(m["field"], "src_ip", "{m}");
        assert!(!m["campaigns"].as_array().unwrap().is_empty(), "{m}");
    }
    let campaigns: BTreeSet<&str> = matches
        .iter()
        .flat_map(|m| m["campaigns"].as_array().unwrap())
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(rep["campaigns"], campaigns.len());
    // The table says the same, with the header line.
    let o = run(
        &["intel", "import", list.to_str().unwrap(), "--store", url],
        None,
    );
    let err = exited(&o, 0);
    assert!(err.contains("0 added, 0 updated, 2 unchanged"), "{err}");
    // Nothing new in this import: nothing matches anew.
    assert!(
        String::from_utf8_lossy(&o.stdout).starts_with("now matching: 0 alerts, 0 campaigns"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );

    // 3. What a batch hunt with the list gives for intel.match.
    let o = hunt_with_intel(&list, &[&logs]);
    exited(&o, 1);
    let want = alerts_of(&o.stdout, Some("intel.match"));
    assert_eq!(want.len(), 2, "one episode per target: {want:#?}");

    // 4. Retro-hunt: exactly those alerts, evidence from the old logs.
    let o = run(&["hunt", "--store", url, "--retro", "-O", "jsonl"], None);
    let err = exited(&o, 1);
    assert!(err.contains("2 recorded files read again"), "{err}");
    assert!(
        err.contains("retro-hunt: 2 new alerts (0 found already stored)"),
        "{err}"
    );
    let got = alerts_of(&o.stdout, None);
    assert_eq!(ids_and_evidence(&got), ids_and_evidence(&want));
    for a in &got {
        assert_eq!(a["detector"], "intel.match");
        assert_eq!(a["source"]["ip"], ATTACKER);
        for e in a["evidence"].as_array().unwrap() {
            let f = e["file"].as_str().unwrap();
            assert!(f.ends_with("access.log") || f.ends_with("auth.log"), "{e}");
        }
    }
    let retro_ids: Vec<String> = got
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(st.all_alerts().unwrap().len(), stored_before + 2);
    let live = st.live_campaigns_of(&retro_ids).unwrap();
    let in_campaigns: BTreeSet<&str> = live.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(in_campaigns.len(), 2, "both join campaigns: {live:?}");

    // 5. Again: nothing new to hunt for.
    retro_again_adds_nothing(url);
    assert_eq!(st.all_alerts().unwrap().len(), stored_before + 2);

    // 6. A normal incremental hunt reads only the appended lines, keeps the
    //    retro alerts and matches the new line (stored indicators).
    let extra = format!(
        "{ATTACKER} - - [01/Sep/2026:11:30:00 -0500] \"GET /admin HTTP/1.1\" 404 153 \"-\" \"curl/8.4.0\"\n\
         192.0.2.10 - - [01/Sep/2026:11:30:05 -0500] \"GET / HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"\n"
    );
    std::fs::OpenOptions::new()
        .append(true)
        .open(&access)
        .unwrap()
        .write_all(extra.as_bytes())
        .unwrap();
    let o = run(&["hunt", "--store", url, "-O", "jsonl", logs_arg], None);
    let err = exited(&o, 1);
    assert!(
        err.contains(&format!(
            "since the last hunt: 1 files read ({} bytes), 1 unchanged",
            extra.len()
        )),
        "{err}"
    );
    assert!(!err.contains("retracted"), "{err}");
    let now = alerts_of(&o.stdout, None);
    for id in &retro_ids {
        assert!(
            now.iter().any(|a| a["id"] == id.as_str()),
            "{id} still reported"
        );
    }
    let fresh: Vec<&Value> = now
        .iter()
        .filter(|a| {
            a["detector"] == "intel.match" && !retro_ids.iter().any(|r| a["id"] == r.as_str())
        })
        .collect();
    assert_eq!(fresh.len(), 1, "{fresh:#?}");
    assert_eq!(fresh[0]["evidence"][0]["line"], 17);
    assert_eq!(fresh[0]["count"], 1);
    let stored: BTreeSet<String> = st.all_alerts().unwrap().into_iter().map(|a| a.id).collect();
    for id in &retro_ids {
        assert!(stored.contains(id));
    }
}

/// The hand-written network logs of the victim tests
/// (`fixtures/netlogs/`: Zeek TSV dns + http, Suricata EVE, Squid, Sysmon
/// 22 as event XML) copied under `dir/net`, one folder per kind.
fn net_logs(dir: &Path) -> std::path::PathBuf {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/netlogs");
    let net = dir.join("net");
    for f in [
        "zeek/dns.log",
        "zeek/http.log",
        "suricata/eve.json",
        "squid/access.log",
        "sysmon/dns-22.xml",
    ] {
        let to = net.join(f);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from.join(f), to).unwrap();
    }
    net
}

/// Each `intel.victim` alert as (victim, infrastructure reached), sorted.
fn victims(alerts: &[Value]) -> Vec<(String, Vec<String>)> {
    let mut v: Vec<(String, Vec<String>)> = alerts
        .iter()
        .filter(|a| a["detector"] == "intel.victim")
        .map(|a| {
            assert_eq!(a["details"]["role"], "victim", "{a}");
            let infra = a["details"]["infrastructure"].as_array().unwrap();
            let mut infra: Vec<String> = infra
                .iter()
                .map(|x| x.as_str().unwrap().to_owned())
                .collect();
            infra.sort();
            (a["target"].as_str().unwrap().to_owned(), infra)
        })
        .collect();
    v.sort();
    v
}

/// Network logs hunted into a store with no intel; then the list of
/// Mint Sandstorm's infrastructure (`seized.txt`: two domains and an
/// address) is imported, and `--retro` makes the victims of the old logs
/// exactly as a hunt with the list gives them. 10.0.0.9 and WS02 reached
/// only look-alikes (`charming-login.example.net`,
/// `xcharming-login.example`, the parent and a sibling of a listed name)
/// and the neighbouring address 203.0.113.67: never a victim.
fn retro_hunt_finds_old_victims(url: &str, dir: &Path) {
    let net = net_logs(dir);
    let net_arg = net.to_str().unwrap();
    let list = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/netlogs/seized.txt");
    let list_arg = list.to_str().unwrap();

    // 1. Hunt into the store without intel: nothing to report.
    let o = run(&["hunt", "--store", url, "-O", "jsonl", net_arg], None);
    exited(&o, 0);
    assert!(alerts_of(&o.stdout, None).is_empty());
    let st = Store::open(url).unwrap();
    assert!(st.all_alerts().unwrap().is_empty());

    // 2. The list arrives.
    let o = run(&["intel", "import", list_arg, "--store", url], None);
    let err = exited(&o, 0);
    assert!(err.contains("3 added, 0 updated, 0 unchanged"), "{err}");

    // 3. What a hunt with the list gives.
    let o = hunt_with_intel(&list, &[&net]);
    exited(&o, 1);
    let want = alerts_of(&o.stdout, None);
    assert!(
        want.iter().all(|a| a["detector"] == "intel.victim"),
        "{want:#?}"
    );

    // 4. The retro-hunt finds exactly those victims, nobody else.
    let o = run(&["hunt", "--store", url, "--retro", "-O", "jsonl"], None);
    let err = exited(&o, 1);
    assert!(err.contains("5 recorded files read again"), "{err}");
    let got = alerts_of(&o.stdout, None);
    let infra = |v: &[&str]| -> Vec<String> { v.iter().map(|s| (*s).to_owned()).collect() };
    assert_eq!(
        victims(&got),
        [
            (
                "10.0.0.5".to_owned(),
                infra(&[
                    "charming-login.example",
                    "mail.update-service.example",
                    "portal.charming-login.example"
                ])
            ),
            ("10.0.0.7".to_owned(), infra(&["203.0.113.66"])),
            ("10.0.0.8".to_owned(), infra(&["203.0.113.66"])),
            (
                "WS01.corp.example".to_owned(),
                infra(&["update.charming-login.example"])
            ),
            ("WS03.corp.example".to_owned(), infra(&["203.0.113.66"])),
        ]
    );
    assert_eq!(got.len(), 5, "victim alerts only: {got:#?}");
    // The same alerts (ids, evidence lines of the old logs) as the hunt
    // with the list.
    assert_eq!(ids_and_evidence(&got), ids_and_evidence(&want));
    for a in &got {
        let src = a["source"]["ip"].as_str().unwrap_or("");
        assert!(src.is_empty() || src == "203.0.113.66", "{a}");
    }
    let stored: BTreeSet<String> = st.all_alerts().unwrap().into_iter().map(|a| a.id).collect();
    let ids: BTreeSet<String> = got
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(stored, ids);

    // 5. Again: no new indicators, nothing read, nothing added.
    retro_again_adds_nothing(url);

    // 6. New indicators in no log: the logs are read again, and neither
    //    a new victim nor a copy of an old one comes out.
    let decoys = dir.join("decoys.txt");
    std::fs::write(
        &decoys,
        "nowhere-else.example\tdecoy\n198.51.100.250\tdecoy\n",
    )
    .unwrap();
    let o = run(
        &["intel", "import", decoys.to_str().unwrap(), "--store", url],
        None,
    );
    exited(&o, 0);
    let o = run(&["hunt", "--store", url, "--retro", "-O", "jsonl"], None);
    let err = exited(&o, 0);
    assert!(err.contains("5 recorded files read again"), "{err}");
    assert!(err.contains("retro-hunt: 0 new alerts"), "{err}");
    assert!(alerts_of(&o.stdout, None).is_empty());
    let after: BTreeSet<String> = st.all_alerts().unwrap().into_iter().map(|a| a.id).collect();
    assert_eq!(after, ids);
}

#[test]
fn retro_hunt_on_sqlite() {
    on_sqlite(retro_hunt_finds_old_activity);
}

#[test]
fn retro_hunt_from_another_folder_finds_relative_inputs() {
    // The hunt runs in `a` and names its log `logs/access.log`; the
    // retro-hunt runs in `b`, where no `logs` folder is.
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(a.join("logs")).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    std::fs::write(a.join("logs/access.log"), fixture()).unwrap();
    let url = format!("sqlite:{}", dir.path().join("haboob.db").display());
    let list = dir.path().join("ips.txt");
    std::fs::write(&list, format!("{ATTACKER}\tseized VPS\n")).unwrap();
    let in_dir =
        |d: &Path, args: &[&str], code: i32| exits(haboob().current_dir(d).args(args), code);
    in_dir(&a, &["hunt", "--store", &url, "logs/access.log"], 1);
    in_dir(
        &b,
        &["intel", "import", list.to_str().unwrap(), "--store", &url],
        0,
    );
    let o = in_dir(&b, &["hunt", "--store", &url, "--retro", "-O", "jsonl"], 1);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("1 recorded files read again"), "{err}");
    assert!(!err.contains("not found"), "{err}");
    assert!(err.contains("retro-hunt: 1 new alerts"), "{err}");
    let got = alerts_of(&o.stdout, None);
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0]["detector"], "intel.match");
    assert_eq!(got[0]["source"]["ip"], ATTACKER);
    assert_eq!(got[0]["count"], 10);
    // Evidence names the file as the hunt was given it.
    for e in got[0]["evidence"].as_array().unwrap() {
        assert_eq!(e["file"], "logs/access.log", "{e}");
    }
    // The same alert as a hunt with the list, run where the hunt ran.
    let o = in_dir(
        &a,
        &[
            "hunt",
            "-O",
            "jsonl",
            "--intel",
            list.to_str().unwrap(),
            "logs/access.log",
        ],
        1,
    );
    let want = alerts_of(&o.stdout, Some("intel.match"));
    assert_eq!(want.len(), 1);
    assert_eq!(got[0]["id"], want[0]["id"]);
    assert_eq!(got[0]["evidence"], want[0]["evidence"]);
}

#[test]
fn retro_hunt_on_postgres() {
    on_postgres("retro", retro_hunt_finds_old_activity);
}

#[test]
fn retro_hunt_finds_old_victims_on_sqlite() {
    on_sqlite(retro_hunt_finds_old_victims);
}

/// A retro-hunt right after another: no indicators new since, nothing
/// read, nothing printed (exit 0).
fn retro_again_adds_nothing(url: &str) {
    let o = run(&["hunt", "--store", url, "--retro", "-O", "jsonl"], None);
    let err = exited(&o, 0);
    assert!(
        err.contains("no indicators imported since the last retro-hunt"),
        "{err}"
    );
    assert!(o.stdout.is_empty());
}

/// Run `test` on a fresh SQLite store in a temporary folder.
fn on_sqlite(test: fn(&str, &Path)) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("haboob.db").display());
    test(&url, dir.path());
}

#[test]
fn retro_hunt_finds_old_victims_on_postgres() {
    on_postgres("retro_victims", retro_hunt_finds_old_victims);
}

/// Run `test` on a fresh PostgreSQL schema of `HABOOB_PG_URL` (skipped when
/// it is unset, outside CI), dropped afterwards.
fn on_postgres(name: &str, test: fn(&str, &Path)) {
    let Some(db) = haboob_store::testing::Scratch::postgres(&format!("cli_{name}")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    test(&db.url, dir.path());
}
