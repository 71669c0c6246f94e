//! What retro-hunting reads from the store, on SQLite and PostgreSQL:
//! numbered imports (an indicator carries the import that added or last
//! changed it), stored alerts walked in pages equal to all of them, the
//! live campaigns of alerts, which alert ids are stored, and a version-3
//! database's indicators counted as import 1 by the migration.

mod common;

use common::{fixture, write, TestStore};
use haboob_model::intel::{Indicator, IndicatorCondition, Observable, Provenance};
use haboob_model::{TargetSector, Ts};
use haboob_store::{
    AlertCursor, CampaignQuery, IndicatorQuery, IntelSaved, IntelWrite, Status, Store,
};
use std::collections::BTreeSet;

fn ind(id: &str, ip: &str) -> Indicator {
    Indicator {
        id: id.into(),
        name: format!("name of {id}"),
        condition: IndicatorCondition::Any(vec![Observable::Ip(ip.parse().unwrap())]),
        valid_from: None,
        valid_until: None,
        labels: Vec::new(),
        actors: Vec::new(),
        provenance: Provenance {
            source: "isac".into(),
            imported: Ts(5_000),
            confidence: Some(60),
            tlp: None,
            reference: None,
        },
    }
}

fn ids_of(t: &TestStore, after: i64, through: Option<i64>) -> Vec<String> {
    t.indicators(&IndicatorQuery {
        import_after: Some(after),
        import_through: through,
        ..Default::default()
    })
    .unwrap()
    .into_iter()
    .map(|i| i.id)
    .collect()
}

fn imports_are_numbered(t: &TestStore) {
    assert_eq!(t.last_import().unwrap(), 0);
    let first = vec![ind("a", "203.0.113.9/32"), ind("b", "198.51.100.0/24")];
    fn w(v: &[Indicator]) -> IntelWrite<'_> {
        IntelWrite {
            indicators: v,
            source: "isac",
            cursor: None,
        }
    }
    let i1 = t.import_indicators(&w(&first)).unwrap();
    assert_eq!(i1.import, 1);
    assert_eq!(
        i1.saved,
        IntelSaved {
            added: 2,
            updated: 0,
            unchanged: 0
        }
    );
    // Second import: "a" unchanged, "b" changed, "c" new.
    let mut second = first.clone();
    second[1].name = "renamed".into();
    second.push(ind("c", "192.0.2.77/32"));
    let i2 = t.import_indicators(&w(&second)).unwrap();
    assert_eq!(i2.import, 2);
    assert_eq!(
        (i2.saved.added, i2.saved.updated, i2.saved.unchanged),
        (1, 1, 1)
    );
    assert_eq!(t.last_import().unwrap(), 2);
    assert_eq!(ids_of(t, 0, None), ["a", "b", "c"]);
    assert_eq!(ids_of(t, 1, None), ["b", "c"]);
    assert_eq!(ids_of(t, 0, Some(1)), ["a"]);
    assert_eq!(ids_of(t, 1, Some(2)), ["b", "c"]);
    assert!(ids_of(t, 2, None).is_empty());
    // The same again, read later (a new import time), changes nothing and
    // numbers nothing new; the stored copy keeps its first import time.
    let mut later = second.clone();
    for i in &mut later {
        i.provenance.imported = Ts(9_000);
    }
    let i3 = t.save_indicators(&w(&later)).unwrap();
    assert_eq!(i3.unchanged, 3);
    assert_eq!(t.last_import().unwrap(), 3);
    assert!(ids_of(t, 2, None).is_empty());
    assert!(t
        .indicators(&IndicatorQuery::default())
        .unwrap()
        .iter()
        .all(|i| i.provenance.imported == Ts(5_000)));
}

