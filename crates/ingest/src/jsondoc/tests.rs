use super::*;
use proptest::prelude::*;

type Out = Vec<(u64, Result<String, String>)>;

/// Frame `data` fed in pieces of `chunk` bytes.
fn frame_with(data: &[u8], chunk: usize, max: usize) -> Out {
    let mut out = Vec::new();
    let mut f = Framer::new(max);
    let mut sink = |x: Framed<'_>| -> Result<(), ()> {
        out.push(match x {
            Framed::Record { line, text } => (line, Ok(String::from_utf8_lossy(text).into_owned())),
            Framed::Reject { line, reason } => (line, Err(reason.into_owned())),
        });
        Ok(())
    };
    for piece in data.chunks(chunk.max(1)) {
        f.feed(piece, &mut sink).unwrap();
    }
    f.finish(&mut sink).unwrap();
    out
}

/// Frame `data` whole and in every small chunking; all must agree.
fn frame(data: &str) -> Out {
    let want = frame_with(data.as_bytes(), data.len().max(1), MAX_RECORD);
    for chunk in [1, 2, 3, 5, 7, 16] {
        assert_eq!(
            frame_with(data.as_bytes(), chunk, MAX_RECORD),
            want,
            "chunk {chunk}"
        );
    }
    want
}

fn ok(line: u64, s: &str) -> (u64, Result<String, String>) {
    (line, Ok(s.to_owned()))
}

fn err(line: u64, s: &str) -> (u64, Result<String, String>) {
    (line, Err(s.to_owned()))
}

