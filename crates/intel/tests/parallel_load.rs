//! The parallel load gives exactly what the sequential one does: a list
//! read from memory in parallel chunks (`read_list_bytes_chunked`) equals
//! the stream read line by line (`read_list_batch`): values, line numbers,
//! rejections, counts; and the index built on a pool of several threads
//! equals the one built on one thread and matches exactly the indicators a
//! brute-force scan of the list finds (addresses and networks, domains and
//! their sub-domains, user agents), on random lists.

use haboob_intel::sources::list::{list_id, read_list_batch, read_list_bytes_chunked};
use haboob_intel::{BuildOptions, ImportOptions, IntelIndex};
use haboob_model::Ts;
use ipnet::IpNet;
use proptest::prelude::*;
use std::collections::BTreeSet;
use std::net::IpAddr;

const SOURCE: &str = "list:t.txt";

/// Lines of every sort: values, labels, comments, blanks, bad values,
/// CRLF, a BOM, bytes that are not UTF-8, lines at and over the limit.
fn line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => (0u8..4, 0u8..=255, 22u8..=32).prop_map(|(c, d, l)| format!("10.0.{c}.{d}/{l}").into_bytes()),
        4 => (0u8..4, 0u8..=255).prop_map(|(c, d)| format!("10.0.{c}.{d}\tlabel {d}").into_bytes()),
        2 => (0u16..8, 32u8..=128).prop_map(|(x, l)| format!("2001:db8::{x:x}/{l}").into_bytes()),
        3 => (0usize..4, 0usize..4).prop_map(|(a, b)| format!("{}.{}.example # dom", ["a", "b", "c", "Evil"][a], ["x", "y", "z", "w"][b]).into_bytes()),
        1 => Just(b"https://cdn.example/payload/".to_vec()),
        1 => Just(b"# kind: user-agent".to_vec()),
        1 => Just(b"# tlp: amber".to_vec()),
        1 => Just(b"# confidence: 180".to_vec()),
        1 => Just(Vec::new()),
        1 => Just(b"   ".to_vec()),
        1 => Just(b"not a value".to_vec()),
        1 => Just(b"300.1.2.3\r".to_vec()),
        1 => Just(b"\xef\xbb\xbf10.0.0.1".to_vec()),
        1 => Just(b"10.0.0.\xff".to_vec()),
        1 => (8190usize..8195).prop_map(|n| vec![b'a'; n]),
    ]
}

