use super::*;

fn web<'a>(path: &'a str, ua: &'a str) -> EventRef<'a> {
    EventRef::Web(WebEvent {
        ts: Ts::from_secs(1),
        source_ip: "192.0.2.1".parse().unwrap(),
        method: "GET",
        path,
        query: "",
        status: 404,
        bytes: 0,
        user_agent: ua,
        referrer: "",
        site: "a.example",
        user: "",
        forwarded: "",
        protocol: "HTTP/1.1",
    })
}

#[test]
fn a_corrupt_record_is_an_error_not_a_panic() {
    let mut buf = Vec::new();
    let o = Origin {
        file: "a",
        line: 1,
        raw: "r",
    };
    let mut ds = Vec::new();
    encode(&web("/", "ua"), &o, usize::MAX, "", &mut ds, &mut buf);
    for cut in 0..buf.len() {
        assert!(decode(&buf[..cut], "", &ds).is_err(), "cut at {cut}");
    }
    assert!(decode(&buf, "", &ds).is_ok());
}

#[test]
fn texts_inside_the_base_are_ranges_and_come_back_equal() {
    let base = String::from("GET /a/é HTTP/1.1 curl/8");
    let (path, ua) = (&base[4..9], &base[19..]);
    let o = Origin {
        file: "f",
        line: 7,
        raw: &base,
    };
    let (mut ranged, mut copied) = (Vec::new(), Vec::new());
    let mut ds = Vec::new();
    encode(&web(path, ua), &o, usize::MAX, &base, &mut ds, &mut ranged);
    encode(&web(path, ua), &o, usize::MAX, "", &mut ds, &mut copied);
    assert!(ranged.len() < copied.len());
    let web_of = |ev: EventRef<'_>| match ev {
        EventRef::Web(w) => (
            w.path.to_owned(),
            w.user_agent.to_owned(),
            w.site.to_owned(),
            w.protocol.to_owned(),
        ),
        _ => panic!("not a web event"),
    };
    let (ev, line, raw) = decode(&ranged, &base, &ds).unwrap();
    assert_eq!((line, raw), (7, base.as_str()));
    let want = (
        "/a/é".to_owned(),
        "curl/8".to_owned(),
        "a.example".to_owned(),
        "HTTP/1.1".to_owned(),
    );
    assert_eq!(web_of(ev), want);
    assert_eq!(web_of(decode(&copied, "", &ds).unwrap().0), want);
    // A range beyond the base is an error.
    assert!(decode(&ranged, "short", &ds).is_err());
}

fn win<'a>(json: &'a str, xml: bool) -> EventRef<'a> {
    EventRef::Win(WinEvent {
        ts: Ts::from_secs(5),
        event_id: 4688,
        record_id: 77,
        channel: Cow::Borrowed("Security"),
        provider: Cow::Borrowed("Microsoft-Windows-Security-Auditing"),
        computer: Cow::Owned("ws1.corp.example".into()),
        record: if xml {
            WinView::from_xml(json)
        } else {
            WinView::new(json)
        },
    })
}

fn command_line(json: &str) -> String {
    format!(
        r#"{{"Event":{{"System":{{"EventID":4688,"Channel":"Security"}},"EventData":{{"CommandLine":{}}}}}}}"#,
        serde_json::to_string(json).unwrap()
    )
}

/// Decode `buf` and check the Windows event came back whole.
fn check_win(buf: &[u8], base: &str, ds: &[&'static str], json: &str, xml: bool) {
    let (ev, line, _) = decode(buf, base, ds).unwrap();
    assert_eq!(line, 9);
    let EventRef::Win(w) = ev else {
        panic!("not a Windows event")
    };
    assert_eq!(w.text(), json);
    assert_eq!(w.record.is_xml(), xml);
    assert_eq!(
        (w.ts, w.event_id, w.record_id),
        (Ts::from_secs(5), 4688, 77)
    );
    assert_eq!(
        (&*w.channel, &*w.provider, &*w.computer),
        (
            "Security",
            "Microsoft-Windows-Security-Auditing",
            "ws1.corp.example"
        )
    );
}

/// A Windows event keeps its whole record (a rule reads any field),
/// whatever the raw limit; stored once when it is the raw text.
#[test]
fn a_windows_event_keeps_its_whole_record() {
    use haboob_model::{FieldView, Value, MAX_EVIDENCE_BYTES};
    let cmd = format!("powershell -enc {}", "QUFB".repeat(1500));
    let json = command_line(&cmd);
    assert!(json.len() > 2 * MAX_EVIDENCE_BYTES);
    let mut ds = Vec::new();
    // The raw text is the record (EVTX): cut for evidence, the record
    // still whole.
    let o = Origin {
        file: "f",
        line: 9,
        raw: &json,
    };
    let (mut cut, mut whole) = (Vec::new(), Vec::new());
    encode(
        &win(&json, false),
        &o,
        MAX_EVIDENCE_BYTES,
        "",
        &mut ds,
        &mut cut,
    );
    encode(&win(&json, false), &o, usize::MAX, "", &mut ds, &mut whole);
    check_win(&cut, "", &ds, &json, false);
    check_win(&whole, "", &ds, &json, false);
    let (ev, _, raw) = decode(&cut, "", &ds).unwrap();
    assert_eq!(raw.len(), MAX_EVIDENCE_BYTES);
    let EventRef::Win(w) = ev else { panic!() };
    assert_eq!(w.field("CommandLine"), Some(Value::from(cmd.as_str())));
    // Uncut, the record is the raw text and is stored once.
    assert!(whole.len() < json.len() + 200, "{}", whole.len());
    // In an arena, and as XML text different from the raw line.
    let (mut arena, mut rec) = (String::new(), Vec::new());
    let xml =
        format!("<Event><EventData><Data Name=\"CommandLine\">{cmd}</Data></EventData></Event>");
    let o = Origin {
        file: "f",
        line: 9,
        raw: "another line",
    };
    encode_in_arena(&win(&xml, true), &o, 4, &mut arena, &mut ds, &mut rec);
    check_win(&rec, &arena, &ds, &xml, true);
    let (ev, _, raw) = decode(&rec, &arena, &ds).unwrap();
    assert_eq!(raw, "anot");
    let EventRef::Win(w) = ev else { panic!() };
    assert_eq!(w.field("CommandLine"), Some(Value::from(cmd.as_str())));
    // A corrupt record is an error.
    for n in 0..cut.len() {
        assert!(decode(&cut[..n], "", &ds).is_err(), "cut at {n}");
    }
}

proptest::proptest! {
    /// Any record text, of any length, comes back equal: with the raw
    /// text cut to 2 KiB, ranged in a base or copied.
    #[test]
    fn windows_records_round_trip(cmd in "\\PC{0,3000}", xml: bool, ranged: bool) {
        let json = command_line(&cmd);
        let text = if xml { format!("<Event><EventData><Data Name=\"C\">{}</Data></EventData></Event>", cmd.replace('&', "&amp;").replace('<', "&lt;")) } else { json.clone() };
        let o = Origin { file: "f", line: 9, raw: &text };
        let mut ds = Vec::new();
        let mut buf = Vec::new();
        let base = if ranged { text.as_str() } else { "" };
        encode(&win(&text, xml), &o, haboob_model::MAX_EVIDENCE_BYTES, base, &mut ds, &mut buf);
        check_win(&buf, base, &ds, &text, xml);
    }
}
