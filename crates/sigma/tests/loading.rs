//! Loading: documents, collections, filters, correlations, and errors
//! that say where and why.

mod common;
use common::{load_text, okta_rule, only_error, s, Rec};
use haboob_sigma::{Family, Level, LoadError};

fn invalid(e: &LoadError) -> (usize, usize, String) {
    match e {
        LoadError::Invalid {
            line,
            column,
            reason,
            ..
        } => (*line, *column, reason.clone()),
        other => panic!("not invalid: {other}"),
    }
}

#[test]
fn errors_name_line_column_and_reason() {
    // Bad YAML.
    let (l, _, r) = invalid(&only_error(
        "title: t\nlogsource: {product: okta\ndetection: x\n",
    ));
    assert!(r.starts_with("bad YAML"), "{r}");
    assert!(l >= 2, "{l}");
    // Missing detection / condition.
    let (l, c, r) = invalid(&only_error(
        "title: t\nlogsource: {product: okta, service: okta}\n",
    ));
    assert_eq!((l, c, r.as_str()), (1, 1, "missing `detection`"));
    let (_, _, r) = invalid(&only_error(&okta_rule("sel:\n    a: 1")));
    assert!(r.contains("no `condition`"), "{r}");
    // Unknown modifier: at its key.
    let (l, c, r) = invalid(&only_error(&okta_rule(
        "sel:\n    a|contians: 1\ncondition: sel",
    )));
    assert_eq!((l, c), (8, 9), "{r}");
    assert!(r.contains("unknown modifier `contians`"), "{r}");
    // Condition errors with the character position.
    let (l, _, r) = invalid(&only_error(&okta_rule(
        "sel:\n    a: 1\ncondition: sel and (sel",
    )));
    assert_eq!(l, 9);
    assert!(
        r.contains("expected `)`") && r.contains("character 13"),
        "{r}"
    );
    let (_, _, r) = invalid(&only_error(&okta_rule(
        "sel:\n    a: 1\ncondition: sel and other",
    )));
    assert!(r.contains("unknown search identifier `other`"), "{r}");
    let (_, _, r) = invalid(&only_error(&okta_rule(
        "sel:\n    a: 1\ncondition: 1 of filter*",
    )));
    assert!(r.contains("no search identifier matches `filter*`"), "{r}");
    let (_, _, r) = invalid(&only_error(&okta_rule(
        "sel:\n    a: 1\ncondition: sel | count() > 5",
    )));
    assert!(r.contains("aggregation"), "{r}");
    // Bad regex: invalid; look-around and backreferences: unsupported, named.
    let (_, _, r) = invalid(&only_error(&okta_rule(
        "sel:\n    a|re: 'a(b'\ncondition: sel",
    )));
    assert!(r.contains("bad regex"), "{r}");
    for (re, what) in [("a(?=b)", "look-around"), ("(a)\\1", "backreference")] {
        let e = only_error(&okta_rule(&format!(
            "sel:\n    a|re: '{re}'\ncondition: sel"
        )));
        assert!(
            matches!(&e, LoadError::Unsupported { feature, .. } if feature.contains(what)),
            "{e}"
        );
    }
    // Unmapped log source: unsupported, with the log source.
    let e = only_error("title: t\nid: x1\nlogsource: {product: macos, category: process_creation}\ndetection: {sel: {a: 1}, condition: sel}\n");
    assert_eq!(
        e.to_string(),
        format!("{}: rule x1: unsupported: logsource product=macos category=process_creation (not mapped)", match &e { LoadError::Unsupported { path, .. } => path.display().to_string(), _ => unreachable!() })
    );
}

#[test]
fn a_hostile_regex_is_refused_not_compiled() {
    let e = only_error(&okta_rule(
        "sel:\n    a|re: '(\\w{1,100}){1,100}'\ncondition: sel",
    ));
    assert!(
        matches!(&e, LoadError::Unsupported { feature, .. } if feature.contains("size limit")),
        "{e}"
    );
}

#[test]
fn collections_global_repeat_reset() {
    let yaml = "action: global\ntitle: base\nlogsource: {product: okta, service: okta}\nlevel: high\ndetection:\n    condition: sel\n---\nid: one\ndetection:\n    sel:\n        a: 1\n---\naction: repeat\nid: two\ndetection:\n    sel:\n        a: 2\n---\naction: reset\n---\ntitle: three\nid: three\nlogsource: {product: okta, service: okta}\ndetection:\n    sel:\n        a: 3\n    condition: sel\n";
    let l = load_text(yaml);
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    assert_eq!(l.rules.len(), 3);
    let m = |i: u32| l.rules.meta(haboob_sigma::RuleIdx(i));
    assert_eq!(
        (m(0).id.as_str(), m(0).title.as_str(), m(0).level),
        ("one", "base", Level::High)
    );
    assert_eq!((m(1).id.as_str(), m(1).level), ("two", Level::High));
    assert_eq!(
        (m(2).id.as_str(), m(2).level, m(2).line),
        ("three", Level::Medium, 21)
    );
    let mut out = Vec::new();
    l.rules
        .matches(Family::Okta, &Rec(vec![("a", s("2"))]), &mut out);
    assert_eq!(out, [haboob_sigma::RuleIdx(1)]);
}

