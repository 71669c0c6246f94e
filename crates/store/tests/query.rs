//! The read side on a real hunt: every filter of `CampaignQuery` and
//! `AlertQuery` gives exactly the ids computed from the hunt itself, pages
//! add up, and organisations show their campaigns, accounts and contacts.

mod common;

use common::{fixture, write, TestStore};
use haboob_model::{Alert, Campaign, Contact, Severity, TargetSector, Ts};
use haboob_store::{
    AccountStage, Action, AlertQuery, CampaignQuery, HuntWrite, Principal, Role, Status,
};
use std::collections::{BTreeMap, BTreeSet};

fn ids_of_campaigns(t: &TestStore, q: CampaignQuery) -> Vec<String> {
    let mut out = Vec::new();
    let mut q = CampaignQuery { limit: 7, ..q };
    loop {
        let p = t.campaigns(&q).unwrap();
        out.extend(p.items.into_iter().map(|c| c.id));
        match p.next_offset {
            Some(o) => q.offset = o,
            None => break,
        }
    }
    out
}

fn set<'a>(it: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    it.into_iter().map(str::to_string).collect()
}

fn want_campaigns(pred: impl Fn(&Campaign) -> bool) -> BTreeSet<String> {
    set(fixture()
        .campaigns
        .iter()
        .filter(|c| pred(c))
        .map(|c| c.id.as_str()))
}

fn campaign_filters(t: &TestStore) {
    let f = fixture();
    t.save_hunt(&write(f)).unwrap();
    let all = ids_of_campaigns(t, CampaignQuery::default());
    // Order: most severe, then most recent, then id (descending).
    let mut sorted: Vec<&Campaign> = f.campaigns.iter().collect();
    sorted.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.last_seen.cmp(&a.last_seen))
            .then(b.id.cmp(&a.id))
    });
    assert_eq!(all, sorted.iter().map(|c| c.id.clone()).collect::<Vec<_>>());
    let q = |f: fn(&mut CampaignQuery)| {
        let mut q = CampaignQuery::default();
        f(&mut q);
        set(ids_of_campaigns(t, q).iter().map(String::as_str))
    };
    let high = q(|q| q.min_severity = Some(Severity::High));
    assert_eq!(high, want_campaigns(|c| c.severity >= Severity::High));
    assert!(!high.is_empty() && high.len() < f.campaigns.len());
    let election = q(|q| q.sector = Some(TargetSector::Election));
    assert_eq!(
        election,
        want_campaigns(|c| c.targets.iter().any(|t| t.sector == TargetSector::Election))
    );
    assert!(!election.is_empty() && election.len() < f.campaigns.len());
    let orgs: BTreeSet<&str> = f
        .targets
        .iter()
        .filter_map(|t| t.organisation.as_deref())
        .collect();
    assert!(orgs.len() >= 2);
    for o in &orgs {
        let got = set(ids_of_campaigns(
            t,
            CampaignQuery {
                organisation: Some(o.to_string()),
                ..Default::default()
            },
        )
        .iter()
        .map(String::as_str));
        let want = want_campaigns(|c| {
            c.targets
                .iter()
                .any(|t| t.organisation.as_deref() == Some(o))
        });
        assert_eq!(got, want, "organisation {o}");
        assert!(!got.is_empty());
    }
    // Tools: each one the hunt's campaigns name, exactly; an unknown or
    // differently cased name matches none.
    let tools: BTreeSet<&str> = f
        .campaigns
        .iter()
        .flat_map(|c| c.tools.iter().map(String::as_str))
        .collect();
    assert!(!tools.is_empty(), "the fixture's campaigns name tools");
    for tool in &tools {
        let got = set(ids_of_campaigns(
            t,
            CampaignQuery {
                tool: Some(tool.to_string()),
                ..Default::default()
            },
        )
        .iter()
        .map(String::as_str));
        let want = want_campaigns(|c| c.tools.iter().any(|x| x == tool));
        assert_eq!(got, want, "tool {tool}");
        assert!(got.len() < f.campaigns.len());
        let upper = CampaignQuery {
            tool: Some(tool.to_uppercase()),
            ..Default::default()
        };
        if tool.to_uppercase() != *tool {
            assert!(ids_of_campaigns(t, upper).is_empty(), "tool {tool} upper");
        }
    }
    let none = CampaignQuery {
        tool: Some("no such tool".into()),
        ..Default::default()
    };
    assert!(ids_of_campaigns(t, none).is_empty());
    // Time: the median first_seen splits the set.
    let mut firsts: Vec<Ts> = f.campaigns.iter().map(|c| c.first_seen).collect();
    firsts.sort();
    let mid = firsts[firsts.len() / 2];
    let since = set(ids_of_campaigns(
        t,
        CampaignQuery {
            since: Some(mid),
            ..Default::default()
        },
    )
    .iter()
    .map(String::as_str));
    assert_eq!(since, want_campaigns(|c| c.last_seen >= mid));
    let until = set(ids_of_campaigns(
        t,
        CampaignQuery {
            until: Some(mid),
            ..Default::default()
        },
    )
    .iter()
    .map(String::as_str));
    assert_eq!(until, want_campaigns(|c| c.first_seen <= mid));
    assert!(until.len() < f.campaigns.len());
    // Status.
    let who = Principal {
        name: "bob".into(),
        role: Role::Analyst,
    };
    let picked = &sorted[0].id;
    t.act(
        &who,
        picked,
        &Action::SetStatus {
            status: Status::Triaged,
        },
    )
    .unwrap();
    assert_eq!(
        q(|q| q.status = Some(Status::Triaged)),
        set([picked.as_str()])
    );
    assert_eq!(
        q(|q| q.status = Some(Status::New)).len(),
        f.campaigns.len() - 1
    );
    // Rows carry the campaign's figures.
    let p = t
        .campaigns(&CampaignQuery {
            limit: 500,
            ..Default::default()
        })
        .unwrap();
    for row in &p.items {
        let c = f.campaigns.iter().find(|c| c.id == row.id).unwrap();
        assert_eq!(row.sources, c.sources.len() as u64);
        assert_eq!(row.alerts, c.alerts.len() as u64);
        assert_eq!(
            row.targets,
            c.targets.iter().map(|t| t.name.clone()).collect::<Vec<_>>()
        );
        let orgs: BTreeSet<String> = c
            .targets
            .iter()
            .filter_map(|t| t.organisation.clone())
            .collect();
        assert_eq!(row.organisations, orgs.into_iter().collect::<Vec<_>>());
        assert_eq!(
            (row.funnel, row.severity, row.first_seen, row.last_seen),
            (c.funnel, c.severity, c.first_seen, c.last_seen)
        );
        assert_eq!(&row.summary, &c.summary);
    }
}

