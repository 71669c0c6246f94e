//! Helpers: rules from YAML text, small in-memory records.
#![allow(dead_code)]

use haboob_model::{FieldView, Value};
use haboob_sigma::{load, Family, LoadError, Loaded, Mapping};
use std::borrow::Cow;

/// Loads `yaml` (one file) with `mapping`.
pub fn load_text_with(yaml: &str, mapping: &Mapping) -> Loaded {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("rule.yml");
    std::fs::write(&p, yaml).unwrap();
    load(&[p], mapping)
}

/// Loads `yaml` with the built-in mapping.
pub fn load_text(yaml: &str) -> Loaded {
    load_text_with(yaml, &Mapping::builtin())
}

/// A rule on Okta records (a JSON family) with this detection.
pub fn okta_rule(detection: &str) -> String {
    format!(
        "title: t\nid: r\nlogsource:\n    product: okta\n    service: okta\ndetection:\n{}\n",
        indent(detection)
    )
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("    {l}\n")).collect()
}

/// The single error of a load that must fail.
pub fn only_error(yaml: &str) -> LoadError {
    let l = load_text(yaml);
    assert_eq!(l.rules.len(), 0, "{yaml}");
    assert_eq!(l.errors.len(), 1, "{yaml}: {:?}", l.errors);
    l.errors[0].clone()
}

/// A record of named values.
pub struct Rec(pub Vec<(&'static str, Value<'static>)>);

/// Text value.
pub fn s(v: &'static str) -> Value<'static> {
    Value::Str(Cow::Borrowed(v))
}

impl FieldView for Rec {
    fn field(&self, name: &str) -> Option<Value<'_>> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }

    fn for_each_field(&self, f: &mut dyn FnMut(&str, Value<'_>)) {
        for (n, v) in &self.0 {
            if *v != Value::Null {
                f(n, v.clone());
            }
        }
    }
}

/// True when the Okta rule with `detection` matches `rec`.
pub fn hit(detection: &str, rec: &Rec) -> bool {
    let l = load_text(&okta_rule(detection));
    assert!(l.errors.is_empty(), "{detection}: {:?}", l.errors);
    assert_eq!(l.rules.len(), 1);
    let mut out = Vec::new();
    l.rules.matches(Family::Okta, rec, &mut out);
    // The same with the literal prefilter forced on this one rule.
    let mut pre = l.rules.clone();
    pre.rebuild_prefilter(1);
    let mut out2 = Vec::new();
    pre.matches(Family::Okta, rec, &mut out2);
    assert_eq!(out, out2, "prefilter changed the result of {detection}");
    !out.is_empty()
}
