//! Every Windows event reaches the pipeline: each record of every EVTX file
//! of the real-data corpus (skipped without it, see `haboob-testdata`) is
//! one Windows event, checked against the `evtx` crate's own reading; the
//! sign-ins are the ones `read_evtx` gives; the same events as XML text
//! answer the same fields.

use haboob_model::{EventRef, FieldView, LineParser, Parsed, Ts, Value};
use haboob_signin::{read_evtx, read_evtx_events, WinXmlParser};
use haboob_testdata::{corpus_file_or_skip, corpus_or_skip};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn evtx_files(corpus: &Path) -> Vec<PathBuf> {
    let mut stack = vec![corpus.join("evtx")];
    let mut files = Vec::new();
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "evtx") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

fn settings() -> evtx::ParserSettings {
    evtx::ParserSettings::new()
        .separate_json_attributes(false)
        .indent(false)
}

/// (channel, event id) of each record as the `evtx` crate renders it, read
/// with a plain JSON parse (not haboob's).
fn reference(p: &Path) -> Vec<(String, u64)> {
    let mut parser = evtx::EvtxParser::from_path(p)
        .unwrap()
        .with_configuration(settings());
    parser
        .records_json_value()
        .map(|r| {
            let v = r.unwrap().data;
            let sys = &v["Event"]["System"];
            let id = &sys["EventID"];
            let id = id.get("#text").unwrap_or(id).as_u64().unwrap();
            (sys["Channel"].as_str().unwrap_or("").to_owned(), id)
        })
        .collect()
}

/// Each field as `name=value` (values as text: EVTX numbers and XML text
/// compare equal), sorted.
fn fields(v: &dyn FieldView) -> Vec<String> {
    let mut got = Vec::new();
    v.for_each_field(&mut |n, v| got.push(format!("{n}={v}")));
    got.sort();
    got
}

#[test]
fn one_windows_event_per_record_of_every_channel_and_id() {
    let Some(c) = corpus_or_skip("one_windows_event_per_record_of_every_channel_and_id") else {
        return;
    };
    let files = evtx_files(&c);
    assert_eq!(files.len(), 52);
    let (mut records, mut signins) = (0usize, 0usize);
    let mut kinds = BTreeSet::new();
    for p in &files {
        let want = reference(p);
        let mut got = Vec::new();
        let mut auth = Vec::new();
        let n = read_evtx_events(p, &mut |_, raw, r| {
            let r = r.unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            // The record's whole text is the event's.
            assert_eq!(r.win.text(), raw);
            assert!(!r.win.record.is_xml());
            got.push((r.win.channel.to_string(), u64::from(r.win.event_id)));
            if let Some(a) = r.auth {
                assert_eq!(a.ts, r.win.ts);
                auth.push(format!("{a:?}"));
            }
        })
        .unwrap();
        assert_eq!(n as usize, want.len(), "{}", p.display());
        assert_eq!(got, want, "{}", p.display());
        // The sign-ins are exactly those of the sign-in reader.
        let mut old = Vec::new();
        read_evtx(p, &mut |_, _, r| {
            if let Ok(Some(a)) = r {
                old.push(format!("{a:?}"));
            }
        })
        .unwrap();
        assert_eq!(auth, old, "{}", p.display());
        records += got.len();
        signins += auth.len();
        kinds.extend(got);
    }
    // Figures of the corpus as the `evtx` crate reads it.
    assert_eq!((records, signins), (RECORDS, SIGNINS));
    assert_eq!(kinds.len(), KINDS);
    for k in [
        ("Security", 4625),
        ("Security", 4662),
        ("Microsoft-Windows-Sysmon/Operational", 1),
        ("Microsoft-Windows-PowerShell/Operational", 4104),
        ("Application", 18456),
        ("System", 5805),
    ] {
        assert!(kinds.contains(&(k.0.to_owned(), k.1)), "{k:?}");
    }
}

const RECORDS: usize = 5457;
const SIGNINS: usize = 3916;
const KINDS: usize = 90;