fn campaign_paging(t: &TestStore) {
    let f = fixture();
    t.save_hunt(&write(f)).unwrap();
    let n = f.campaigns.len() as u64;
    assert!(n > 3, "{n} campaigns");
    let p = t
        .campaigns(&CampaignQuery {
            limit: 2,
            ..Default::default()
        })
        .unwrap();
    assert_eq!((p.items.len(), p.total, p.next_offset), (2, n, Some(2)));
    let last = t
        .campaigns(&CampaignQuery {
            limit: 2,
            offset: n - 1,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        (last.items.len(), last.total, last.next_offset),
        (1, n, None)
    );
    let past = t
        .campaigns(&CampaignQuery {
            offset: n + 5,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        (past.items.len(), past.total, past.next_offset),
        (0, n, None)
    );
    let default = t.campaigns(&CampaignQuery::default()).unwrap();
    assert_eq!(default.items.len() as u64, n.min(50));
}

fn ids_of_alerts(t: &TestStore, q: AlertQuery) -> Vec<String> {
    let mut out = Vec::new();
    let mut q = AlertQuery { limit: 11, ..q };
    loop {
        let p = t.alerts(&q).unwrap();
        assert!(
            p.items.iter().all(|a| a.evidence.is_empty()),
            "pages carry no evidence"
        );
        out.extend(p.items.into_iter().map(|a| a.id));
        match p.next_offset {
            Some(o) => q.offset = o,
            None => break,
        }
    }
    out
}

fn want_alerts(pred: impl Fn(&Alert) -> bool) -> Vec<String> {
    let mut v: Vec<&Alert> = fixture().alerts.iter().filter(|a| pred(a)).collect();
    v.sort_by(|a, b| (a.first_seen, &a.id).cmp(&(b.first_seen, &b.id)));
    v.into_iter().map(|a| a.id.clone()).collect()
}

fn names(a: &Alert) -> BTreeSet<&str> {
    ["users_identified", "users_attacked", "users_compromised"]
        .iter()
        .filter_map(|k| a.details.get(k).and_then(|v| v.as_array()))
        .flatten()
        .filter_map(|v| v.as_str())
        .collect()
}

fn alert_filters(t: &TestStore) {
    let f = fixture();
    t.save_hunt(&write(f)).unwrap();
    assert_eq!(
        ids_of_alerts(t, AlertQuery::default()),
        want_alerts(|_| true)
    );
    let c = f.campaigns.iter().max_by_key(|c| c.alerts.len()).unwrap();
    let got = ids_of_alerts(
        t,
        AlertQuery {
            campaign: Some(c.id.clone()),
            ..Default::default()
        },
    );
    assert_eq!(got, want_alerts(|a| c.alerts.contains(&a.id)));
    let det = &f.alerts[0].detector;
    let got = ids_of_alerts(
        t,
        AlertQuery {
            detector: Some(det.clone()),
            ..Default::default()
        },
    );
    assert_eq!(got, want_alerts(|a| &a.detector == det));
    assert!(got.len() < f.alerts.len());
    let got = ids_of_alerts(
        t,
        AlertQuery {
            min_severity: Some(Severity::High),
            ..Default::default()
        },
    );
    assert_eq!(got, want_alerts(|a| a.severity >= Severity::High));
    // Source: the address of a cluster member finds the cluster's alerts too.
    let member = f
        .alerts
        .iter()
        .find_map(|a| a.source.members.last().copied())
        .or_else(|| f.alerts.iter().find_map(|a| a.source.ip))
        .unwrap();
    let got = ids_of_alerts(
        t,
        AlertQuery {
            source: Some(member.to_string()),
            ..Default::default()
        },
    );
    let want = want_alerts(|a| a.source.ip == Some(member) || a.source.members.contains(&member));
    assert_eq!(got, want);
    assert!(!got.is_empty());
    let tgt = &f.alerts.last().unwrap().target;
    let got = ids_of_alerts(
        t,
        AlertQuery {
            target: Some(tgt.clone()),
            ..Default::default()
        },
    );
    assert_eq!(got, want_alerts(|a| &a.target == tgt));
    let owned = f
        .alerts
        .iter()
        .find_map(|a| {
            a.details
                .get("users_compromised")?
                .as_array()?
                .first()?
                .as_str()
        })
        .expect("a compromised account");
    let got = ids_of_alerts(
        t,
        AlertQuery {
            user: Some(owned.into()),
            ..Default::default()
        },
    );
    let want = want_alerts(|a| a.user.as_deref() == Some(owned) || names(a).contains(owned));
    assert_eq!(got, want);
    assert!(!got.is_empty());
    let mid = f.alerts[f.alerts.len() / 2].first_seen;
    let got = ids_of_alerts(
        t,
        AlertQuery {
            since: Some(mid),
            until: Some(Ts(mid.0 + 86_400_000)),
            ..Default::default()
        },
    );
    assert_eq!(
        got,
        want_alerts(|a| a.last_seen >= mid && a.first_seen.0 <= mid.0 + 86_400_000)
    );
    // Filters combine.
    let got = ids_of_alerts(
        t,
        AlertQuery {
            detector: Some(det.clone()),
            target: Some(tgt.clone()),
            ..Default::default()
        },
    );
    assert_eq!(got, want_alerts(|a| &a.detector == det && &a.target == tgt));
}

fn organisations_show_campaigns_accounts_contacts(t: &TestStore) {
    let f = fixture();
    let contacts = [Contact {
        organisation: "nobody-declared".into(),
        channel: "email".into(),
        address: "soc@nobody.example".into(),
    }];
    let org0 = f
        .targets
        .iter()
        .find_map(|t| t.organisation.clone())
        .unwrap();
    let mut all_contacts = contacts.to_vec();
    all_contacts.push(Contact {
        organisation: org0.clone(),
        channel: "email".into(),
        address: "cert@org.example".into(),
    });
    t.save_hunt(&HuntWrite {
        contacts: &all_contacts,
        ..write(f)
    })
    .unwrap();
    let rows = t.organisations().unwrap();
    let mut want: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for tg in &f.targets {
        if let Some(o) = &tg.organisation {
            want.entry(o.clone()).or_default().insert(tg.name.clone());
        }
    }
    assert_eq!(
        rows.iter().map(|r| r.name.clone()).collect::<Vec<_>>(),
        want.keys().cloned().collect::<Vec<_>>()
    );
    let mut compromised_total = 0;
    for r in &rows {
        let targets = &want[&r.name];
        assert_eq!(&r.targets.iter().cloned().collect::<BTreeSet<_>>(), targets);
        let camps: Vec<&Campaign> = f
            .campaigns
            .iter()
            .filter(|c| {
                c.targets
                    .iter()
                    .any(|t| t.organisation.as_deref() == Some(&r.name))
            })
            .collect();
        assert_eq!(r.campaigns, camps.len() as u64, "{}", r.name);
        assert_eq!(r.max_severity, camps.iter().map(|c| c.severity).max());
        let org_alerts: Vec<&Alert> = f
            .alerts
            .iter()
            .filter(|a| targets.contains(&a.target))
            .collect();
        let owned: BTreeSet<&str> = org_alerts
            .iter()
            .filter_map(|a| a.details.get("users_compromised")?.as_array())
            .flatten()
            .filter_map(|v| v.as_str())
            .collect();
        assert_eq!(r.compromised, owned.len() as u64, "{}", r.name);
        compromised_total += r.compromised;
        let d = t.organisation(&r.name).unwrap().unwrap();
        assert_eq!(&d.row, r);
        assert_eq!(
            d.campaigns
                .iter()
                .map(|c| c.id.clone())
                .collect::<BTreeSet<_>>(),
            camps.iter().map(|c| c.id.clone()).collect()
        );
        // Accounts: every name the org's alerts carry, at its furthest stage.
        let mut acc: BTreeMap<&str, (AccountStage, BTreeSet<String>)> = BTreeMap::new();
        for a in &org_alerts {
            for (key, stage) in [
                ("users_identified", AccountStage::Identified),
                ("users_attacked", AccountStage::Attacked),
                ("users_compromised", AccountStage::Compromised),
            ] {
                for n in a
                    .details
                    .get(key)
                    .and_then(|v| v.as_array())
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str())
                {
                    let e = acc.entry(n).or_insert((stage, BTreeSet::new()));
                    e.0 = e.0.max(stage);
                    for c in f.campaigns.iter().filter(|c| c.alerts.contains(&a.id)) {
                        e.1.insert(c.id.clone());
                    }
                }
            }
        }
        let mut want_acc: Vec<(String, AccountStage, Vec<String>)> = acc
            .into_iter()
            .map(|(u, (s, c))| (u.to_string(), s, c.into_iter().collect()))
            .collect();
        want_acc.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let got: Vec<(String, AccountStage, Vec<String>)> = d
            .accounts
            .into_iter()
            .map(|a| (a.user, a.stage, a.campaigns))
            .collect();
        assert_eq!(got, want_acc, "{}", r.name);
        let want_contacts: Vec<&Contact> = all_contacts
            .iter()
            .filter(|c| c.organisation == r.name)
            .collect();
        assert_eq!(d.contacts.iter().collect::<Vec<_>>(), want_contacts);
    }
    assert!(compromised_total > 0);
    assert_eq!(t.organisation("no such organisation").unwrap(), None);
}

both!(
    campaign_filters,
    campaign_paging,
    alert_filters,
    organisations_show_campaigns_accounts_contacts,
);
