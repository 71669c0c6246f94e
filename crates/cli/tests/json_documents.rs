//! Issue 11, item 1: sign-in logs exported as JSON documents rather than JSON
//! Lines. The simulator's Entra ID sign-ins (account-campaign, 3 days, with
//! its 4 account takeovers) are rewritten as a pretty-printed array (BOM,
//! CRLF: the portal's "Download JSON"), a one-line array, three Microsoft
//! Graph pages in one file, and Graph pages as separate files; each hunt
//! gives exactly the alerts and campaigns of the JSON Lines input (evidence
//! `raw` included: records are compacted to their original line), only the
//! evidence `file`/`line` differ, and those lines point at the record starts.
//! JSON that is no log (STIX bundle, package.json, a config, the labels file)
//! ends as "not a log", never as some log format.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn haboob(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_haboob"))
        .env("NO_COLOR", "1")
        .env_remove("HABOOB_LOG")
        .args(args)
        .output()
        .expect("run haboob")
}

/// Pretty-print compact JSON (two-space indent), string-aware; written here
/// independently of the framer under test.
fn pretty(compact: &str, eol: &str) -> String {
    let mut out = String::with_capacity(compact.len() * 2);
    let (mut ind, mut in_str, mut esc) = (0usize, false, false);
    let nl = |out: &mut String, ind: usize| {
        out.push_str(eol);
        out.push_str(&"  ".repeat(ind));
    };
    for c in compact.chars() {
        if in_str {
            out.push(c);
            if esc {
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else if c == '"' {
                in_str = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_str = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                ind += 1;
                nl(&mut out, ind);
            }
            '}' | ']' => {
                ind -= 1;
                nl(&mut out, ind);
                out.push(c);
            }
            ',' => {
                out.push(c);
                nl(&mut out, ind);
            }
            ':' => out.push_str(": "),
            _ => out.push(c),
        }
    }
    out
}

fn graph_page(records: &[&str], next: Option<usize>) -> String {
    let mut s = String::from(
        r#"{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns","value":["#,
    );
    s.push_str(&records.join(","));
    s.push(']');
    if let Some(n) = next {
        s.push_str(&format!(
            r#","@odata.nextLink":"https://graph.microsoft.com/v1.0/auditLogs/signIns?$top=1000&$skiptoken={n}{{]"}}"#
        ));
    } else {
        s.push('}');
    }
    s
}

struct Hunt {
    /// Alerts and campaigns, evidence `file` and `line` removed.
    results: Vec<Value>,
    /// (file, line) of every evidence.
    evidence: Vec<(String, u64)>,
    summary: Value,
}

fn hunt(path: &Path) -> Hunt {
    let out = haboob(&[
        "--quiet",
        "hunt",
        "--format",
        "jsonl",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "alerts expected: {out:?}");
    let mut h = Hunt {
        results: Vec::new(),
        evidence: Vec::new(),
        summary: Value::Null,
    };
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let mut v: Value = serde_json::from_str(line).unwrap();
        match v["kind"].as_str() {
            Some("summary") => h.summary = v,
            Some("alert") => {
                for e in v["evidence"].as_array_mut().unwrap() {
                    let e = e.as_object_mut().unwrap();
                    let file = e.remove("file").unwrap();
                    let line = e.remove("line").unwrap();
                    h.evidence
                        .push((file.as_str().unwrap().to_owned(), line.as_u64().unwrap()));
                }
                h.results.push(v);
            }
            _ => h.results.push(v),
        }
    }
    h
}

fn kinds(h: &Hunt, kind: &str) -> usize {
    h.results.iter().filter(|v| v["kind"] == kind).count()
}

#[test]
fn exported_json_documents_hunt_like_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sim = d.join("sim");
    let out = haboob(&[
        "--quiet",
        "simulate",
        "--scenario",
        "account-campaign",
        "--days",
        "3",
        "--seed",
        "42",
        "--out",
        sim.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{out:?}");
    let jsonl = std::fs::read_to_string(sim.join("entra_signin.jsonl")).unwrap();
    let recs: Vec<&str> = jsonl.lines().collect();
    let n = recs.len();
    assert!(n > 5_000, "{n}");

    // The truth: the campaign's compromised accounts.
    let labels = std::fs::read_to_string(sim.join("labels.jsonl")).unwrap();
    let summary: Value = labels
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["kind"] == "summary")
        .unwrap();
    let compromised = summary["compromised"].clone();
    assert_eq!(compromised.as_array().unwrap().len(), 4);

    let base = hunt(&sim.join("entra_signin.jsonl"));
    assert_eq!(base.summary["lines"], n as u64);
    assert_eq!(base.summary["rejected"], 0);
    let campaigns: Vec<&Value> = base
        .results
        .iter()
        .filter(|v| v["kind"] == "campaign")
        .collect();
    assert_eq!(campaigns.len(), 1);
    assert_eq!(campaigns[0]["compromised"], compromised);
    assert!(kinds(&base, "alert") >= 5, "{}", kinds(&base, "alert"));

    let array = format!("[{}]", recs.join(","));
    let k = n.div_ceil(3);
    let pages: Vec<String> = recs
        .chunks(k)
        .enumerate()
        .map(|(i, c)| graph_page(c, (i < 2).then_some(i + 1)))
        .collect();
    let pretty_text = format!("\u{feff}{}\r\n", pretty(&array, "\r\n"));
    let cases = [
        ("pretty.json", pretty_text.clone()),
        ("oneline.json", array.clone()),
        ("pages.json", pages.join("\n") + "\n"),
    ];
    for (name, text) in &cases {
        let p = d.join(name);
        std::fs::write(&p, text).unwrap();
        let h = hunt(&p);
        assert_eq!(h.summary["lines"], n as u64, "{name}: records");
        assert_eq!(h.summary["parsed"], n as u64, "{name}");
        assert_eq!(h.summary["rejected"], 0, "{name}");
        assert_eq!(h.results, base.results, "{name}");
        assert_eq!(h.evidence.len(), base.evidence.len());
        // Evidence names the line where its record starts.
        let text_lines: Vec<&str> = text.split('\n').collect();
        for (file, line) in &h.evidence {
            assert_eq!(file, p.to_str().unwrap());
            let at = text_lines[*line as usize - 1].trim();
            match *name {
                "pretty.json" => assert_eq!(at, "{", "{name}:{line}"),
                "oneline.json" => assert_eq!(*line, 1),
                _ => assert!((1..=3).contains(line), "{name}:{line}"),
            }
        }
    }

    // Pages as separate (pretty-printed) files, against JSON Lines files cut
    // at the same records: the files are separate streams either way.
    let pages_dir = d.join("pages");
    let parts_dir = d.join("parts");
    std::fs::create_dir_all(&pages_dir).unwrap();
    std::fs::create_dir_all(&parts_dir).unwrap();
    for (i, (page, c)) in pages.iter().zip(recs.chunks(k)).enumerate() {
        std::fs::write(pages_dir.join(format!("page{i}.json")), pretty(page, "\n")).unwrap();
        std::fs::write(parts_dir.join(format!("part{i}.jsonl")), c.join("\n")).unwrap();
    }
    let parts = hunt(&parts_dir);
    let paged = hunt(&pages_dir);
    assert_eq!(paged.summary["lines"], n as u64);
    assert_eq!(paged.summary["files"], 3);
    assert_eq!(paged.summary["rejected"], 0);
    assert_eq!(paged.results, parts.results);
    let found: Vec<&Value> = paged
        .results
        .iter()
        .filter(|v| v["detector"] == "auth.takeover")
        .map(|v| &v["user"])
        .collect();
    for user in compromised.as_array().unwrap() {
        assert!(found.contains(&user), "{user} not taken over in pages");
    }
}

#[test]
fn json_that_is_no_log_is_not_a_log() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let files = [
        (
            "bundle.json",
            r#"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
  {"type":"indicator","id":"indicator--1","created":"2024-05-01T10:00:00Z","pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2024-05-01T10:00:00Z"},
  {"type":"ipv4-addr","id":"ipv4-addr--2","value":"198.51.100.1"}
]}
"#,
            r#"first record's keys: "type", "id", "objects""#,
        ),
        (
            "package.json",
            "{\n  \"name\": \"site\",\n  \"version\": \"1.0.0\",\n  \"scripts\": {\"build\": \"vite build\"},\n  \"dependencies\": {\"vite\": \"^5.0.0\"}\n}\n",
            r#"first record's keys: "name", "version", "scripts", "dependencies""#,
        ),
        (
            "settings.json",
            r#"{"server":{"host":"0.0.0.0","port":8080,"timeout":"30s"},"log":{"level":"info","path":"/var/log/app"},"items":{"max":3}}"#,
            r#"first record's keys: "server", "log", "items""#,
        ),
        (
            "labels.jsonl",
            "{\"user\":\"a@x.example\",\"kind\":\"account\",\"probed\":true}\n{\"ip\":\"198.51.100.1\",\"kind\":\"source\",\"role\":\"attacker\"}\n",
            r#"first record's keys: "user", "kind", "probed""#,
        ),
    ];
    for (name, text, keys) in files {
        let p = d.join(name);
        std::fs::write(&p, text).unwrap();
        let out = haboob(&[
            "--quiet",
            "hunt",
            "--output-format",
            "jsonl",
            p.to_str().unwrap(),
        ]);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let want = format!(
            "{}: not a log: JSON whose records no log format accepts ({keys})",
            p.display()
        );
        assert!(all.contains(&want), "{name}: {all}");
        assert!(!all.contains("\"kind\":\"alert\""), "{name}: {all}");
        assert!(!all.contains("cannot recognise"), "{name}: {all}");
    }
}
