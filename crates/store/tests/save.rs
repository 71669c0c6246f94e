//! Saving hunts: exact round trips of real alerts and campaigns, upsert
//! idempotence, revisions, superseding with analyst state carried over,
//! retraction, checkpoints, hostile text, and migrations.

mod common;

use common::{fixture, write, TestStore, RAN_AT};
use haboob_model::{Alert, Alerts, Campaign, Evidence, Severity, Ts};
use haboob_store::{
    Action, CampaignQuery, HuntWrite, Principal, Role, SaveSummary, Status, Store, StoreError,
    MAX_TEXT_BYTES,
};
use std::collections::BTreeSet;

fn analyst() -> Principal {
    Principal {
        name: "alice".into(),
        role: Role::Analyst,
    }
}

fn round_trip(t: &TestStore) {
    let f = fixture();
    let ids: BTreeSet<&str> = f.alerts.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids.len(), f.alerts.len(), "alert ids are unique");
    assert!(f
        .campaigns
        .iter()
        .any(|c| c.funnel.is_some_and(|f| f.compromised > 0)));
    assert!(f.alerts.iter().any(|a| a.evidence.len() > 1));
    assert!(
        f.campaigns.iter().any(|c| !c.tools.is_empty()),
        "some campaign names a tool (its round trip is checked)"
    );
    let sum = t.save_hunt(&write(f)).unwrap();
    assert_eq!(
        sum,
        SaveSummary {
            alerts_new: f.alerts.len() as u64,
            alerts_updated: 0,
            campaigns_new: f.campaigns.len() as u64,
            campaigns_updated: 0,
        }
    );
    for a in &f.alerts {
        assert_eq!(t.alert(&a.id).unwrap().as_ref(), Some(a), "alert {}", a.id);
        assert_eq!(t.evidence(&a.id).unwrap(), a.evidence);
    }
    let mut want: Vec<&Alert> = f.alerts.iter().collect();
    want.sort_by(|a, b| (a.first_seen, &a.id).cmp(&(b.first_seen, &b.id)));
    let all = t.all_alerts().unwrap();
    assert_eq!(all.iter().collect::<Vec<_>>(), want);
    for c in &f.campaigns {
        let d = t.campaign(&c.id).unwrap().expect("stored campaign");
        assert_eq!(&d.campaign, c);
        assert_eq!(d.state.revision, 1);
        assert_eq!(d.state.status, Status::New);
        assert_eq!(d.state.superseded_by, None);
        assert_eq!(d.state.updated_at, RAN_AT);
        let member: BTreeSet<&str> = c.alerts.iter().map(String::as_str).collect();
        let alerts: Vec<&Alert> = want
            .iter()
            .copied()
            .filter(|a| member.contains(a.id.as_str()))
            .collect();
        assert_eq!(d.alerts.iter().collect::<Vec<_>>(), alerts);
        assert!(d.notes.is_empty() && d.notifications.is_empty());
    }
    assert_eq!(t.campaign("no-such-campaign").unwrap(), None);
    assert_eq!(t.alert("no-such-alert").unwrap(), None);
}

