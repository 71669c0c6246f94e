//! Helpers shared by the CLI test files: run the binary, a small web log.

#![allow(dead_code)]

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn haboob() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_haboob"));
    c.env("NO_COLOR", "1")
        .env_remove("HABOOB_LOG")
        .env_remove("HABOOB_STORE");
    c
}

/// Run `cmd` to its end and assert its exit code (its stderr shown when it
/// differs).
#[allow(dead_code)] // not every test file uses it
pub fn exits(cmd: &mut Command, code: i32) -> Output {
    let o = cmd.output().expect("run haboob");
    exited(&o, code);
    o
}

/// Assert that a finished run exited with `code` (its stderr and stdout
/// shown when not); its stderr.
pub fn exited(o: &Output, code: i32) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(
        o.status.code(),
        Some(code),
        "{err}\n{}",
        String::from_utf8_lossy(&o.stdout)
    );
    err
}

/// Run haboob with `args` (no standard input), assert its exit code and
/// parse its JSON Lines output.
pub fn run_jsonl(args: &[&str], code: i32) -> Vec<Value> {
    let o = run(args, None);
    exited(&o, code);
    jsonl(&o.stdout)
}

/// `haboob hunt -O jsonl --intel LIST INPUT...`, run to its end (exit code
/// not asserted).
pub fn hunt_with_intel(list: &Path, inputs: &[&Path]) -> Output {
    haboob()
        .args(["hunt", "-O", "jsonl", "--intel"])
        .arg(list)
        .args(inputs)
        .stdin(Stdio::null())
        .output()
        .expect("run haboob")
}

pub fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut c = haboob();
    c.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn haboob");
    if let Some(data) = stdin {
        child.stdin.take().unwrap().write_all(data).unwrap();
    }
    child.wait_with_output().unwrap()
}

/// A benign user browsing, a sensitive-file sweep by 203.0.113.9, one
/// malformed line. Times in -0500 to exercise zones.
pub fn fixture() -> String {
    let mut s = String::new();
    let ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36";
    for (i, p) in [
        "/",
        "/css/site.css",
        "/js/app.js",
        "/results",
        "/missing-page",
    ]
    .iter()
    .enumerate()
    {
        let status = if p.starts_with("/missing") { 404 } else { 200 };
        s.push_str(&format!(
            "192.0.2.10 - - [01/Sep/2026:09:00:{:02} -0500] \"GET {p} HTTP/1.1\" {status} 512 \"-\" \"{ua}\"\n",
            i * 3
        ));
    }
    let paths = [
        "/.env",
        "/.git/config",
        "/wp-config.php~",
        "/backup.zip",
        "/server-status",
        "/phpinfo.php",
        "/.htpasswd",
        "/.aws/credentials",
        "/db.sql",
        "/.DS_Store",
    ];
    for (i, p) in paths.iter().enumerate() {
        s.push_str(&format!(
            "203.0.113.9 - - [01/Sep/2026:09:10:{:02} -0500] \"GET {p} HTTP/1.1\" 404 153 \"-\" \"curl/8.4.0\"\n",
            i * 5
        ));
    }
    s.push_str("this is not an access log line\n");
    s
}

pub fn write_fixture(dir: &Path) -> PathBuf {
    let p = dir.join("access.log");
    std::fs::write(&p, fixture()).unwrap();
    p
}

/// The Sigma alerts (detector `sigma`) of a hunt's JSON Lines output.
pub fn sigma_alerts(out: &[u8]) -> Vec<Value> {
    alerts_of(out, Some("sigma"))
}

/// The alerts of a hunt's JSON Lines output, of one detector or (`None`)
/// of all.
pub fn alerts_of(out: &[u8], detector: Option<&str>) -> Vec<Value> {
    jsonl(out)
        .into_iter()
        .filter(|v| v["kind"] == "alert" && detector.is_none_or(|d| v["detector"] == d))
        .collect()
}

/// Each alert's id and evidence, sorted by id: what two runs that find
/// the same alerts agree on.
pub fn ids_and_evidence(alerts: &[Value]) -> Vec<(String, Value)> {
    let mut k: Vec<(String, Value)> = alerts
        .iter()
        .map(|a| (a["id"].as_str().unwrap().to_owned(), a["evidence"].clone()))
        .collect();
    k.sort_by(|a, b| a.0.cmp(&b.0));
    k
}

pub fn jsonl(out: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

/// (victim, attacker address, infrastructure, count) of an `intel.victim`
/// alert.
pub type Victim = (String, Option<String>, Vec<String>, u64);

/// The `intel.victim` alerts of a JSONL output, sorted.
pub fn victims(out: &[Value]) -> Vec<Victim> {
    let mut v: Vec<Victim> = out
        .iter()
        .filter(|a| a["kind"] == "alert" && a["detector"] == "intel.victim")
        .map(|a| {
            assert_eq!(a["details"]["role"], "victim");
            (
                a["target"].as_str().unwrap().to_owned(),
                a["source"]["ip"].as_str().map(str::to_owned),
                a["details"]["infrastructure"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_str().unwrap().to_owned())
                    .collect(),
                a["count"].as_u64().unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}
