//! The console in a real browser: headless Chromium driven over WebDriver
//! (chromedriver) by fantoccini, against a SQLite store filled from a
//! simulated hunt. Logs in with a token, opens a campaign, checks its
//! funnel figures and an evidence line against the store, moves its status
//! and takes screenshots (campaign list, campaign page, organisation page)
//! into `$HABOOB_SCREENSHOTS` or `target/screenshots/`.
//!
//! Skipped (with a `skipped` line) when chromedriver is absent, except
//! under `CI=true`, where that is a failure (`scripts/ci/chromium.sh`
//! installs it).

use fantoccini::{Client, ClientBuilder, Locator};
use haboob_hunt::{HuntOptions, Targets};
use haboob_model::Target;
use haboob_store::{CampaignQuery, HuntWrite, Role, Status, Store};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn find(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path).chain([
        PathBuf::from("/usr/bin"),
        PathBuf::from("/usr/lib/chromium"),
    ]) {
        for n in names {
            let p = dir.join(n);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Simulate the account campaign and two web scenarios for a few days,
/// hunt them, save the results.
fn fill_store(dir: &Path, store: &Store) {
    use haboob_simulate::Scenario;
    let mut targets = Targets::default();
    for (scenario, name) in [
        (Scenario::AccountCampaign, "signin"),
        (Scenario::ElectionRecon, "web"),
        (Scenario::ElectionActor, "actor"),
    ] {
        let logs = dir.join("logs").join(name);
        let mut opts = haboob_simulate::SimOptions::new(scenario, &logs);
        opts.days = 4;
        opts.rate = 100;
        opts.bytes = 0;
        haboob_simulate::simulate(&opts).expect("simulate");
        targets.extend(Targets::load(&logs.join("targets.toml")).expect("targets"));
    }
    let d = haboob_ingest::discover_all(&[dir.join("logs").display().to_string()]);
    let inputs: Vec<_> = d
        .inputs
        .into_iter()
        .filter(|i| match i {
            haboob_ingest::Input::File(p) => {
                p.extension().is_none_or(|e| e != "toml") && !p.ends_with("labels.jsonl")
            }
            haboob_ingest::Input::Stdin => false,
        })
        .collect();
    let report = haboob_hunt::hunt(
        &inputs,
        &HuntOptions {
            targets,
            ..HuntOptions::default()
        },
        &|_| {},
    );
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(
        report.campaigns.iter().any(|c| c.funnel.is_some()),
        "a sign-in campaign"
    );
    let mut seen: Vec<Target> = report
        .campaigns
        .iter()
        .flat_map(|c| c.targets.clone())
        .collect();
    seen.sort();
    seen.dedup();
    store
        .save_hunt(&HuntWrite {
            ran_at: haboob_model::Ts(1_717_000_000_000),
            alerts: &report.alerts,
            retract_alerts: &[],
            campaigns: &report.campaigns,
            campaigns_complete: true,
            targets: &seen,
            contacts: &[],
            checkpoints: &[],
        })
        .expect("save");
}

async fn text(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .expect("text")
        .trim()
        .to_string()
}

async fn shot(c: &Client, dir: &Path, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    assert!(png.starts_with(b"\x89PNG"), "{name} is a PNG");
    std::fs::write(dir.join(name), png).expect("write screenshot");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_in_headless_chromium() {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let (Some(driver), Some(chromium)) = (
        find(&["chromedriver"]),
        find(&["chromium", "chromium-browser"]),
    ) else {
        assert!(
            !ci,
            "chromedriver and chromium are required under CI=true (scripts/ci/chromium.sh)"
        );
        println!("skipped: console_in_headless_chromium (no chromedriver or chromium; run scripts/ci/chromium.sh)");
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let store = Store::open(&format!(
        "sqlite:{}",
        tmp.path().join("haboob.db").display()
    ))
    .expect("store");
    fill_store(tmp.path(), &store);
    let secret = store
        .create_token("browser", Role::Analyst, "test")
        .expect("token")
        .secret;
    let store = Arc::new(store);
    let rows = store
        .campaigns(&CampaignQuery::default())
        .expect("campaigns")
        .items;
    let row = rows
        .iter()
        .find(|r| r.funnel.is_some_and(|f| f.identified > 0))
        .expect("a campaign with a funnel")
        .clone();
    let detail = store.campaign(&row.id).expect("campaign").expect("exists");
    let funnel = detail.campaign.funnel.expect("funnel");
    let evidence = detail
        .alerts
        .iter()
        .flat_map(|a| a.evidence.first())
        .next()
        .expect("evidence")
        .clone();
    let org = row.organisations.first().expect("an organisation").clone();

    // The server, in-process on a free port.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let app = haboob_server::app(store.clone(), haboob_server::ServerConfig::default());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(haboob_server::serve(listener, app, async {
        let _ = stopped.await;
    }));

    // chromedriver on a free loopback port.
    let port = free_port();
    let _driver = Driver(
        Command::new(&driver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    let profile = tempfile::tempdir().expect("profile");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1400,1000",
                format!("--user-data-dir={}", profile.path().display())],
        }),
    );
    let start = Instant::now();
    let c = loop {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => break c,
            Err(e) if start.elapsed() < Duration::from_secs(30) => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("chromedriver did not answer: {e}"),
        }
    };
    let shots = std::env::var_os("HABOOB_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots"));
    std::fs::create_dir_all(&shots).expect("screenshot folder");

    // Anonymous: sent to the login page.
    c.goto(&format!("{base}/campaigns")).await.expect("goto");
    assert!(c
        .current_url()
        .await
        .expect("url")
        .path()
        .ends_with("/login"));
    c.find(Locator::Css("#token"))
        .await
        .expect("token field")
        .send_keys(&secret)
        .await
        .expect("type");
    c.find(Locator::Css("#login-submit"))
        .await
        .expect("button")
        .click()
        .await
        .expect("click");
    c.wait()
        .for_element(Locator::Css("table.campaigns"))
        .await
        .expect("campaign list");
    assert_eq!(c.current_url().await.expect("url").path(), "/campaigns");
    shot(&c, &shots, "campaigns.png").await;

    // The campaign page shows the store's funnel and evidence.
    c.find(Locator::Css(&format!(
        "a.campaign-link[href='/campaigns/{}']",
        row.id
    )))
    .await
    .expect("link")
    .click()
    .await
    .expect("open");
    c.wait()
        .for_element(Locator::Css("#funnel-identified"))
        .await
        .expect("campaign page");
    assert_eq!(
        text(&c, "#funnel-identified").await,
        funnel.identified.to_string()
    );
    assert_eq!(
        text(&c, "#funnel-attacked").await,
        funnel.attacked.to_string()
    );
    assert_eq!(
        text(&c, "#funnel-compromised").await,
        funnel.compromised.to_string()
    );
    let raws = c
        .find_all(Locator::Css("li.evidence-line code.raw"))
        .await
        .expect("evidence");
    let mut shown = Vec::new();
    for r in raws {
        shown.push(
            r.prop("textContent")
                .await
                .expect("text")
                .unwrap_or_default(),
        );
    }
    assert!(
        shown.contains(&evidence.raw),
        "evidence line {:?} on the page",
        evidence.raw
    );
    assert_eq!(text(&c, "#status").await, "new");
    c.set_window_size(1400, 2400).await.expect("taller window");
    shot(&c, &shots, "campaign.png").await;
    c.set_window_size(1400, 1000).await.expect("window");

    // Move it along the workflow.
    c.find(Locator::Css("#to-triaged"))
        .await
        .expect("button")
        .click()
        .await
        .expect("triage");
    c.wait()
        .for_element(Locator::Css("#status [data-status='triaged']"))
        .await
        .expect("new status");
    assert_eq!(text(&c, "#status").await, "triaged");
    assert_eq!(
        store
            .campaign(&row.id)
            .expect("read")
            .expect("exists")
            .state
            .status,
        Status::Triaged
    );

    // The organisation page.
    c.goto(&format!("{base}/organisations"))
        .await
        .expect("goto");
    let link = c
        .find(Locator::Css(&format!(
            "a.org-link[href='/organisations/{}']",
            encode(&org)
        )))
        .await
        .expect("org link");
    link.click().await.expect("open org");
    c.wait()
        .for_element(Locator::Css("#org-compromised"))
        .await
        .expect("org page");
    shot(&c, &shots, "organisation.png").await;

    c.close().await.expect("close");
    let _ = stop.send(());
    server.await.expect("join").expect("serve");
    println!("screenshots in {}", shots.display());
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
