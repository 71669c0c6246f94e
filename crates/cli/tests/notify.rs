//! `haboob notify` end to end: a store holding a campaign against two
//! organisations, contacts from targets.toml, a webhook receiver on
//! loopback, an SMTP port with no server; dry run, delivery, retry, give-up
//! and exit codes.

mod common;
#[path = "../../notify/tests/common/fixture.rs"]
mod fixture;
#[path = "../../notify/tests/common/servers.rs"]
mod servers;

use common::haboob;
use haboob_store::{HuntWrite, NotificationQuery, NotificationState, Store, StoreError};

const SECRET: &str = "cli-notify-secret";

#[test]
fn notify_dry_run_then_send_retry_and_give_up() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("haboob.db");
    let url = format!("sqlite:{}", db.display());
    let store = match Store::open(&url) {
        Ok(s) => s,
        Err(StoreError::Unsupported(why)) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("skipped notify_dry_run_then_send_retry_and_give_up: store {why}");
            return;
        }
        Err(e) => panic!("{e}"),
    };
    let rx = servers::Receiver::start(SECRET);
    let smtp_port = servers::free_port();
    let targets = dir.path().join("targets.toml");
    std::fs::write(
        &targets,
        format!(
            "[[organisation]]\nname = \"{}\"\ncontacts = [{{ channel = \"email\", address = \"soc@oh.example\" }}, {{ channel = \"webhook\", address = \"{}\" }}]\n",
            fixture::OHIO,
            rx.url("/hook")
        ),
    )
    .unwrap();
    let config = dir.path().join("haboob.toml");
    let write_config = |retry: &str| {
        std::fs::write(
            &config,
            format!(
                "[notify]\nretry_secs = {retry}\nreply_to = \"soc@cisa.example\"\n[notify.smtp]\nhost = \"127.0.0.1\"\nport = {smtp_port}\ntls = \"none\"\nfrom = \"haboob@soc.example\"\ntimeout_secs = 5\n[notify.webhook]\nsecret_env = \"HABOOB_CLI_TEST_SECRET\"\n"
            ),
        )
        .unwrap();
    };
    write_config("[60]");
    let (c, alerts) = fixture::campaign();
    store
        .save_hunt(&HuntWrite {
            ran_at: fixture::ts("2026-10-04T00:00:00Z"),
            alerts: &haboob_model::Alerts::from(alerts),
            retract_alerts: &[],
            campaigns: std::slice::from_ref(&c),
            campaigns_complete: true,
            targets: &c.targets,
            contacts: &[],
            checkpoints: &[],
        })
        .unwrap();
    drop(store);
    let notify = |now: &str, extra: &[&str]| {
        let mut cmd = haboob();
        cmd.args(["notify", "--store", &url, "--config"])
            .arg(&config)
            .arg("--targets")
            .arg(&targets)
            .args(["--now", now])
            .args(extra)
            .env("HABOOB_CLI_TEST_SECRET", SECRET);
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };

    // Dry run: lists the two messages, writes and sends nothing.
    let (code, stdout, stderr) = notify("2026-10-05T08:00:00Z", &["--dry-run"]);
    assert_eq!(code, Some(0), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].starts_with("would queue\tcp-0123456789abcdef\trev 1\tOhio Secretary of State\temail:soc@oh.example\t[haboob] CRITICAL: Ohio Secretary of State targeted"), "{stdout}");
    assert!(lines[1].contains("\twebhook:http://127.0.0.1:"), "{stdout}");
    assert!(
        stderr.contains("2 would be queued, 0 queued and due; nothing changed"),
        "{stderr}"
    );
    assert!(rx.hooks().is_empty());
    let rows = || {
        Store::open(&url)
            .unwrap()
            .notifications(&NotificationQuery::default())
            .unwrap()
    };
    assert!(rows().is_empty());

    // Real run: the webhook goes, the email (no server) waits for a retry.
    let (code, _, stderr) = notify("2026-10-05T08:00:00Z", &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("notify: 1 campaigns, 2 contacts, 2 queued, 1 sent, 1 to retry, 0 failed"),
        "{stderr}"
    );
    assert_eq!(rx.hooks().len(), 1);
    assert!(rx.hooks()[0].signature_ok);

    // The retry is spent on the next due run: given up, exit 1.
    let (code, _, stderr) = notify("2026-10-05T08:01:00Z", &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("0 queued, 0 sent, 0 to retry, 1 failed"),
        "{stderr}"
    );
    let email = rows().into_iter().find(|r| r.channel == "email").unwrap();
    assert_eq!(
        (email.state, email.attempts),
        (NotificationState::Failed, 2)
    );

    // Nothing more to do afterwards.
    let (code, _, stderr) = notify("2026-10-06T08:00:00Z", &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("0 queued, 0 sent, 0 to retry, 0 failed"),
        "{stderr}"
    );
    assert_eq!(rx.hooks().len(), 1);
}

#[test]
fn notify_refuses_bad_contacts_with_file_and_organisation() {
    let dir = tempfile::tempdir().unwrap();
    let targets = dir.path().join("targets.toml");
    std::fs::write(
        &targets,
        "[[organisation]]\nname = \"Acme\"\ncontacts = [{ channel = \"fax\", address = \"+1 555\" }]\n",
    )
    .unwrap();
    let out = haboob()
        .args([
            "notify",
            "--store",
            &format!("sqlite:{}", dir.path().join("s.db").display()),
            "--targets",
        ])
        .arg(&targets)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("targets.toml: organisation \"Acme\": contact 1: "),
        "{err}"
    );
}
