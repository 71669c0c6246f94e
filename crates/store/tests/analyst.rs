//! Analysts, tokens and notifications: the status workflow (allowed and
//! refused moves), assignee and notes, the audit trail, token secrets
//! (hashed, verified, revoked, last use), and the notification queue
//! (idempotent enqueue, due order, retry, sent, failed).

mod common;

use common::{fixture, write, TestStore};
use haboob_model::Ts;
use haboob_store::{
    Action, AuditQuery, Audited, Delivery, NewNotification, NotificationQuery, NotificationState,
    Principal, Role, Status, StoreError, TokenAction, MAX_ERROR_BYTES, MAX_NOTE_BYTES,
    SECRET_PREFIX,
};

fn who(name: &str, role: Role) -> Principal {
    Principal {
        name: name.into(),
        role,
    }
}

fn workflow_and_audit(t: &TestStore) {
    let f = fixture();
    t.save_hunt(&write(f)).unwrap();
    let c = &f.campaigns[0].id;
    let other = &f.campaigns[1].id;
    let alice = who("alice", Role::Analyst);
    let bob = who("bob", Role::Admin);
    let set = |p: &Principal, s: Status| t.act(p, c, &Action::SetStatus { status: s });
    // Refused: skipping steps, staying put, going back (except reopening).
    for bad in [Status::Notified, Status::Closed, Status::New] {
        match set(&alice, bad) {
            Err(StoreError::InvalidTransition { campaign, from, to }) => {
                assert_eq!(
                    (campaign.as_str(), from.as_str(), to),
                    (c.as_str(), "new", bad.as_str().to_string())
                );
            }
            other => panic!("new → {bad:?} must be refused, got {other:?}"),
        }
    }
    // Allowed: the whole path and a reopen.
    let mut last = 0;
    for (p, s) in [
        (&alice, Status::Triaged),
        (&bob, Status::Notified),
        (&alice, Status::Closed),
        (&alice, Status::Triaged),
    ] {
        let st = set(p, s).unwrap();
        assert_eq!(st.status, s);
        assert_eq!(st.revision, 1, "analyst actions do not change the revision");
        assert!(st.updated_at.0 >= last);
        last = st.updated_at.0;
    }
    assert!(matches!(
        set(&alice, Status::Closed),
        Err(StoreError::InvalidTransition { .. })
    ));
    let st = t
        .act(
            &alice,
            c,
            &Action::Assign {
                assignee: Some("carol".into()),
            },
        )
        .unwrap();
    assert_eq!(st.assignee.as_deref(), Some("carol"));
    let long = "n".repeat(MAX_NOTE_BYTES + 100);
    t.act(
        &bob,
        c,
        &Action::Note {
            text: "first".into(),
        },
    )
    .unwrap();
    t.act(&alice, c, &Action::Note { text: long }).unwrap();
    t.act(
        &alice,
        other,
        &Action::Note {
            text: "elsewhere".into(),
        },
    )
    .unwrap();
    let st = t
        .act(&alice, c, &Action::Assign { assignee: None })
        .unwrap();
    assert_eq!(st.assignee, None);
    let d = t.campaign(c).unwrap().unwrap();
    assert_eq!(d.state.status, Status::Triaged);
    assert_eq!(d.notes.len(), 2);
    assert_eq!(
        (d.notes[0].author.as_str(), d.notes[0].text.as_str()),
        ("bob", "first")
    );
    assert_eq!(d.notes[1].text.len(), MAX_NOTE_BYTES);
    assert!(matches!(
        t.act(&alice, "no-such", &Action::Note { text: "x".into() }),
        Err(StoreError::NotFound(_))
    ));
    // Audit: newest first, refused moves not recorded, filters by campaign and actor.
    let all = t
        .audit(&AuditQuery {
            campaign: Some(c.clone()),
            ..Default::default()
        })
        .unwrap();
    let actions: Vec<(&str, Role, &Action)> = all
        .iter()
        .map(|e| match &e.action {
            Audited::Campaign(a) => (e.actor.as_str(), e.role, a),
            other => panic!("not a campaign action: {other:?}"),
        })
        .collect();
    assert_eq!(actions.len(), 8);
    assert_eq!(
        actions[0],
        ("alice", Role::Analyst, &Action::Assign { assignee: None })
    );
    assert_eq!(
        actions[7],
        (
            "alice",
            Role::Analyst,
            &Action::SetStatus {
                status: Status::Triaged
            }
        )
    );
    assert_eq!(
        actions[6],
        (
            "bob",
            Role::Admin,
            &Action::SetStatus {
                status: Status::Notified
            }
        )
    );
    assert!(all.iter().all(|e| &e.campaign == c));
    assert!(all.windows(2).all(|w| w[0].at >= w[1].at));
    let bobs = t
        .audit(&AuditQuery {
            actor: Some("bob".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(bobs.len(), 2);
    let two = t
        .audit(&AuditQuery {
            limit: 2,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(two.len(), 2);
    assert_eq!(two[1].campaign, *other);
    let every = t.audit(&AuditQuery::default()).unwrap();
    assert_eq!(every.len(), 9);
}

fn tokens(t: &TestStore) {
    let a = t.create_token("ops-alice", Role::Analyst, "ops").unwrap();
    let v = t.create_token("viewer", Role::Viewer, "ops").unwrap();
    assert!(a.secret.starts_with(SECRET_PREFIX));
    assert_eq!(
        a.secret.len(),
        SECRET_PREFIX.len() + 43,
        "32 bytes, base64url"
    );
    assert_ne!(a.secret, v.secret);
    assert!(matches!(
        t.create_token("ops-alice", Role::Admin, "ops"),
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        t.create_token("  ", Role::Admin, "ops"),
        Err(StoreError::Invalid(_))
    ));
    let listed = t.tokens().unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|i| (i.name.as_str(), i.role, i.revoked, i.last_used))
            .collect::<Vec<_>>(),
        [
            ("ops-alice", Role::Analyst, false, None),
            ("viewer", Role::Viewer, false, None)
        ]
    );
    assert_eq!(
        t.verify_token(&a.secret).unwrap(),
        Some(who("ops-alice", Role::Analyst))
    );
    let used = t.tokens().unwrap()[0].last_used.expect("last use recorded");
    assert!(used >= listed[0].created_at);
    assert_eq!(t.verify_token("hb_not-a-real-token").unwrap(), None);
    assert_eq!(t.verify_token("").unwrap(), None);
    let mut wrong = a.secret.clone();
    wrong.pop();
    assert_eq!(t.verify_token(&wrong).unwrap(), None);
    assert!(t.revoke_token("ops-alice", "ops").unwrap());
    assert!(!t.revoke_token("nobody", "ops").unwrap());
    // Revoked already: nothing to do, nothing recorded.
    assert!(!t.revoke_token("ops-alice", "ops").unwrap());
    // Token administration is in the audit trail (refused creations are
    // not), newest first, as admin actions on no campaign.
    let trail: Vec<(String, Role, String, Audited)> = t
        .audit(&AuditQuery::default())
        .unwrap()
        .into_iter()
        .map(|e| (e.actor, e.role, e.campaign, e.action))
        .collect();
    let token = |a: TokenAction| {
        (
            "ops".to_string(),
            Role::Admin,
            String::new(),
            Audited::Token(a),
        )
    };
    assert_eq!(
        trail,
        [
            token(TokenAction::RevokeToken {
                name: "ops-alice".into()
            }),
            token(TokenAction::CreateToken {
                name: "viewer".into(),
                role: Role::Viewer
            }),
            token(TokenAction::CreateToken {
                name: "ops-alice".into(),
                role: Role::Analyst
            }),
        ]
    );
    assert_eq!(t.verify_token(&a.secret).unwrap(), None);
    assert_eq!(
        t.verify_token(&v.secret).unwrap(),
        Some(who("viewer", Role::Viewer))
    );
    assert!(t.tokens().unwrap()[0].revoked);
    // The secret is nowhere in the database, only its hash.
    if let Some(path) = &t.path {
        drop(
            rusqlite::Connection::open(path)
                .unwrap()
                .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)"),
        );
        for file in [path.clone(), path.with_extension("db-wal")] {
            let Ok(bytes) = std::fs::read(&file) else {
                continue;
            };
            for s in [&a.secret, &v.secret] {
                let needle = s.as_bytes();
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle),
                    "{} holds a secret",
                    file.display()
                );
            }
        }
    } else {
        let mut c = postgres::Client::connect(&t.url, postgres::NoTls).unwrap();
        let n: i64 = c
            .query_one(
                "SELECT COUNT(*) FROM tokens WHERE hash = $1 OR hash LIKE '%' || $1 || '%'",
                &[&a.secret],
            )
            .unwrap()
            .get(0);
        assert_eq!(n, 0);
        let hashes: Vec<String> = c
            .query("SELECT hash FROM tokens", &[])
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert!(hashes
            .iter()
            .all(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())));
    }
}

