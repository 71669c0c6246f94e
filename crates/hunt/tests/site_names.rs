//! Sites named from where the log lives, through the real pipeline: a folder
//! of several hosts in `combined` format (which names no host), a host-like
//! file name, a `targets.toml` mapping, and a log with no host-like name.

use haboob_hunt::{hunt, HuntOptions, Targets};
use std::collections::BTreeSet;
use std::path::Path;

/// Ten 404 probes of sensitive files from `ip`, one every 5 s.
fn sweep(ip: &str) -> String {
    let paths = [
        "/.env",
        "/.git/config",
        "/backup.zip",
        "/db.sql",
        "/.htpasswd",
        "/phpinfo.php",
        "/server-status",
        "/.aws/credentials",
        "/wp-config.php~",
        "/dump.sql",
    ];
    let mut s = String::new();
    for (i, p) in paths.iter().enumerate() {
        s.push_str(&format!(
            "{ip} - - [01/Sep/2026:10:00:{:02} +0000] \"GET {p} HTTP/1.1\" 404 153 \"-\" \"curl/8.4.0\"\n",
            i * 5
        ));
    }
    s
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

#[test]
fn targets_are_named_from_folders_and_files_never_empty() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "logs/elections.example.gov/access.log",
        &sweep("192.0.2.1"),
    );
    write(
        root,
        "logs/vote.example.gov/access.log.1",
        &sweep("192.0.2.2"),
    );
    write(
        root,
        "logs/vote.example.gov/access.log",
        &sweep("192.0.2.3"),
    );
    write(
        root,
        "logs/nginx/news.example.com-access.log",
        &sweep("192.0.2.4"),
    );
    write(root, "logs/mapped/access.log", &sweep("192.0.2.5"));
    write(root, "logs/plain/other.log", &sweep("192.0.2.6"));
    let targets = Targets::parse(
        "[[target]]\nname = \"results.example.gov\"\npaths = [\"logs/mapped/*\"]\n",
        &root.canonicalize().unwrap(),
        "targets.toml",
    )
    .unwrap();
    let inputs = haboob_ingest::discover(&[root.join("logs").display().to_string()]).unwrap();
    let opts = HuntOptions {
        targets,
        ..HuntOptions::default()
    };
    let report = hunt(&inputs, &opts, &|_| {});
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let got: BTreeSet<(String, String)> = report
        .alerts
        .iter()
        .map(|a| (a.source.ip.unwrap().to_string(), a.target.clone()))
        .collect();
    let want: BTreeSet<(String, String)> = [
        ("192.0.2.1", "elections.example.gov"),
        ("192.0.2.2", "vote.example.gov"),
        ("192.0.2.3", "vote.example.gov"),
        ("192.0.2.4", "news.example.com"),
        ("192.0.2.5", "results.example.gov"),
        ("192.0.2.6", "other.log"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(got, want);
    for c in &report.campaigns {
        assert!(c.targets.iter().all(|t| !t.name.is_empty()), "{c:?}");
    }
}

/// Apache error-log lines name no host (`client denied`, ModSecurity without
/// `[hostname]`): the firewall alert names the site the log lives in, and
/// a line that does name its host keeps it.
#[test]
fn firewall_lines_name_the_site_of_their_folder() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut denied = String::new();
    for (i, p) in ["/.git/config", "/.env", "/server-status"]
        .iter()
        .enumerate()
    {
        denied.push_str(&format!(
            "[Tue Sep 01 10:00:0{i}.000000 2026] [authz_core:error] [pid 77] [client 192.0.2.7:4000{i}] AH01630: client denied by server configuration: /var/www/html{p}\n"
        ));
    }
    for i in 0..3 {
        denied.push_str(&format!(
            "[Tue Sep 01 10:01:0{i}.000000 2026] [security2:error] [pid 78] [client 192.0.2.8:5000{i}] ModSecurity: Access denied with code 403 (phase 2). Matched \"Operator `Rx' with parameter `union.*select'\" [id \"942100\"] [msg \"SQL Injection Attack\"] [hostname \"named.example.org\"] [uri \"/search\"] [unique_id \"x{i}\"]\n"
        ));
    }
    write(root, "logs/elections.example.gov/error.log", &denied);
    let inputs = haboob_ingest::discover(&[root.join("logs").display().to_string()]).unwrap();
    let report = hunt(&inputs, &HuntOptions::default(), &|_| {});
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.stats.rejected, 0);
    let got: BTreeSet<(String, String, String)> = report
        .alerts
        .iter()
        .map(|a| {
            (
                a.detector.clone(),
                a.source.ip.unwrap().to_string(),
                a.target.clone(),
            )
        })
        .collect();
    let want: BTreeSet<(String, String, String)> = [
        ("web.waf_block", "192.0.2.7", "elections.example.gov"),
        ("web.waf_block", "192.0.2.8", "named.example.org"),
    ]
    .iter()
    .map(|(d, a, b)| (d.to_string(), a.to_string(), b.to_string()))
    .collect();
    assert_eq!(got, want);
}
