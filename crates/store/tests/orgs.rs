//! The organisations list (kept as a per-organisation summary since schema
//! 7) against a brute-force computation over what was saved, on SQLite and
//! PostgreSQL: a few hundred campaigns whose organisation, target and
//! region names are hostile (quotes, SQL, placeholders, Unicode, control
//! characters, case twins, empty and long names), through incremental
//! re-saves (changed, unchanged and new campaigns), analysts' actions, a
//! retro-hunt's complete save that regroups and supersedes, revivals,
//! retracted alerts, declared targets that move, and a rebuild by the
//! migration.

mod common;

use common::TestStore;
use haboob_model::{Alert, AlertSource, Alerts, Campaign, Severity, Target, TargetSector, Ts};
use haboob_store::{Action, HuntWrite, OrganisationRow, Principal, Role, Status, Store};
use std::collections::{BTreeMap, BTreeSet};

const ORGS: &[&str] = &[
    "Ministry of Elections",
    "ministry of elections",
    "O'Brien & Sons'; DROP TABLE campaigns; --",
    "Robert'); DELETE FROM org_targets; --",
    "org \"quoted\"",
    "back\\slash\\",
    "percent%_under ?",
    "$1 ? $2",
    "Überwahl-Behörde",
    "選挙管理委員会",
    "🗳️ vote",
    "  padded  ",
    "tab\tand\nnewline",
    "NULL",
    "",
];

const TARGETS: &[&str] = &[
    "site-1",
    "Site-1",
    "evil'; --",
    "ünïcode.example",
    "a b",
    "%",
    "",
    "?",
    "x'||'y",
    "mail.gov.example",
    "vote.example",
    "news.example",
];

const REGIONS: &[Option<&str>] = &[
    None,
    Some(""),
    Some("EU"),
    Some("eu"),
    Some("R'1"),
    Some("𝓡"),
];

const SECTORS: [TargetSector; 5] = TargetSector::ALL;

const SEVERITIES: [Severity; 4] = [
    Severity::Low,
    Severity::Medium,
    Severity::High,
    Severity::Critical,
];

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<T: Clone>(&mut self, v: &[T]) -> T {
        v[(self.next() % v.len() as u64) as usize].clone()
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn long_org() -> String {
    format!("long {}", "ø".repeat(300))
}

fn target(r: &mut Rng) -> Target {
    let mut orgs: Vec<String> = ORGS.iter().map(|s| s.to_string()).collect();
    orgs.push(long_org());
    Target {
        name: r.pick(TARGETS).to_string(),
        // One in eight has no organisation.
        organisation: (r.below(8) != 0).then(|| r.pick(&orgs)),
        sector: r.pick(&SECTORS),
        region: r.pick(REGIONS).map(str::to_string),
    }
}

fn campaign(r: &mut Rng, id: &str, alerts: Vec<String>) -> Campaign {
    let n = 1 + r.below(3) as usize;
    let mut targets: Vec<Target> = (0..n).map(|_| target(r)).collect();
    if r.below(10) == 0 {
        // The same name twice: the first is kept.
        let mut twin = target(r);
        twin.name = targets[0].name.clone();
        targets.push(twin);
    }
    Campaign {
        id: id.to_string(),
        summary: format!("campaign {id}"),
        severity: r.pick(&SEVERITIES),
        sources: vec![],
        targets,
        alerts,
        detectors: vec!["web.scan".into()],
        techniques: vec![],
        reasons: vec![],
        first_seen: Ts(1_700_000_000_000),
        last_seen: Ts(1_700_000_000_000 + r.below(1000) as i64),
        funnel: None,
        funnel_by_target: Default::default(),
        compromised: vec![],
        actors: vec![],
        attribution: vec![],
        stages: Vec::new(),
        tools: Vec::new(),
    }
}

fn alert(r: &mut Rng, id: &str, target: &str) -> Alert {
    let mut details = haboob_model::Details::new();
    if r.below(3) == 0 {
        let users: Vec<serde_json::Value> = (0..1 + r.below(3))
            .map(|_| r.pick(&["alice", "bob'; --", "Ålice", "?", ""]).into())
            .collect();
        details.insert("users_compromised".to_string(), users.into());
    }
    Alert {
        id: id.to_string(),
        detector: "auth.spray".into(),
        title: format!("alert {id}"),
        techniques: vec![],
        severity: Severity::High,
        source: AlertSource {
            ip: Some("192.0.2.1".parse().unwrap()),
            prefix: None,
            members: vec![],
        },
        target: target.to_string(),
        user: None,
        first_seen: Ts(1_700_000_000_000),
        last_seen: Ts(1_700_000_000_000),
        count: 1,
        details,
        evidence: vec![],
    }
}

/// A target a campaign recorded, in the list's order: target, sector name,
/// no region, region; then organisation and sector.
type Recorded<'a> = (
    &'a str,
    &'a str,
    bool,
    &'a Option<String>,
    &'a str,
    TargetSector,
);

