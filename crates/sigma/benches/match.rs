//! Per-event cost of Sigma matching: the 13 SigmaHQ webserver rules over
//! synthetic access-log requests (mostly benign, a few probes), and the
//! SigmaHQ Windows Security rules of the corpus over a few Security records
//! rendered as the EVTX reader renders them (each iteration builds the view
//! afresh, so the record's JSON parse is counted). Rules come from the
//! real-data corpus (`sigma/SigmaHQ-sigma`); without it the bench skips.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use haboob_model::{Ts, WebEvent, WinView};
use haboob_sigma::{load, Family, Mapping, RuleSet};
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

fn rules(rel: &str) -> Option<RuleSet> {
    let dir = haboob_testdata::corpus_file_or_skip("sigma bench", rel)?;
    let loaded = load(&[dir], &Mapping::builtin());
    Some(loaded.rules)
}

struct Req {
    ip: IpAddr,
    method: &'static str,
    path: String,
    query: String,
    status: u16,
    ua: &'static str,
    referrer: &'static str,
}

fn requests(n: usize) -> Vec<Req> {
    let uas = [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
        "sqlmap/1.7.2#stable (https://sqlmap.org)",
    ];
    (0..n)
        .map(|i| {
            let (method, path, query, status) = match i % 100 {
                0 => ("GET", "/.git/config".to_string(), String::new(), 404),
                1 => (
                    "GET",
                    "/search".to_string(),
                    "q=1+UNION+SELECT+1,2".to_string(),
                    200,
                ),
                2 => (
                    "GET",
                    "/page".to_string(),
                    "file=../../../etc/passwd".to_string(),
                    200,
                ),
                3..=40 => (
                    "GET",
                    format!("/assets/img/{}.png", i % 300),
                    String::new(),
                    304,
                ),
                41..=45 => ("POST", "/api/comments".to_string(), String::new(), 201),
                _ => (
                    "GET",
                    format!("/news/2026/08/article-{}", i % 2000),
                    "ref=home".to_string(),
                    200,
                ),
            };
            Req {
                ip: IpAddr::V4(Ipv4Addr::from(0xc633_6400u32 + (i as u32 % 5000))),
                method,
                path,
                query,
                status,
                ua: uas[usize::from(i % 50 == 7) * 2 + usize::from(i % 2 == 1 && i % 50 != 7)],
                referrer: "https://www.example/news/",
            }
        })
        .collect()
}

fn web(c: &mut Criterion) {
    let Some(rules) = rules("sigma/SigmaHQ-sigma/rules/web/webserver_generic") else {
        return;
    };
    let reqs = requests(1000);
    let mut g = c.benchmark_group("sigma_web");
    g.throughput(Throughput::Elements(reqs.len() as u64));
    g.bench_function("webserver_rules_per_1000_requests", |b| {
        let mut out = Vec::new();
        b.iter(|| {
            let mut hits = 0;
            for r in &reqs {
                let ev = WebEvent {
                    ts: Ts::from_secs(0),
                    source_ip: r.ip,
                    method: r.method,
                    path: &r.path,
                    query: &r.query,
                    status: r.status,
                    bytes: 1234,
                    user_agent: r.ua,
                    referrer: r.referrer,
                    site: "",
                    user: "",
                    forwarded: "",
                    protocol: "HTTP/1.1",
                };
                out.clear();
                rules.matches(Family::Web, &ev, &mut out);
                hits += out.len();
            }
            black_box(hits)
        })
    });
    g.finish();
}

/// A Security record as the EVTX reader renders it.
fn security(eid: u32, data: &str) -> String {
    format!(
        r##"{{"Event":{{"#attributes":{{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"}},"System":{{"Provider":{{"#attributes":{{"Name":"Microsoft-Windows-Security-Auditing","Guid":"54849625-5478-4994-A5BA-3E3B0328C30D"}}}},"EventID":{eid},"Version":2,"Level":0,"Task":12544,"Opcode":0,"Keywords":"0x8020000000000000","TimeCreated":{{"#attributes":{{"SystemTime":"2026-11-28T10:00:00.000000Z"}}}},"EventRecordID":1000,"Correlation":null,"Execution":{{"#attributes":{{"ProcessID":612,"ThreadID":700}}}},"Channel":"Security","Computer":"DC01.corp.example","Security":null}},"EventData":{{{data}}}}}}}"##
    )
}

fn windows(c: &mut Criterion) {
    let Some(rules) = rules("sigma/SigmaHQ-sigma/rules/windows/builtin/security") else {
        return;
    };
    let records = [
        security(
            4624,
            r#""SubjectUserSid":"S-1-5-18","SubjectUserName":"DC01$","SubjectDomainName":"CORP","TargetUserName":"alice","TargetDomainName":"CORP","LogonType":3,"LogonProcessName":"NtLmSsp ","AuthenticationPackageName":"NTLM","WorkstationName":"WS12","IpAddress":"10.0.0.12","IpPort":"49152""#,
        ),
        security(
            4625,
            r#""TargetUserName":"administrator","TargetDomainName":"CORP","Status":"0xc000006d","SubStatus":"0xc000006a","LogonType":3,"IpAddress":"203.0.113.9""#,
        ),
        security(
            4688,
            r#""NewProcessName":"C:\\Windows\\System32\\cmd.exe","CommandLine":"cmd.exe /c whoami /all","ParentProcessName":"C:\\Windows\\explorer.exe","SubjectUserName":"alice""#,
        ),
        security(
            4663,
            r#""ObjectServer":"Security","ObjectType":"File","ObjectName":"C:\\Users\\alice\\Documents\\report.docx","AccessMask":"0x1","ProcessName":"C:\\Windows\\explorer.exe""#,
        ),
        security(
            5145,
            r#""ShareName":"\\\\*\\IPC$","RelativeTargetName":"srvsvc","IpAddress":"10.0.0.12","SubjectUserName":"alice""#,
        ),
    ];
    let mut g = c.benchmark_group("sigma_windows");
    g.throughput(Throughput::Elements(records.len() as u64));
    g.bench_function("security_rules_per_record", |b| {
        let mut out = Vec::new();
        b.iter(|| {
            let mut hits = 0;
            for r in &records {
                let view = WinView::new(r);
                out.clear();
                rules.matches(Family::Windows, &view, &mut out);
                hits += out.len();
            }
            black_box(hits)
        })
    });
    g.finish();
}

criterion_group!(benches, web, windows);
criterion_main!(benches);
