//! The delivery loop over a real store (SQLite, a temp file) with a real
//! SMTP server (aiosmtpd) and a webhook receiver on loopback: one message per
//! organisation with contacts, none for one without, retry after a refused
//! connection, no duplicate after a restart, one new message per campaign
//! revision, give up when retries are spent.

#[path = "common/fixture.rs"]
mod fixture;
#[path = "common/servers.rs"]
mod servers;

use fixture::{campaign, ts, OHIO, PLANET};
use haboob_hunt::{NotifyConfig, SmtpTls, Targets};
use haboob_model::{Alert, Alerts, Campaign, Contact, Target, Ts};
use haboob_notify::{deliver_due, enqueue, not_queued, plan, Channels, RunSummary};
use haboob_store::{HuntWrite, NotificationQuery, NotificationState, Store};
use servers::{free_port, plain_text, python_or_skip, Receiver, SmtpSink};
use std::path::Path;

const SECRET: &str = "store-test-secret";

fn contacts(webhook: &str) -> Vec<Contact> {
    // Ohio: email and a generic webhook; the Planet has no contacts; Gotham
    // has contacts but is not targeted.
    let text = format!(
        r#"
[[target]]
name = "login.oh.example"
organisation = "{OHIO}"
[[target]]
name = "mail.planet.example"
organisation = "{PLANET}"

[[organisation]]
name = "{OHIO}"
contacts = [
  {{ channel = "email", address = "soc@oh.example" }},
  {{ channel = "webhook", address = "{webhook}" }},
]
[[organisation]]
name = "Gotham Gazette"
contacts = [{{ channel = "email", address = "desk@gotham.example" }}]
"#
    );
    Targets::parse(&text, Path::new("/"), "targets.toml")
        .unwrap()
        .contacts()
}

fn save(store: &Store, c: &Campaign, alerts: &[Alert], contacts: &[Contact]) {
    let targets: Vec<Target> = c.targets.clone();
    store
        .save_hunt(&HuntWrite {
            ran_at: ts("2026-10-04T00:00:00Z"),
            alerts: &Alerts::from(alerts.to_vec()),
            retract_alerts: &[],
            campaigns: std::slice::from_ref(c),
            campaigns_complete: true,
            targets: &targets,
            contacts,
            checkpoints: &[],
        })
        .unwrap();
}

fn cfg(smtp_port: u16) -> NotifyConfig {
    std::env::set_var("HABOOB_TEST_STORE_SECRET", SECRET);
    let mut c = NotifyConfig::default();
    c.smtp.host = "127.0.0.1".into();
    c.smtp.port = smtp_port;
    c.smtp.tls = SmtpTls::None;
    c.smtp.from = "haboob@soc.example".into();
    c.smtp.timeout_secs = 10;
    c.webhook.secret_env = "HABOOB_TEST_STORE_SECRET".into();
    c.reply_to = "soc@cisa.example".into();
    c
}

/// One `haboob notify` run: plan, enqueue, deliver.
fn run(url: &str, contacts: &[Contact], cfg: &NotifyConfig, now: Ts) -> RunSummary {
    // Open the store afresh each run, as each cron run of the command does.
    let store = Store::open(url).unwrap();
    let (planned, campaigns) = plan(&store, contacts, None, cfg).unwrap();
    let mut s = RunSummary {
        campaigns,
        queued: enqueue(&store, &planned, now).unwrap(),
        ..RunSummary::default()
    };
    deliver_due(&store, &Channels::new(cfg), cfg, now, &mut s).unwrap();
    s
}

fn summary(campaigns: u64, queued: u64, sent: u64, retrying: u64, failed: u64) -> RunSummary {
    RunSummary {
        campaigns,
        queued,
        sent,
        retrying,
        failed,
    }
}

