//! Alerts packed as they come (`[hunt] pack_alerts_after`) give the same
//! report as alerts held as they are: the same alerts in the same order,
//! campaigns, background and suppression count. Checked with every alert
//! packed, on one lane and in lanes, on a simulated month of web
//! reconnaissance and an account campaign (sign-in campaigns naming web
//! ones, an allow-listed source), on the background fixture, and on the
//! corpus web logs when the corpus is present.

use haboob_hunt::{hunt, HuntOptions, HuntReport, Targets};
use haboob_ingest::Input;
use haboob_simulate::{simulate, Scenario, SimOptions};
use std::path::Path;

/// The parts of a report packing must not change, as JSON.
fn findings(r: &HuntReport) -> (String, String, String, u64, usize) {
    (
        serde_json::to_string(&r.alerts).unwrap(),
        serde_json::to_string(&r.campaigns).unwrap(),
        serde_json::to_string(&r.background).unwrap(),
        r.suppressed,
        r.alerts.len(),
    )
}

/// Hunt `inputs` unpacked, then with every alert packed on one lane and
/// in two source lanes, and check the reports agree; returns the alerts.
fn same_packed_or_not(inputs: &[Input], base: &HuntOptions) -> usize {
    let with = |pack: usize, lanes: u32| {
        let mut o = base.clone();
        o.config.hunt.pack_alerts_after = pack;
        o.config.hunt.detection_lanes = lanes;
        o.config.hunt.lanes_min_mb = 0;
        hunt(inputs, &o, &|_| {})
    };
    for lanes in [1, 2] {
        let plain = with(0, lanes);
        let packed = with(1, lanes);
        assert_eq!(findings(&packed), findings(&plain), "lanes {lanes}");
        // Input errors too (a corpus folder holds licences and READMEs).
        assert_eq!(packed.errors, plain.errors);
        // Packed alerts are handed out one at a time, decoded.
        assert!(packed
            .alerts
            .iter()
            .all(|a| matches!(a, std::borrow::Cow::Owned(_))));
        assert!(plain
            .alerts
            .iter()
            .all(|a| matches!(a, std::borrow::Cow::Borrowed(_))));
    }
    with(0, 1).alerts.len()
}

fn logs_of(dir: &Path) -> Vec<Input> {
    let inputs = haboob_ingest::discover(&[dir.display().to_string()]).unwrap();
    inputs
        .into_iter()
        .filter(|i| {
            let Input::File(p) = i else { return true };
            let name = p.file_name().unwrap().to_string_lossy();
            !name.ends_with(".toml")
                && name != "labels.jsonl"
                && !p.components().any(|c| c.as_os_str() == "intel")
        })
        .collect()
}

#[test]
fn a_simulated_month_hunts_the_same_packed() {
    let tmp = tempfile::tempdir().unwrap();
    let (web, acc) = (tmp.path().join("web"), tmp.path().join("acc"));
    simulate(&SimOptions {
        rate: 600,
        ..SimOptions::new(Scenario::ElectionRecon, &web)
    })
    .unwrap();
    simulate(&SimOptions::new(Scenario::AccountCampaign, &acc)).unwrap();
    let mut targets = Targets::load(&web.join("targets.toml")).unwrap();
    targets.extend(Targets::load(&acc.join("targets.toml")).unwrap());
    let mut config = haboob_hunt::Config::parse(
        &std::fs::read_to_string(web.join("haboob.toml")).unwrap(),
        "t",
    )
    .unwrap();
    let mut inputs = logs_of(&web);
    inputs.extend(logs_of(&acc));
    // One source allow-listed: suppression counts the same.
    let plain = hunt(
        &inputs,
        &HuntOptions {
            targets: targets.clone(),
            config: config.clone(),
            ..HuntOptions::default()
        },
        &|_| {},
    );
    let first = plain
        .alerts
        .iter()
        .find_map(|a| a.source.ip.filter(|_| a.source.members.is_empty()))
        .unwrap();
    config.hunt.allow_sources.push(first.to_string());
    let opts = HuntOptions {
        targets,
        config,
        ..HuntOptions::default()
    };
    let n = same_packed_or_not(&inputs, &opts);
    assert!(n > 10, "{n} alerts");
    let r = hunt(&inputs, &opts, &|_| {});
    assert!(r.suppressed > 0);
    // Sign-in campaigns and web campaigns both stand.
    assert!(r.campaigns.iter().any(|c| c.funnel.is_some()));
    assert!(r.campaigns.iter().any(|c| c.funnel.is_none()));
}

#[test]
fn the_background_fixture_hunts_the_same_packed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/background");
    let inputs = haboob_ingest::discover(&[dir.display().to_string()]).unwrap();
    let n = same_packed_or_not(&inputs, &HuntOptions::default());
    assert_eq!(n, 9);
}

#[test]
fn the_corpus_web_logs_hunt_the_same_packed() {
    let Some(dir) =
        haboob_testdata::corpus_file_or_skip("the_corpus_web_logs_hunt_the_same_packed", "weblogs")
    else {
        return;
    };
    let inputs = haboob_ingest::discover(&[dir.display().to_string()]).unwrap();
    let n = same_packed_or_not(&inputs, &HuntOptions::default());
    assert!(n > 10, "{n} alerts");
}

#[test]
fn an_actor_hunts_and_is_attributed_the_same_packed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("actor");
    simulate(&SimOptions {
        rate: 200,
        ..SimOptions::new(Scenario::ElectionActor, &dir)
    })
    .unwrap();
    // The ISAC list the scenario wrote: indicators naming the actor.
    let list = std::fs::read(dir.join("intel/isac-list.txt")).unwrap();
    let opts = haboob_intel::sources::ImportOptions::default();
    let indicators = haboob_intel::sources::list::read_list(&list[..], "isac", "list:isac", &opts)
        .unwrap()
        .indicators;
    let (index, _) = haboob_intel::IntelIndex::build(indicators, &Default::default());
    let opts = HuntOptions {
        targets: Targets::load(&dir.join("targets.toml")).unwrap(),
        intel: Some(std::sync::Arc::new(index)),
        actors: Some(std::sync::Arc::new(haboob_intel::ActorDb::builtin())),
        ..HuntOptions::default()
    };
    let inputs = logs_of(&dir);
    let n = same_packed_or_not(&inputs, &opts);
    assert!(n > 10, "{n} alerts");
    let r = hunt(&inputs, &opts, &|_| {});
    let attributed = r.campaigns.iter().filter(|c| !c.attribution.is_empty());
    assert!(attributed.count() > 0);
}
