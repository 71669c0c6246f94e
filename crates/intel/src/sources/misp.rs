//! MISP: feed folders or URLs (`manifest.json` and `<uuid>.json` per event)
//! and event exports (a bare `{"Event":…}`, `{"response":[{"Event":…}]}`,
//! or an array of either).
//!
//! Mapping (also in the README):
//! - attribute → one indicator, id = the attribute's uuid, name = the
//!   event's `info`; `reference` = `misp event <uuid> (<date>)`.
//! - types: `ip-src`, `ip-dst`, `ip-src|port`, `ip-dst|port` → address;
//!   `domain`, `hostname` → domain; `domain|ip` → domain or address;
//!   `url`, `uri` → URL (`http://` added when it has no scheme); `email`,
//!   `email-src`, `email-dst` → e-mail; `user-agent` → user agent;
//!   `md5`, `sha1`, `sha256`, `sha512` and `filename|<hash>` → hash. `link`
//!   is documentation and skipped (counted); other types are counted per
//!   type as unsupported.
//! - `to_ids=false` attributes are context: counted, imported only with
//!   `include_context` (labelled `context`).
//! - tags `tlp:*` → TLP (the attribute's wins over the event's);
//!   `misp-galaxy:threat-actor="X"` and threat-actor galaxy clusters →
//!   actors; other tags → labels, with the attribute's category.
//! - `threat_level_id` → confidence: 1 (high) → 80, 2 (medium) → 60,
//!   3 (low) → 40, 4 (undefined) → none.
//! - Objects' attributes are read like the event's; deleted attributes are
//!   skipped (counted).

use super::list::parse_tlp;
use super::value::{domain, email, hash, ip_net, url};
use super::{kind_of, Import, ImportOptions};
use crate::{Indicator, IndicatorCondition, IntelError, Observable, Provenance, Tlp};
use serde_json::Value;
use std::path::Path;

fn s<'v>(v: &'v Value, k: &str) -> Option<&'v str> {
    v.get(k).and_then(Value::as_str)
}

/// `to_ids` as MISP writes it: a bool, or `"1"`/`"0"`, `"true"`.
fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => matches!(s.as_str(), "1" | "true" | "True"),
        Some(Value::Number(n)) => n.as_u64() == Some(1),
        _ => false,
    }
}

/// Confidence from `threat_level_id`.
pub fn confidence_of_threat_level(v: Option<&Value>) -> Option<u8> {
    let id = match v {
        Some(Value::String(s)) => s.parse::<u8>().ok()?,
        Some(Value::Number(n)) => u8::try_from(n.as_u64()?).ok()?,
        _ => return None,
    };
    match id {
        1 => Some(80),
        2 => Some(60),
        3 => Some(40),
        _ => None,
    }
}

/// What tags say: TLP, actors, other labels.
#[derive(Debug, Default, Clone)]
struct Tags {
    tlp: Option<Tlp>,
    actors: Vec<String>,
    labels: Vec<String>,
}

fn read_tags(v: &Value, into: &mut Tags) {
    for t in v.get("Tag").and_then(Value::as_array).into_iter().flatten() {
        let Some(name) = s(t, "name") else { continue };
        let name: String = name.chars().take(256).collect();
        if let Some(tlp) = name.strip_prefix("tlp:").and_then(parse_tlp) {
            into.tlp = Some(tlp);
        } else if let Some(a) = name.strip_prefix("misp-galaxy:threat-actor=") {
            let a = a.trim_matches('"').to_string();
            if !into.actors.contains(&a) {
                into.actors.push(a);
            }
        } else if !into.labels.contains(&name) {
            into.labels.push(name);
        }
    }
    for g in v
        .get("Galaxy")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if s(g, "type") != Some("threat-actor") {
            continue;
        }
        for c in g
            .get("GalaxyCluster")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(a) = s(c, "value") {
                let a: String = a.chars().take(256).collect();
                if !into.actors.contains(&a) {
                    into.actors.push(a);
                }
            }
        }
    }
}