#[test]
fn once_per_organisation_and_revision_with_retry_after_a_refused_connection() {
    let Some(py) = python_or_skip("once_per_organisation_and_revision") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("haboob.db").display());
    let rx = Receiver::start(SECRET);
    let contacts = contacts(&rx.url("/hook"));
    let (c, alerts) = campaign();
    save(&Store::open(&url).unwrap(), &c, &alerts, &contacts);
    let port = free_port();
    let cfg = cfg(port);
    let t0 = ts("2026-10-05T08:00:00Z");

    // SMTP server down: the webhook goes, the email waits for its retry.
    let s = run(&url, &contacts, &cfg, t0);
    assert_eq!(s, summary(1, 2, 1, 1, 0));
    let store = Store::open(&url).unwrap();
    let rows = store.notifications(&NotificationQuery::default()).unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows
        .iter()
        .all(|r| r.organisation == OHIO && r.revision == 1));
    let email = rows.iter().find(|r| r.channel == "email").unwrap();
    assert_eq!(email.state, NotificationState::Pending);
    assert_eq!(email.attempts, 1);
    assert_eq!(email.next_attempt_at, ts("2026-10-05T08:01:00Z"));
    assert!(
        email.last_error.as_deref().unwrap().starts_with("smtp:"),
        "{email:?}"
    );
    let hook = rows.iter().find(|r| r.channel == "webhook").unwrap();
    assert_eq!(hook.state, NotificationState::Sent);
    assert_eq!(hook.sent_at, Some(t0));

    // The server comes up; before the retry time nothing is sent.
    let sink = SmtpSink::start(&py, port, &dir.path().join("mail"), None);
    assert_eq!(
        run(&url, &contacts, &cfg, ts("2026-10-05T08:00:30Z")),
        summary(1, 0, 0, 0, 0)
    );
    assert!(sink.messages().is_empty());
    // Past it, the email goes.
    assert_eq!(
        run(&url, &contacts, &cfg, ts("2026-10-05T08:01:00Z")),
        summary(1, 0, 1, 0, 0)
    );
    let mail = sink.messages();
    assert_eq!(mail.len(), 1);
    assert!(mail[0].contains("X-Envelope-To: soc@oh.example\r\n"));
    let text = plain_text(&mail[0]);
    assert!(
        text.contains("alice@oh.example") && !text.contains("clark"),
        "{text}"
    );
    let hooks = rx.hooks();
    assert_eq!(hooks.len(), 1);
    assert!(hooks[0].signature_ok);
    let v: serde_json::Value = serde_json::from_str(&hooks[0].body).unwrap();
    assert_eq!(v["organisation"], OHIO);
    assert_eq!(v["revision"], 1);

    // A restart (fresh store handle, fresh channels) a day later: nothing new.
    assert_eq!(
        run(&url, &contacts, &cfg, ts("2026-10-06T08:00:00Z")),
        summary(1, 0, 0, 0, 0)
    );
    assert_eq!(sink.messages().len(), 1);
    assert_eq!(rx.hooks().len(), 1);

    // The campaign changes (same alerts, more activity): revision 2, one new
    // message per contact.
    let (mut c2, mut alerts2) = campaign();
    alerts2[0].last_seen = ts("2026-10-07T09:00:00Z");
    alerts2[0].count += 60;
    c2.last_seen = alerts2[0].last_seen;
    if let Some(f) = c2.funnel_by_target.get_mut("login.oh.example") {
        f.attempts += 60;
    }
    save(&Store::open(&url).unwrap(), &c2, &alerts2, &contacts);
    let s = run(&url, &contacts, &cfg, ts("2026-10-07T10:00:00Z"));
    assert_eq!(s, summary(1, 2, 2, 0, 0));
    let mail = sink.messages();
    assert_eq!(mail.len(), 2);
    assert!(plain_text(&mail[1]).contains("as of revision 2"));
    assert!(mail[1].contains("rev 2)"), "subject names the revision");
    assert_eq!(rx.hooks().len(), 2);
    // And again nothing on the next run.
    assert_eq!(
        run(&url, &contacts, &cfg, ts("2026-10-08T10:00:00Z")),
        summary(1, 0, 0, 0, 0)
    );
    // Nobody else was told: neither the Planet (no contacts) nor Gotham (not targeted).
    let all = Store::open(&url)
        .unwrap()
        .notifications(&NotificationQuery::default())
        .unwrap();
    assert_eq!(all.len(), 4);
    assert!(all.iter().all(|r| r.organisation == OHIO));
    assert!(sink
        .messages()
        .iter()
        .all(|m| m.contains("X-Envelope-To: soc@oh.example\r\n")));
}

