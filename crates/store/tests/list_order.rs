//! The campaign list on more campaigns than a page sorts (20,000): filters
//! matching many campaigns are paged by walking the list order, filters
//! matching few by sorting them; both give exactly the page and total
//! computed here, on SQLite and PostgreSQL.

mod common;

use common::{TestStore, RAN_AT};
use haboob_model::{Alerts, Campaign, Severity, Target, TargetSector, Ts};
use haboob_store::{Action, CampaignQuery, HuntWrite, Principal, Role, Status};

const N: usize = 20_400;
const DAY: i64 = 86_400_000;

fn campaign(i: usize) -> Campaign {
    let sev = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ][i % 4];
    let sector = [
        TargetSector::Election,
        TargetSector::News,
        TargetSector::Other,
    ][i % 3];
    let first = Ts(1_700_000_000_000 + (i as i64 % 97) * DAY);
    Campaign {
        id: format!("c{i:05}"),
        summary: format!("campaign {i}"),
        severity: sev,
        sources: vec![],
        targets: vec![
            Target {
                name: format!("site-{}", i % 40),
                organisation: Some(format!("org-{}", i % 9)),
                sector,
                region: None,
            },
            // Every campaign: a sector filter matching more than a sort.
            Target {
                name: "portal.gov.example".into(),
                organisation: None,
                sector: TargetSector::Government,
                region: None,
            },
        ],
        alerts: vec![],
        detectors: vec!["web.scan".into()],
        techniques: vec![],
        reasons: vec![],
        first_seen: first,
        last_seen: Ts(first.0 + (i as i64 % 5) * DAY),
        funnel: None,
        funnel_by_target: Default::default(),
        compromised: vec![],
        actors: vec![],
        attribution: vec![],
        stages: Vec::new(),
        tools: Vec::new(),
    }
}

/// Triaged campaigns (every 300th).
fn triaged(i: usize) -> bool {
    i.is_multiple_of(300)
}

fn check(t: &TestStore, all: &[Campaign], q: CampaignQuery, keep: impl Fn(usize) -> bool) {
    let mut want: Vec<&Campaign> = all
        .iter()
        .enumerate()
        .filter(|(i, _)| keep(*i))
        .map(|(_, c)| c)
        .collect();
    want.sort_by(|a, b| (b.severity, b.last_seen, &b.id).cmp(&(a.severity, a.last_seen, &a.id)));
    let page = t.campaigns(&q).expect("campaigns");
    let got: Vec<&str> = page.items.iter().map(|c| c.id.as_str()).collect();
    let want_page: Vec<&str> = want
        .iter()
        .skip(q.offset as usize)
        .take(q.limit as usize)
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(page.total, want.len() as u64, "{q:?}");
    assert_eq!(got, want_page, "{q:?}");
    assert!(!got.is_empty(), "{q:?}: the page is not empty");
}

fn list_order_pages(t: &TestStore) {
    let all: Vec<Campaign> = (0..N).map(campaign).collect();
    t.save_hunt(&HuntWrite {
        ran_at: RAN_AT,
        alerts: &Alerts::default(),
        retract_alerts: &[],
        campaigns: &all,
        campaigns_complete: false,
        targets: &[],
        contacts: &[],
        checkpoints: &[],
    })
    .expect("save");
    let who = Principal {
        name: "ana".into(),
        role: Role::Analyst,
    };
    for i in (0..N).filter(|i| triaged(*i)) {
        t.act(
            &who,
            &all[i].id,
            &Action::SetStatus {
                status: Status::Triaged,
            },
        )
        .expect("triage");
    }
    let since = Ts(1_700_000_000_000 + 10 * DAY);
    let until = Ts(1_700_000_000_000 + 60 * DAY);
    let q = |limit, offset| CampaignQuery {
        limit,
        offset,
        ..CampaignQuery::default()
    };
    // Many matches (walk): status + severity deep in the list; status +
    // sector + since; a time span without status.
    check(
        t,
        &all,
        CampaignQuery {
            status: Some(Status::New),
            min_severity: Some(Severity::Low),
            ..q(50, 5_000)
        },
        |i| !triaged(i),
    );
    check(
        t,
        &all,
        CampaignQuery {
            status: Some(Status::New),
            ..q(50, 0)
        },
        |i| !triaged(i),
    );
    check(
        t,
        &all,
        CampaignQuery {
            status: Some(Status::New),
            sector: Some(TargetSector::Government),
            ..q(50, 19_000)
        },
        |i| !triaged(i),
    );
    // Few matches (sorted): status + sector + since; a time span; a
    // sector.
    check(
        t,
        &all,
        CampaignQuery {
            sector: Some(TargetSector::News),
            ..q(50, 6_000)
        },
        |i| i % 3 == 1,
    );
    let sector_since = |i: usize| i.is_multiple_of(3) && all[i].last_seen >= since;
    check(
        t,
        &all,
        CampaignQuery {
            status: Some(Status::New),
            sector: Some(TargetSector::Election),
            since: Some(since),
            ..q(50, 20)
        },
        |i| sector_since(i) && !triaged(i),
    );
    check(
        t,
        &all,
        CampaignQuery {
            since: Some(since),
            until: Some(until),
            ..q(50, 100)
        },
        |i| all[i].last_seen >= since && all[i].first_seen <= until,
    );
    check(
        t,
        &all,
        CampaignQuery {
            status: Some(Status::Triaged),
            ..q(5, 3)
        },
        triaged,
    );
    // Past the end: empty page, exact total.
    let p = t
        .campaigns(&CampaignQuery {
            status: Some(Status::New),
            ..q(50, N as u64)
        })
        .expect("campaigns");
    assert!(p.items.is_empty());
    assert_eq!(p.total, (0..N).filter(|i| !triaged(*i)).count() as u64);
}

both!(list_order_pages);
