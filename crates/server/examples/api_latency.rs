//! API latency of campaign pages (filtered), a campaign, alerts and
//! organisations over a large store.
//!
//! `cargo run --release -p haboob-server --example api_latency -- [CAMPAIGNS] [REQUESTS] [STORE_URL]`
//! (defaults: 100000 campaigns, 2000 requests, a SQLite file in a temporary
//! folder). Fills the store with synthetic campaigns (one alert each, over
//! 200 organisations and four severities), serves it on a loopback port and
//! times `GET /api/v1/…` requests (campaign pages with each filter, one
//! campaign, an alerts page, one alert, the organisations) one after the
//! other over HTTP, printing p50/p95/p99/max per request. On PostgreSQL the
//! tables are vacuumed and analysed after the load, as autovacuum would.

use haboob_model::{Alert, AlertSource, Alerts, Campaign, Severity, Target, TargetSector, Ts};
use haboob_store::{HuntWrite, Role, Store};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn synthetic(n: usize) -> (Vec<Alert>, Vec<Campaign>) {
    let sev = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];
    let sectors = [
        TargetSector::Election,
        TargetSector::News,
        TargetSector::Government,
        TargetSector::Other,
    ];
    let day = 86_400_000;
    let t0 = Ts::parse_rfc3339("2024-01-01T00:00:00Z").expect("t0").0;
    let mut alerts = Vec::with_capacity(n);
    let mut campaigns = Vec::with_capacity(n);
    for i in 0..n {
        let ip: std::net::IpAddr = format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255)
            .parse()
            .expect("ip");
        let first = Ts(t0 + (i as i64 % 365) * day);
        let last = Ts(first.0 + (i as i64 % 7) * day);
        let target = Target {
            name: format!("site-{}", i % 1000),
            organisation: Some(format!("org-{}", i % 200)),
            sector: sectors[i % 4],
            region: Some(format!("R{}", i % 50)),
        };
        let a = Alert {
            id: format!("a{i:07}"),
            detector: "web.scan".into(),
            title: format!("scan {i}"),
            techniques: vec!["T1595".into()],
            severity: sev[i % 4],
            source: AlertSource {
                ip: Some(ip),
                prefix: None,
                members: vec![],
            },
            target: target.name.clone(),
            user: None,
            first_seen: first,
            last_seen: last,
            count: 100,
            details: Default::default(),
            evidence: vec![],
        };
        campaigns.push(Campaign {
            id: format!("c{i:07}"),
            summary: format!("one source scanned site-{}", i % 1000),
            severity: a.severity,
            sources: vec![ip],
            targets: vec![target],
            alerts: vec![a.id.clone()],
            detectors: vec!["web.scan".into()],
            techniques: vec!["T1595".into()],
            reasons: vec!["same source".into()],
            first_seen: first,
            last_seen: last,
            funnel: None,
            funnel_by_target: Default::default(),
            compromised: vec![],
            actors: vec![],
            attribution: vec![],
            stages: Vec::new(),
            tools: Vec::new(),
        });
        alerts.push(a);
    }
    (alerts, campaigns)
}

fn pct(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
    v[i].as_secs_f64() * 1000.0
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let requests: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(2000);
    let tmp = tempfile::tempdir().expect("tmp");
    let url = args
        .get(2)
        .cloned()
        .unwrap_or_else(|| format!("sqlite:{}", tmp.path().join("bench.db").display()));
    let store = Store::open(&url).expect("store");
    let t = Instant::now();
    let (alerts, campaigns) = synthetic(n);
    for (a, c) in alerts.chunks(10_000).zip(campaigns.chunks(10_000)) {
        store
            .save_hunt(&HuntWrite {
                ran_at: Ts(1_717_000_000_000),
                alerts: &Alerts::from(a.to_vec()),
                retract_alerts: &[],
                campaigns: c,
                campaigns_complete: false,
                targets: &[],
                contacts: &[],
                checkpoints: &[],
            })
            .expect("save");
    }
    eprintln!(
        "filled {n} campaigns in {:.1} s ({url})",
        t.elapsed().as_secs_f64()
    );
    let secret = store
        .create_token(
            &format!("bench-{}", std::process::id()),
            Role::Viewer,
            "api_latency",
        )
        .expect("token")
        .secret;
    if store.is_postgres() {
        // As a live database is after a bulk load (autovacuum would run):
        // statistics gathered, visibility map set.
        let mut c = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
        c.batch_execute("VACUUM ANALYZE").expect("vacuum analyze");
    }
    // The store (its PostgreSQL client) is made and dropped outside the
    // runtime; handlers call it on the blocking pool.
    let store = Arc::new(store);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(measure(store.clone(), secret, requests));
}

async fn measure(store: Arc<Store>, secret: String, requests: usize) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let config = haboob_server::ServerConfig {
        rate: haboob_server::RateLimit {
            per_second: 1e6,
            burst: 1_000_000,
        },
        ..Default::default()
    };
    let app = haboob_server::app(store, config);
    tokio::spawn(haboob_server::serve(listener, app, std::future::pending()));
    let client: Client<_, axum::body::Body> = Client::builder(TokioExecutor::new()).build_http();
    let filters = [
        "campaigns?limit=50",
        "campaigns?severity=high&limit=50",
        "campaigns?severity=medium&status=new&limit=50&offset=5000",
        "campaigns?organisation=org-17&limit=50",
        "campaigns?sector=election&status=new&since=2024-06-01T00:00:00Z&limit=50",
        "campaigns?sector=election&since=2024-06-01T00:00:00Z&until=2024-07-01T00:00:00Z&limit=50",
        "campaigns/c0050000",
        "alerts?limit=50",
        "alerts/a0050000",
        "organisations",
    ];
    println!("| request | requests | p50 ms | p95 ms | p99 ms | max ms | rows | total |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for f in filters {
        let mut times = Vec::with_capacity(requests / filters.len());
        let mut last = serde_json::Value::Null;
        for i in 0..requests / filters.len() {
            let req = axum::http::Request::get(format!("http://{addr}/api/v1/{f}"))
                .header("authorization", format!("Bearer {secret}"))
                .body(axum::body::Body::empty())
                .expect("request");
            let t = Instant::now();
            let resp = client.request(req).await.expect("response");
            assert_eq!(resp.status(), 200);
            let body = axum::body::to_bytes(axum::body::Body::new(resp.into_body()), 64 << 20)
                .await
                .expect("body");
            times.push(t.elapsed());
            if i == 0 {
                last = serde_json::from_slice(&body).expect("json");
            }
        }
        let rows = last["items"].as_array().map(Vec::len).unwrap_or(0);
        let total = last["total"].as_u64().unwrap_or(0);
        let max = times
            .iter()
            .max()
            .copied()
            .unwrap_or_default()
            .as_secs_f64()
            * 1000.0;
        println!(
            "| `{f}` | {} | {:.2} | {:.2} | {:.2} | {:.2} | {rows} | {total} |",
            times.len(),
            pct(&mut times, 0.50),
            pct(&mut times, 0.95),
            pct(&mut times, 0.99),
            max
        );
    }
}
