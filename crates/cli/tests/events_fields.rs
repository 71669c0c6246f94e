//! `haboob events --fields`: the field view a Sigma rule reads is the same
//! for the same requests whatever the access-log format, and a field a
//! format does not log is absent rather than made up.

mod common;

use common::{jsonl, run};
use serde_json::{json, Value};
use std::path::Path;

/// The same two requests as combined and as IIS W3C lines, in one site's
/// folder (the site of both is the folder name).
fn write_logs(site: &Path) {
    std::fs::create_dir_all(site).unwrap();
    std::fs::write(
        site.join("access.log"),
        concat!(
            "192.0.2.7 - - [01/Sep/2026:10:00:00 +0000] \"GET /.git/config?x=1 HTTP/1.1\" 404 12 \"-\" \"curl/8.5\"\n",
            "192.0.2.8 - alice [01/Sep/2026:10:00:01 +0000] \"POST /wp-login.php HTTP/1.0\" 200 0 \"https://a.example/\" \"-\"\n",
        ),
    )
    .unwrap();
    std::fs::write(
        site.join("u_ex260901.log"),
        concat!(
            "#Software: Microsoft Internet Information Services 10.0\n",
            "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs-version cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status sc-bytes time-taken\n",
            "2026-09-01 10:00:00 10.0.0.1 GET /.git/config x=1 443 - 192.0.2.7 HTTP/1.1 curl/8.5 - 404 0 2 12 1\n",
            "2026-09-01 10:00:01 10.0.0.1 POST /wp-login.php - 443 alice 192.0.2.8 HTTP/1.0 - https://a.example/ 200 0 0 0 3\n",
        ),
    )
    .unwrap();
}

fn fields(path: &Path) -> Vec<Value> {
    let p = path.display().to_string();
    let out = run(&["events", "--fields", "--no-rejected", &p], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    jsonl(&out.stdout)
        .into_iter()
        .map(|v| v["haboob.fields"].clone())
        .collect()
}

#[test]
fn same_fields_from_combined_and_iis() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("votes.example.gov");
    write_logs(&site);
    let want = vec![
        json!({
            "c-ip": "192.0.2.7",
            "cs-method": "GET",
            "cs-uri-stem": "/.git/config",
            "cs-uri-query": "x=1",
            "c-uri": "/.git/config?x=1",
            "sc-status": 404,
            "sc-bytes": 12,
            "cs-user-agent": "curl/8.5",
            "cs-host": "votes.example.gov",
            "cs-version": "HTTP/1.1",
        }),
        json!({
            "c-ip": "192.0.2.8",
            "cs-method": "POST",
            "cs-uri-stem": "/wp-login.php",
            "c-uri": "/wp-login.php",
            "c-uri-extension": "php",
            "sc-status": 200,
            "sc-bytes": 0,
            "cs-referer": "https://a.example/",
            "cs-host": "votes.example.gov",
            "cs-username": "alice",
            "cs-version": "HTTP/1.0",
        }),
    ];
    assert_eq!(fields(&site.join("access.log")), want);
    assert_eq!(fields(&site.join("u_ex260901.log")), want);
}

#[test]
fn without_the_flag_there_is_no_field_view() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("votes.example.gov");
    write_logs(&site);
    let p = site.join("access.log").display().to_string();
    let out = run(&["events", &p], None);
    assert!(out.status.success());
    let v = jsonl(&out.stdout);
    assert_eq!(v.len(), 2);
    assert!(v.iter().all(|e| e.get("haboob.fields").is_none()));
}