fn alerts_in_pages(t: &TestStore) {
    let f = fixture();
    t.save_hunt(&write(f)).unwrap();
    let all = t.all_alerts().unwrap();
    assert!(all.len() > 7, "{}", all.len());
    let mut walked = Vec::new();
    let mut cursor: Option<AlertCursor> = None;
    let mut pages = 0;
    loop {
        let (page, next) = t.alerts_after(cursor.as_ref(), 7).unwrap();
        assert!(page.len() <= 7);
        pages += 1;
        walked.extend(page);
        match next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(
        walked, all,
        "pages of 7 give every alert, evidence included"
    );
    assert_eq!(pages, all.len() / 7 + 1);
    // Live campaigns of the alerts: exactly the stored membership.
    let ids: Vec<String> = all.iter().map(|a| a.id.clone()).collect();
    let got: BTreeSet<(String, String)> = t.live_campaigns_of(&ids).unwrap().into_iter().collect();
    let want: BTreeSet<(String, String)> = f
        .campaigns
        .iter()
        .flat_map(|c| c.alerts.iter().map(|a| (a.clone(), c.id.clone())))
        .collect();
    assert_eq!(got, want);
    let probe = vec![ids[0].clone(), "al-not-stored".to_string(), ids[1].clone()];
    assert_eq!(
        t.stored_alert_ids(&probe).unwrap(),
        BTreeSet::from([ids[0].clone(), ids[1].clone()])
    );
}

/// A store at version 3 with indicators: migrated, they are import 1 and
/// the next save is import 2. The organisations list and the sector filter
/// (schema 7: a summary the migration builds from the campaigns, an index)
/// read the same after the round trip.
fn version_3_indicators_become_import_1(t: &TestStore) {
    t.save_indicators(&IntelWrite {
        indicators: &[ind("old", "203.0.113.0/24")],
        source: "isac",
        cursor: None,
    })
    .unwrap();
    t.save_hunt(&write(fixture())).unwrap();
    let orgs = t.organisations().unwrap();
    assert!(orgs.iter().any(|o| o.campaigns > 0 && o.compromised > 0));
    let by_sector = |s: &Store| {
        [TargetSector::Election, TargetSector::Government]
            .map(|sector| {
                s.campaigns(&CampaignQuery {
                    sector: Some(sector),
                    status: Some(Status::New),
                    ..CampaignQuery::default()
                })
                .unwrap()
            })
            .to_vec()
    };
    let pages = by_sector(t);
    assert!(pages.iter().all(|p| p.total > 0), "{pages:?}");
    // Back to version 3: undo version 8 (a column, a table), 7 (two tables, two
    // indexes), 6 (a column), 5 (an index) and 4.
    let back = "DROP TABLE campaign_tools; ALTER TABLE campaigns DROP COLUMN tools; \
                DELETE FROM schema_migrations WHERE version = 8; \
                DROP TABLE org_targets; DROP TABLE org_campaigns; \
                DROP INDEX alert_accounts_stage; DROP INDEX campaigns_sector; \
                DELETE FROM schema_migrations WHERE version = 7; \
                ALTER TABLE campaigns DROP COLUMN stages; \
                DELETE FROM schema_migrations WHERE version = 6; DROP INDEX campaigns_span; DELETE FROM schema_migrations WHERE version = 5; \
                DROP TABLE intel_imports; ALTER TABLE indicators DROP COLUMN import_id; \
                DELETE FROM schema_migrations WHERE version = 4;";
    match &t.path {
        Some(p) => rusqlite::Connection::open(p)
            .unwrap()
            .execute_batch(&back.replace(
                "ALTER TABLE indicators DROP COLUMN import_id;",
                "DROP INDEX indicators_import; ALTER TABLE indicators DROP COLUMN import_id;",
            ))
            .unwrap(),
        None => postgres::Client::connect(&t.url, postgres::NoTls)
            .unwrap()
            .batch_execute(back)
            .unwrap(),
    }
    let s = Store::open(&t.url).unwrap();
    assert_eq!(s.schema_version().unwrap(), 8);
    assert_eq!(s.organisations().unwrap(), orgs);
    assert_eq!(by_sector(&s), pages);
    assert_eq!(s.last_import().unwrap(), 1);
    assert_eq!(ids_of(t, 0, Some(1)), ["old"]);
    let next = s
        .import_indicators(&IntelWrite {
            indicators: &[ind("new", "192.0.2.1/32")],
            source: "isac",
            cursor: None,
        })
        .unwrap();
    assert_eq!(next.import, 2);
    assert_eq!(ids_of(t, 1, None), ["new"]);
}

both!(
    imports_are_numbered,
    alerts_in_pages,
    version_3_indicators_become_import_1
);