/// One known record, field by field.
#[test]
fn a_known_record_field_by_field() {
    let Some(p) = corpus_file_or_skip(
        "a_known_record_field_by_field",
        "evtx/EVTX-ATTACK-SAMPLES/Credential Access/CA_4624_4625_LogonType2_LogonProc_chrome.evtx",
    ) else {
        return;
    };
    let mut first = None;
    read_evtx_events(&p, &mut |_, _, r| {
        let r = r.unwrap();
        if first.is_none() {
            let w = &r.win;
            first = Some((
                w.ts,
                w.event_id,
                w.record_id,
                w.channel.to_string(),
                w.provider.to_string(),
                w.computer.to_string(),
                [
                    "EventID",
                    "Channel",
                    "Computer",
                    "Provider_Name",
                    "EventRecordID",
                    "TargetUserName",
                    "LogonType",
                    "Status",
                    "SubStatus",
                    "ProcessName",
                    "ProcessID",
                    "targetusername",
                    "IpPort",
                    "CommandLine",
                ]
                .map(|n| w.field(n).map(|v| v.to_string())),
                r.auth.is_some(),
            ));
        }
    })
    .unwrap();
    let s = |v: &str| Some(v.to_owned());
    assert_eq!(
        first.unwrap(),
        (
            Ts::parse_rfc3339("2020-09-09T13:18:23.627952Z").unwrap(),
            4625,
            137222,
            "Security".to_owned(),
            "Microsoft-Windows-Security-Auditing".to_owned(),
            "MSEDGEWIN10".to_owned(),
            [
                s("4625"),
                s("Security"),
                s("MSEDGEWIN10"),
                s("Microsoft-Windows-Security-Auditing"),
                s("137222"),
                s("IEUser"),
                s("2"),
                s("0xc000006d"),
                s("0xc000006a"),
                s(r"C:\Program Files (x86)\Google\Chrome\Application\chrome.exe"),
                s("640"),
                s("IEUser"),
                s("-"),
                None,
            ],
            true,
        )
    );
}

/// The XML text of a record, as the `evtx` crate renders it, on one line
/// without the XML declaration.
fn xml_records(p: &Path) -> Vec<String> {
    let mut parser = evtx::EvtxParser::from_path(p)
        .unwrap()
        .with_configuration(settings());
    parser
        .records()
        .map(|r| {
            let x = r.unwrap().data;
            let x = match x.find("?>") {
                Some(i) if x.starts_with("<?xml") => &x[i + 2..],
                _ => &x[..],
            };
            x.trim().to_owned()
        })
        .collect()
}

/// Every record of the corpus read twice, from EVTX and as XML text: the
/// same typed members, the same sign-in and the same fields by name. The
/// `evtx` crate renders a list of unnamed `<Data>` values (SQL Server's
/// 18456) as one `<Data>` with the values joined by `,`, where Windows
/// writes one element each: such a line is written back as Windows has it
/// before it is read.
#[test]
fn xml_text_answers_as_evtx() {
    let Some(c) = corpus_or_skip("xml_text_answers_as_evtx") else {
        return;
    };
    let mut compared = 0;
    for p in evtx_files(&c) {
        let xml = xml_records(&p);
        let mut i = 0;
        read_evtx_events(&p, &mut |_, _, r| {
            let r = r.unwrap();
            let mut line = xml[i].clone();
            i += 1;
            if let Some(Value::Str(list)) = r.win.field("Data") {
                if let Ok(v) = serde_json::from_str::<Vec<String>>(&list) {
                    let esc = |s: &str| quick_xml::escape::escape(s).into_owned();
                    let joined = format!("<Data>{}</Data>", esc(&v.join(",")));
                    let each: String = v
                        .iter()
                        .map(|x| format!("<Data>{}</Data>", esc(x)))
                        .collect();
                    assert!(line.contains(&joined), "{line}");
                    line = line.replace(&joined, &each);
                }
            }
            let line = &line;
            let (w, auth) = match WinXmlParser.parse(line) {
                Ok(Parsed::Event(EventRef::Win(w))) => (w, None),
                Ok(Parsed::Both(EventRef::Auth(a), EventRef::Win(w))) => (w, Some(a)),
                other => panic!("{} record {i}: {other:?}", p.display()),
            };
            let at = format!("{} record {i}", p.display());
            assert!(w.record.is_xml());
            assert_eq!(
                (
                    w.ts,
                    w.event_id,
                    w.record_id,
                    &w.channel,
                    &w.provider,
                    &w.computer
                ),
                (
                    r.win.ts,
                    r.win.event_id,
                    r.win.record_id,
                    &r.win.channel,
                    &r.win.provider,
                    &r.win.computer
                ),
                "{at}"
            );
            assert_eq!(auth.is_some(), r.auth.is_some(), "{at}");
            assert_eq!(fields(&w), fields(&r.win), "{at}");
            if let (Some(a), Some(b)) = (&auth, &r.auth) {
                assert_eq!(format!("{a:?}"), format!("{b:?}"), "{at}");
            }
            assert_eq!(
                w.field("TargetUserName").map(|v| v.to_string()),
                r.win.field("TargetUserName").map(|v| v.to_string()),
                "{at}"
            );
            assert_eq!(w.field("EventID"), Some(Value::Int(i64::from(w.event_id))));
            compared += 1;
        })
        .unwrap();
        assert_eq!(i, xml.len());
    }
    assert_eq!(compared, RECORDS);
}

