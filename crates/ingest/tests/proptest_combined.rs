//! Property tests for the combined parser.

use haboob_ingest::{Format, JsonFieldMap, Parsed};
use haboob_model::EventRef;
use proptest::prelude::*;

proptest! {
    #[test]
    fn never_panics_on_arbitrary_text(line in "\\PC{0,300}") {
        for f in Format::all() {
            let mut p = f.parser(&JsonFieldMap::default());
            let _ = p.parse(&line);
        }
    }

    #[test]
    fn never_panics_on_near_valid_lines(cut in 0usize..200, junk in "[\\[\\]\" \\\\a-z0-9:/.-]{0,20}") {
        let base = r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /a?b HTTP/1.1" 200 5 "-" "ua \"x\"""#;
        let mut line: String = base.chars().take(cut).collect();
        line.push_str(&junk);
        let mut p = Format::Combined.parser(&JsonFieldMap::default());
        let _ = p.parse(&line);
    }

    #[test]
    fn valid_lines_round_trip(
        a in 0u8..=255, b in 0u8..=255, c in 0u8..=255, d in 0u8..=255,
        day in 1u32..=28, hour in 0u32..24, min in 0u32..60, sec in 0u32..60,
        off_h in 0u32..=14, east in any::<bool>(),
        method in "[A-Z]{1,10}",
        path in "/[a-zA-Z0-9._~%/-]{0,40}",
        query in proptest::option::of("[a-zA-Z0-9=&%._-]{0,30}"),
        status in 100u16..=599,
        bytes in proptest::option::of(0u64..10_000_000),
        referrer in "[ -!#-\\[\\]-~]{0,40}",
        ua in "[ -!#-\\[\\]-~]{0,60}",
    ) {
        let sign = if east { '+' } else { '-' };
        let target = match &query { Some(q) => format!("{path}?{q}"), None => path.clone() };
        let bytes_s = bytes.map_or("-".to_owned(), |b| b.to_string());
        let line = format!(
            r#"{a}.{b}.{c}.{d} - - [{day:02}/Mar/2024:{hour:02}:{min:02}:{sec:02} {sign}{off_h:02}00] "{method} {target} HTTP/1.1" {status} {bytes_s} "{referrer}" "{ua}" "extra""#
        );
        let mut p = Format::Combined.parser(&JsonFieldMap::default());
        let Parsed::Event(EventRef::Web(w)) = p.parse(&line).unwrap() else { panic!() };
        prop_assert_eq!(w.source_ip.to_string(), format!("{a}.{b}.{c}.{d}"));
        let local = haboob_model::Ts::from_civil(2024, 3, day, hour, min, sec, 0).unwrap();
        let off = i64::from(off_h) * 3_600_000 * if east { 1 } else { -1 };
        prop_assert_eq!(w.ts.0, local.0 - off);
        prop_assert_eq!(w.method, method.as_str());
        prop_assert_eq!(w.path, path.as_str());
        prop_assert_eq!(w.query, query.as_deref().unwrap_or(""));
        prop_assert_eq!(w.status, status);
        prop_assert_eq!(w.bytes, bytes.unwrap_or(0));
        let dash = |s: &str| if s == "-" { String::new() } else { s.to_owned() };
        prop_assert_eq!(w.referrer, dash(&referrer));
        prop_assert_eq!(w.user_agent, dash(&ua));
    }
}
