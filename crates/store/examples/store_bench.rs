//! Store figures for BENCHMARKS.md (run by `bench/store.sh`):
//!
//! ```text
//! store_bench size    URL N        # insert N synthetic alerts, print bytes used
//! store_bench queries URL N REPS   # N synthetic campaigns, then p50/p99 of filtered pages
//! ```
//!
//! `URL` is a fresh store (`sqlite:PATH` or `postgres://…`; for PostgreSQL
//! use a fresh schema with `?options=-c%20search_path%3D<schema>`). The data
//! are deterministic: alerts shaped like `web.scan` / `auth.spray` alerts
//! with three evidence lines of a combined log, campaigns with two targets
//! among 50 organisations and all four severities.

use haboob_model::{
    Alert, AlertSource, Alerts, Campaign, Evidence, Funnel, Severity, Target, TargetSector, Ts,
};
use haboob_store::{CampaignQuery, HuntWrite, Status, Store};
use std::collections::BTreeMap;
use std::time::Instant;

const T0: i64 = 1_788_220_800_000; // 2026-09-01
const SEV: [Severity; 4] = [
    Severity::Low,
    Severity::Medium,
    Severity::High,
    Severity::Critical,
];
const SECTORS: [TargetSector; 5] = TargetSector::ALL;
const DETECTORS: [&str; 6] = [
    "web.scan",
    "web.sensitive",
    "web.exploit",
    "auth.spray",
    "auth.enumeration",
    "auth.takeover",
];
const UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36";

fn ip(i: u64) -> std::net::IpAddr {
    std::net::Ipv4Addr::new(10, (i >> 16) as u8, (i >> 8) as u8, i as u8).into()
}

fn alert(i: u64) -> Alert {
    let det = DETECTORS[(i % 6) as usize];
    let site = format!("site{}.example.org", i % 200);
    let src = ip(i * 7919 % 1_000_003);
    let first = T0 + (i as i64) * 1_000;
    let mut details = haboob_model::Details::new();
    details.insert("distinct_paths".into(), serde_json::json!(12 + i % 40));
    details.insert("error_ratio".into(), serde_json::json!(0.91));
    details.insert("user_agent".into(), serde_json::json!(UA));
    if det.starts_with("auth.") {
        let users: Vec<String> = (0..3)
            .map(|k| format!("user{}@org{}.example", (i + k) % 5000, i % 50))
            .collect();
        details.insert("users_attacked".into(), serde_json::json!(users));
    }
    Alert {
        id: format!("al-{i:010}"),
        detector: det.into(),
        title: format!("{det} by {src} against {site}"),
        techniques: vec!["T1595.002".into()],
        severity: SEV[(i % 4) as usize],
        source: AlertSource {
            ip: Some(src),
            prefix: None,
            members: Vec::new(),
        },
        target: site.clone(),
        user: None,
        first_seen: Ts(first),
        last_seen: Ts(first + 600_000),
        count: 40 + i % 100,
        details,
        evidence: (0..3)
            .map(|k| Evidence {
                file: "/var/log/nginx/access.log".into(),
                line: i * 10 + k,
                raw: format!(
                    "{src} - - [01/Sep/2026:00:00:{:02} +0000] \"GET /.env.{k} HTTP/1.1\" 404 153 \"-\" \"{UA}\"",
                    k * 7
                ),
            })
            .collect(),
    }
}

fn campaign(i: u64) -> Campaign {
    let first = T0 + (i as i64) * 60_000;
    let targets: Vec<Target> = (0..2)
        .map(|k| {
            let n = (i * 3 + k) % 400;
            Target {
                name: format!("site{n}.example.org"),
                organisation: Some(format!("Org {}", n % 50)),
                sector: SECTORS[(n % 5) as usize],
                region: Some(format!("R{}", n % 10)),
            }
        })
        .collect();
    let funnel = i.is_multiple_of(3).then_some(Funnel {
        attempts: 100 + i % 900,
        probed: 50,
        identified: 10,
        attacked: 5,
        compromised: i % 2,
    });
    Campaign {
        id: format!("ca-{i:010}"),
        summary: format!(
            "2 sources scanned {} and {}",
            targets[0].name, targets[1].name
        ),
        severity: SEV[(i * 7 % 4) as usize],
        sources: vec![ip(i), ip(i + 1)],
        targets,
        alerts: (0..3).map(|k| format!("al-{:010}", i * 3 + k)).collect(),
        detectors: vec!["web.scan".into(), "web.sensitive".into()],
        techniques: vec!["T1595.002".into()],
        reasons: vec![format!("same source {}", ip(i))],
        first_seen: Ts(first),
        last_seen: Ts(first + 3_600_000 * (1 + (i % 48) as i64)),
        funnel,
        funnel_by_target: BTreeMap::new(),
        compromised: Vec::new(),
        actors: Vec::new(),
        attribution: Vec::new(),
        stages: Vec::new(),
        tools: Vec::new(),
    }
}

