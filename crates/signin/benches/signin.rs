//! Throughput of the Entra JSON parser (bytes/s) and of EVTX reading
//! (records/s over the corpus file `smb-password-guessing-security.evtx`).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use haboob_model::{LineParser, Parsed};
use haboob_signin::{read_evtx, EntraParser};
use std::hint::black_box;

fn entra_lines() -> String {
    let mut s = String::new();
    for i in 0..10_000u32 {
        let code = [0, 50126, 50034, 50053, 50074][i as usize % 5];
        s.push_str(&format!(
            r#"{{"TenantId":"7c759f10-811c-4db8-ad6d-f07d8ae3f8ea","TimeGenerated":"2024-05-01T10:{:02}:{:02}.1234567Z","OperationName":"Sign-in activity","Category":"SignInLogs","ResultType":"{code}","ResultDescription":"Invalid username or password.","UserPrincipalName":"User{}@Contoso.com","UserDisplayName":"User {i}","IPAddress":"198.51.{}.{}","AppDisplayName":"Office 365 Exchange Online","AppId":"00000002-0000-0ff1-ce00-000000000000","ClientAppUsed":"Browser","UserAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36","LocationDetails":{{"city":"Amsterdam","state":"Noord-Holland","countryOrRegion":"NL","geoCoordinates":{{"latitude":52.37,"longitude":4.89}}}},"Status":{{"errorCode":{code},"failureReason":"Invalid username or password."}},"AADTenantId":"2ad3fc79-1859-42fa-9011-6f8df2251b22","AutonomousSystemNumber":64500,"Type":"SigninLogs"}}"#,
            (i / 60) % 60,
            i % 60,
            i % 500,
            i % 250,
            i % 250,
        ));
        s.push('\n');
    }
    s
}

fn bench(c: &mut Criterion) {
    let text = entra_lines();
    let mut g = c.benchmark_group("signin");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("entra_json_lines", |b| {
        b.iter(|| {
            let mut p = EntraParser;
            let mut n = 0u32;
            for line in text.lines() {
                if let Ok(Parsed::Event(_)) = p.parse(black_box(line)) {
                    n += 1;
                }
            }
            assert_eq!(n, 10_000);
            n
        })
    });
    // Real-data sample: benched only when the corpus is there (haboob-testdata).
    let evtx = haboob_testdata::corpus_dir()
        .map(|c| c.join("evtx/DeepBlueCLI/evtx/smb-password-guessing-security.evtx"));
    if let Some(evtx) = evtx.filter(|p| p.exists()) {
        g.throughput(Throughput::Elements(3561));
        g.sample_size(10);
        g.bench_function("evtx_records", |b| {
            b.iter(|| {
                let mut n = 0u64;
                read_evtx(&evtx, &mut |_, _, r| {
                    n += u64::from(matches!(r, Ok(Some(_))))
                })
                .unwrap();
                n
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