/// What the store should hold: every stored campaign (its latest content
/// and whether it is live), the declared targets and the stored alerts.
#[derive(Default, Clone)]
struct Model {
    campaigns: BTreeMap<String, (Campaign, bool)>,
    declared: BTreeMap<String, Target>,
    alerts: BTreeMap<String, Alert>,
}

/// Targets as stored: the first of each name.
fn stored_targets(c: &Campaign) -> Vec<&Target> {
    let mut seen = BTreeSet::new();
    c.targets
        .iter()
        .filter(|t| seen.insert(t.name.as_str()))
        .collect()
}

impl Model {
    /// `save_hunt` of these campaigns, alerts, retractions and targets.
    fn save(&mut self, w: &HuntWrite<'_>) {
        for id in w.retract_alerts {
            self.alerts.remove(id);
        }
        for a in w.alerts {
            self.alerts.insert(a.id.clone(), a.into_owned());
        }
        for c in w.campaigns {
            self.campaigns.insert(c.id.clone(), (c.clone(), true));
        }
        if w.campaigns_complete {
            let current: BTreeSet<&str> = w.campaigns.iter().map(|c| c.id.as_str()).collect();
            let held: BTreeSet<&str> = w
                .campaigns
                .iter()
                .flat_map(|c| c.alerts.iter().map(String::as_str))
                .collect();
            for (id, (c, live)) in self.campaigns.iter_mut() {
                if *live
                    && !current.contains(id.as_str())
                    && c.alerts.iter().any(|a| held.contains(a.as_str()))
                {
                    *live = false;
                }
            }
        }
        for t in w.targets {
            self.declared.insert(t.name.clone(), t.clone());
        }
    }

    /// The organisations list, computed from scratch.
    fn organisations(&self) -> Vec<OrganisationRow> {
        struct Org {
            sector: Option<TargetSector>,
            region: Option<String>,
            targets: BTreeSet<String>,
            campaigns: u64,
            max: Option<Severity>,
        }
        let mut orgs: BTreeMap<String, Org> = BTreeMap::new();
        let mut see = |org: &str, name: &str, sector: TargetSector, region: &Option<String>| {
            let o = orgs.entry(org.to_string()).or_insert(Org {
                sector: None,
                region: None,
                targets: BTreeSet::new(),
                campaigns: 0,
                max: None,
            });
            o.targets.insert(name.to_string());
            o.sector.get_or_insert(sector);
            if o.region.is_none() {
                o.region.clone_from(region);
            }
        };
        // Declared targets by name, then what campaigns (live or not)
        // recorded, by target, sector, then region (none last).
        for t in self.declared.values() {
            if let Some(o) = &t.organisation {
                see(o, &t.name, t.sector, &t.region);
            }
        }
        let mut seen: BTreeSet<Recorded<'_>> = BTreeSet::new();
        for (c, _) in self.campaigns.values() {
            for t in stored_targets(c) {
                if let Some(o) = &t.organisation {
                    seen.insert((
                        &t.name,
                        t.sector.as_str(),
                        t.region.is_none(),
                        &t.region,
                        o,
                        t.sector,
                    ));
                }
            }
        }
        for (name, _, _, region, org, sector) in seen {
            see(org, name, sector, region);
        }
        for (c, live) in self.campaigns.values() {
            if !live {
                continue;
            }
            let of: BTreeSet<&str> = stored_targets(c)
                .into_iter()
                .filter_map(|t| t.organisation.as_deref())
                .collect();
            for o in of {
                let e = orgs.get_mut(o).expect("org seen");
                e.campaigns += 1;
                e.max = e.max.max(Some(c.severity));
            }
        }
        // A target named by several organisations counts for the last.
        let mut target_org: BTreeMap<&str, &str> = BTreeMap::new();
        for (o, v) in &orgs {
            for t in &v.targets {
                target_org.insert(t, o);
            }
        }
        let mut owned: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for a in self.alerts.values() {
            let users = a
                .details
                .get("users_compromised")
                .and_then(|v| v.as_array())
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str());
            if let Some(o) = target_org.get(a.target.as_str()) {
                owned.entry(o).or_default().extend(users);
            }
        }
        orgs.iter()
            .map(|(name, o)| OrganisationRow {
                name: name.clone(),
                sector: o.sector.unwrap_or_default(),
                region: o.region.clone(),
                targets: o.targets.iter().cloned().collect(),
                campaigns: o.campaigns,
                max_severity: o.max,
                compromised: owned.get(name.as_str()).map_or(0, |s| s.len() as u64),
            })
            .collect()
    }
}

