use crate::read::read_chunked;
use crate::{Format, IngestError, ReadOptions, ReadStats};
use haboob_model::EventRef;
use std::collections::BTreeMap;
use std::io::Write;

/// An Entra ID sign-in as the diagnostic export gives it.
fn entra(i: u32, code: &str) -> String {
    format!(
        r#"{{"TimeGenerated":"2024-05-01T10:00:{i:02}Z","UserPrincipalName":"User{i}@Example.org","IPAddress":"198.51.100.{i}","ResultType":"{code}","AppDisplayName":"App {{x}} [y] \"q\"","LocationDetails":{{"countryOrRegion":"NL"}}}}"#
    )
}

/// (origin line, user, raw) of an event.
type Ev = (u64, String, String);

/// Every event and the stats; every chunking must agree.
fn read(data: &[u8], opts: &ReadOptions) -> Result<(Vec<Ev>, ReadStats), IngestError> {
    let mut first = None;
    for chunk in [256 * 1024, 1, 2, 3, 7, 100] {
        let mut evs = Vec::new();
        let mut s = ReadStats::default();
        let got = read_chunked(
            data,
            "t.json",
            opts,
            &|_| {},
            &mut |e: &EventRef<'_>, o: &haboob_model::Origin<'_>| {
                let EventRef::Auth(a) = e else {
                    panic!("auth only")
                };
                evs.push((o.line, a.user.to_string(), o.raw.to_owned()));
            },
            &mut s,
            chunk,
        )
        .map(|()| {
            s.bytes = 0;
            (evs, s)
        });
        match &first {
            None => first = Some(got),
            Some(f) => assert_eq!(format!("{f:?}"), format!("{got:?}"), "chunk {chunk}"),
        }
    }
    first.unwrap()
}

#[test]
fn pretty_entra_array_is_entra_record_by_record() {
    // Indented as the Entra portal's "Download JSON": one member per line.
    let mut doc = String::from("\u{feff}[\r\n");
    for i in 1..=40 {
        let pretty = entra(i, "50126")
            .replace("{\"", "{\r\n    \"")
            .replace(",\"", ",\r\n    \"")
            .replace("\":", "\": ");
        doc.push_str(&format!("  {pretty}{}\r\n", if i < 40 { "," } else { "" }));
    }
    doc.push_str("]\r\n");
    // A line break after each `{"` and `,"`, and after the record.
    let one = entra(1, "0");
    let lines_per = (one.matches("{\"").count() + one.matches(",\"").count()) as u64 + 1;
    let (evs, stats) = read(doc.as_bytes(), &ReadOptions::default()).unwrap();
    assert_eq!(stats.formats, BTreeMap::from([("entra".to_owned(), 1)]));
    assert_eq!(
        (stats.lines, stats.parsed, stats.rejected, stats.events),
        (40, 40, 0, 40)
    );
    assert_eq!(evs.len(), 40);
    assert_eq!(
        evs[0],
        (2, "user1@example.org".to_owned(), entra(1, "50126"))
    );
    assert_eq!(evs[39].0, 2 + 39 * lines_per);

    // Gzipped, and with the format given.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(doc.as_bytes()).unwrap();
    let (e2, s2) = read(&gz.finish().unwrap(), &ReadOptions::default()).unwrap();
    assert_eq!((e2, s2), (evs.clone(), stats.clone()));
    let given = ReadOptions {
        format: Some(Format::Signin(haboob_signin::SigninFormat::Entra)),
        ..ReadOptions::default()
    };
    assert_eq!(read(doc.as_bytes(), &given).unwrap(), (evs, stats));
}

#[test]
fn json_lines_keep_line_framing() {
    // A blank line is counted and rejected: JSON Lines are not framed as a document.
    let data = format!("{}\n\n{}\n", entra(1, "0"), entra(2, "0"));
    let (evs, stats) = read(data.as_bytes(), &ReadOptions::default()).unwrap();
    assert_eq!((stats.lines, stats.parsed, stats.rejected), (3, 2, 1));
    assert_eq!(stats.samples[0].reason, "empty line");
    assert_eq!((evs[0].0, evs[1].0), (1, 3));
    // A Graph page on one line is a document even though it is one line.
    let data = format!(
        "{{\"@odata.context\":\"c\",\"value\":[{},{}]}}\n{{\"value\":[{}]}}",
        entra(1, "0"),
        entra(2, "0"),
        entra(3, "50126")
    );
    let (evs, stats) = read(data.as_bytes(), &ReadOptions::default()).unwrap();
    assert_eq!((stats.lines, stats.parsed, stats.rejected), (3, 3, 0));
    let lines: Vec<u64> = evs.iter().map(|e| e.0).collect();
    assert_eq!(lines, [1, 1, 2]);
}

#[test]
fn bad_records_are_counted_with_their_line() {
    let big = format!("{{\"TimeGenerated\":\"{}\"}}", "x".repeat(1 << 20));
    let doc = format!(
        "[\n{},\n{big},\n{{\"TimeGenerated\":\"2024-05-01T10:00:00Z\"}},\n{},\n{{\"IPAddress\":\"1.2.3.4\", \"cut",
        entra(1, "0"),
        entra(2, "0")
    );
    let (evs, stats) = read(doc.as_bytes(), &ReadOptions::default()).unwrap();
    assert_eq!(evs.iter().map(|e| e.0).collect::<Vec<_>>(), [2, 5]);
    assert_eq!((stats.lines, stats.parsed, stats.rejected), (5, 2, 3));
    let rejects: Vec<(u64, &str)> = stats
        .samples
        .iter()
        .map(|r| (r.line, r.reason.as_str()))
        .collect();
    assert_eq!(
        rejects,
        [
            (3, "JSON record longer than 1048576 bytes"),
            (4, "not an Entra sign-in record"),
            (6, "truncated JSON record (the input ends inside it)"),
        ]
    );
    let strict = ReadOptions {
        strict: true,
        ..ReadOptions::default()
    };
    let err = read(doc.as_bytes(), &strict).unwrap_err();
    assert_eq!(
        err.to_string(),
        "t.json:3: JSON record longer than 1048576 bytes"
    );
}