#[test]
fn retries_follow_the_schedule_then_give_up() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("haboob.db").display());
    let rx = Receiver::start(SECRET);
    *rx.status.lock().unwrap() = 503;
    let contacts: Vec<Contact> = contacts(&rx.url("/hook"))
        .into_iter()
        .filter(|c| c.channel == "webhook")
        .collect();
    let (c, alerts) = campaign();
    save(&Store::open(&url).unwrap(), &c, &alerts, &contacts);
    let mut cfg = cfg(free_port());
    cfg.retry_secs = vec![60, 300];
    let t0 = ts("2026-10-05T08:00:00Z");
    assert_eq!(run(&url, &contacts, &cfg, t0), summary(1, 1, 0, 1, 0));
    let at = |s: i64| Ts(t0.0 + s * 1000);
    assert_eq!(run(&url, &contacts, &cfg, at(59)), summary(1, 0, 0, 0, 0));
    assert_eq!(run(&url, &contacts, &cfg, at(60)), summary(1, 0, 0, 1, 0));
    let row = &Store::open(&url)
        .unwrap()
        .notifications(&NotificationQuery::default())
        .unwrap()[0];
    assert_eq!((row.attempts, row.next_attempt_at), (2, at(360)));
    assert_eq!(row.last_error.as_deref(), Some("webhook: HTTP 503"));
    // Third attempt: the schedule is spent, given up.
    assert_eq!(run(&url, &contacts, &cfg, at(360)), summary(1, 0, 0, 0, 1));
    let row = &Store::open(&url)
        .unwrap()
        .notifications(&NotificationQuery::default())
        .unwrap()[0];
    assert_eq!((row.state, row.attempts), (NotificationState::Failed, 3));
    assert_eq!(rx.hooks().len(), 3);
    // Failed stays failed; nothing is queued again for the same revision.
    assert_eq!(
        run(&url, &contacts, &cfg, at(100_000)),
        summary(1, 0, 0, 0, 0)
    );
    assert_eq!(rx.hooks().len(), 3);
}

#[test]
fn below_minimum_severity_closed_and_dry_run_send_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("haboob.db").display());
    let rx = Receiver::start(SECRET);
    let contacts = contacts(&rx.url("/hook"));
    let (c, alerts) = campaign();
    let store = Store::open(&url).unwrap();
    save(&store, &c, &alerts, &contacts);
    let mut cfg = cfg(free_port());
    // Dry run: two would be queued, nothing is written.
    let (planned, _) = plan(&store, &contacts, None, &cfg).unwrap();
    assert_eq!(planned.len(), 2);
    assert_eq!(not_queued(&store, &planned).unwrap().len(), 2);
    assert!(store
        .notifications(&NotificationQuery::default())
        .unwrap()
        .is_empty());
    // The same campaign saved again at medium severity (revision 2): below
    // a minimum of high it is not considered, at medium it is.
    let (mut low, mut low_alerts) = campaign();
    for a in &mut low_alerts {
        a.severity = haboob_model::Severity::Medium;
    }
    low.severity = haboob_model::Severity::Medium;
    save(&store, &low, &low_alerts, &contacts);
    cfg.min_severity = haboob_model::Severity::High;
    assert_eq!(
        run(&url, &contacts, &cfg, ts("2026-10-05T08:00:00Z")),
        summary(0, 0, 0, 0, 0)
    );
    cfg.min_severity = haboob_model::Severity::Medium;
    assert_eq!(
        run(&url, &contacts, &cfg, ts("2026-10-05T08:00:00Z")).queued,
        2
    );
    assert_eq!(rx.hooks().len(), 1);
}
