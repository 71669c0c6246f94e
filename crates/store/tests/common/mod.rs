//! Shared by the store tests: a fresh store per test on SQLite (a temp
//! file) and on PostgreSQL (a fresh schema on `$HABOOB_PG_URL`), and a real
//! hunt's alerts and campaigns from the simulator.

#![allow(dead_code)]

use haboob_hunt::{hunt, HuntOptions, Targets};
use haboob_model::{Alert, Alerts, Campaign, Target, Ts};
use haboob_simulate::{simulate, Scenario, SimOptions};
use haboob_store::testing::Scratch;
use haboob_store::{HuntWrite, Store};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A store for one test, and how to open it again.
pub struct TestStore {
    pub store: Store,
    /// The URL to reopen it with (PostgreSQL: with the password).
    pub url: String,
    /// The database file (SQLite).
    pub path: Option<PathBuf>,
    /// Dropped after `store` (fields drop in order).
    _scratch: Scratch,
}

impl std::ops::Deref for TestStore {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.store
    }
}

fn test_store(scratch: Scratch) -> TestStore {
    TestStore {
        store: scratch.open(),
        url: scratch.url.clone(),
        path: scratch.path.clone(),
        _scratch: scratch,
    }
}

pub fn sqlite(_test: &str) -> TestStore {
    test_store(Scratch::sqlite())
}

/// `$HABOOB_PG_URL` with a fresh schema named after the test; `None` (and a
/// line on stderr) when the variable is unset, a failure under `CI=true`.
pub fn postgres(test: &str) -> Option<TestStore> {
    Scratch::postgres(test).map(test_store)
}

/// One test function run on both backends: `both!(name);` makes
/// `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::$name(&$crate::common::sqlite(stringify!($name)));
            }
            #[test]
            fn postgres() {
                if let Some(s) = $crate::common::postgres(stringify!($name)) {
                    super::$name(&s);
                }
            }
        }
    )*};
}

/// A real hunt: the simulator's sign-in month (funnel, organisations,
/// compromised accounts) and three days of election-site reconnaissance.
pub struct Fixture {
    pub alerts: Vec<Alert>,
    /// `alerts` as a hunt report holds them (what [`write`] saves).
    pub saved: Alerts,
    pub campaigns: Vec<Campaign>,
    pub targets: Vec<Target>,
}

fn hunt_scenario(
    dir: &Path,
    scenario: Scenario,
    days: u32,
) -> (Vec<Alert>, Vec<Campaign>, Targets) {
    let mut o = SimOptions::new(scenario, dir);
    o.days = days;
    o.rate = 200;
    simulate(&o).expect("simulate");
    let targets = Targets::load(&dir.join("targets.toml")).expect("targets");
    let opts = HuntOptions {
        targets: targets.clone(),
        ..HuntOptions::default()
    };
    let inputs: Vec<_> = haboob_ingest::discover(&[dir.display().to_string()])
        .expect("inputs")
        .into_iter()
        .filter(|i| !matches!(i, haboob_ingest::Input::File(p) if p.extension().is_some_and(|e| e == "toml") || p.ends_with("labels.jsonl")))
        .collect();
    let r = hunt(&inputs, &opts, &|_| {});
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    (r.alerts.into_vec(), r.campaigns, targets)
}

pub fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let (mut alerts, mut campaigns, _) =
            hunt_scenario(&dir.path().join("accounts"), Scenario::AccountCampaign, 30);
        let (a2, c2, _) = hunt_scenario(&dir.path().join("election"), Scenario::ElectionRecon, 3);
        alerts.extend(a2);
        campaigns.extend(c2);
        let mut targets: BTreeMap<String, Target> = BTreeMap::new();
        for c in &campaigns {
            for t in &c.targets {
                targets.insert(t.name.clone(), t.clone());
            }
        }
        Fixture {
            saved: Alerts::from(alerts.clone()),
            alerts,
            campaigns,
            targets: targets.into_values().collect(),
        }
    })
}

pub const RAN_AT: Ts = Ts(1_790_000_000_000);

/// The whole fixture as one complete hunt.
pub fn write(f: &Fixture) -> HuntWrite<'_> {
    HuntWrite {
        ran_at: RAN_AT,
        alerts: &f.saved,
        retract_alerts: &[],
        campaigns: &f.campaigns,
        campaigns_complete: true,
        targets: &f.targets,
        contacts: &[],
        checkpoints: &[],
    }
}
