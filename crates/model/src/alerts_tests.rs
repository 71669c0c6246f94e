use super::Alerts;
use crate::{Alert, AlertSource, Details, Evidence, Severity, Ts};
use std::borrow::Cow;

fn alert(id: &str, first: i64, count: u64) -> Alert {
    Alert {
        id: id.to_string(),
        detector: "web.scan".to_string(),
        title: format!("scan {id}"),
        techniques: vec!["T1595".to_string()],
        severity: Severity::Medium,
        source: AlertSource {
            ip: Some("192.0.2.7".parse().unwrap()),
            ..AlertSource::default()
        },
        target: "votes.example.gov".to_string(),
        user: None,
        first_seen: Ts::from_secs(first),
        last_seen: Ts::from_secs(first + 60),
        count,
        details: Details::default(),
        evidence: vec![Evidence {
            file: "access.log".to_string(),
            line: 3,
            raw: "GET /.env".to_string(),
        }],
    }
}

fn three() -> Vec<Alert> {
    vec![alert("a", 10, 1), alert("b", 20, 2), alert("c", 30, 3)]
}

fn ids(alerts: &Alerts) -> Vec<String> {
    alerts.iter().map(|a| a.id.clone()).collect()
}

#[test]
fn default_is_empty() {
    let a = Alerts::default();
    assert_eq!(a.len(), 0);
    assert!(a.is_empty());
    assert_eq!(a.iter().count(), 0);
    assert_eq!(a.to_vec(), Vec::<Alert>::new());
    assert_eq!(a.into_vec(), Vec::<Alert>::new());
}

#[test]
fn len_and_is_empty_count_the_alerts() {
    let a = Alerts::from(three());
    assert_eq!(a.len(), 3);
    assert!(!a.is_empty());
    let one = Alerts::from(vec![alert("x", 0, 1)]);
    assert_eq!(one.len(), 1);
    assert!(!one.is_empty());
}

#[test]
fn from_vec_keeps_the_order_and_into_vec_gives_it_back() {
    let v = vec![alert("c", 30, 3), alert("a", 10, 1), alert("b", 20, 2)];
    let a = Alerts::from(v.clone());
    assert_eq!(ids(&a), ["c", "a", "b"]);
    assert_eq!(a.into_vec(), v);
}

#[test]
fn from_iterator_collects_in_order() {
    let a: Alerts = three().into_iter().rev().collect();
    assert_eq!(ids(&a), ["c", "b", "a"]);
    assert_eq!(a.len(), 3);
}

#[test]
fn plain_iter_borrows_each_alert_in_order() {
    let v = three();
    let a = Alerts::from(v.clone());
    let mut it = a.iter();
    assert_eq!(it.size_hint(), (3, Some(3)));
    let first = it.next().unwrap();
    assert!(matches!(first, Cow::Borrowed(_)));
    assert_eq!(*first, v[0]);
    assert_eq!(it.size_hint(), (2, Some(2)));
    let rest: Vec<Alert> = it.map(Cow::into_owned).collect();
    assert_eq!(rest, v[1..]);
}

#[test]
fn for_loop_over_a_reference_yields_the_same_items_as_iter() {
    let a = Alerts::from(three());
    let mut counts = Vec::new();
    for x in &a {
        assert!(matches!(x, Cow::Borrowed(_)));
        counts.push(x.count);
    }
    assert_eq!(counts, [1, 2, 3]);
}

#[test]
fn to_vec_copies_and_leaves_the_alerts() {
    let a = Alerts::from(three());
    let v = a.to_vec();
    assert_eq!(v, three());
    assert_eq!(a.len(), 3);
    assert_eq!(ids(&a), ["a", "b", "c"]);
}

#[test]
fn clone_is_equal_and_independent() {
    let a = Alerts::from(three());
    let b = a.clone();
    assert_eq!(a, b);
    let mut v = b.into_vec();
    v.pop();
    assert_eq!(a.len(), 3);
    assert_eq!(v.len(), 2);
}

#[test]
fn equality_is_by_content_and_order() {
    let a = Alerts::from(three());
    assert_eq!(a, Alerts::from(three()));
    let mut reordered = three();
    reordered.swap(0, 2);
    assert_ne!(a, Alerts::from(reordered));
    let mut changed = three();
    changed[1].count = 9;
    assert_ne!(a, Alerts::from(changed));
    let mut shorter = three();
    shorter.pop();
    assert_ne!(a, Alerts::from(shorter));
    assert_eq!(Alerts::default(), Alerts::from(Vec::new()));
}

#[test]
fn debug_prints_the_list_as_the_vec_did() {
    let v = three();
    assert_eq!(format!("{:?}", Alerts::from(v.clone())), format!("{v:?}"));
    assert_eq!(format!("{:?}", Alerts::default()), "[]");
}

#[test]
fn serializes_as_the_vec_did() {
    let v = three();
    let a = Alerts::from(v.clone());
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&v).unwrap()
    );
    assert_eq!(serde_json::to_string(&Alerts::default()).unwrap(), "[]");
    let json = serde_json::to_string(&Alerts::from(vec![alert("a", 10, 1)])).unwrap();
    assert!(json.starts_with(r#"[{"id":"a","detector":"web.scan","title":"scan a","#));
}

fn packed(alerts: &[Alert]) -> Alerts {
    let mut p = crate::PackedAlerts::with_chunk_bytes(64);
    for a in alerts {
        p.push(a);
    }
    Alerts::from(p)
}

#[test]
fn packed_alerts_read_as_the_plain_ones_do() {
    let plain = Alerts::from(three());
    let p = packed(&three());
    assert_eq!((p.len(), p.is_empty()), (3, false));
    assert!(packed(&[]).is_empty());
    assert_eq!(ids(&p), ["a", "b", "c"]);
    assert!(p.iter().all(|a| matches!(a, Cow::Owned(_))));
    assert_eq!(p.iter().size_hint(), (3, Some(3)));
    assert_eq!(p.to_vec(), three());
    assert_eq!(p.clone().into_vec(), three());
    // Equal to plain alerts of the same content and order, either way.
    assert_eq!(p, plain);
    assert_eq!(plain, p);
    assert_ne!(packed(&three()[..2]), plain);
    let mut other = three();
    other[2].count = 4;
    assert_ne!(packed(&other), plain);
    assert_eq!(
        serde_json::to_string(&p).unwrap(),
        serde_json::to_string(&three()).unwrap()
    );
}