fn write<'a>(alerts: &'a Alerts, campaigns: &'a [Campaign]) -> HuntWrite<'a> {
    HuntWrite {
        ran_at: Ts(T0),
        alerts,
        retract_alerts: &[],
        campaigns,
        campaigns_complete: false,
        targets: &[],
        contacts: &[],
        checkpoints: &[],
    }
}

const CHUNK: u64 = 10_000;

fn size(store: &Store, url: &str, n: u64) -> Result<(), Box<dyn std::error::Error>> {
    let t = Instant::now();
    let mut i = 0;
    while i < n {
        let alerts: Alerts = (i..(i + CHUNK).min(n)).map(alert).collect();
        store.save_hunt(&write(&alerts, &[]))?;
        i += CHUNK;
    }
    let secs = t.elapsed().as_secs_f64();
    let bytes = used_bytes(store, url)?;
    println!(
        "alerts={n} insert_secs={secs:.1} alerts_per_sec={:.0} bytes={bytes} bytes_per_alert={:.0} mib_per_million={:.0}",
        n as f64 / secs,
        bytes as f64 / n as f64,
        bytes as f64 / n as f64 * 1e6 / 1048576.0
    );
    Ok(())
}

fn used_bytes(store: &Store, url: &str) -> Result<u64, Box<dyn std::error::Error>> {
    if store.is_postgres() {
        let mut c = postgres::Client::connect(url, postgres::NoTls)?;
        c.batch_execute("VACUUM ANALYZE")?;
        let n: i64 = c
            .query_one(
                "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = current_schema() AND c.relkind = 'r'",
                &[],
            )?
            .get(0);
        Ok(n as u64)
    } else {
        let path = url.strip_prefix("sqlite:").unwrap_or(url);
        let conn = rusqlite::Connection::open(path)?;
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(std::fs::metadata(path)?.len())
    }
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i]
}

/// A query kind: repetition number → query.
type QueryOf = Box<dyn Fn(u32) -> CampaignQuery>;

fn queries(store: &Store, url: &str, n: u64, reps: u32) -> Result<(), Box<dyn std::error::Error>> {
    let t = Instant::now();
    let mut i = 0;
    while i < n {
        let campaigns: Vec<Campaign> = (i..(i + CHUNK).min(n)).map(campaign).collect();
        store.save_hunt(&write(&Alerts::default(), &campaigns))?;
        i += CHUNK;
    }
    println!("campaigns={n} insert_secs={:.1}", t.elapsed().as_secs_f64());
    // As a live database is: statistics gathered, PostgreSQL's visibility
    // map set (autovacuum would have run after a bulk load like this one).
    used_bytes(store, url)?;
    let mid = Ts(T0 + (n as i64) * 30_000);
    let kinds: Vec<(&str, QueryOf)> = vec![
        (
            "first page (no filter)",
            Box::new(|_| CampaignQuery::default()),
        ),
        (
            "severity >= high",
            Box::new(|_| CampaignQuery {
                min_severity: Some(Severity::High),
                ..Default::default()
            }),
        ),
        (
            "organisation",
            Box::new(|r| CampaignQuery {
                organisation: Some(format!("Org {}", r % 50)),
                ..Default::default()
            }),
        ),
        (
            "sector + status + since",
            Box::new(move |r| CampaignQuery {
                sector: Some(SECTORS[(r % 5) as usize]),
                status: Some(Status::New),
                since: Some(mid),
                ..Default::default()
            }),
        ),
        (
            "severity, page 100 (offset 5000)",
            Box::new(|_| CampaignQuery {
                min_severity: Some(Severity::Medium),
                offset: 5_000,
                ..Default::default()
            }),
        ),
    ];
    for (name, q) in kinds {
        let mut ms = Vec::with_capacity(reps as usize);
        let mut total = 0;
        for r in 0..reps {
            let q = q(r);
            let t = Instant::now();
            let p = store.campaigns(&q)?;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            total = p.total;
            assert!(p.items.len() <= 50);
        }
        println!(
            "query={name:?} matching={total} p50_ms={:.2} p99_ms={:.2}",
            pct(&mut ms, 0.5),
            pct(&mut ms, 0.99)
        );
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: store_bench size URL N | store_bench queries URL N REPS";
    let (Some(cmd), Some(url), Some(n)) = (args.get(1), args.get(2), args.get(3)) else {
        return Err(usage.into());
    };
    let n: u64 = n.parse()?;
    let store = Store::open(url)?;
    match cmd.as_str() {
        "size" => size(&store, url, n),
        "queries" => {
            let reps: u32 = args.get(4).map_or(Ok(100), |s| s.parse())?;
            queries(&store, url, n, reps)
        }
        _ => Err(usage.into()),
    }
}