/// A sign-in record whose sign-in does not map (here a 4625 without
/// `Status`) is still its Windows event, with the reason: a rule on 4625
/// sees it, and the reader counts it as partial rather than dropping it.
#[test]
fn unmappable_sign_in_is_still_a_windows_event() {
    use haboob_model::{FieldView, Ts};
    let json = r#"{"Event":{"System":{"Provider":{"Name":"Microsoft-Windows-Security-Auditing"},"EventID":4625,"TimeCreated":{"SystemTime":"2024-05-01T10:04:00.000000Z"},"EventRecordID":7,"Channel":"Security","Computer":"dc1"},"EventData":{"TargetUserName":"bob","IpAddress":"203.0.113.8"}}}"#;
    let r = haboob_signin::evtx::parse_event(Ts(0), 1, json).unwrap();
    assert!(r.auth.is_none());
    assert_eq!(
        r.unmapped.map(|e| e.reason.to_string()).as_deref(),
        Some("missing or bad Status")
    );
    assert_eq!((r.win.event_id, r.win.record_id), (4625, 7));
    assert_eq!(
        r.win
            .field("TargetUserName")
            .map(|v| v.to_string())
            .as_deref(),
        Some("bob")
    );
    // A mappable one has no reason.
    let ok = json.replace(
        r#""IpAddress":"203.0.113.8""#,
        r#""IpAddress":"203.0.113.8","Status":"0xc000006d","SubStatus":"0xc000006a","LogonType":"3""#,
    );
    let r = haboob_signin::evtx::parse_event(Ts(0), 1, &ok).unwrap();
    assert!(r.auth.is_some() && r.unmapped.is_none());
}

/// The classic `Windows PowerShell` log's 800 (as in hayabusa-sample-evtx's
/// `ID800-4103-…` files): `EventID` with `Qualifiers` and its `#text` a
/// string. A Windows event, not a rejected record.
#[test]
fn event_id_as_text_beside_qualifiers() {
    use haboob_model::{FieldView, Ts};
    let json = r##"{"Event":{"System":{"Provider":{"#attributes":{"Name":"PowerShell"}},"EventID":{"#attributes":{"Qualifiers":"0"},"#text":"800"},"TimeCreated":{"#attributes":{"SystemTime":"2021-06-03T18:34:12.668300900Z"}},"EventRecordID":"28573","Channel":"Windows PowerShell","Computer":"fs01.offsec.lan"},"EventData":{"Data":{"#text":["x"]}}}}"##;
    let r = haboob_signin::evtx::parse_event(Ts(0), 1, json).unwrap();
    assert!(r.auth.is_none() && r.unmapped.is_none());
    assert_eq!((r.win.event_id, r.win.record_id), (800, 28573));
    assert_eq!(r.win.channel, "Windows PowerShell");
    assert_eq!(
        r.win.field("EventID").map(|v| v.to_string()).as_deref(),
        Some("800")
    );
}