fn saving_twice_changes_nothing(t: &TestStore) {
    let f = fixture();
    t.save_hunt(&write(f)).unwrap();
    let before = t
        .campaigns(&CampaignQuery {
            limit: 500,
            ..Default::default()
        })
        .unwrap();
    let mut again = write(f);
    again.ran_at = Ts(RAN_AT.0 + 86_400_000);
    assert_eq!(t.save_hunt(&again).unwrap(), SaveSummary::default());
    let after = t
        .campaigns(&CampaignQuery {
            limit: 500,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(before, after);
    assert!(after.items.iter().all(|c| c.state.revision == 1));
    assert_eq!(after.total, f.campaigns.len() as u64);
}

fn revision_bumps_when_content_changes(t: &TestStore) {
    let f = fixture();
    t.save_hunt(&write(f)).unwrap();
    let mut campaigns = f.campaigns.clone();
    let changed = campaigns[0].id.clone();
    campaigns[0].last_seen = Ts(campaigns[0].last_seen.0 + 3_600_000);
    campaigns[0].summary.push_str(" (extended)");
    let mut alerts = f.alerts.clone();
    let a = alerts
        .iter_mut()
        .find(|a| a.evidence.len() > 1)
        .expect("an alert with evidence");
    a.count += 7;
    a.evidence.truncate(1);
    let a = a.clone();
    let alerts = Alerts::from(alerts);
    let later = Ts(RAN_AT.0 + 60_000);
    let w = HuntWrite {
        ran_at: later,
        alerts: &alerts,
        campaigns: &campaigns,
        ..write(f)
    };
    assert_eq!(
        t.save_hunt(&w).unwrap(),
        SaveSummary {
            alerts_new: 0,
            alerts_updated: 1,
            campaigns_new: 0,
            campaigns_updated: 1,
        }
    );
    let d = t.campaign(&changed).unwrap().unwrap();
    assert_eq!(d.campaign, campaigns[0]);
    assert_eq!(d.state.revision, 2);
    assert_eq!(d.state.updated_at, later);
    for c in &campaigns[1..] {
        assert_eq!(t.campaign(&c.id).unwrap().unwrap().state.revision, 1);
    }
    assert_eq!(t.alert(&a.id).unwrap(), Some(a.clone()));
    assert_eq!(t.evidence(&a.id).unwrap().len(), 1);
    // The same content again: no further revision.
    assert_eq!(t.save_hunt(&w).unwrap(), SaveSummary::default());
    assert_eq!(t.campaign(&changed).unwrap().unwrap().state.revision, 2);
}

/// A regrouping: campaign X is replaced by Y holding X's alerts and one more.
fn complete_set_supersedes_and_carries_state(t: &TestStore) {
    let f = fixture();
    t.save_hunt(&write(f)).unwrap();
    let (x, rest) = f.campaigns.split_first().unwrap();
    let other = rest
        .iter()
        .find(|c| c.alerts.iter().all(|a| !x.alerts.contains(a)))
        .expect("a campaign sharing no alert with X");
    t.act(
        &analyst(),
        &x.id,
        &Action::SetStatus {
            status: Status::Triaged,
        },
    )
    .unwrap();
    t.act(
        &analyst(),
        &x.id,
        &Action::Assign {
            assignee: Some("alice".into()),
        },
    )
    .unwrap();
    t.act(
        &analyst(),
        &x.id,
        &Action::Note {
            text: "looks like the spring actor".into(),
        },
    )
    .unwrap();
    let mut y = x.clone();
    y.id = format!("{}-regrouped", x.id);
    y.alerts.push(other.alerts[0].clone());
    let mut campaigns: Vec<Campaign> = rest.iter().filter(|c| c.id != other.id).cloned().collect();
    campaigns.push(y.clone());
    // Not complete: nothing is superseded.
    let partial = HuntWrite {
        campaigns: &campaigns,
        campaigns_complete: false,
        ..write(f)
    };
    t.save_hunt(&partial).unwrap();
    assert_eq!(
        t.campaign(&x.id).unwrap().unwrap().state.superseded_by,
        None
    );
    // Complete: X is superseded by Y (most shared alerts); `other` too (one shared alert).
    let full = HuntWrite {
        campaigns: &campaigns,
        ..write(f)
    };
    let sum = t.save_hunt(&full).unwrap();
    assert_eq!(sum.campaigns_new, 0, "Y was stored by the partial save");
    let dx = t.campaign(&x.id).unwrap().unwrap();
    assert_eq!(dx.state.superseded_by.as_deref(), Some(y.id.as_str()));
    let d_other = t.campaign(&other.id).unwrap().unwrap();
    assert_eq!(d_other.state.superseded_by.as_deref(), Some(y.id.as_str()));
    let dy = t.campaign(&y.id).unwrap().unwrap();
    assert_eq!(dy.state.status, Status::Triaged);
    assert_eq!(dy.state.assignee.as_deref(), Some("alice"));
    assert_eq!(dy.state.superseded_by, None);
    assert_eq!(dy.notes.len(), 1);
    assert_eq!(dy.notes[0].text, "looks like the spring actor");
    assert_eq!(dy.notes[0].author, "alice");
    let live: BTreeSet<String> = t
        .campaigns(&CampaignQuery {
            limit: 500,
            ..Default::default()
        })
        .unwrap()
        .items
        .into_iter()
        .map(|c| c.id)
        .collect();
    let want: BTreeSet<String> = campaigns.iter().map(|c| c.id.clone()).collect();
    assert_eq!(live, want);
    let with_old = t
        .campaigns(&CampaignQuery {
            include_superseded: true,
            limit: 500,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(with_old.total, want.len() as u64 + 2);
}

fn retracted_alerts_are_gone(t: &TestStore) {
    let f = fixture();
    t.save_hunt(&write(f)).unwrap();
    let gone = f.alerts.iter().find(|a| !a.evidence.is_empty()).unwrap();
    let w = HuntWrite {
        alerts: &Alerts::default(),
        campaigns: &[],
        campaigns_complete: false,
        retract_alerts: std::slice::from_ref(&gone.id),
        ..write(f)
    };
    assert_eq!(t.save_hunt(&w).unwrap(), SaveSummary::default());
    assert_eq!(t.alert(&gone.id).unwrap(), None);
    assert!(t.evidence(&gone.id).unwrap().is_empty());
    assert_eq!(t.all_alerts().unwrap().len(), f.alerts.len() - 1);
}

fn checkpoints_round_trip(t: &TestStore) {
    let blob: Vec<u8> = (0..=255u8).chain([0, 0, 255]).collect();
    let cps: [(&str, &[u8]); 2] = [("read/access.log", b"offset=42"), ("detect/state", &blob)];
    let w = HuntWrite {
        ran_at: RAN_AT,
        alerts: &Alerts::default(),
        retract_alerts: &[],
        campaigns: &[],
        campaigns_complete: false,
        targets: &[],
        contacts: &[],
        checkpoints: &cps,
    };
    t.save_hunt(&w).unwrap();
    assert_eq!(
        t.checkpoint("read/access.log").unwrap().as_deref(),
        Some(&b"offset=42"[..])
    );
    assert_eq!(t.checkpoint("detect/state").unwrap(), Some(blob.clone()));
    assert_eq!(t.checkpoint("missing").unwrap(), None);
    let cps2: [(&str, &[u8]); 1] = [("read/access.log", b"offset=99")];
    t.save_hunt(&HuntWrite {
        checkpoints: &cps2,
        ..w
    })
    .unwrap();
    assert_eq!(
        t.checkpoint("read/access.log").unwrap().as_deref(),
        Some(&b"offset=99"[..])
    );
}

const HOSTILE: &str =
    "'); DROP TABLE alerts;-- \" \\ %_ ? $1 <script>alert(1)</script> Ωmega 🚩 \u{202e}txt.exe";

fn hostile_alert() -> Alert {
    let mut details = haboob_model::Details::new();
    details.insert("user_agent".into(), serde_json::json!(HOSTILE));
    details.insert("users_attacked".into(), serde_json::json!([HOSTILE]));
    Alert {
        id: format!("hostile-{HOSTILE}"),
        detector: "web.scan".into(),
        title: format!("scan by {HOSTILE}"),
        techniques: vec!["T1595".into()],
        severity: Severity::High,
        source: haboob_model::AlertSource {
            ip: Some("2001:db8::1".parse().unwrap()),
            prefix: Some("2001:db8::/64".into()),
            members: vec![],
        },
        target: format!("site-{HOSTILE}"),
        user: Some(HOSTILE.into()),
        first_seen: Ts(1_000),
        last_seen: Ts(2_000),
        count: 3,
        details,
        evidence: vec![Evidence {
            file: format!("/var/log/{HOSTILE}.log"),
            line: 7,
            raw: format!("GET /{HOSTILE} HTTP/1.1"),
        }],
    }
}

fn hostile_strings_round_trip(t: &TestStore) {
    let a = hostile_alert();
    let mut huge = a.clone();
    huge.id = "huge".into();
    huge.user = None;
    huge.details.remove("users_attacked");
    huge.title = "é".repeat(512 * 1024); // 1 MiB of two-byte characters
    huge.details
        .insert("blob".into(), serde_json::json!("x".repeat(1 << 20)));
    let alerts = Alerts::from(vec![a.clone(), huge]);
    let w = HuntWrite {
        ran_at: RAN_AT,
        alerts: &alerts,
        retract_alerts: &[],
        campaigns: &[],
        campaigns_complete: false,
        targets: &[],
        contacts: &[],
        checkpoints: &[],
    };
    assert_eq!(t.save_hunt(&w).unwrap().alerts_new, 2);
    assert_eq!(t.alert(&a.id).unwrap(), Some(a.clone()));
    let q = |user: &str| haboob_store::AlertQuery {
        user: Some(user.into()),
        ..Default::default()
    };
    assert_eq!(t.alerts(&q(HOSTILE)).unwrap().total, 1);
    let h = t.alert("huge").unwrap().unwrap();
    assert!(h.title.len() <= MAX_TEXT_BYTES && h.title.len() > MAX_TEXT_BYTES - 2);
    assert!(h.title.chars().all(|c| c == 'é'));
    assert_eq!(h.details["blob"].as_str().unwrap().len(), MAX_TEXT_BYTES);
    // Saving the same oversized alert again is not a change.
    assert_eq!(t.save_hunt(&w).unwrap(), SaveSummary::default());
    assert_eq!(
        t.all_alerts().unwrap().len(),
        2,
        "the alerts table is intact"
    );
}

fn migrations_and_newer_schema(t: &TestStore) {
    assert_eq!(t.schema_version().unwrap(), 8);
    // Reopening migrates nothing and keeps the data.
    t.save_hunt(&write(fixture())).unwrap();
    let again = Store::open(&t.url).unwrap();
    assert_eq!(again.schema_version().unwrap(), 8);
    assert_eq!(again.all_alerts().unwrap().len(), fixture().alerts.len());
    // A database from a newer haboob is refused.
    let bump = "INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)";
    match &t.path {
        Some(p) => {
            rusqlite::Connection::open(p)
                .unwrap()
                .execute(bump, [])
                .unwrap();
        }
        None => {
            let mut c = postgres::Client::connect(&t.url, postgres::NoTls).unwrap();
            c.batch_execute(bump).unwrap();
        }
    }
    match Store::open(&t.url) {
        Err(StoreError::SchemaTooNew { found, known }) => assert_eq!((found, known), (999, 8)),
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
}

/// A database left at version 1 by an older haboob, with a campaign in it,
/// is migrated to the latest version on open: its campaign filters by sector
/// (version 2) and reads as unattributed (version 3).
fn migrates_a_version_1_database(t: &TestStore) {
    // Start over from an empty database at version 1 only.
    let v1 = include_str!("../migrations/0001_init.sql");
    let (id, blob) = if t.path.is_some() {
        ("INTEGER PRIMARY KEY AUTOINCREMENT", "BLOB")
    } else {
        (
            "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
            "BYTEA",
        )
    };
    let mut sql = String::from(
        "DROP TABLE IF EXISTS schema_migrations; DROP TABLE IF EXISTS checkpoints; \
         DROP TABLE IF EXISTS org_targets; DROP TABLE IF EXISTS org_campaigns; \
         DROP TABLE IF EXISTS indicators; DROP TABLE IF EXISTS intel_sources; DROP TABLE IF EXISTS intel_imports; \
         DROP TABLE IF EXISTS notifications; DROP TABLE IF EXISTS tokens; DROP TABLE IF EXISTS audit; \
         DROP TABLE IF EXISTS notes; DROP TABLE IF EXISTS contacts; DROP TABLE IF EXISTS targets; \
         DROP TABLE IF EXISTS campaign_tools; DROP TABLE IF EXISTS campaign_targets; DROP TABLE IF EXISTS campaign_alerts; \
         DROP TABLE IF EXISTS campaigns; DROP TABLE IF EXISTS alert_accounts; \
         DROP TABLE IF EXISTS alert_sources; DROP TABLE IF EXISTS evidence; \
         DROP TABLE IF EXISTS alerts; DROP TABLE IF EXISTS runs;\n",
    );
    sql.push_str(&v1.replace("{{ID}}", id).replace("{{BLOB}}", blob));
    sql.push_str(
        "\nCREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL);\n\
         INSERT INTO schema_migrations VALUES (1, 0);\n\
         INSERT INTO campaigns (id, summary, severity, first_seen, last_seen, sources, n_sources, \
           targets, n_alerts, detectors, techniques, reasons, compromised, actors, funnel_by_target, \
           has_funnel, funnel_attempts, funnel_probed, funnel_identified, funnel_attacked, \
           funnel_compromised, status, revision, digest, created_at, updated_at) VALUES \
           ('old', 'an old campaign', 2, 10, 20, '[]', 0, \
           '[{\"name\":\"votes.example\",\"sector\":\"election\"},{\"name\":\"news.example\",\"sector\":\"news\"}]', \
           0, '[]', '[]', '[]', '[]', '[]', '{}', 0, 0, 0, 0, 0, 0, 'triaged', 3, 'x', 10, 20);\n\
         INSERT INTO campaign_targets VALUES ('old', 'votes.example', 'Old ''Org', 'election', 'R1');\n\
         INSERT INTO campaign_targets VALUES ('old', 'news.example', NULL, 'news', NULL);\n",
    );
    match &t.path {
        Some(p) => rusqlite::Connection::open(p)
            .unwrap()
            .execute_batch(&sql)
            .unwrap(),
        None => postgres::Client::connect(&t.url, postgres::NoTls)
            .unwrap()
            .batch_execute(&sql)
            .unwrap(),
    }
    let s = Store::open(&t.url).unwrap();
    assert_eq!(s.schema_version().unwrap(), 8);
    let old = s.campaign("old").unwrap().unwrap().campaign;
    assert!(old.attribution.is_empty());
    assert!(old.tools.is_empty(), "version 8 reads as naming no tool");
    assert!(s.intel_sources().unwrap().is_empty());
    let by_sector = |sector| {
        s.campaigns(&CampaignQuery {
            sector: Some(sector),
            ..Default::default()
        })
        .unwrap()
        .items
        .into_iter()
        .map(|c| (c.id, c.state.status, c.state.revision))
        .collect::<Vec<_>>()
    };
    use haboob_model::TargetSector as S;
    assert_eq!(
        by_sector(S::Election),
        [("old".to_string(), Status::Triaged, 3)]
    );
    assert_eq!(
        by_sector(S::News),
        [("old".to_string(), Status::Triaged, 3)]
    );
    assert!(by_sector(S::Government).is_empty());
    // Migration 7 built the organisation summary from the stored rows.
    let orgs = s.organisations().unwrap();
    assert_eq!(orgs.len(), 1, "{orgs:?}");
    assert_eq!(
        (
            orgs[0].name.as_str(),
            orgs[0].sector,
            orgs[0].region.as_deref(),
            &orgs[0].targets[..],
            orgs[0].campaigns,
            orgs[0].max_severity,
        ),
        (
            "Old 'Org",
            S::Election,
            Some("R1"),
            &["votes.example".to_string()][..],
            1,
            Some(haboob_model::Severity::High),
        )
    );
}

both!(
    migrates_a_version_1_database,
    round_trip,
    saving_twice_changes_nothing,
    revision_bumps_when_content_changes,
    complete_set_supersedes_and_carries_state,
    retracted_alerts_are_gone,
    checkpoints_round_trip,
    hostile_strings_round_trip,
    migrations_and_newer_schema,
);

#[test]
fn bad_urls_are_refused() {
    assert!(matches!(
        Store::open("mysql://h/db"),
        Err(StoreError::BadUrl { .. })
    ));
    match Store::open("postgres://u:hunter2@127.0.0.1:1/db") {
        Err(e) => assert!(!e.to_string().contains("hunter2"), "{e}"),
        Ok(_) => panic!("nothing listens on port 1"),
    }
}
