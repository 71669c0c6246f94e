use super::*;
use crate::{AlertSource, Details, Evidence, Severity, Ts};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::net::IpAddr;

/// Equal as values, and as JSON text: the text also tells `-0.0` from
/// `0.0` (and any two floats apart) and shows the key order of objects,
/// which `Value`'s equality does not.
fn same(got: &[Alert], want: &[Alert]) -> Result<(), TestCaseError> {
    prop_assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        prop_assert_eq!(g, w);
        prop_assert_eq!(
            serde_json::to_string(g).unwrap(),
            serde_json::to_string(w).unwrap()
        );
    }
    Ok(())
}

fn encoded_len(a: &Alert) -> usize {
    let mut v = Vec::new();
    codec::encode(a, &mut v).unwrap();
    v.len()
}

fn alert(n: u64) -> Alert {
    Alert {
        id: format!("al-{n:016x}"),
        detector: "web.exploit".into(),
        title: format!("exploit attempt {n}"),
        techniques: vec!["T1190".into()],
        severity: Severity::High,
        source: AlertSource {
            ip: Some(IpAddr::from([192, 0, 2, (n % 256) as u8])),
            ..AlertSource::default()
        },
        target: "votes.example.gov".into(),
        user: None,
        first_seen: Ts(1_788_220_800_000 + n as i64 * 1000),
        last_seen: Ts(1_788_220_800_000 + n as i64 * 1000),
        count: 1,
        details: Details::from([("n".to_string(), json!(n))]),
        evidence: vec![Evidence {
            file: "access.log".into(),
            line: n,
            raw: format!("GET /probe/{n}"),
        }],
    }
}

// ---- strategies --------------------------------------------------------

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "(?s:.{0,24})",
        1 => "[a-zé€😀]{4000,4200}",
    ]
}

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        prop::sample::select(vec![
            0.0,
            -0.0,
            1.0,
            0.1,
            -2.5,
            1e21,
            5e-324,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::MIN,
            f64::EPSILON,
            65504.0,
            16_777_217.0,
        ]),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        prop::sample::select(vec![i64::MIN, -1, 0, 23, 24, 255, 256, i64::MAX])
            .prop_map(Value::from),
        float().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        "(?s:.{0,16})".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("[a-z_]{0,6}", inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn severity() -> impl Strategy<Value = Severity> {
    prop::sample::select(vec![
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ])
}

fn addr() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<IpAddr>(),
        prop::sample::select(
            [
                "0.0.0.0",
                "255.255.255.255",
                "::",
                "::1",
                "::ffff:192.0.2.1"
            ]
            .map(|a| a.parse::<IpAddr>().unwrap())
            .to_vec()
        ),
    ]
}

fn source() -> impl Strategy<Value = AlertSource> {
    (
        prop::option::of(addr()),
        prop::option::of(prop_oneof!["[0-9./:a-f]{0,18}", text()]),
        prop::collection::vec(addr(), 0..4),
    )
        .prop_map(|(ip, prefix, members)| AlertSource {
            ip,
            prefix,
            members,
        })
}

fn evidence() -> impl Strategy<Value = Evidence> {
    ("(?s:.{0,12})", any::<u64>(), text()).prop_map(|(file, line, raw)| Evidence {
        file,
        line,
        raw,
    })
}

fn arb_alert() -> impl Strategy<Value = Alert> {
    (
        ("[a-z0-9-]{0,20}", "[a-z._]{0,12}", text()),
        prop::collection::vec(prop_oneof!["T[0-9.]{0,8}", text()], 0..3),
        (severity(), source(), text(), prop::option::of(text())),
        (
            any::<i64>(),
            prop_oneof![any::<i64>(), -2000..2000i64],
            prop_oneof![any::<u64>(), 0..300u64],
        ),
        prop::collection::vec(("(?s:.{0,10})", json_value()), 0..6),
        prop::collection::vec(evidence(), 0..4),
    )
        .prop_map(
            |(
                (id, detector, title),
                techniques,
                (severity, source, target, user),
                t,
                d,
                evidence,
            )| {
                Alert {
                    id,
                    detector,
                    title,
                    techniques,
                    severity,
                    source,
                    target,
                    user,
                    first_seen: Ts(t.0),
                    // Often just after the first, as in most alerts.
                    last_seen: Ts(t.0.wrapping_add(t.1)),
                    count: t.2,
                    details: d.into_iter().collect(),
                    evidence,
                }
            },
        )
}

