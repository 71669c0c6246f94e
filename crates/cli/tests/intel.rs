//! `haboob hunt --intel`, `haboob intel import|list` and `hunt --store`
//! loading stored indicators, through the binary, on the shared web-log
//! fixture (a benign browser at 192.0.2.10, a sweep by 203.0.113.9 with
//! `curl/8.4.0`).

mod common;

use common::*;

fn intel_alerts(out: &[u8]) -> Vec<serde_json::Value> {
    alerts_of(out, Some("intel.match"))
}

#[test]
fn hunt_with_a_list_matches_the_listed_source_only() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_fixture(dir.path());
    let list = dir.path().join("ips.txt");
    // 203.0.113.9 listed; its neighbour and the benign browser's network are decoys.
    std::fs::write(
        &list,
        "# tlp: green\n203.0.113.9\tseized VPS\n203.0.113.10\n192.0.3.0/24\nnot-an-indicator value\n",
    )
    .unwrap();
    let o = hunt_with_intel(&list, &[&log]);
    let err = exited(&o, 1);
    assert!(err.contains("3 values imported (cidr 1, ip 2)"), "{err}");
    assert!(
        err.contains("ips.txt:5: not an IP address, CIDR, domain, URL, e-mail address or hash"),
        "{err}"
    );
    let a = intel_alerts(&o.stdout);
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!(a[0]["source"]["ip"], "203.0.113.9");
    assert_eq!(a[0]["count"], 10);
    let hits = a[0]["details"]["intel"].as_array().unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["name"], "seized VPS");
    assert_eq!(hits[0]["field"], "src_ip");
    assert_eq!(hits[0]["tlp"], "green");
    assert_eq!(hits[0]["source"], "list:ips.txt");
}

#[test]
fn imported_indicators_are_listed_and_used_by_hunt_store() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_fixture(dir.path());
    let uas = dir.path().join("uas.txt");
    std::fs::write(&uas, "# kind: user-agent\ncurl/8.4.0\tscripted client\n").unwrap();
    let store = format!("sqlite:{}", dir.path().join("h.db").display());
    // A hunt into the store before any intel: its saved state must restore
    // into the hunt with intel below.
    let o = run(
        &[
            "hunt",
            "-O",
            "jsonl",
            "--store",
            &store,
            log.to_str().unwrap(),
        ],
        None,
    );
    exited(&o, 1);
    assert!(intel_alerts(&o.stdout).is_empty());
    let o = run(
        &[
            "intel",
            "import",
            uas.to_str().unwrap(),
            "--store",
            &store,
            "--source",
            "isac-uas",
        ],
        None,
    );
    let err = exited(&o, 0);
    assert!(
        err.contains("stored isac-uas: 1 added, 0 updated, 0 unchanged"),
        "{err}"
    );
    let o = run(&["intel", "list", "--store", &store], None);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.starts_with("isac-uas\t1 indicators\t"), "{out}");
    // New lines of the same log: only they are read, and match.
    let mut more = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    std::io::Write::write_all(
        &mut more,
        b"203.0.113.9 - - [01/Sep/2026:10:00:00 -0500] \"GET /.env HTTP/1.1\" 404 153 \"-\" \"curl/8.4.0\"\n\
          192.0.2.10 - - [01/Sep/2026:10:00:01 -0500] \"GET / HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"\n",
    )
    .unwrap();
    let o = run(
        &[
            "hunt",
            "-O",
            "jsonl",
            "--store",
            &store,
            log.to_str().unwrap(),
        ],
        None,
    );
    let a = intel_alerts(&o.stdout);
    assert_eq!(a.len(), 1, "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(a[0]["source"]["ip"], "203.0.113.9");
    assert_eq!(a[0]["details"]["intel"][0]["field"], "user_agent");
    assert_eq!(a[0]["details"]["intel"][0]["source"], "isac-uas");
    assert_eq!(a[0]["count"], 1);
    assert_eq!(a[0]["evidence"][0]["line"], 17);
}
