//! Bulk saves (binary `COPY` on PostgreSQL, multi-row `INSERT`s on SQLite):
//! text that means something to `COPY` or SQL stays data, alerts cross the
//! lookup and statement chunks, a repeated id in one save keeps the last
//! content, and saving again changes nothing.

mod common;

use common::{TestStore, RAN_AT};
use haboob_model::{Alert, AlertSource, Alerts, Evidence, Severity, Ts};
use haboob_store::{AlertQuery, HuntWrite, SaveSummary};

/// `COPY` text-format delimiters, escapes, end-of-data and NULL markers,
/// SQL and shell metacharacters.
const COPY_TEXT: &str =
    "a\tb\nc\rd \\N \\. \\\\ \\t \u{8} \u{c} \u{b} |,\"' ); DROP TABLE evidence;-- $1 ?";

fn alert(i: usize) -> Alert {
    Alert {
        id: format!("bulk-{i:04}"),
        detector: "auth.spray".into(),
        title: format!("spray {i} {COPY_TEXT}"),
        techniques: vec!["T1110.003".into()],
        severity: Severity::High,
        source: AlertSource {
            // Every third alert has no address and no user (NULL columns).
            ip: (!i.is_multiple_of(3)).then(|| format!("192.0.2.{}", i % 250).parse().expect("ip")),
            prefix: None,
            members: vec![],
        },
        target: format!("tenant-{}", i % 7),
        user: (!i.is_multiple_of(3)).then(|| format!("user{i}{COPY_TEXT}")),
        first_seen: Ts(1_000 + i as i64),
        last_seen: Ts(2_000 + i as i64),
        count: i as u64 + 1,
        details: haboob_model::Details::from([
            ("user_agent".to_string(), serde_json::json!(COPY_TEXT)),
            (
                "users_attacked".to_string(),
                serde_json::json!([format!("victim{i}\t\\N"), COPY_TEXT]),
            ),
        ]),
        evidence: (0..3)
            .map(|n| Evidence {
                file: format!("/var/log/{COPY_TEXT}.log"),
                line: (i * 10 + n) as u64,
                raw: format!("line {n} of {i}: {COPY_TEXT}"),
            })
            .collect(),
    }
}

fn write(alerts: &Alerts) -> HuntWrite<'_> {
    HuntWrite {
        ran_at: RAN_AT,
        alerts,
        retract_alerts: &[],
        campaigns: &[],
        campaigns_complete: false,
        targets: &[],
        contacts: &[],
        checkpoints: &[],
    }
}

fn bulk_saves_round_trip(t: &TestStore) {
    // 600 alerts: three lookup chunks of 256, many statement chunks of 64.
    let mut alerts: Vec<Alert> = (0..600).map(alert).collect();
    // bulk-0005 again, changed, in the same save: the later content wins.
    let mut again = alert(5);
    again.title = "second".into();
    again.evidence.truncate(1);
    alerts.insert(9, again.clone());
    let sum = t
        .save_hunt(&write(&Alerts::from(alerts.clone())))
        .expect("save");
    assert_eq!(
        sum,
        SaveSummary {
            alerts_new: 600,
            alerts_updated: 1,
            ..SaveSummary::default()
        }
    );
    for i in [0, 1, 2, 255, 256, 257, 511, 512, 599] {
        let want = alert(i);
        assert_eq!(t.alert(&want.id).expect("read"), Some(want), "alert {i}");
    }
    assert_eq!(t.alert("bulk-0005").expect("read"), Some(again.clone()));
    assert_eq!(t.evidence("bulk-0005").expect("evidence").len(), 1);
    assert_eq!(t.all_alerts().expect("all").len(), 600);
    // Accounts and NULL users reached their tables.
    let q = |user: &str| AlertQuery {
        user: Some(user.into()),
        ..AlertQuery::default()
    };
    assert_eq!(
        t.alerts(&q(&format!("user1{COPY_TEXT}"))).expect("q").total,
        1
    );
    assert_eq!(t.alerts(&q("user3")).expect("q").total, 0);
    // Saving the same alerts again changes nothing; a changed one updates.
    alerts.remove(9);
    assert_eq!(
        t.save_hunt(&write(&Alerts::from(alerts.clone())))
            .expect("save"),
        SaveSummary {
            alerts_updated: 1,
            ..SaveSummary::default()
        },
        "bulk-0005 goes back to its first content"
    );
    assert_eq!(
        t.save_hunt(&write(&Alerts::from(alerts.clone())))
            .expect("save"),
        SaveSummary::default()
    );
    assert_eq!(t.alert("bulk-0005").expect("read"), Some(alert(5)));
    assert_eq!(t.evidence("bulk-0005").expect("evidence").len(), 3);
}

both!(bulk_saves_round_trip);