fn note<'a>(
    campaign: &'a str,
    rev: i64,
    org: &'a str,
    addr: &'a str,
    due: i64,
) -> NewNotification<'a> {
    NewNotification {
        campaign_id: campaign,
        revision: rev,
        organisation: org,
        channel: "email",
        address: addr,
        subject: "You were targeted",
        body: "Accounts attacked: ...",
        due_at: Ts(due),
    }
}

fn notifications(t: &TestStore) {
    let a = t
        .enqueue_notification(&note("c1", 1, "Org A", "soc@a.example", 100))
        .unwrap()
        .expect("queued");
    assert_eq!(
        t.enqueue_notification(&note("c1", 1, "Org A", "soc@a.example", 500))
            .unwrap(),
        None,
        "same key"
    );
    let b = t
        .enqueue_notification(&note("c1", 1, "Org B", "soc@b.example", 50))
        .unwrap()
        .unwrap();
    let a2 = t
        .enqueue_notification(&note("c1", 2, "Org A", "soc@a.example", 300))
        .unwrap()
        .unwrap();
    let mut big = note("c2", 1, "Org A", "soc@a.example", 10);
    let body = "b".repeat(300 * 1024);
    big.body = &body;
    let c = t.enqueue_notification(&big).unwrap().unwrap();
    assert_eq!(
        t.notifications(&NotificationQuery {
            campaign: Some("c2".into()),
            ..Default::default()
        })
        .unwrap()[0]
            .body
            .len(),
        haboob_store::MAX_BODY_BYTES
    );
    let ids =
        |v: Vec<haboob_store::NotificationRow>| v.into_iter().map(|n| n.id).collect::<Vec<_>>();
    assert_eq!(ids(t.due_notifications(Ts(99), 10).unwrap()), [c, b]);
    assert_eq!(
        ids(t.due_notifications(Ts(1000), 10).unwrap()),
        [c, b, a, a2]
    );
    assert_eq!(ids(t.due_notifications(Ts(1000), 2).unwrap()), [c, b]);
    // a: refused, retried later, then sent.
    let err = "connection refused ".repeat(500);
    t.record_delivery(
        a,
        &Delivery::Failed {
            at: Ts(110),
            error: err,
            retry_at: Some(Ts(2000)),
        },
    )
    .unwrap();
    assert_eq!(ids(t.due_notifications(Ts(1000), 10).unwrap()), [c, b, a2]);
    assert_eq!(
        ids(t.due_notifications(Ts(2000), 10).unwrap()),
        [c, b, a2, a]
    );
    t.record_delivery(a, &Delivery::Sent { at: Ts(2001) })
        .unwrap();
    // b: gives up.
    t.record_delivery(
        b,
        &Delivery::Failed {
            at: Ts(60),
            error: "550 no such user".into(),
            retry_at: None,
        },
    )
    .unwrap();
    assert_eq!(ids(t.due_notifications(Ts(5000), 10).unwrap()), [c, a2]);
    let rows = t
        .notifications(&NotificationQuery {
            organisation: Some("Org A".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(ids(rows.clone()), [c, a2, a], "newest first");
    let ra = rows.iter().find(|n| n.id == a).unwrap();
    assert_eq!(
        (ra.state, ra.attempts, ra.sent_at, ra.next_attempt_at),
        (NotificationState::Sent, 2, Some(Ts(2001)), Ts(2000))
    );
    assert_eq!(
        ra.last_error.as_ref().unwrap().len(),
        MAX_ERROR_BYTES,
        "error bounded"
    );
    let failed = t
        .notifications(&NotificationQuery {
            state: Some(NotificationState::Failed),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(
        (
            failed[0].id,
            failed[0].attempts,
            failed[0].last_error.as_deref()
        ),
        (b, 1, Some("550 no such user"))
    );
    // Sent and failed rows are not queued again under the same key.
    assert_eq!(
        t.enqueue_notification(&note("c1", 1, "Org A", "soc@a.example", 0))
            .unwrap(),
        None
    );
    assert!(matches!(
        t.record_delivery(99_999, &Delivery::Sent { at: Ts(1) }),
        Err(StoreError::NotFound(_))
    ));
    // A campaign's detail lists its notifications, newest first.
    let f = fixture();
    t.save_hunt(&write(f)).unwrap();
    let cid = &f.campaigns[0].id;
    let n1 = t
        .enqueue_notification(&note(cid, 1, "Org A", "x@a.example", 0))
        .unwrap()
        .unwrap();
    let n2 = t
        .enqueue_notification(&note(cid, 1, "Org A", "y@a.example", 0))
        .unwrap()
        .unwrap();
    assert_eq!(
        ids(t.campaign(cid).unwrap().unwrap().notifications),
        [n2, n1]
    );
}

both!(workflow_and_audit, tokens, notifications);
