//! STIX 2.1 objects to indicators: a thin reader of bundles and object
//! arrays (TAXII pages), used until the `stix` module's reader replaces it.
//!
//! Indicators with `pattern_type` `stix` are read; a pattern that is an `OR`
//! of equalities on indexable paths becomes [`IndicatorCondition::Any`],
//! any other becomes [`IndicatorCondition::Pattern`] (evaluated by the
//! pattern module). `revoked` indicators are skipped; an indicator without
//! an id or a pattern is rejected naming its id. TLP comes from
//! `object_marking_refs` (the standard TLP 1.0 and 2.0 marking ids, or a
//! marking-definition of the bundle), actors from `indicates` relationships
//! to intrusion sets and threat actors.

use super::value::{domain, email, ip_net, url};
use super::{kind_of, Import, ImportOptions};
use crate::{HashAlgo, Indicator, IndicatorCondition, IntelError, Observable, Provenance, Tlp};
use haboob_model::Ts;
use serde_json::Value;
use std::collections::HashMap;

/// TLP of a standard marking-definition id (TLP 1.0 and 2.0).
pub fn standard_tlp(id: &str) -> Option<Tlp> {
    Some(match id.strip_prefix("marking-definition--")? {
        "613f2e26-407d-48c7-9eca-b8e91df99dc9" | "94868c89-83c2-464b-929b-a1a8aa3c8487" => {
            Tlp::Clear
        }
        "34098fce-860f-48ae-8e50-ebd3cc5e41da" | "bab4a63c-aed9-4cf5-a766-dfca5abac2bb" => {
            Tlp::Green
        }
        "f88d31f6-486f-44da-b317-01333bde0b82" | "55d920b0-5e8b-4f79-9ee9-91f868d9b421" => {
            Tlp::Amber
        }
        "939a9414-2ddd-4d32-a0cd-375ea402b003" => Tlp::AmberStrict,
        "5e57c739-391a-4eb3-b6be-7d15ca92d5ed" | "e828b379-4e03-4974-9ac4-e53a884c97c1" => Tlp::Red,
        _ => return None,
    })
}

fn s<'v>(v: &'v Value, k: &str) -> Option<&'v str> {
    v.get(k).and_then(Value::as_str)
}

/// Read a bundle (or an array of objects, or one object).
///
/// # Errors
/// The document is no bundle, array or STIX object.
pub fn read_bundle_value(
    v: &Value,
    file: &str,
    source: &str,
    opts: &ImportOptions,
) -> Result<Import, IntelError> {
    let objs: &[Value] = match v {
        Value::Array(a) => a,
        Value::Object(_) if s(v, "type") == Some("bundle") => v
            .get("objects")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice),
        Value::Object(_) if s(v, "type").is_some() => std::slice::from_ref(v),
        _ => {
            return Err(IntelError::Format {
                source_name: file.to_string(),
                reason: "not a STIX bundle".into(),
            })
        }
    };
    Ok(read_objects(objs, file, source, opts))
}