/// A sign-in JSON record answers its own paths (Log Analytics spelling),
/// nested members under dotted names, numbers as numbers.
#[test]
fn sign_in_json_fields_by_their_own_paths() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("entra_signin.jsonl");
    std::fs::write(
        &p,
        concat!(
            r#"{"TimeGenerated":"2026-10-05T00:25:40.539Z","UserPrincipalName":"a@campaign.example","IPAddress":"198.18.23.13","#,
            r#""ResultType":"50126","AppDisplayName":"OfficeHome","Status":{"errorCode":50126,"additionalDetails":""},"#,
            r#""LocationDetails":{"countryOrRegion":"NL"}}"#,
            "\n"
        ),
    )
    .unwrap();
    assert_eq!(
        fields(&p),
        vec![json!({
            "TimeGenerated": "2026-10-05T00:25:40.539Z",
            "UserPrincipalName": "a@campaign.example",
            "IPAddress": "198.18.23.13",
            "ResultType": "50126",
            "AppDisplayName": "OfficeHome",
            "Status.errorCode": 50126,
            "LocationDetails.countryOrRegion": "NL",
        })]
    );
}

/// A Windows logon failure from EVTX answers Sigma's flat names: `System`
/// members (attributes as `Provider_Name`, …) and `EventData` by name.
#[test]
fn evtx_fields_by_sigma_names() {
    let Some(p) = haboob_testdata::corpus_file_or_skip(
        "evtx_fields_by_sigma_names",
        "evtx/EVTX-ATTACK-SAMPLES/Credential Access/CA_4624_4625_LogonType2_LogonProc_chrome.evtx",
    ) else {
        return;
    };
    let all = fields(&p);
    let failures: Vec<&Value> = all.iter().filter(|f| f["EventID"] == 4625).collect();
    assert!(!failures.is_empty());
    let f = failures[0];
    assert_eq!(f["Channel"], "Security");
    assert_eq!(f["Provider_Name"], "Microsoft-Windows-Security-Auditing");
    assert_eq!(f["Computer"], "MSEDGEWIN10");
    assert_eq!(f["TargetUserName"], "IEUser");
    assert_eq!(f["Status"], "0xc000006d");
    assert_eq!(f["LogonType"], 2);
    assert_eq!(f["LogonProcessName"], "Chrome");
    // No nested or attribute paths leak through.
    let m = f.as_object().unwrap();
    assert!(
        m.keys().all(|k| !k.contains('.') && !k.contains('#')),
        "{m:?}"
    );
    // Every event of the file has its event id and channel.
    assert!(all
        .iter()
        .all(|f| f["EventID"].is_u64() && f["Channel"].is_string()));
}

/// A Windows event of any id, here a process creation as event XML text,
/// prints as a Windows event with its record's fields.
#[test]
fn windows_xml_event_of_any_id() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("forwarded.xml");
    std::fs::write(
        &p,
        concat!(
            r#"<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Security-Auditing"/><EventID>4688</EventID>"#,
            r#"<TimeCreated SystemTime="2026-09-01T10:00:00.5Z"/><EventRecordID>42</EventRecordID><Channel>Security</Channel><Computer>ws1</Computer></System>"#,
            r#"<EventData><Data Name="NewProcessName">C:\Windows\System32\cmd.exe</Data><Data Name="CommandLine">cmd /c whoami &amp; hostname</Data></EventData></Event>"#,
            "\n"
        ),
    )
    .unwrap();
    let out = run(&["events", "--fields", &p.display().to_string()], None);
    assert!(out.status.success());
    let v = jsonl(&out.stdout);
    assert_eq!(v.len(), 1);
    let e = &v[0];
    assert_eq!(e["event.code"], "4688");
    assert_eq!(e["winlog.record_id"], 42);
    assert_eq!(e["winlog.channel"], "Security");
    assert_eq!(e["winlog.computer_name"], "ws1");
    assert_eq!(e["haboob.log_format"], "windows-xml");
    assert_eq!(e["@timestamp"], "2026-09-01T10:00:00.500Z");
    assert_eq!(
        e["haboob.fields"],
        json!({
            "EventID": "4688",
            "EventRecordID": "42",
            "Channel": "Security",
            "Computer": "ws1",
            "Provider_Name": "Microsoft-Windows-Security-Auditing",
            "SystemTime": "2026-09-01T10:00:00.5Z",
            "NewProcessName": r"C:\Windows\System32\cmd.exe",
            "CommandLine": "cmd /c whoami & hostname",
        })
    );
}