/// The observables of one attribute: `Ok(None)` for a type that is skipped
/// or unsupported (counted by the caller), `Err` for a bad value.
fn observables(ty: &str, value: &str) -> Result<Option<Vec<Observable>>, String> {
    let bad = |what: &str| format!("{ty} value {:?} is not {what}", trunc(value));
    let after_pipe = |v: &str| v.split_once('|').map_or(v, |(_, b)| b).to_string();
    Ok(Some(match ty {
        "ip-src" | "ip-dst" => vec![Observable::Ip(
            ip_net(value).ok_or_else(|| bad("an address"))?,
        )],
        "ip-src|port" | "ip-dst|port" => {
            let ip = value.rsplit_once('|').map_or(value, |(a, _)| a);
            vec![Observable::Ip(
                ip_net(ip).ok_or_else(|| bad("an address|port"))?,
            )]
        }
        "domain" | "hostname" => vec![Observable::Domain(
            domain(value).ok_or_else(|| bad("a domain"))?,
        )],
        "domain|ip" => {
            let (d, ip) = value.split_once('|').ok_or_else(|| bad("domain|ip"))?;
            vec![
                Observable::Domain(domain(d).ok_or_else(|| bad("domain|ip"))?),
                Observable::Ip(ip_net(ip).ok_or_else(|| bad("domain|ip"))?),
            ]
        }
        "url" | "uri" => {
            let v = if value.contains("://") {
                value.to_string()
            } else {
                format!("http://{}", value.trim_start_matches('/'))
            };
            vec![Observable::Url(url(&v).ok_or_else(|| bad("a URL"))?)]
        }
        "email" | "email-src" | "email-dst" => {
            vec![Observable::Email(
                email(value).ok_or_else(|| bad("an e-mail address"))?,
            )]
        }
        "user-agent" => {
            if value.is_empty() || value.len() > super::value::MAX_VALUE_BYTES {
                return Err(bad("a user agent of 1-4096 bytes"));
            }
            vec![Observable::UserAgent(value.to_string())]
        }
        "md5" | "sha1" | "sha256" | "sha512" | "filename|md5" | "filename|sha1"
        | "filename|sha256" | "filename|sha512" => {
            let (a, h) = hash(&after_pipe(value)).ok_or_else(|| bad("a hash"))?;
            vec![Observable::Hash(a, h)]
        }
        _ => return Ok(None),
    }))
}

fn trunc(v: &str) -> String {
    v.chars().take(80).collect()
}

/// Read one MISP event object (the value of `"Event"`).
fn read_event(ev: &Value, file: &str, source: &str, opts: &ImportOptions, out: &mut Import) {
    let info: String = s(ev, "info")
        .unwrap_or("MISP event")
        .chars()
        .take(256)
        .collect();
    let uuid = s(ev, "uuid").unwrap_or("");
    let date = s(ev, "date").unwrap_or("");
    let mut tags = Tags::default();
    read_tags(ev, &mut tags);
    let confidence = confidence_of_threat_level(ev.get("threat_level_id"));
    let reference = if date.is_empty() {
        format!("misp event {uuid}")
    } else {
        format!("misp event {uuid} ({date})")
    };
    let ctx = EventCtx {
        info: &info,
        uuid,
        tags: &tags,
        confidence,
        reference: &reference,
        file,
        source,
        opts,
    };
    for a in ev
        .get("Attribute")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        read_attribute(a, &ctx, out);
    }
    for o in ev
        .get("Object")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if truthy(o.get("deleted")) {
            out.summary.skip("deleted object");
            continue;
        }
        for a in o
            .get("Attribute")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            read_attribute(a, &ctx, out);
        }
    }
}

struct EventCtx<'a> {
    info: &'a str,
    uuid: &'a str,
    tags: &'a Tags,
    confidence: Option<u8>,
    reference: &'a str,
    file: &'a str,
    source: &'a str,
    opts: &'a ImportOptions,
}

