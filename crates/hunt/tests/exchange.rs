//! Exchange sign-ins in an IIS log reach the auth detectors: a password spray
//! over ActiveSync and EWS with Basic authentication (401s naming the user)
//! is reported; Outlook clients doing the NTLM handshake (anonymous 401, then
//! 200 with the user) and a user who mistypes once in OWA are not.

use haboob_hunt::{hunt, HuntOptions};
use std::collections::BTreeSet;

const HEADER: &str = "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2024-05-01 08:00:00\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n";

fn line(
    (min, sec): (u32, u32),
    method: &str,
    path: &str,
    query: &str,
    user: &str,
    ip: &str,
    status: u16,
) -> String {
    let (sub, win32) = if status == 401 && user != "-" {
        (1, 1326)
    } else {
        (0, 0)
    };
    format!(
        "2024-05-01 {:02}:{:02}:{:02} 10.0.0.5 {method} {path} {query} 443 {user} {ip} Mozilla/5.0 - {status} {sub} {win32} 15\n",
        8 + min / 60,
        min % 60,
        sec
    )
}

fn log() -> String {
    let mut s = HEADER.to_string();
    let users = [
        "alice", "bob", "carl", "dan", "erin", "fay", "gil", "hal", "ivy", "jon", "kim", "lea",
    ];
    for round in 0..3u32 {
        for (i, u) in users.iter().enumerate() {
            let min = round * 20 + i as u32;
            // The sprayer: ActiveSync for even accounts, EWS for odd ones.
            if i % 2 == 0 {
                let q = format!("User=CONTOSO%5C{u}&DeviceId=ABC&DeviceType=Android&Cmd=Sync");
                s += &line(
                    (min, 1),
                    "POST",
                    "/Microsoft-Server-ActiveSync/default.eas",
                    &q,
                    "-",
                    "203.0.113.50",
                    401,
                );
            } else {
                s += &line(
                    (min, 1),
                    "POST",
                    "/EWS/Exchange.asmx",
                    "-",
                    &format!("{u}@contoso.com"),
                    "203.0.113.50",
                    401,
                );
            }
            // Outlook on the office network: NTLM handshake, then signed in.
            s += &line(
                (min, 2),
                "POST",
                "/mapi/emsmdb/",
                "MailboxId=x",
                "-",
                "198.51.100.20",
                401,
            );
            s += &line(
                (min, 3),
                "POST",
                "/mapi/emsmdb/",
                "MailboxId=x",
                "-",
                "198.51.100.20",
                401,
            );
            s += &line(
                (min, 4),
                "POST",
                "/mapi/emsmdb/",
                "MailboxId=x",
                &format!("CONTOSO\\{u}"),
                "198.51.100.20",
                200,
            );
        }
    }
    // A user mistypes her OWA password once, then signs in.
    s += &line(
        (70, 0),
        "POST",
        "/owa/auth.owa",
        "-",
        "-",
        "198.51.100.77",
        302,
    );
    s += &line(
        (70, 1),
        "GET",
        "/owa/auth/logon.aspx",
        "url=https%3a%2f%2fmail%2fowa%2f&reason=2",
        "-",
        "198.51.100.77",
        200,
    );
    s += &line(
        (70, 9),
        "POST",
        "/owa/auth.owa",
        "-",
        "-",
        "198.51.100.77",
        302,
    );
    s += &line(
        (70, 10),
        "GET",
        "/owa/",
        "-",
        "contoso\\mia",
        "198.51.100.77",
        200,
    );
    s
}

#[test]
fn exchange_spray_in_iis_log_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("u_ex240501.log");
    std::fs::write(&f, log()).unwrap();
    let inputs = haboob_ingest::discover(&[f.display().to_string()]).unwrap();
    let report = hunt(&inputs, &HuntOptions::default(), &|_| {});
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.stats.rejected, 0, "{:?}", report.stats.samples);
    let auth: Vec<_> = report
        .alerts
        .iter()
        .filter(|a| a.detector.starts_with("auth."))
        .collect();
    let flagged: BTreeSet<String> = auth
        .iter()
        .filter_map(|a| a.source.ip.map(|i| i.to_string()))
        .collect();
    assert_eq!(
        flagged,
        BTreeSet::from(["203.0.113.50".to_string()]),
        "{auth:#?}"
    );
    let detectors: BTreeSet<&str> = auth.iter().map(|a| a.detector.as_str()).collect();
    assert_eq!(detectors, BTreeSet::from(["auth.spray"]), "{auth:#?}");
}