#[test]
fn filters_negate_their_condition_on_the_named_rules() {
    let yaml = "title: r\nid: r1\nlogsource: {product: okta, service: okta}\ndetection:\n    sel:\n        a: 1\n    condition: sel\n---\ntitle: other\nid: r2\nlogsource: {product: okta, service: okta}\ndetection:\n    sel:\n        a: 1\n    condition: sel\n---\ntitle: f\nlogsource: {product: okta, service: okta}\nfilter:\n    rules:\n        - r1\n    selection:\n        user|startswith: adm_\n    condition: selection\n";
    let l = load_text(yaml);
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    assert_eq!((l.tally.total.loaded, l.tally.total.filters), (2, 1));
    let mut out = Vec::new();
    l.rules.matches(
        Family::Okta,
        &Rec(vec![("a", s("1")), ("user", s("adm_x"))]),
        &mut out,
    );
    assert_eq!(out, [haboob_sigma::RuleIdx(1)], "r1 filtered, r2 not");
    out.clear();
    l.rules.matches(
        Family::Okta,
        &Rec(vec![("a", s("1")), ("user", s("bob"))]),
        &mut out,
    );
    assert_eq!(out.len(), 2);
}

#[test]
fn correlations_are_handed_out_parsed() {
    let yaml = "title: base\nid: b1\nname: base_rule\nlogsource: {product: okta, service: okta}\ndetection: {sel: {a: 1}, condition: sel}\n---\ntitle: c\ncorrelation:\n    type: event_count\n    rules: [base_rule]\n    group-by: [user]\n    timespan: 5m\n    condition: {gte: 3}\n";
    let l = load_text(yaml);
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    let c = l.rules.correlation_docs();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].line, 7);
    assert_eq!(
        c[0].doc["correlation"]["type"].as_str(),
        Some("event_count")
    );
    assert_eq!(l.rules.find("base_rule"), Some(haboob_sigma::RuleIdx(0)));
    assert_eq!(l.rules.find("b1"), Some(haboob_sigma::RuleIdx(0)));
}

#[test]
fn windows_dispatch_by_channel_and_event_id() {
    let yaml = "title: t\nid: w\nlogsource: {product: windows, service: security}\ndetection:\n    sel:\n        EventID: 4625\n    condition: sel\n---\ntitle: p\nid: p\nlogsource: {product: windows, category: process_creation}\ndetection:\n    sel:\n        Image|endswith: '\\whoami.exe'\n    condition: sel\n";
    let l = load_text(yaml);
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    let win =
        |eid: i64, ch: &'static str, extra: Vec<(&'static str, haboob_model::Value<'static>)>| {
            let mut v = vec![
                ("EventID", haboob_model::Value::Int(eid)),
                ("Channel", s(ch)),
            ];
            v.extend(extra);
            let mut out = Vec::new();
            l.rules.matches(Family::Windows, &Rec(v), &mut out);
            out.iter()
                .map(|i| l.rules.meta(*i).id.clone())
                .collect::<Vec<_>>()
        };
    assert_eq!(win(4625, "Security", vec![]), ["w"]);
    assert!(win(4625, "System", vec![]).is_empty());
    assert!(win(4624, "Security", vec![]).is_empty());
    let sysmon = "Microsoft-Windows-Sysmon/Operational";
    assert_eq!(
        win(
            1,
            sysmon,
            vec![("Image", s("C:\\Windows\\System32\\whoami.exe"))]
        ),
        ["p"]
    );
    assert!(win(
        3,
        sysmon,
        vec![("Image", s("C:\\Windows\\System32\\whoami.exe"))]
    )
    .is_empty());
    // Security 4688: `Image` is read from `NewProcessName`.
    assert_eq!(
        win(
            4688,
            "Security",
            vec![("NewProcessName", s("C:\\x\\WHOAMI.EXE"))]
        ),
        ["p"]
    );
    assert!(win(4688, "Security", vec![("Image", s("C:\\x\\whoami.exe"))]).is_empty());
    // Other families do not see Windows rules.
    let mut out = Vec::new();
    l.rules.matches(
        Family::Okta,
        &Rec(vec![
            ("EventID", haboob_model::Value::Int(4625)),
            ("Channel", s("Security")),
        ]),
        &mut out,
    );
    assert!(out.is_empty());
}

#[test]
fn metadata_and_techniques() {
    let l = load_text("title: T\nid: i\nstatus: test\nlevel: critical\ndescription: d\ntags:\n    - attack.t1110.003\n    - attack.credential-access\nlogsource: {product: okta, service: okta}\ndetection: {sel: {a: 1}, condition: sel}\n");
    let m = l.rules.meta(haboob_sigma::RuleIdx(0));
    assert_eq!(
        (
            m.title.as_str(),
            m.status.as_str(),
            m.level,
            m.description.as_str()
        ),
        ("T", "test", Level::Critical, "d")
    );
    assert_eq!(m.techniques, ["T1110.003"]);
    assert_eq!(m.family, Family::Okta);
}