/// Alerts, a chunk size, a random order of all their indices, and a batch
/// of indices with repeats.
fn case() -> impl Strategy<Value = (Vec<Alert>, usize, Vec<usize>, Vec<prop::sample::Index>)> {
    prop::collection::vec(arb_alert(), 0..24).prop_flat_map(|alerts| {
        let n = alerts.len();
        (
            Just(alerts),
            prop_oneof![0..64usize, 64..4096usize, 4096..20_000usize],
            Just((0..n).collect::<Vec<_>>()).prop_shuffle(),
            prop::collection::vec(any::<prop::sample::Index>(), 0..40),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Whatever the alerts and chunk size, every way of reading gives back
    /// exactly what was pushed, and chunks seal where the rule says.
    #[test]
    fn every_read_gives_back_what_was_pushed(
        (alerts, chunk_bytes, order, batch) in case()
    ) {
        let mut p = PackedAlerts::with_chunk_bytes(chunk_bytes);
        for (i, a) in alerts.iter().enumerate() {
            prop_assert_eq!(p.push(a), i);
        }
        prop_assert_eq!(p.len(), alerts.len());
        prop_assert_eq!(p.is_empty(), alerts.is_empty());

        let mut sealed = 0;
        let mut open = 0;
        for a in &alerts {
            open += encoded_len(a);
            if open >= chunk_bytes {
                sealed += 1;
                open = 0;
            }
        }
        prop_assert_eq!(p.sealed_chunks(), sealed);

        prop_assert_eq!(p.iter().len(), alerts.len());
        same(&p.iter().collect::<Vec<_>>(), &alerts)?;

        let mut cursor = p.cursor();
        let got: Vec<Alert> = order.iter().map(|&i| cursor.get(i)).collect();
        let want: Vec<Alert> = order.iter().map(|&i| alerts[i].clone()).collect();
        same(&got, &want)?;

        if !alerts.is_empty() {
            let idx: Vec<usize> = batch.iter().map(|x| x.index(alerts.len())).collect();
            let want: Vec<Alert> = idx.iter().map(|&i| alerts[i].clone()).collect();
            same(&p.get_many(&idx), &want)?;
        }
    }
}

proptest! {
    /// A record cut short anywhere, or with a byte more, is refused (an
    /// error naming the fault, not a panic or a wrong alert).
    #[test]
    fn a_record_cut_short_or_overlong_does_not_decode(
        a in arb_alert(),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = Vec::new();
        codec::encode(&a, &mut bytes).unwrap();
        prop_assert_eq!(codec::decode(&bytes).unwrap(), a);
        let n = cut.index(bytes.len());
        prop_assert!(codec::decode(&bytes[..n]).is_err());
        bytes.push(0);
        prop_assert!(codec::decode(&bytes).is_err());
    }
}

#[test]
fn stores_can_be_shared_across_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<PackedAlerts>();
}

#[test]
fn an_empty_store_holds_nothing() {
    let p = PackedAlerts::default();
    assert_eq!((p.len(), p.is_empty(), p.sealed_chunks()), (0, true, 0));
    assert_eq!(p.heap_bytes(), 0);
    assert_eq!(p.iter().next(), None);
    assert_eq!(p.get_many(&[]), []);
}

#[test]
#[should_panic(expected = "index 3 out of range for 3 alerts")]
fn reading_past_the_end_panics() {
    let mut p = PackedAlerts::new();
    for n in 0..3 {
        p.push(&alert(n));
    }
    p.cursor().get(3);
}

#[test]
fn a_chunk_seals_once_it_reaches_its_size() {
    // Alerts 7 to 9 encode to the same length.
    let len = encoded_len(&alert(7));
    assert_eq!([8, 9].map(|n| encoded_len(&alert(n))), [len; 2]);
    let mut p = PackedAlerts::with_chunk_bytes(2 * len);
    p.push(&alert(7));
    assert_eq!((p.sealed_chunks(), p.open.len()), (0, len));
    p.push(&alert(8));
    assert_eq!((p.sealed_chunks(), p.open.len()), (1, 0));
    p.push(&alert(9));
    assert_eq!((p.sealed_chunks(), p.open.len()), (1, len));
    // One record in the open buffer, two in the sealed chunk.
    assert_eq!(p.records(0), 0..2);
    assert_eq!(p.records(1), 2..3);
    let want: Vec<Alert> = (7..10).map(alert).collect();
    assert_eq!(p.iter().collect::<Vec<_>>(), want);
    assert_eq!(
        p.get_many(&[2, 0, 1, 2]),
        [&want[2], &want[0], &want[1], &want[2]].map(Clone::clone)
    );
}

#[test]
fn a_record_larger_than_a_chunk_gets_a_chunk_of_its_own() {
    let mut big = alert(1);
    big.evidence[0].raw = "é".repeat(50_000);
    let mut p = PackedAlerts::with_chunk_bytes(1024);
    p.push(&alert(0));
    p.push(&big); // closes the chunk alert 0 opened
    p.push(&big); // alone
    p.push(&alert(2));
    assert_eq!(p.sealed_chunks(), 2);
    assert_eq!(
        (p.records(0), p.records(1), p.records(2)),
        (0..2, 2..3, 3..4)
    );
    let want = vec![alert(0), big.clone(), big, alert(2)];
    assert_eq!(p.iter().collect::<Vec<_>>(), want);
    let mut c = p.cursor();
    assert_eq!(
        [3, 2, 1, 0].map(|i| c.get(i)),
        [3, 2, 1, 0].map(|i| want[i].clone())
    );
}

#[test]
fn a_zero_chunk_size_seals_every_record() {
    let mut p = PackedAlerts::with_chunk_bytes(0);
    for n in 0..5 {
        p.push(&alert(n));
    }
    assert_eq!(p.sealed_chunks(), 5);
    assert!(p.open.is_empty());
    assert_eq!(
        p.iter().collect::<Vec<_>>(),
        (0..5).map(alert).collect::<Vec<_>>()
    );
}

#[test]
fn the_cursor_decompresses_each_chunk_once_when_reading_nearly_in_order() {
    let mut p = PackedAlerts::with_chunk_bytes(0);
    for n in 0..12 {
        p.push(&alert(n));
    }
    let mut c = p.cursor();
    // Each step back lands within the four most recently used chunks.
    for i in [0, 2, 1, 3, 5, 4, 6, 3, 7, 9, 8, 10, 7, 11] {
        assert_eq!(c.get(i), alert(i as u64));
    }
    assert_eq!(c.decompressed, 12);
    assert_eq!(
        c.slots.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
        [11, 7, 10, 8]
    );
    // Chunk 9, used fifth most recently, was dropped.
    assert_eq!(c.get(9), alert(9));
    assert_eq!(c.decompressed, 13);
    assert_eq!(
        c.slots.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
        [9, 11, 7, 10]
    );
}

#[test]
fn a_cursor_keeping_more_chunks_reads_two_far_apart_runs_once() {
    let mut p = PackedAlerts::with_chunk_bytes(0);
    for n in 0..20 {
        p.push(&alert(n));
    }
    // Two runs read in turn, each alert twice, as two lanes' alerts are
    // read by time.
    let order: Vec<usize> = (0..10).flat_map(|i| [i, i + 10, i, i + 10]).collect();
    let mut two = p.cursor_keeping(2);
    let mut one = p.cursor_keeping(0);
    for &i in &order {
        assert_eq!(two.get(i), alert(i as u64));
        assert_eq!(one.get(i), alert(i as u64));
    }
    assert_eq!(two.decompressed, 20);
    // At least one chunk is kept, and one is not enough for two runs.
    assert_eq!(one.slots.len(), 1);
    assert_eq!(one.decompressed, 40);
}

#[test]
fn appending_a_store_keeps_every_alert_in_order() {
    for (a_n, b_n, chunk) in [(0, 3, 64), (3, 0, 64), (5, 7, 200), (4, 4, 1 << 20)] {
        let mut a = PackedAlerts::with_chunk_bytes(chunk);
        let mut b = PackedAlerts::with_chunk_bytes(chunk);
        for n in 0..a_n {
            a.push(&alert(n));
        }
        for n in 0..b_n {
            b.push(&alert(100 + n));
        }
        a.append(b);
        let want: Vec<Alert> = (0..a_n)
            .chain((0..b_n).map(|n| 100 + n))
            .map(alert)
            .collect();
        assert_eq!(a.len(), want.len());
        assert_eq!(a.iter().collect::<Vec<_>>(), want);
        let mut c = a.cursor();
        for i in (0..want.len()).rev() {
            assert_eq!(c.get(i), want[i]);
        }
        // And the store takes more after.
        a.push(&alert(999));
        assert_eq!(a.get_many(&[a.len() - 1]), [alert(999)]);
    }
}

#[test]
fn putting_a_store_in_order_keeps_the_alerts_asked_for() {
    for (n, chunk) in [
        (0usize, 64usize),
        (1, 64),
        (9000, 300),
        (50, 0),
        (30, 1 << 20),
    ] {
        let mut p = PackedAlerts::with_chunk_bytes(chunk);
        for i in 0..n {
            p.push(&alert(i as u64));
        }
        // Every third alert dropped, the rest in a scrambled order.
        let mut order: Vec<u32> = (0..n as u32).filter(|i| i % 3 != 1).collect();
        order.sort_by_key(|&i| (i.wrapping_mul(2_654_435_761) % 1009, i));
        let want: Vec<Alert> = order.iter().map(|&i| alert(u64::from(i))).collect();
        let q = p.into_order(&order);
        assert_eq!(q.len(), want.len());
        assert_eq!(q.iter().collect::<Vec<_>>(), want);
        // Sealed as a store filled in that order would be.
        let mut fresh = PackedAlerts::with_chunk_bytes(chunk);
        for a in &want {
            fresh.push(a);
        }
        assert_eq!(q.sealed_chunks(), fresh.sealed_chunks());
    }
}

#[test]
#[should_panic(expected = "ordered twice")]
fn ordering_an_alert_twice_panics() {
    let mut p = PackedAlerts::new();
    p.push(&alert(0));
    p.push(&alert(1));
    p.into_order(&[1, 1]);
}

#[test]
fn the_open_buffer_is_read_without_sealing() {
    let mut p = PackedAlerts::new();
    for n in 0..3 {
        p.push(&alert(n));
    }
    assert_eq!(p.sealed_chunks(), 0);
    let mut c = p.cursor();
    assert_eq!(c.get(1), alert(1));
    assert_eq!(c.decompressed, 0);
    assert_eq!(p.get_many(&[2, 0]), [alert(2), alert(0)]);
}

/// Every optional field empty (and every string and list empty), and
/// every one set (addresses of both families, an IPv4-mapped IPv6 one kept
/// as IPv6, each severity): fields serde leaves out when empty
/// (`skip_serializing_if`) come back empty, not missing, and set ones come
/// back set.
#[test]
fn alerts_with_every_optional_field_empty_or_set_come_back() {
    let bare = Alert {
        id: String::new(),
        detector: String::new(),
        title: String::new(),
        techniques: vec![],
        severity: Severity::Low,
        source: AlertSource::default(),
        target: String::new(),
        user: None,
        first_seen: Ts(0),
        last_seen: Ts(0),
        count: 0,
        details: Details::new(),
        evidence: vec![],
    };
    let full = |severity, ip: &str| Alert {
        id: "al-0123456789abcdef".into(),
        detector: "signin.spray".into(),
        title: "Passwort-Spray gegen 12 Konten – 東京".into(),
        techniques: vec!["T1110".into(), "T1110.003".into(), String::new()],
        severity,
        source: AlertSource {
            ip: Some(ip.parse().unwrap()),
            prefix: Some("2001:db8:1::/64".into()),
            members: ["192.0.2.1", "2001:db8:1::7", "::ffff:198.51.100.9", "::"]
                .map(|m| m.parse().unwrap())
                .into(),
        },
        target: "contoso.example".into(),
        user: Some("ana@contoso.example".into()),
        first_seen: Ts(-1),
        last_seen: Ts(i64::MAX),
        count: 300,
        details: Details::from([
            ("accounts".to_string(), json!(12)),
            ("ratio".to_string(), json!(-0.25)),
            (
                "tools".to_string(),
                json!(["hydra", null, {"v": [true, false]}]),
            ),
        ]),
        evidence: vec![
            Evidence {
                file: "signin.json".into(),
                line: 1,
                raw: "{\"user\":\"ana\"}".into(),
            },
            Evidence {
                file: String::new(),
                line: u64::MAX,
                raw: String::new(),
            },
        ],
    };
    let mut empty_user = full(Severity::High, "192.0.2.1");
    empty_user.user = Some(String::new());
    empty_user.source.prefix = Some(String::new());
    let want = [
        bare.clone(),
        full(Severity::Low, "192.0.2.1"),
        full(Severity::Medium, "2001:db8:1::7"),
        full(Severity::High, "::ffff:198.51.100.9"),
        full(Severity::Critical, "255.255.255.255"),
        empty_user,
        bare,
    ];
    for chunk in [0, 1 << 16] {
        let mut p = PackedAlerts::with_chunk_bytes(chunk);
        for a in &want {
            p.push(a);
        }
        same(&p.iter().collect::<Vec<_>>(), &want).unwrap();
        assert!(p.iter().nth(3).unwrap().source.ip.unwrap().is_ipv6());
    }
}

/// Numbers keep their kind and every bit: integers at varint size steps and
/// the extremes of both signs, floats a codec could store as half or single
/// precision, negative zero, the smallest subnormal.
#[test]
fn numbers_keep_their_kind_and_bits() {
    let floats = [
        0.0,
        -0.0,
        1.0,
        0.1,
        65504.0,
        65505.0,
        1e-7,
        5e-324,
        f64::MAX,
        16_777_217.0,
    ];
    let ints: [i64; 14] = [
        i64::MIN,
        -129,
        -128,
        -25,
        -24,
        -1,
        0,
        24,
        127,
        128,
        16_383,
        16_384,
        65_536,
        i64::MAX,
    ];
    let mut a = alert(0);
    a.first_seen = Ts(i64::MIN);
    a.last_seen = Ts(i64::MAX);
    a.count = u64::MAX;
    a.details = Details::from([
        ("floats".to_string(), json!(floats)),
        ("ints".to_string(), json!(ints)),
        ("u64max".to_string(), json!(u64::MAX)),
    ]);
    let mut p = PackedAlerts::with_chunk_bytes(0);
    p.push(&a);
    let back = p.iter().next().unwrap();
    assert_eq!(
        serde_json::to_string(&back).unwrap(),
        serde_json::to_string(&a).unwrap()
    );
    for (got, want) in back.details["floats"]
        .as_array()
        .unwrap()
        .iter()
        .zip(floats)
    {
        assert_eq!(got.as_f64().unwrap().to_bits(), want.to_bits());
        assert!(got.is_f64());
    }
    for (got, want) in back.details["ints"].as_array().unwrap().iter().zip(ints) {
        assert_eq!(got.as_i64(), Some(want));
    }
    assert_eq!(back.details["u64max"].as_u64(), Some(u64::MAX));
    assert_eq!(back, a);
}

/// Object keys come back in the order they were held (sorted, or as
/// inserted with serde_json's `preserve_order`).
#[test]
fn object_keys_keep_their_order() {
    let mut obj = serde_json::Map::new();
    for k in ["site", "method", "user_agent", "path_family", "a"] {
        obj.insert(k.to_string(), json!(k.len()));
    }
    let held: Vec<String> = obj.keys().cloned().collect();
    let mut a = alert(0);
    a.details.insert("fingerprint".into(), Value::Object(obj));
    let mut p = PackedAlerts::new();
    p.push(&a);
    let back = p.iter().next().unwrap();
    let keys: Vec<String> = back.details["fingerprint"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(keys, held);
}

/// Arrays and objects alternating, `levels` deep.
fn nested(levels: usize) -> Value {
    let mut v = json!("bottom");
    for n in 0..levels {
        v = if n % 2 == 0 {
            json!([1, v])
        } else {
            json!({ "k": v, "a": [] })
        };
    }
    v
}

/// Long strings (longer than a 4 KiB decode scratch, with multi-byte
/// characters across its boundary), and details as deep as allowed.
#[test]
fn long_strings_and_deep_details_come_back() {
    assert_eq!(nesting(&json!(1)), 0);
    assert_eq!(nesting(&json!([[], {"a": [1, [2]]}])), 4);
    assert_eq!(nesting(&nested(MAX_DETAILS_DEPTH)), MAX_DETAILS_DEPTH);
    let mut a = alert(0);
    a.title = format!("{}😀é€", "x".repeat(4094));
    a.evidence[0].raw = "€😀é\u{0}\u{7f}\u{10ffff}".repeat(20_000);
    a.details.insert("deep".into(), nested(MAX_DETAILS_DEPTH));
    let mut p = PackedAlerts::with_chunk_bytes(0);
    p.push(&a);
    p.push(&alert(1));
    let back: Vec<Alert> = p.iter().collect();
    assert_eq!(back, [a, alert(1)]);
}

/// Deeper details are refused when pushed (the codec's recursion bound),
/// and the store is left as it was.
#[test]
#[should_panic(expected = "record 0: detail \"deep\" nests 129 levels, more than 128")]
fn details_too_deep_to_decode_are_refused() {
    let mut a = alert(0);
    a.details
        .insert("deep".into(), nested(MAX_DETAILS_DEPTH + 1));
    PackedAlerts::new().push(&a);
}

/// A push refused for deep details leaves no part of its record behind.
#[test]
fn a_refused_push_leaves_the_store_as_it_was() {
    let mut p = PackedAlerts::new();
    p.push(&alert(0));
    let held = p.open.clone();
    let mut deep = alert(1);
    // Encoded after a detail that fits.
    deep.details
        .insert("z".into(), nested(MAX_DETAILS_DEPTH + 1));
    let refused = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| p.push(&deep)));
    assert!(refused.is_err());
    assert_eq!((p.len(), &p.open), (1, &held));
    p.push(&alert(2));
    assert_eq!(p.iter().collect::<Vec<_>>(), [alert(0), alert(2)]);
}

/// A web exploit probe from a new address, as a flood of them yields: the
/// random parts (address, path, id, browser version) vary per alert.
fn probe(n: u64, rng: &mut u64) -> Alert {
    let mut next = || {
        *rng ^= *rng << 13;
        *rng ^= *rng >> 7;
        *rng ^= *rng << 17;
        *rng
    };
    let token = |mut x: u64, len: usize| -> String {
        (0..len)
            .map(|_| {
                let c = b"0123456789abcdefghijklmnopqrstuvwxyz"[(x % 36) as usize];
                x /= 36;
                c as char
            })
            .collect()
    };
    let ip = IpAddr::from((next() as u32).to_be_bytes());
    let path = format!("/uploads/{}.jsp?id={}", token(next(), 7), token(next(), 8));
    let secs = 15 + n;
    let ts = Ts(1_788_220_800_000 + secs as i64 * 1000);
    let chrome = format!("{}.0.{}.{}", 70 + next() % 40, next() % 5000, next() % 200);
    let raw = format!(
        "{ip} - - [01/Sep/2026:{:02}:{:02}:{:02} +0000] \"GET {path} HTTP/1.1\" 403 {} \"-\" \
         \"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
         Chrome/{chrome} Safari/537.36\"",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60,
        next() % 9000 + 1000,
    );
    Alert {
        id: format!("al-{:016x}", next()),
        detector: "web.exploit".into(),
        title: format!("1 exploit attempts (backdoor) from {ip} on h100k.log"),
        techniques: vec!["T1190".into()],
        severity: Severity::High,
        source: AlertSource {
            ip: Some(ip),
            ..AlertSource::default()
        },
        target: "h100k.log".into(),
        user: None,
        first_seen: ts,
        last_seen: ts,
        count: 1,
        details: Details::from([
            ("categories".to_string(), json!(["backdoor"])),
            ("sample_paths".to_string(), json!([path])),
        ]),
        evidence: vec![Evidence {
            file: "h100k.log".into(),
            line: 2 * n + 37,
            raw,
        }],
    }
}

/// 2,000 one-off exploit probes (684 bytes of JSON each, 1.4 KB or more
/// held as `Alert`s) take under 250 bytes each packed: 124 measured (131
/// with CBOR records), of which 71 are compressed chunks and 48 the open
/// buffer's capacity (96 KiB, a fixed cost that fades over more alerts).
#[test]
fn probes_pack_small() {
    let mut rng = 0x9e37_79b9_7f4a_7c15;
    let alerts: Vec<Alert> = (0..2000).map(|n| probe(n, &mut rng)).collect();
    let json: usize = alerts
        .iter()
        .map(|a| serde_json::to_string(a).unwrap().len())
        .sum();
    let mut p = PackedAlerts::new();
    for a in &alerts {
        p.push(a);
    }
    let per_alert = p.heap_bytes() / alerts.len();
    eprintln!(
        "json {} B/alert, packed {per_alert} B/alert, {} chunks",
        json / alerts.len(),
        p.sealed_chunks()
    );
    assert!(per_alert < 250, "{per_alert} bytes per alert");
    assert!(json / alerts.len() > 600);
    assert_eq!(p.iter().collect::<Vec<_>>(), alerts);
}

#[path = "packed_spill_tests.rs"]
mod spill_tests;