/// Read STIX objects (a bundle's, or a TAXII page's): indicators with their
/// TLP and actors; other object types are counted as skipped.
pub fn read_objects(objs: &[Value], file: &str, source: &str, opts: &ImportOptions) -> Import {
    let mut out = Import::default();
    // Names of intrusion sets / threat actors, marking TLPs, indicates.
    let mut names: HashMap<&str, &str> = HashMap::new();
    let mut markings: HashMap<&str, Tlp> = HashMap::new();
    let mut indicates: HashMap<&str, Vec<&str>> = HashMap::new();
    for o in objs {
        match s(o, "type") {
            Some("intrusion-set" | "threat-actor") => {
                if let (Some(id), Some(n)) = (s(o, "id"), s(o, "name")) {
                    names.insert(id, n);
                }
            }
            Some("marking-definition") => {
                let tlp = o
                    .get("definition")
                    .and_then(|d| s(d, "tlp"))
                    .and_then(super::list::parse_tlp)
                    .or_else(|| s(o, "name").and_then(super::list::parse_tlp));
                if let (Some(id), Some(t)) = (s(o, "id"), tlp) {
                    markings.insert(id, t);
                }
            }
            Some("relationship") if s(o, "relationship_type") == Some("indicates") => {
                if let (Some(a), Some(b)) = (s(o, "source_ref"), s(o, "target_ref")) {
                    indicates.entry(a).or_default().push(b);
                }
            }
            _ => {}
        }
    }
    for o in objs {
        let ty = s(o, "type").unwrap_or("");
        if ty != "indicator" {
            if !matches!(ty, "bundle") {
                out.summary
                    .skip(&format!("STIX {}", ty.chars().take(40).collect::<String>()));
            }
            continue;
        }
        let id = s(o, "id").unwrap_or("");
        let loc = format!(
            "{file}: {}",
            if id.is_empty() {
                "indicator without id"
            } else {
                id
            }
        );
        if id.is_empty() {
            out.summary.reject(loc, "indicator without an id");
            continue;
        }
        if o.get("revoked").and_then(Value::as_bool) == Some(true) {
            out.summary.skip("revoked");
            continue;
        }
        let ptype = s(o, "pattern_type").unwrap_or("stix");
        if ptype != "stix" {
            out.summary.unsupported(&format!("pattern_type {ptype}"));
            continue;
        }
        let Some(pattern) = s(o, "pattern").filter(|p| !p.trim().is_empty()) else {
            out.summary.reject(loc, "indicator without a pattern");
            continue;
        };
        let time = |k: &str| -> Result<Option<Ts>, String> {
            match s(o, k) {
                None => Ok(None),
                Some(t) => Ts::parse_rfc3339(t)
                    .map(Some)
                    .map_err(|_| format!("{k} {t:?} is not a STIX timestamp")),
            }
        };
        let (valid_from, valid_until) = match (time("valid_from"), time("valid_until")) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => {
                out.summary.reject(loc, e);
                continue;
            }
        };
        let condition = match simple_pattern(pattern) {
            Some(obs) => {
                for x in &obs {
                    out.summary.count(kind_of(x));
                }
                IndicatorCondition::Any(obs)
            }
            None => {
                out.summary.count("pattern");
                IndicatorCondition::Pattern(pattern.chars().take(16 << 10).collect())
            }
        };
        let mut labels: Vec<String> = Vec::new();
        for k in ["indicator_types", "labels"] {
            for l in o
                .get(k)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !labels.iter().any(|x| x == l) {
                    labels.push(l.chars().take(128).collect());
                }
            }
        }
        let tlp = o
            .get("object_marking_refs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter_map(|m| standard_tlp(m).or_else(|| markings.get(m).copied()))
            .max();
        let actors = indicates
            .get(id)
            .into_iter()
            .flatten()
            .filter_map(|t| names.get(t))
            .map(|n| n.to_string())
            .collect();
        let confidence = o
            .get("confidence")
            .and_then(Value::as_u64)
            .and_then(|c| u8::try_from(c.min(100)).ok());
        out.indicators.push(Indicator {
            id: id.chars().take(128).collect(),
            name: s(o, "name").unwrap_or(id).chars().take(256).collect(),
            condition,
            valid_from,
            valid_until,
            labels,
            actors,
            provenance: Provenance {
                source: source.to_string(),
                imported: opts.imported,
                confidence,
                tlp: tlp.or(opts.tlp),
                reference: s(o, "created_by_ref").map(str::to_string),
            },
        });
    }
    out
}

/// Tokens of the simple subset: `[`, `]`, `OR`, `=`, a path, a string.
#[derive(Debug, PartialEq)]
enum Tok {
    Open,
    Close,
    Or,
    Eq,
    Path(String),
    Str(String),
}

fn lex(p: &str) -> Option<Vec<Tok>> {
    let b = p.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        match b[i] {
            c if c.is_ascii_whitespace() => i += 1,
            b'[' => {
                out.push(Tok::Open);
                i += 1;
            }
            b']' => {
                out.push(Tok::Close);
                i += 1;
            }
            b'=' => {
                out.push(Tok::Eq);
                i += 1;
            }
            b'\'' => {
                let mut v = String::new();
                i += 1;
                loop {
                    let c = *b.get(i)?;
                    if c == b'\\' {
                        v.push(char::from(*b.get(i + 1)?));
                        i += 2;
                    } else if c == b'\'' {
                        i += 1;
                        break;
                    } else {
                        let ch = p[i..].chars().next()?;
                        v.push(ch);
                        i += ch.len_utf8();
                    }
                }
                out.push(Tok::Str(v));
            }
            _ => {
                // A path or a keyword: up to whitespace, `=`, `]`, with
                // quoted parts ('SHA-256') inside.
                let start = i;
                let mut in_q = false;
                while i < b.len() {
                    let c = b[i];
                    if c == b'\'' {
                        in_q = !in_q;
                    } else if !in_q
                        && (c.is_ascii_whitespace() || c == b'=' || c == b']' || c == b'[')
                    {
                        break;
                    }
                    i += 1;
                }
                let w = &p[start..i];
                if w == "OR" {
                    out.push(Tok::Or);
                } else {
                    out.push(Tok::Path(w.to_string()));
                }
            }
        }
    }
    Some(out)
}