#[test]
fn pretty_array_one_record_per_element() {
    let doc = "[\n  {\n    \"a\": 1,\n    \"b\": {\"c\": [1, 2]}\n  },\n  {\n    \"a\": \"x y\"\n  }\n]\n";
    assert_eq!(
        frame(doc),
        [ok(2, r#"{"a":1,"b":{"c":[1,2]}}"#), ok(6, r#"{"a":"x y"}"#)]
    );
}

#[test]
fn one_line_array_and_empty_arrays() {
    assert_eq!(
        frame(r#"[{"a":1},{"a":2} , {"a":3}]"#),
        [
            ok(1, r#"{"a":1}"#),
            ok(1, r#"{"a":2}"#),
            ok(1, r#"{"a":3}"#)
        ]
    );
    assert_eq!(frame("[]"), []);
    assert_eq!(frame("[ ]\n"), []);
    assert_eq!(frame(r#"{"value":[]}"#), []);
    assert_eq!(frame(""), []);
}

#[test]
fn strings_hold_brackets_quotes_and_escapes() {
    let doc = r#"[{"ua":"Mozilla/5.0 (X; {y}) [z]","q":"say \"hi\" \\","e":"\\\"}"},
{"k":"]}\u0022,"}]"#;
    assert_eq!(
        frame(doc),
        [
            ok(
                1,
                r#"{"ua":"Mozilla/5.0 (X; {y}) [z]","q":"say \"hi\" \\","e":"\\\"}"}"#
            ),
            ok(2, r#"{"k":"]}\u0022,"}"#),
        ]
    );
    // Whitespace inside strings is kept.
    assert_eq!(
        frame("[ { \"a b\" : \" x  y \" } ]"),
        [ok(1, r#"{"a b":" x  y "}"#)]
    );
}

#[test]
fn byte_order_marks_and_concatenated_documents() {
    let doc = "\u{feff}[{\"a\":1}]\n\u{feff}[\n{\"a\":2}\n]\n{\"value\":[{\"a\":3}]}{\"a\":4}\n";
    assert_eq!(
        frame(doc),
        [
            ok(1, r#"{"a":1}"#),
            ok(3, r#"{"a":2}"#),
            ok(5, r#"{"a":3}"#),
            ok(5, r#"{"a":4}"#)
        ]
    );
}

#[test]
fn graph_pages_google_items_azure_records() {
    let doc = r#"{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns","value":[
  {"id":"1","value":[9]},
  {"id":"2"}
],"@odata.nextLink":"https://graph.microsoft.com/v1.0/auditLogs/signIns?$skiptoken=x{["}
{"@odata.context":"c","value":[{"id":"3"}]}
{
  "kind": "admin#reports#activities",
  "etag": "\"e\"",
  "items": [
    {"id": {"time": "t"}}
  ],
  "nextPageToken": "p"
}
{"records": [{"time":"1"},{"time":"2"}]}
"#;
    assert_eq!(
        frame(doc),
        [
            ok(2, r#"{"id":"1","value":[9]}"#),
            ok(3, r#"{"id":"2"}"#),
            ok(5, r#"{"id":"3"}"#),
            ok(10, r#"{"id":{"time":"t"}}"#),
            ok(14, r#"{"time":"1"}"#),
            ok(14, r#"{"time":"2"}"#),
        ]
    );
}

#[test]
fn plain_objects_are_records_and_wrappers_are_top_level_only() {
    // `jq .` of JSON Lines: each top-level object is a record; a `value`
    // member that is not an array, or a wrapper key deeper down, changes nothing.
    let doc = "{\n  \"a\": {\"value\": [1]},\n  \"value\": 2\n}\n{\"b\":[]}\n";
    assert_eq!(
        frame(doc),
        [
            ok(1, r#"{"a":{"value":[1]},"value":2}"#),
            ok(5, r#"{"b":[]}"#)
        ]
    );
    // A non-object element of a record array is a record too (parsers reject it).
    assert_eq!(
        frame(r#"[1, "two", null, [3]]"#),
        [ok(1, "1"), ok(1, r#""two""#), ok(1, "null"), ok(1, "[3]")]
    );
}

#[test]
fn stray_punctuation_is_skipped() {
    assert_eq!(
        frame(r#"[{"a":1} : \ ,, {"a":2}]{"value":[{"b":tru\e}], "x": : 1, ] : }[3]"#),
        [
            ok(1, r#"{"a":1}"#),
            ok(1, r#"{"a":2}"#),
            ok(1, r#"{"b":tru\e}"#),
            ok(1, "3")
        ]
    );
}

#[test]
fn truncated_documents_reject_the_partial_record() {
    let doc = "[\n  {\"a\": 1},\n  {\"a\": \"cut her";
    assert_eq!(
        frame(doc),
        [
            ok(2, r#"{"a":1}"#),
            err(3, "truncated JSON record (the input ends inside it)")
        ]
    );
    // Ending between elements loses no record.
    assert_eq!(frame("[{\"a\":1},\n"), [ok(1, r#"{"a":1}"#)]);
    assert_eq!(
        frame("{\"value\":[{\"a\":1}],\"@odata.nextLink\":\"ht"),
        [ok(1, r#"{"a":1}"#)]
    );
}

#[test]
fn text_outside_documents_is_rejected_by_line() {
    assert_eq!(
        frame("[{\"a\":1}]\ngarbage here\n[{\"a\":2}]\ntail"),
        [
            ok(1, r#"{"a":1}"#),
            err(2, "not JSON: text outside any JSON document"),
            ok(3, r#"{"a":2}"#),
            err(4, "not JSON: text outside any JSON document"),
        ]
    );
}

#[test]
fn oversize_records_are_rejected_and_skipped() {
    let big = "x".repeat(100);
    let doc = format!("[{{\"a\":\"{big}\"}},\n{{\"b\":[{{\"c\":\"{big}\"}}]}},{{\"a\":1}}]");
    for chunk in [1, 3, 64, 1000] {
        assert_eq!(
            frame_with(doc.as_bytes(), chunk, 50),
            [
                err(1, "JSON record longer than 50 bytes"),
                err(2, "JSON record longer than 50 bytes"),
                ok(2, r#"{"a":1}"#),
            ],
            "chunk {chunk}"
        );
    }
    // Exactly the limit is allowed.
    assert_eq!(
        frame_with(br#"[{"a":"xyz"}]"#, 2, 11),
        [ok(1, r#"{"a":"xyz"}"#)]
    );
    assert_eq!(
        frame_with(br#"[{"a":"xyz"}]"#, 2, 10),
        [err(1, "JSON record longer than 10 bytes")]
    );
}

#[test]
fn log_analytics_rows_become_objects() {
    let doc = r#"{"tables":[{"name":"PrimaryResult","columns":[{"name":"TimeGenerated","type":"datetime"},{"name":"IPAddress","type":"string"},{"name":"Loc\"x","type":"dynamic"}],
"rows":[
 ["2024-05-01T10:00:00Z","192.0.2.1","{\"c\":\"NL\"}"],
 ["2024-05-01T10:00:01Z",null,{"c":"US"}],
 ["short"]
]},{"name":"t2","rows":[[1]],"columns":[{"name":"a"}]}]}"#;
    assert_eq!(
        frame(doc),
        [
            ok(
                3,
                r#"{"TimeGenerated":"2024-05-01T10:00:00Z","IPAddress":"192.0.2.1","Loc\"x":"{\"c\":\"NL\"}"}"#
            ),
            ok(
                4,
                r#"{"TimeGenerated":"2024-05-01T10:00:01Z","IPAddress":null,"Loc\"x":{"c":"US"}}"#
            ),
            err(5, "Log Analytics row has 1 values for 3 columns"),
            err(6, "Log Analytics row without the table's columns before it"),
        ]
    );
}

#[test]
#[ignore = "timing, run by hand"]
fn time_framer() {
    let path = std::env::var("FRAME_FILE").unwrap();
    let data = std::fs::read(path).unwrap();
    let rounds: usize = std::env::var("FRAME_ROUNDS").map_or(3, |r| r.parse().unwrap());
    // CPU time of the process (user + system, clock ticks of 10 ms): wall
    // time is meaningless on a loaded machine.
    let cpu_ticks = || -> u64 {
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
        let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
        let f: Vec<&str> = after.split_whitespace().collect();
        f.get(11).and_then(|u| u.parse::<u64>().ok()).unwrap_or(0)
            + f.get(12).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0)
    };
    let cpu0 = cpu_ticks();
    for _ in 0..rounds {
        let t = std::time::Instant::now();
        let mut f = Framer::new(MAX_RECORD);
        let mut n = 0u64;
        let mut bytes = 0usize;
        let mut sink = |x: Framed<'_>| -> Result<(), ()> {
            if let Framed::Record { text, .. } = x {
                n += 1;
                bytes += text.len();
            }
            Ok(())
        };
        for c in data.chunks(256 * 1024) {
            f.feed(c, &mut sink).unwrap();
        }
        f.finish(&mut sink).unwrap();
        let s = t.elapsed().as_secs_f64();
        eprintln!(
            "{n} records {bytes} bytes in {s:.3} s: {:.0} MB/s",
            data.len() as f64 / s / 1e6
        );
    }
    let cpu = (cpu_ticks() - cpu0) as f64 / 100.0;
    eprintln!(
        "{rounds} rounds: {cpu:.2} s CPU, {:.0} MB/s per CPU-second",
        (data.len() * rounds) as f64 / cpu / 1e6
    );
}

#[test]
fn long_records_agree_across_chunkings() {
    // Records longer than a block (64 bytes), with escapes, brackets and
    // line breaks inside strings at every offset; compacted they must equal
    // the one-line form.
    let mut compact = Vec::new();
    for i in 0..40 {
        let pad = "p".repeat(i);
        compact.push(format!(
            r#"{{"id":{i},"ua":"Mozilla/5.0 {pad} (X11; {{\"a\",[1]}}) \\ \\\\","n":[{{"x":[[],{{}}]}},"]}}"],"u":"\u00e9 caf\u00e9 \n"}}"#
        ));
    }
    let pretty = format!(
        "[\n  {}\n]\n",
        compact
            .iter()
            .map(|c| c.replace(",\"", ",\n    \"").replace(":[", ": [\n      "))
            .collect::<Vec<_>>()
            .join(",\n  ")
    );
    let got = frame(&pretty);
    assert_eq!(got.len(), 40);
    for (n, ((_, text), want)) in got.iter().zip(&compact).enumerate() {
        assert_eq!(text.as_deref(), Ok(want.as_str()), "record {n}");
    }
}

#[test]
fn pretty_records_around_the_limit() {
    // Pretty-printed records of 40 to 300 compacted bytes, framed with
    // limits that fall inside, at and beyond a 64-byte block, in chunkings
    // that do and do not leave 16 bytes after a block: each is its compact
    // form when it fits, else rejected.
    let mut doc = String::from("[\n");
    let mut compact = Vec::new();
    for i in 0..60usize {
        let pad = "v".repeat(i * 4);
        let c = format!(r#"{{"id":{i},"s":"a b  c","p":"{pad}","n":[1,{{"k":[]}}]}}"#);
        doc.push_str(&format!(
            "  {{\n    \"id\": {i},\n    \"s\": \"a b  c\",\n    \"p\": \"{pad}\",\n    \"n\": [\n      1,\n      {{\n        \"k\": []\n      }}\n    ]\n  }}{}\n",
            if i + 1 < 60 { "," } else { "" }
        ));
        compact.push(c);
    }
    doc.push(']');
    for max in [63, 64, 65, 127, 128, 129, 200] {
        let want: Out = compact
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let line = 2 + 11 * i as u64;
                if c.len() <= max {
                    ok(line, c)
                } else {
                    err(line, &format!("JSON record longer than {max} bytes"))
                }
            })
            .collect();
        for chunk in [7, 64, 65, 79, 80, 81, 4096] {
            assert_eq!(
                frame_with(doc.as_bytes(), chunk, max),
                want,
                "max {max}, chunk {chunk}"
            );
        }
    }
}

/// A JSON value of a few levels, with strings that hold quotes, backslashes,
/// brackets, spaces, control characters and non-ASCII text.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "[ a-z\"\\{}\\[\\]:,\n\t\u{7f}é€😀]{0,90}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z \"]{0,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Pretty-printed arrays of records, with any indentation, in any
    /// chunking and under any size limit: each record is its compact form
    /// (or rejected as too long), at the line where it starts.
    #[test]
    fn pretty_arrays_frame_to_compact_records(
        records in prop::collection::vec(
            prop::collection::btree_map("[a-z\"\\\\ ]{1,10}", json_value(), 0..8),
            1..8,
        ),
        indent in prop_oneof![Just(""), Just(" "), Just("  "), Just("\t"), Just("       ")],
        chunk in 1usize..300,
        max in prop_oneof![Just(MAX_RECORD), 1usize..600],
    ) {
        use serde::Serialize;
        let mut doc = b"[\n".to_vec();
        let mut want = Vec::new();
        for (n, rec) in records.iter().enumerate() {
            let rec = serde_json::Value::Object(rec.clone().into_iter().collect());
            let line = 1 + doc.iter().filter(|b| **b == b'\n').count() as u64;
            let compact = serde_json::to_string(&rec).unwrap();
            let mut ser = serde_json::Serializer::with_formatter(
                &mut doc,
                serde_json::ser::PrettyFormatter::with_indent(indent.as_bytes()),
            );
            rec.serialize(&mut ser).unwrap();
            doc.extend_from_slice(if n + 1 < records.len() { b",\n" } else { b"\n" });
            want.push(if compact.len() <= max {
                ok(line, &compact)
            } else {
                err(line, &format!("JSON record longer than {max} bytes"))
            });
        }
        doc.push(b']');
        prop_assert_eq!(frame_with(&doc, chunk, max), want);
    }
}