fn hunt<'a>(
    campaigns: &'a [Campaign],
    alerts: &'a Alerts,
    retract: &'a [String],
    targets: &'a [Target],
    complete: bool,
) -> HuntWrite<'a> {
    HuntWrite {
        ran_at: Ts(1_790_000_000_000),
        alerts,
        retract_alerts: retract,
        campaigns,
        campaigns_complete: complete,
        targets,
        contacts: &[],
        checkpoints: &[],
    }
}

fn check(store: &Store, m: &Model, step: &str) -> Vec<OrganisationRow> {
    let got = store.organisations().expect("organisations");
    let want = m.organisations();
    assert_eq!(got.len(), want.len(), "{step}: organisations");
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w, "{step}");
    }
    // One organisation in full has the same row.
    let d = store
        .organisation(&want[0].name)
        .expect("organisation")
        .expect("found");
    assert_eq!(d.row, want[0], "{step}: detail");
    got
}

fn save(t: &TestStore, m: &mut Model, w: &HuntWrite<'_>, step: &str) -> Vec<OrganisationRow> {
    t.save_hunt(w).expect(step);
    m.save(w);
    check(t, m, step)
}

fn organisations_equal_brute_force(t: &TestStore) {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let mut m = Model::default();
    // 1. A first hunt: 300 campaigns with one or two alerts each, declared
    // targets (one organisation only declared).
    let mut campaigns = Vec::new();
    let mut alerts = Vec::new();
    for i in 0..300 {
        let ids: Vec<String> = (0..1 + i % 2).map(|k| format!("a{i:03}-{k}")).collect();
        let c = campaign(&mut r, &format!("c{i:03}"), ids.clone());
        for id in &ids {
            let tg = r.pick(&c.targets).name;
            alerts.push(alert(&mut r, id, &tg));
        }
        campaigns.push(c);
    }
    let mut declared: Vec<Target> = (0..6).map(|_| target(&mut r)).collect();
    declared.push(Target {
        name: "only-declared'.example".into(),
        organisation: Some("Declared ' only".into()),
        sector: TargetSector::Government,
        region: Some("R'9".into()),
    });
    let alerts = Alerts::from(alerts);
    let first = save(
        t,
        &mut m,
        &hunt(&campaigns, &alerts, &[], &declared, false),
        "first hunt",
    );
    assert!(first.len() >= 15, "{}", first.len());
    assert!(first.iter().any(|o| o.compromised > 0));
    assert!(first.iter().any(|o| o.campaigns == 0), "declared only");

    // 2. An incremental hunt: 60 changed (severity, targets, organisations,
    // regions), 40 unchanged, 30 new.
    let mut again = Vec::new();
    for c in campaigns.iter().take(60) {
        let mut c2 = campaign(&mut r, &c.id, c.alerts.clone());
        if r.below(2) == 0 {
            c2.targets = c.targets.clone();
            c2.targets[0].region = r.pick(REGIONS).map(str::to_string);
        }
        again.push(c2);
    }
    again.extend(campaigns.iter().skip(100).take(40).cloned());
    for i in 300..330 {
        again.push(campaign(
            &mut r,
            &format!("c{i:03}"),
            vec![format!("a{i:03}-0")],
        ));
    }
    let more: Alerts = (300..330)
        .map(|i| alert(&mut r, &format!("a{i:03}-0"), "site-1"))
        .collect();
    save(
        t,
        &mut m,
        &hunt(&again, &more, &[], &[], false),
        "incremental",
    );

    // 3. Analysts: status, assignee, notes change no organisation.
    let who = Principal {
        name: "ana'; --".into(),
        role: Role::Analyst,
    };
    for c in campaigns.iter().step_by(7) {
        for a in [
            Action::SetStatus {
                status: Status::Triaged,
            },
            Action::Assign {
                assignee: Some("bo".into()),
            },
            Action::Note {
                text: "seen".into(),
            },
        ] {
            t.act(&who, &c.id, &a).expect("act");
        }
    }
    let before = check(t, &m, "analysts");

    // 4. A retro-hunt's complete save: new campaigns take the alerts of 80
    // stored ones (superseded), 20 stored ones share no alert and stay
    // live, the rest are saved again; some alerts are retracted and new
    // ones name compromised accounts.
    let stored: Vec<Campaign> = m.campaigns.values().map(|(c, _)| c.clone()).collect();
    let mut current = Vec::new();
    for (k, chunk) in stored[..80].chunks(4).enumerate() {
        let ids: Vec<String> = chunk.iter().flat_map(|c| c.alerts.clone()).collect();
        current.push(campaign(&mut r, &format!("r{k:02}"), ids));
    }
    current.extend(stored[100..].iter().cloned());
    let retract: Vec<String> = stored[80..90]
        .iter()
        .flat_map(|c| c.alerts.clone())
        .collect();
    let fresh: Alerts = (0..20)
        .map(|i| {
            let tg = r.pick(TARGETS);
            let mut a = alert(&mut r, &format!("retro-{i}"), tg);
            a.details
                .insert("users_compromised".into(), vec!["carol'--"].into());
            a
        })
        .collect();
    let after = save(
        t,
        &mut m,
        &hunt(&current, &fresh, &retract, &[], true),
        "retro complete save",
    );
    assert_ne!(before, after);
    assert_eq!(
        m.campaigns.values().filter(|(_, live)| !live).count(),
        80,
        "superseded"
    );

    // 5. Superseded campaigns saved again: unchanged ones are revived,
    // changed ones are updated and live.
    let mut back: Vec<Campaign> = stored[..10].to_vec();
    for c in &stored[10..20] {
        back.push(campaign(&mut r, &c.id, c.alerts.clone()));
    }
    save(
        t,
        &mut m,
        &hunt(&back, &Alerts::default(), &[], &[], false),
        "revived",
    );

    // 6. Declared targets move to other organisations.
    let mut moved = declared.clone();
    for d in &mut moved {
        d.organisation = Some(r.pick(ORGS).to_string());
        d.region = None;
    }
    let last = save(
        t,
        &mut m,
        &hunt(&[], &Alerts::default(), &[], &moved, false),
        "declared moved",
    );

    // 7. The summary rebuilt by the migration (back to schema 6 and up)
    // equals the one kept by the saves.
    let back6 = "DROP TABLE campaign_tools; ALTER TABLE campaigns DROP COLUMN tools; \
                 DELETE FROM schema_migrations WHERE version = 8; \
                 DROP TABLE org_targets; DROP TABLE org_campaigns; \
                 DROP INDEX alert_accounts_stage; DROP INDEX campaigns_sector; \
                 DELETE FROM schema_migrations WHERE version = 7;";
    downgrade(t, back6);
    let s = Store::open(&t.url).expect("reopen");
    assert_eq!(s.schema_version().unwrap(), 8);
    assert_eq!(check(&s, &m, "rebuilt by migration 7"), last);
}

/// Run `sql` on the test's database directly.
pub fn downgrade(t: &TestStore, sql: &str) {
    match &t.path {
        Some(p) => rusqlite::Connection::open(p)
            .unwrap()
            .execute_batch(sql)
            .unwrap(),
        None => postgres::Client::connect(&t.url, postgres::NoTls)
            .unwrap()
            .batch_execute(sql)
            .unwrap(),
    }
}

both!(organisations_equal_brute_force);