/// The observables of a pattern that is an `OR` of equalities on indexable
/// paths (within one observation or across observations); `None` otherwise.
pub fn simple_pattern(p: &str) -> Option<Vec<Observable>> {
    let toks = lex(p)?;
    let mut out = Vec::new();
    let mut i = 0;
    let mut depth = 0;
    let mut expect_term = true;
    while i < toks.len() {
        match (&toks[i], expect_term) {
            (Tok::Open, true) if depth == 0 => {
                depth = 1;
                i += 1;
            }
            (Tok::Path(path), true) if depth == 1 => {
                let (Some(Tok::Eq), Some(Tok::Str(v))) = (toks.get(i + 1), toks.get(i + 2)) else {
                    return None;
                };
                out.push(observable(path, v)?);
                i += 3;
                expect_term = false;
            }
            (Tok::Or, false) => {
                expect_term = true;
                i += 1;
            }
            (Tok::Close, false) if depth == 1 => {
                depth = 0;
                i += 1;
                if let Some(Tok::Or) = toks.get(i) {
                    expect_term = true;
                    i += 1;
                } else if i < toks.len() {
                    return None;
                }
            }
            _ => return None,
        }
    }
    (depth == 0 && !expect_term && !out.is_empty()).then_some(out)
}

fn observable(path: &str, v: &str) -> Option<Observable> {
    let hash_algo = |k: &str| -> Option<HashAlgo> {
        Some(match k.trim_matches('\'').to_ascii_uppercase().as_str() {
            "MD5" => HashAlgo::Md5,
            "SHA-1" | "SHA1" => HashAlgo::Sha1,
            "SHA-256" | "SHA256" => HashAlgo::Sha256,
            "SHA-512" | "SHA512" => HashAlgo::Sha512,
            _ => return None,
        })
    };
    match path {
        "ipv4-addr:value" | "ipv6-addr:value" => ip_net(v).map(Observable::Ip),
        "domain-name:value" => domain(v)
            .map(Observable::Domain)
            .or_else(|| ip_net(v).map(Observable::Ip)),
        "url:value" => url(v).map(Observable::Url),
        "email-addr:value" | "email-message:from_ref.value" => email(v).map(Observable::Email),
        "user-account:user_id" | "user-account:account_login" => {
            Some(Observable::Account(v.to_ascii_lowercase()))
        }
        "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'" => {
            Some(Observable::UserAgent(v.to_string()))
        }
        _ => {
            let algo = hash_algo(path.strip_prefix("file:hashes.")?)?;
            let (a, h) = super::value::hash(v)?;
            (a == algo).then_some(Observable::Hash(a, h))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn or_of_equalities_is_indexed_the_rest_is_a_pattern() {
        assert_eq!(
            simple_pattern("[ipv4-addr:value = '203.0.113.0/24' OR domain-name:value = 'Evil.example'] OR [url:value = 'http://evil.example/a']"),
            Some(vec![
                Observable::Ip("203.0.113.0/24".parse().unwrap()),
                Observable::Domain("evil.example".into()),
                Observable::Url("http://evil.example/a".into()),
            ])
        );
        assert_eq!(
            simple_pattern("[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']").map(|v| v.len()),
            Some(1)
        );
        assert_eq!(
            simple_pattern("[domain-name:value='1.2.3.4']"),
            Some(vec![Observable::Ip("1.2.3.4/32".parse().unwrap())])
        );
        assert_eq!(
            simple_pattern("[ipv4-addr:value = '1.2.3.4' AND ipv4-addr:value = '1.2.3.5']"),
            None
        );
        assert_eq!(simple_pattern("[email-message:subject MATCHES '^x']"), None);
        assert_eq!(simple_pattern("[file:name = 'x.exe']"), None);
        assert_eq!(
            simple_pattern(
                "[url:value = 'http://x.example/'] FOLLOWEDBY [url:value = 'http://y.example/']"
            ),
            None
        );
    }
}