#[test]
fn log_analytics_results_become_records() {
    let doc = r#"{"tables":[{"name":"PrimaryResult","columns":[{"name":"TimeGenerated","type":"datetime"},{"name":"UserPrincipalName","type":"string"},{"name":"IPAddress","type":"string"},{"name":"ResultType","type":"string"},{"name":"LocationDetails","type":"dynamic"}],
"rows":[["2024-05-01T10:00:00Z","Ann@Example.org","192.0.2.1","50126","{\"countryOrRegion\":\"NL\"}"],
["2024-05-01T10:00:05Z","Bob@Example.org","192.0.2.2","0",null]]}]}"#;
    let (evs, stats) = read(doc.as_bytes(), &ReadOptions::default()).unwrap();
    assert_eq!(stats.formats, BTreeMap::from([("entra".to_owned(), 1)]));
    assert_eq!((stats.lines, stats.parsed), (2, 2));
    assert_eq!(
        evs.iter().map(|e| (e.0, e.1.as_str())).collect::<Vec<_>>(),
        [(2, "ann@example.org"), (3, "bob@example.org")]
    );
    assert!(evs[0].2.starts_with(
        r#"{"TimeGenerated":"2024-05-01T10:00:00Z","UserPrincipalName":"Ann@Example.org""#
    ));
}

#[test]
fn json_that_is_no_log_is_not_a_log() {
    let cases: [(&str, &str); 5] = [
        (
            "{\"type\": \"bundle\",\n \"id\": \"bundle--1\",\n \"objects\": [{\"type\":\"indicator\"}]}\n",
            "t.json: not a log: JSON whose records no log format accepts (first record's keys: \"type\", \"id\", \"objects\")",
        ),
        (
            "[{\"name\":\"a\",\"version\":1}]",
            "t.json: not a log: JSON whose records no log format accepts (first record's keys: \"name\", \"version\")",
        ),
        (
            "{\"kind\":\"summary\",\"funnel\":{}}\n{\"kind\":\"account\"}\n",
            "t.json: not a log: JSON whose records no log format accepts (first record's keys: \"kind\", \"funnel\")",
        ),
        (
            "[1, 2]",
            "t.json: not a log: JSON whose records no log format accepts",
        ),
        (
            "[{\"a\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"",
            "t.json: not a log: a JSON document with no readable record (truncated JSON record (the input ends inside it))",
        ),
    ];
    for (doc, want) in cases {
        let err = read(doc.as_bytes(), &ReadOptions::default()).unwrap_err();
        assert!(matches!(err, IngestError::NotALog { .. }), "{err}");
        assert_eq!(err.to_string(), want);
    }
    // Not JSON at all stays "cannot recognise".
    let err = read(b"hello\n", &ReadOptions::default()).unwrap_err();
    assert!(matches!(err, IngestError::UnknownFormat { .. }));
    // An empty export is no error: nothing to read.
    let (evs, stats) = read(b"[]\n", &ReadOptions::default()).unwrap();
    assert_eq!((evs.len(), stats.lines, stats.formats.len()), (0, 0, 0));
}

#[test]
fn which_inputs_are_documents() {
    use crate::docread::is_document;
    for (head, eof, want) in [
        (&b"[\n  {"[..], false, true),
        (b"\xef\xbb\xbf\r\n[{\"a\":1}", false, true),
        (b"[1, 2]\n", false, true),
        (b"[]", true, true),
        (b"{\n  \"value\": [", false, true),
        (b"{\"value\":[{\"a\":1}]}\n", false, true),
        (b"{\"records\":[]}", true, true),
        (b"{\"a\":1,\"value\":[]", false, true), // longer than the head
        // JSON Lines and other line formats stay line-framed.
        (b"{\"a\":1,\"value\":{}}\n{", false, false),
        (b"{\"a\":1}", true, false),
        (b"[Fri Oct 08 10:00:00 2021] [core:error] x\n", false, false),
        (b"[2024-05-01 10:00:00] x\n", false, false),
        (b"{foo} bar\n", false, false),
        (
            b"192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 200 1\n",
            false,
            false,
        ),
        (b"\n\n", true, false),
    ] {
        assert_eq!(
            is_document(head, eof),
            want,
            "{:?}",
            String::from_utf8_lossy(head)
        );
    }
}

#[test]
fn reads_land_at_the_file_offset_within_a_page() {
    use crate::docread::co_aligned;
    for buf in [0usize, 16, 4095, 4096, 123_456] {
        for pos in [0u64, 1, 16, 4095, 4096, 65_537, 1 << 40] {
            let at = co_aligned(buf, pos, 300_000);
            assert!(at < 4096, "{buf} {pos}: {at}");
            assert_eq!((buf + at) % 4096, (pos % 4096) as usize, "{buf} {pos}");
            // Too little room past the read: at the start.
            assert_eq!(co_aligned(buf, pos, 4095), 0);
        }
    }
}