fn read_attribute(a: &Value, c: &EventCtx<'_>, out: &mut Import) {
    let ty = s(a, "type").unwrap_or("");
    let value = s(a, "value").unwrap_or("");
    let auuid = s(a, "uuid").unwrap_or("");
    let loc = format!(
        "{}: event {} attribute {}",
        c.file,
        c.uuid,
        if auuid.is_empty() { "?" } else { auuid }
    );
    if truthy(a.get("deleted")) {
        out.summary.skip("deleted attribute");
        return;
    }
    if ty == "link" {
        out.summary.skip("documentation link");
        return;
    }
    let to_ids = truthy(a.get("to_ids"));
    let obs = match observables(ty, value) {
        Ok(Some(o)) => o,
        Ok(None) => {
            out.summary
                .unsupported(if ty.is_empty() { "(no type)" } else { ty });
            return;
        }
        Err(reason) => {
            out.summary.reject(loc, reason);
            return;
        }
    };
    if !to_ids {
        out.summary.context_seen += 1;
        if !c.opts.include_context {
            out.summary.skip("context (to_ids=false)");
            return;
        }
        out.summary.context_imported += 1;
    }
    let mut tags = c.tags.clone();
    read_tags(a, &mut tags);
    if let Some(cat) = s(a, "category") {
        let cat: String = cat.chars().take(128).collect();
        if !tags.labels.contains(&cat) {
            tags.labels.push(cat);
        }
    }
    if !to_ids {
        tags.labels.push("context".into());
    }
    for o in &obs {
        out.summary.count(kind_of(o));
    }
    let id = if auuid.is_empty() {
        haboob_model::content_id("misp", &[c.source, c.uuid, ty, value]).replacen('-', "--", 1)
    } else {
        auuid.to_string()
    };
    out.indicators.push(Indicator {
        id,
        name: c.info.to_string(),
        condition: IndicatorCondition::Any(obs),
        valid_from: None,
        valid_until: None,
        labels: tags.labels,
        actors: tags.actors,
        provenance: Provenance {
            source: c.source.to_string(),
            imported: c.opts.imported,
            confidence: c.confidence,
            tlp: tags.tlp.or(c.opts.tlp),
            reference: Some(c.reference.to_string()),
        },
    });
}

/// Read a MISP event export already parsed: `{"Event":…}`,
/// `{"response":[{"Event":…}]}`, or an array of these.
pub fn read_events_value(v: &Value, file: &str, source: &str, opts: &ImportOptions) -> Import {
    let mut out = Import::default();
    let mut n = 0usize;
    walk_events(v, &mut |ev| {
        n += 1;
        read_event(ev, file, source, opts, &mut out);
    });
    if n == 0 {
        out.summary.reject(file, "no MISP event in the document");
    }
    out
}

fn walk_events(v: &Value, f: &mut dyn FnMut(&Value)) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| walk_events(x, f)),
        Value::Object(o) => {
            if let Some(e) = o.get("Event") {
                f(e);
            } else if let Some(r) = o.get("response") {
                walk_events(r, f);
            } else if o.contains_key("Attribute") || o.contains_key("info") {
                f(v);
            }
        }
        _ => {}
    }
}

/// Read a MISP feed folder: every event its `manifest.json` lists. An event
/// file that is missing or bad is a rejection; the others are read.
///
/// # Errors
/// The manifest cannot be read or is not a JSON object.
pub fn read_feed_dir(dir: &Path, source: &str, opts: &ImportOptions) -> Result<Import, IntelError> {
    let manifest = super::read_json(&dir.join("manifest.json"))?;
    let Some(m) = manifest.as_object() else {
        return Err(IntelError::Format {
            source_name: dir.join("manifest.json").display().to_string(),
            reason: "a MISP feed manifest is a JSON object of event uuids".into(),
        });
    };
    let mut out = Import::default();
    for uuid in m.keys() {
        let safe = uuid.len() <= 64 && uuid.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
        let p = dir.join(format!("{uuid}.json"));
        if !safe {
            out.summary.reject(
                format!("{}/manifest.json", dir.display()),
                format!("event id {:?} is not a uuid", trunc(uuid)),
            );
            continue;
        }
        match super::read_json(&p) {
            Ok(v) => out.extend(read_events_value(
                &v,
                &p.display().to_string(),
                source,
                opts,
            )),
            Err(e) => out.summary.reject(p.display().to_string(), e.to_string()),
        }
    }
    Ok(out)
}