fn text(lines: &[Vec<u8>], final_newline: bool) -> Vec<u8> {
    let mut t = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        t.extend_from_slice(l);
        if i + 1 < lines.len() || final_newline {
            t.push(b'\n');
        }
    }
    t
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn chunked_read_equals_the_stream(
        lines in prop::collection::vec(line(), 0..120),
        final_newline: bool,
        chunk in 1usize..400,
        ua in any::<bool>(),
    ) {
        let opts = ImportOptions {
            list_kind: ua.then_some(haboob_intel::sources::list::ListKind::UserAgent),
            ..ImportOptions::default()
        };
        let data = text(&lines, final_newline);
        let (b1, s1) = read_list_batch(&data[..], "t.txt", SOURCE, &opts).unwrap();
        let (b2, s2) = read_list_bytes_chunked(&data, chunk, "t.txt", SOURCE, &opts).unwrap();
        prop_assert_eq!(format!("{b1:?}"), format!("{b2:?}"));
        prop_assert_eq!(s1, s2);
    }

    #[test]
    fn parallel_build_matches_what_a_scan_of_the_list_finds(
        lines in prop::collection::vec(line(), 1..150),
        chunk in 1usize..300,
    ) {
        let opts = ImportOptions::default();
        // A list of addresses and domains (a `kind` header would make it
        // one of user agents).
        let lines: Vec<Vec<u8>> = lines.into_iter().filter(|l| !l.starts_with(b"# kind")).collect();
        let data = text(&lines, true);
        let (batch, _) = read_list_bytes_chunked(&data, chunk, "t.txt", SOURCE, &opts).unwrap();
        let values: Vec<String> = (0..batch.len()).filter_map(|k| batch.value(k).map(str::to_string)).collect();
        let pool = |n| rayon::ThreadPoolBuilder::new().num_threads(n).build().unwrap();
        let build = |n| pool(n).install(|| {
            IntelIndex::build_with_lists(Vec::new(), vec![batch.clone()], &BuildOptions::default())
        });
        let (one, r1) = build(1);
        let (many, r4) = build(4);
        prop_assert_eq!(&r1, &r4);
        prop_assert_eq!(format!("{one:?}"), format!("{many:?}"));

        // Brute force: every value of the list against every probe.
        let nets: Vec<(IpNet, &str)> = values.iter().filter_map(|v| {
            let n = v.parse::<IpNet>().ok().or_else(|| v.parse::<IpAddr>().ok().map(IpNet::from))?;
            Some((n, v.as_str()))
        }).collect();
        let mut probes: Vec<IpAddr> = (0u32..4 * 256).map(|i| IpAddr::from([10, 0, (i >> 8) as u8, i as u8])).collect();
        probes.extend((0u16..10).map(|x| format!("2001:db8::{x:x}").parse::<IpAddr>().unwrap()));
        probes.push("2001:db9::1".parse().unwrap());
        let mut ids = Vec::new();
        for ip in probes {
            ids.clear();
            many.ip_ids(ip, Ts(0), &mut ids);
            let got: BTreeSet<String> = ids.iter().filter_map(|i| many.indicator_id(*i).map(|c| c.into_owned())).collect();
            let want: BTreeSet<String> = nets.iter().filter(|(n, _)| n.contains(&ip)).map(|(_, v)| list_id(SOURCE, v)).collect();
            prop_assert_eq!(got, want, "address {}", ip);
        }
        for a in ["a", "b", "c", "evil", "q"] {
            for b in ["x", "y", "z", "w"] {
                for probe in [format!("{a}.{b}.example"), format!("www.{a}.{b}.example"), format!("{b}.example")] {
                    ids.clear();
                    many.domain_ids(&probe, Ts(0), &mut ids);
                    let got: BTreeSet<String> = ids.iter().filter_map(|i| many.indicator_id(*i).map(|c| c.into_owned())).collect();
                    let want: BTreeSet<String> = values.iter().filter(|v| {
                        let d = v.to_ascii_lowercase();
                        d.ends_with(".example") && (probe == d || probe.ends_with(&format!(".{d}")))
                    }).map(|v| list_id(SOURCE, v)).collect();
                    prop_assert_eq!(got, want, "domain {}", probe);
                }
            }
        }
    }

    #[test]
    fn user_agents_match_exactly_after_a_parallel_load(
        uas in prop::collection::vec("[A-Za-z/ .;()0-9]{1,40}", 1..60),
        probes in prop::collection::vec("[A-Za-z/ .;()0-9]{1,40}", 0..30),
        chunk in 1usize..200,
    ) {
        let opts = ImportOptions {
            list_kind: Some(haboob_intel::sources::list::ListKind::UserAgent),
            ..ImportOptions::default()
        };
        let data = uas.join("\n").into_bytes();
        let (batch, _) = read_list_bytes_chunked(&data, chunk, "t.txt", SOURCE, &opts).unwrap();
        let (idx, _) = IntelIndex::build_with_lists(Vec::new(), vec![batch], &BuildOptions::default());
        let mut ids = Vec::new();
        for p in uas.iter().chain(&probes) {
            ids.clear();
            idx.user_agent_ids(p, Ts(0), &mut ids);
            let got: BTreeSet<String> = ids.iter().filter_map(|i| idx.indicator_id(*i).map(|c| c.into_owned())).collect();
            // A value is the line trimmed of line ends only; blank lines are skipped.
            let want: BTreeSet<String> = uas.iter().filter(|u| *u == p && !u.trim().is_empty()).map(|u| list_id(SOURCE, u)).collect();
            prop_assert_eq!(got, want, "user agent {:?}", p);
        }
    }
}
