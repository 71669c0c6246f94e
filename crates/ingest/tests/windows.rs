//! Windows events through the reader: every EVTX record and every event
//! XML line is one Windows event; a sign-in is delivered as its sign-in
//! first, then as its Windows event with the same origin, and the record
//! counts once.

use haboob_ingest::{read_input, Input, ReadOptions, ReadStats};
use haboob_model::EventRef;
use std::path::Path;

/// (kind, line, event id) of every event delivered, and the stats.
fn read(path: &Path) -> (Vec<(char, u64, u32)>, ReadStats) {
    let mut got = Vec::new();
    let s = read_input(
        &Input::File(path.to_owned()),
        &ReadOptions::default(),
        &|_| {},
        &mut |ev, o| {
            got.push(match ev {
                EventRef::Auth(_) => ('A', o.line, 0),
                EventRef::Win(w) => {
                    assert_eq!(w.ts, ev.ts());
                    ('W', o.line, w.event_id)
                }
                other => panic!("{}: {other:?}", o.line),
            })
        },
    )
    .unwrap();
    (got, s)
}

/// Each sign-in is followed by its Windows event on the same line; every
/// line has exactly one Windows event.
fn check_pairs(got: &[(char, u64, u32)]) -> (usize, usize) {
    let (mut auth, mut win) = (0, 0);
    for (i, &(k, line, _)) in got.iter().enumerate() {
        match k {
            'A' => {
                auth += 1;
                assert_eq!(got.get(i + 1).map(|g| (g.0, g.1)), Some(('W', line)));
            }
            _ => {
                win += 1;
                if i > 0 && got[i - 1].0 == 'W' {
                    assert_ne!(got[i - 1].1, line, "two Windows events of one record");
                }
            }
        }
    }
    (auth, win)
}

#[test]
fn evtx_records_are_windows_events() {
    let Some(p) = haboob_testdata::corpus_file_or_skip(
        "evtx_records_are_windows_events",
        "evtx/EVTX-ATTACK-SAMPLES/Lateral Movement/LM_4624_mimikatz_sekurlsa_pth_source_machine.evtx",
    ) else {
        return;
    };
    let (got, s) = read(&p);
    let ids: Vec<u32> = got.iter().filter(|g| g.0 == 'W').map(|g| g.2).collect();
    // One sign-in (the 4624) among the file's 6 records.
    assert_eq!(check_pairs(&got), (1, 6));
    assert_eq!((s.lines, s.parsed, s.events, s.rejected), (6, 6, 6, 0));
    // The log clearing, the logon with its special privileges, three
    // process creations: every record, in file order.
    assert_eq!(ids, [1102, 4624, 4672, 4688, 4688, 4688]);
    assert_eq!(&got[1..3], [('A', 2, 0), ('W', 2, 4624)]);
}

#[test]
fn event_xml_lines_are_windows_events() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("events.xml");
    let ns = r#"xmlns="http://schemas.microsoft.com/win/2004/08/events/event""#;
    let sys = |id: u32| {
        format!(
            r#"<System><Provider Name="Microsoft-Windows-Security-Auditing"/><EventID>{id}</EventID><TimeCreated SystemTime="2024-05-01T10:00:0{}Z"/><EventRecordID>{id}</EventRecordID><Channel>Security</Channel><Computer>dc1</Computer></System>"#,
            id % 10
        )
    };
    let text = format!(
        "<Event {ns}>{}<EventData><Data Name=\"TargetUserName\">bob</Data><Data Name=\"IpAddress\">192.0.2.7</Data><Data Name=\"LogonType\">3</Data><Data Name=\"TargetDomainName\">corp</Data></EventData></Event>\n\
         <Event {ns}>{}<EventData><Data Name=\"SubjectUserName\">bob</Data></EventData></Event>\n\
         <Event {ns}>{}</Event>\n\
         <Event {ns}><System><EventID>4688</EventID></System></Event>\n",
        sys(4624),
        sys(4672),
        sys(4625),
    );
    std::fs::write(&p, text).unwrap();
    let (got, s) = read(&p);
    // Line 3, a 4625 without EventData, gives no sign-in but is still a
    // Windows event (a rule on 4625 sees it), counted as partial.
    assert_eq!(
        got,
        [('A', 1, 0), ('W', 1, 4624), ('W', 2, 4672), ('W', 3, 4625)],
        "{:?}",
        s.samples
    );
    assert_eq!(
        (s.lines, s.parsed, s.events, s.rejected, s.partial),
        (4, 3, 3, 1, 1)
    );
    let reasons: Vec<&str> = s.samples.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "read as a Windows event only, not as a sign-in: sign-in record without EventData",
            "event without TimeCreated"
        ]
    );
}