/// Read a MISP feed over HTTP(S): `<url>/manifest.json`, then each event.
///
/// # Errors
/// The manifest cannot be fetched or is not a JSON object.
pub fn read_feed_url(
    base: &str,
    source: &str,
    opts: &ImportOptions,
    auth: &super::taxii::Auth,
) -> Result<Import, IntelError> {
    let base = base
        .trim_end_matches('/')
        .trim_end_matches("/manifest.json");
    let client = super::taxii::Http::new(auth.clone());
    let murl = format!("{base}/manifest.json");
    let manifest = client.get_json(&murl, "application/json")?.0;
    let Some(m) = manifest.as_object() else {
        return Err(IntelError::Format {
            source_name: murl,
            reason: "a MISP feed manifest is a JSON object of event uuids".into(),
        });
    };
    let mut out = Import::default();
    for uuid in m.keys() {
        let safe = uuid.len() <= 64 && uuid.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
        if !safe {
            out.summary.reject(
                murl.clone(),
                format!("event id {:?} is not a uuid", trunc(uuid)),
            );
            continue;
        }
        let u = format!("{base}/{uuid}.json");
        match client.get_json(&u, "application/json") {
            Ok((v, _)) => out.extend(read_events_value(&v, &u, source, opts)),
            Err(e) => out.summary.reject(u, e.to_string()),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn attribute_types_tags_and_context() {
        let ev = json!({"Event": {
            "uuid": "e1", "info": "Seized domains", "date": "2024-09-27", "threat_level_id": "1",
            "Tag": [{"name": "tlp:green"}, {"name": "misp-galaxy:threat-actor=\"Cotton Sandstorm\""}],
            "Attribute": [
                {"uuid": "a1", "type": "ip-dst|port", "value": "203.0.113.7|443", "to_ids": true, "category": "Network activity"},
                {"uuid": "a2", "type": "domain|ip", "value": "evil.example|198.51.100.1", "to_ids": "1"},
                {"uuid": "a3", "type": "url", "value": "evil.example/login", "to_ids": true, "Tag": [{"name": "tlp:amber"}]},
                {"uuid": "a4", "type": "filename|sha256", "value": format!("x.exe|{}", "A".repeat(64)), "to_ids": true},
                {"uuid": "a5", "type": "link", "value": "https://report.example/", "to_ids": false},
                {"uuid": "a6", "type": "btc", "value": "1abc", "to_ids": true},
                {"uuid": "a7", "type": "domain", "value": "context.example", "to_ids": false},
                {"uuid": "a8", "type": "ip-src", "value": "not-an-ip", "to_ids": true},
                {"uuid": "a9", "type": "user-agent", "value": "EvilBot/1.0", "to_ids": true, "deleted": true}
            ],
            "Object": [{"Attribute": [{"uuid": "o1", "type": "email-src", "value": "Spy@Evil.Example", "to_ids": true}]}]
        }});
        let i = read_events_value(&ev, "e.json", "misp:test", &ImportOptions::default());
        let ids: Vec<_> = i.indicators.iter().map(|x| x.id.as_str()).collect();
        assert_eq!(ids, ["a1", "a2", "a3", "a4", "o1"]);
        let a1 = &i.indicators[0];
        assert_eq!(a1.name, "Seized domains");
        assert_eq!(a1.actors, ["Cotton Sandstorm"]);
        assert_eq!(a1.provenance.tlp, Some(Tlp::Green));
        assert_eq!(a1.provenance.confidence, Some(80));
        assert_eq!(
            a1.provenance.reference.as_deref(),
            Some("misp event e1 (2024-09-27)")
        );
        assert_eq!(a1.labels, ["Network activity"]);
        assert_eq!(
            a1.condition,
            IndicatorCondition::Any(vec![Observable::Ip("203.0.113.7/32".parse().unwrap())])
        );
        assert_eq!(
            i.indicators[1].condition,
            IndicatorCondition::Any(vec![
                Observable::Domain("evil.example".into()),
                Observable::Ip("198.51.100.1/32".parse().unwrap())
            ])
        );
        assert_eq!(
            i.indicators[2].condition,
            IndicatorCondition::Any(vec![Observable::Url("http://evil.example/login".into())])
        );
        assert_eq!(i.indicators[2].provenance.tlp, Some(Tlp::Amber));
        assert_eq!(
            i.indicators[4].condition,
            IndicatorCondition::Any(vec![Observable::Email("spy@evil.example".into())])
        );
        let s = &i.summary;
        assert_eq!(s.unsupported.get("btc"), Some(&1));
        assert_eq!(s.skipped.get("documentation link"), Some(&1));
        assert_eq!(s.skipped.get("deleted attribute"), Some(&1));
        assert_eq!((s.context_seen, s.context_imported), (1, 0));
        assert_eq!(s.rejected, 1);
        assert_eq!(
            s.rejections[0].to_string(),
            "e.json: event e1 attribute a8: ip-src value \"not-an-ip\" is not an address"
        );
        let with = read_events_value(
            &ev,
            "e.json",
            "misp:test",
            &ImportOptions {
                include_context: true,
                ..ImportOptions::default()
            },
        );
        assert_eq!(with.indicators.len(), 6);
        assert_eq!(with.indicators[4].id, "a7");
        assert!(with.indicators[4].labels.contains(&"context".to_string()));
        assert_eq!(with.summary.context_imported, 1);
    }

    #[test]
    fn corpus_feed_folder_and_exports() {
        let Some(dir) = haboob_testdata::corpus_or_skip("corpus_feed_folder_and_exports") else {
            return;
        };
        let feed = dir.join("intel/misp-feed/circl-osint-act-workers");
        let i = read_feed_dir(&feed, "misp:circl", &ImportOptions::default()).unwrap();
        // Locky event: url 17, ip-dst 16, domain 7, hostname 4 (to_ids), 27+27 file hashes;
        // 25 links skipped; malware-sample and filename unsupported.
        let k = |n: &str| i.summary.by_kind.get(n).copied().unwrap_or(0);
        assert_eq!(
            (k("url"), k("ip"), k("domain"), k("hash")),
            (17, 16, 11, 54)
        );
        assert_eq!(i.summary.skipped.get("documentation link"), Some(&25));
        assert_eq!(i.summary.unsupported.get("malware-sample"), Some(&27));
        assert_eq!(i.summary.unsupported.get("filename"), Some(&2));
        assert_eq!(i.summary.rejected, 0, "{:?}", i.summary.rejections);
        assert!(i
            .indicators
            .iter()
            .all(|x| x.provenance.tlp == Some(Tlp::Clear)));
        // Sednit: everything is context; the actor comes from the galaxy tag.
        let p = dir.join("intel/misp-events/eset-sednit-2018-11-20_Zebrocy.json");
        let v = crate::sources::read_json(&p).unwrap();
        let s = read_events_value(&v, "z", "misp:eset", &ImportOptions::default());
        assert_eq!(s.indicators.len(), 0);
        assert_eq!(s.summary.context_seen, 28);
        let s = read_events_value(
            &v,
            "z",
            "misp:eset",
            &ImportOptions {
                include_context: true,
                ..ImportOptions::default()
            },
        );
        assert_eq!(s.indicators.len(), 28);
        assert!(s.indicators.iter().all(|x| x.actors == ["Sofacy"]));
        assert_eq!(s.summary.by_kind.get("email"), Some(&11));
    }
}
