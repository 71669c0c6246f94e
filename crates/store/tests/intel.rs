//! Threat intelligence in the store: indicators round trip exactly, saves
//! upsert by id, cursors persist, filters (source, validity, first import)
//! give exact ids, hostile text stays data, and campaign attributions
//! round trip.

mod common;

use common::{fixture, write, TestStore};
use haboob_model::intel::{
    Attribution, AttributionReason, Indicator, IndicatorCondition, Observable, Provenance,
    ReasonKind, Tlp,
};
use haboob_model::Ts;
use haboob_store::{IndicatorQuery, IntelSaved, IntelWrite};

fn ind(id: &str, obs: Observable, until: Option<i64>) -> Indicator {
    Indicator {
        id: id.into(),
        name: format!("name of {id}"),
        condition: IndicatorCondition::Any(vec![obs]),
        valid_from: Some(Ts(1_000)),
        valid_until: until.map(Ts),
        labels: vec!["malicious-activity".into()],
        actors: vec!["Mint Sandstorm".into()],
        provenance: Provenance {
            source: "isac".into(),
            imported: Ts(5_000),
            confidence: Some(80),
            tlp: Some(Tlp::Green),
            reference: None,
        },
    }
}

fn set() -> Vec<Indicator> {
    vec![
        ind(
            "indicator--a",
            Observable::Ip("203.0.113.0/24".parse().unwrap()),
            None,
        ),
        ind(
            "indicator--b",
            Observable::Domain("seized.example".into()),
            Some(2_000),
        ),
        Indicator {
            condition: IndicatorCondition::Pattern(
                "[url:value = 'http://x.example/a'] AND [domain-name:value = 'y.example']".into(),
            ),
            ..ind("indicator--c", Observable::Url(String::new()), None)
        },
    ]
}

fn ids(v: &[Indicator]) -> Vec<&str> {
    v.iter().map(|i| i.id.as_str()).collect()
}

fn round_trip_and_upsert(t: &TestStore) {
    let s = set();
    let w = IntelWrite {
        indicators: &s,
        source: "isac",
        cursor: Some("2026-11-01T00:00:00Z"),
    };
    assert_eq!(
        t.save_indicators(&w).unwrap(),
        IntelSaved {
            added: 3,
            updated: 0,
            unchanged: 0
        }
    );
    assert_eq!(t.indicators(&IndicatorQuery::default()).unwrap(), s);
    // Again: nothing changes; a changed one is an update; no cursor keeps the old.
    let mut s2 = s.clone();
    s2[1].provenance.confidence = Some(95);
    let w2 = IntelWrite {
        indicators: &s2,
        source: "isac",
        cursor: None,
    };
    assert_eq!(
        t.save_indicators(&w2).unwrap(),
        IntelSaved {
            added: 0,
            updated: 1,
            unchanged: 2
        }
    );
    assert_eq!(
        t.indicators(&IndicatorQuery::default()).unwrap()[1]
            .provenance
            .confidence,
        Some(95)
    );
    assert_eq!(
        t.intel_cursor("isac").unwrap().as_deref(),
        Some("2026-11-01T00:00:00Z")
    );
    assert_eq!(t.intel_cursor("nobody").unwrap(), None);
    let rows = t.intel_sources().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].source.as_str(), rows[0].indicators), ("isac", 3));
}

fn filters(t: &TestStore) {
    let s = set();
    t.save_indicators(&IntelWrite {
        indicators: &s,
        source: "isac",
        cursor: None,
    })
    .unwrap();
    let other = vec![ind(
        "list--1",
        Observable::UserAgent("evil/1.0".into()),
        None,
    )];
    t.save_indicators(&IntelWrite {
        indicators: &other,
        source: "list:ua.txt",
        cursor: None,
    })
    .unwrap();
    let q = |q: IndicatorQuery| {
        ids(&t.indicators(&q).unwrap())
            .into_iter()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        q(IndicatorQuery {
            source: Some("list:ua.txt".into()),
            ..Default::default()
        }),
        ["list--1"]
    );
    // At 1500 all are valid; at 2500 the seized domain has expired; before
    // valid_from nothing is.
    let at = |t: i64| IndicatorQuery {
        valid_at: Some(Ts(t)),
        ..Default::default()
    };
    assert_eq!(
        q(at(1_500)),
        ["indicator--a", "indicator--b", "indicator--c", "list--1"]
    );
    assert_eq!(q(at(2_500)), ["indicator--a", "indicator--c", "list--1"]);
    assert!(q(at(500)).is_empty());
    // Imported since a time after the saves: none; since 0: all.
    let since = |t: i64| IndicatorQuery {
        imported_since: Some(Ts(t)),
        ..Default::default()
    };
    assert!(q(since(i64::MAX / 2)).is_empty());
    assert_eq!(q(since(0)).len(), 4);
    assert_eq!(t.intel_sources().unwrap().len(), 2);
}

fn hostile_text_is_data(t: &TestStore) {
    let evil = "'); DROP TABLE indicators;-- \u{202e}";
    let mut i = ind("indicator--'evil", Observable::UserAgent(evil.into()), None);
    i.name = evil.into();
    let v = vec![i];
    t.save_indicators(&IntelWrite {
        indicators: &v,
        source: evil,
        cursor: Some(evil),
    })
    .unwrap();
    assert_eq!(t.indicators(&IndicatorQuery::default()).unwrap(), v);
    assert_eq!(t.intel_cursor(evil).unwrap().as_deref(), Some(evil));
}

fn many_indicators_in_chunks(t: &TestStore) {
    let v: Vec<Indicator> = (0..1_234u32)
        .map(|n| {
            ind(
                &format!("list--{n:05}"),
                Observable::Ip(format!("10.{}.{}.1/32", n / 256, n % 256).parse().unwrap()),
                None,
            )
        })
        .collect();
    let w = IntelWrite {
        indicators: &v,
        source: "big",
        cursor: None,
    };
    assert_eq!(t.save_indicators(&w).unwrap().added, 1_234);
    assert_eq!(t.save_indicators(&w).unwrap().unchanged, 1_234);
    assert_eq!(t.indicators(&IndicatorQuery::default()).unwrap(), v);
}

fn campaign_attribution_round_trips(t: &TestStore) {
    let f = fixture();
    let mut campaigns = f.campaigns.clone();
    campaigns[0].attribution = vec![Attribution {
        actor: "Mint Sandstorm".into(),
        aliases: vec!["APT35".into(), "Charming Kitten".into()],
        confidence: 72,
        reasons: vec![AttributionReason {
            kind: ReasonKind::Infrastructure,
            text: "source 203.0.113.7 is listed by isac".into(),
            weight: 60,
        }],
    }];
    let mut w = write(f);
    w.campaigns = &campaigns;
    t.save_hunt(&w).unwrap();
    let got = t.campaign(&campaigns[0].id).unwrap().unwrap().campaign;
    assert_eq!(got.attribution, campaigns[0].attribution);
    let other = t.campaign(&campaigns[1].id).unwrap().unwrap().campaign;
    assert!(other.attribution.is_empty());
    // Changing only the attribution is a new revision.
    let mut changed = campaigns.clone();
    changed[0].attribution[0].confidence = 80;
    w.campaigns = &changed;
    let sum = t.save_hunt(&w).unwrap();
    assert_eq!(sum.campaigns_updated, 1);
}

both!(
    round_trip_and_upsert,
    filters,
    hostile_text_is_data,
    many_indicators_in_chunks,
    campaign_attribution_round_trips,
);
