//! A STIX 2.1 bundle of campaigns, attacker sources, sightings and
//! attributions (see the module docs of `export` for what is left out).

use super::{bounded, hits, sectors, uuid_for, ExportCampaign, ExportOptions};
use crate::tlp::TlpVersion;
use crate::{IntelHit, Observable, Tlp};
use haboob_model::Ts;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// The namespace STIX 2.1 gives for deterministic cyber-observable ids.
const SCO_NAMESPACE: uuid::Uuid = uuid::uuid!("00abedb4-aa42-466c-9c01-fed23315a9b7");
/// Longest text (names, descriptions, matched values) put in an object.
const MAX_TEXT: usize = 1024;

/// The TLP marking-definition object and its id (from [`crate::tlp`]).
fn marking(tlp: Tlp) -> (String, Value) {
    // TLP 1.0 markings are predefined by STIX 2.1 (section 7.2.1.4);
    // AMBER+STRICT exists only in TLP 2.0, through its extension definition.
    let m = crate::tlp::marking(tlp);
    let id = m.id.to_string();
    let obj = match m.version {
        TlpVersion::V1 => json!({
            "type": "marking-definition", "spec_version": "2.1", "id": id,
            "created": m.created, "definition_type": "tlp",
            "name": format!("TLP:{}", crate::tlp::name_v1(tlp).to_uppercase()),
            "definition": {"tlp": crate::tlp::name_v1(tlp)},
        }),
        TlpVersion::V2 => json!({
            "type": "marking-definition", "spec_version": "2.1", "id": id,
            "created": m.created,
            "name": format!("TLP:{}", crate::tlp::name(tlp).to_uppercase()),
            "extensions": {crate::tlp::TLP2_EXTENSION: {
                "extension_type": "property-extension", "tlp_2_0": crate::tlp::name(tlp)}},
        }),
    };
    (id, obj)
}

fn ip_type(ip: &IpAddr) -> &'static str {
    if ip.is_ipv4() {
        "ipv4-addr"
    } else {
        "ipv6-addr"
    }
}

/// The pattern for a value seen in a field (as an intel hit names it),
/// through the pattern module's one path table.
fn hit_pattern(h: &IntelHit) -> Option<String> {
    let o = crate::pattern::hit_observable(&h.field, bounded(&h.matched, MAX_TEXT))?;
    Some(crate::pattern::observable_pattern(&o))
}

/// Is `id` a STIX identifier of `kind` (`kind--` and a UUID)?
fn is_stix_id(id: &str, kind: &str) -> bool {
    id.strip_prefix(kind)
        .and_then(|r| r.strip_prefix("--"))
        .is_some_and(|u| uuid::Uuid::parse_str(u).is_ok())
}

struct Ctx {
    created: String,
    identity: String,
    marking: String,
}

impl Ctx {
    /// The properties every SDO/SRO we write shares.
    fn common(&self, kind: &str, id: &str) -> serde_json::Map<String, Value> {
        let mut m = serde_json::Map::new();
        m.insert("type".into(), kind.into());
        m.insert("spec_version".into(), "2.1".into());
        m.insert("id".into(), id.into());
        m.insert("created".into(), self.created.clone().into());
        m.insert("modified".into(), self.created.clone().into());
        m.insert("created_by_ref".into(), self.identity.clone().into());
        m.insert("object_marking_refs".into(), json!([self.marking]));
        m
    }

    fn relationship(&self, kind: &str, src: &str, dst: &str) -> serde_json::Map<String, Value> {
        let id = format!(
            "relationship--{}",
            uuid_for("relationship", &format!("{kind} {src} {dst}"))
        );
        let mut m = self.common("relationship", &id);
        m.insert("relationship_type".into(), kind.into());
        m.insert("source_ref".into(), src.into());
        m.insert("target_ref".into(), dst.into());
        m
    }
}

fn ts(t: Ts) -> String {
    t.to_rfc3339()
}

/// A STIX 2.1 bundle for `campaigns` (deterministic ids: the same input
/// gives the same bundle).
pub fn stix_bundle(campaigns: &[ExportCampaign], opts: &ExportOptions) -> Value {
    let (marking_id, marking_obj) = marking(opts.tlp);
    let identity = format!("identity--{}", uuid_for("identity", &opts.producer));
    let ctx = Ctx {
        created: ts(opts.created),
        identity: identity.clone(),
        marking: marking_id.clone(),
    };
    // Objects by id: one object per id even when campaigns share a source.
    let mut objects: BTreeMap<String, Value> = BTreeMap::new();
    objects.insert(marking_id.clone(), marking_obj);
    objects.insert(
        identity.clone(),
        json!({
            "type": "identity", "spec_version": "2.1", "id": identity,
            "created": ctx.created, "modified": ctx.created,
            "name": bounded(&opts.producer, MAX_TEXT), "identity_class": "organization",
            "object_marking_refs": [marking_id],
        }),
    );
    for ec in campaigns {
        add_campaign(&ctx, ec, &mut objects);
    }
    let mut ids: Vec<&str> = campaigns.iter().map(|c| c.campaign.id.as_str()).collect();
    ids.sort_unstable();
    json!({
        "type": "bundle",
        "id": format!("bundle--{}", uuid_for("bundle", &ids.join(","))),
        "objects": objects.into_values().collect::<Vec<_>>(),
    })
}

fn add_campaign(ctx: &Ctx, ec: &ExportCampaign, objects: &mut BTreeMap<String, Value>) {
    let c = &ec.campaign;
    let cid = format!("campaign--{}", uuid_for("campaign", &c.id));
    let mut obj = ctx.common("campaign", &cid);
    obj.insert("name".into(), format!("haboob {}", c.id).into());
    let mut desc = bounded(&c.summary, MAX_TEXT).to_string();
    desc.push_str(&format!(
        ". Targeted sectors: {}. Detectors: {}. Techniques: {}.",
        sectors(c).join(", "),
        c.detectors.join(", "),
        c.techniques.join(", ")
    ));
    obj.insert("description".into(), desc.into());
    obj.insert("first_seen".into(), ts(c.first_seen).into());
    obj.insert("last_seen".into(), ts(c.last_seen).into());
    objects.insert(cid.clone(), Value::Object(obj));

    // The tools its requests named (user agent or request markers).
    for tool in &c.tools {
        let tid = format!("tool--{}", uuid_for("tool", &tool.to_lowercase()));
        let mut t = ctx.common("tool", &tid);
        t.insert("name".into(), bounded(tool, MAX_TEXT).into());
        t.insert(
            "description".into(),
            "Named by attacking requests: their user agent or a request marker only this tool sends."
                .into(),
        );
        objects.entry(tid.clone()).or_insert(Value::Object(t));
        let rel = ctx.relationship("uses", &cid, &tid);
        objects.insert(
            rel["id"].as_str().unwrap_or_default().to_string(),
            Value::Object(rel),
        );
    }

    // Attacker sources: the addresses, observed, and an indicator for each.
    let mut scos = Vec::new();
    for ip in &c.sources {
        let kind = ip_type(ip);
        let value = ip.to_string();
        let sco = format!(
            "{kind}--{}",
            uuid::Uuid::new_v5(
                &SCO_NAMESPACE,
                json!({"value": value}).to_string().as_bytes()
            )
        );
        objects.insert(
            sco.clone(),
            json!({"type": kind, "spec_version": "2.1", "id": sco, "value": value}),
        );
        scos.push(sco);
        let iid = format!(
            "indicator--{}",
            uuid_for("indicator", &format!("{}\n{value}", c.id))
        );
        let mut ind = ctx.common("indicator", &iid);
        ind.insert("name".into(), format!("attacker source {value}").into());
        ind.insert(
            "description".into(),
            format!(
                "Source of haboob campaign {}: {}",
                c.id,
                bounded(&c.summary, MAX_TEXT)
            )
            .into(),
        );
        ind.insert("indicator_types".into(), json!(["malicious-activity"]));
        ind.insert(
            "pattern".into(),
            crate::pattern::observable_pattern(&Observable::Ip(ipnet::IpNet::from(*ip))).into(),
        );
        ind.insert("pattern_type".into(), "stix".into());
        ind.insert("pattern_version".into(), "2.1".into());
        ind.insert("valid_from".into(), ts(c.first_seen).into());
        objects.insert(iid.clone(), Value::Object(ind));
        let rel = ctx.relationship("indicates", &iid, &cid);
        objects.insert(
            rel["id"].as_str().unwrap_or_default().to_string(),
            Value::Object(rel),
        );
    }
    let oid = format!("observed-data--{}", uuid_for("observed-data", &c.id));
    if !scos.is_empty() {
        let mut od = ctx.common("observed-data", &oid);
        od.insert("first_observed".into(), ts(c.first_seen).into());
        od.insert(
            "last_observed".into(),
            ts(c.last_seen.max(c.first_seen)).into(),
        );
        let n: u64 = ec.alerts.iter().map(|a| a.count).sum();
        od.insert("number_observed".into(), n.clamp(1, 999_999_999).into());
        od.insert("object_refs".into(), json!(scos));
        objects.insert(oid.clone(), Value::Object(od));
    }

    // Sightings of the indicators that matched.
    for (h, a) in hits(ec) {
        let target = if is_stix_id(&h.indicator, "indicator") {
            h.indicator.clone()
        } else {
            // Not a STIX indicator (a list line, a MISP attribute): write one
            // for the value, pointing back to where it came from.
            let Some(pattern) = hit_pattern(&h) else {
                continue;
            };
            let iid = format!("indicator--{}", uuid_for("indicator", &h.indicator));
            let mut ind = ctx.common("indicator", &iid);
            ind.insert("name".into(), bounded(&h.name, MAX_TEXT).into());
            ind.insert("indicator_types".into(), json!(["malicious-activity"]));
            ind.insert("pattern".into(), pattern.into());
            ind.insert("pattern_type".into(), "stix".into());
            ind.insert("pattern_version".into(), "2.1".into());
            ind.insert("valid_from".into(), ts(a.first_seen).into());
            ind.insert(
                "external_references".into(),
                json!([{"source_name": bounded(&h.source, MAX_TEXT), "external_id": bounded(&h.indicator, MAX_TEXT)}]),
            );
            objects.insert(iid.clone(), Value::Object(ind));
            iid
        };
        let sid = format!(
            "sighting--{}",
            uuid_for(
                "sighting",
                &format!("{}\n{}\n{}", c.id, h.indicator, h.matched)
            )
        );
        let mut s = ctx.common("sighting", &sid);
        s.insert("sighting_of_ref".into(), target.into());
        s.insert("first_seen".into(), ts(a.first_seen).into());
        s.insert("last_seen".into(), ts(a.last_seen.max(a.first_seen)).into());
        s.insert("count".into(), a.count.clamp(1, 999_999_999).into());
        s.insert("where_sighted_refs".into(), json!([ctx.identity]));
        if !scos.is_empty() {
            s.insert("observed_data_refs".into(), json!([oid]));
        }
        s.insert(
            "description".into(),
            format!(
                "{} seen in {} ({})",
                bounded(&h.matched, MAX_TEXT),
                h.field,
                a.detector
            )
            .into(),
        );
        objects.insert(sid, Value::Object(s));
    }

    // Attributions: the intrusion sets and why.
    for at in &c.attribution {
        let isid = format!(
            "intrusion-set--{}",
            uuid_for("intrusion-set", &at.actor.to_lowercase())
        );
        let mut is = ctx.common("intrusion-set", &isid);
        is.insert("name".into(), bounded(&at.actor, MAX_TEXT).into());
        if !at.aliases.is_empty() {
            is.insert("aliases".into(), json!(at.aliases));
        }
        objects.insert(isid.clone(), Value::Object(is));
        let mut rel = ctx.relationship("attributed-to", &cid, &isid);
        rel.insert("confidence".into(), at.confidence.min(100).into());
        let why: Vec<String> = at
            .reasons
            .iter()
            .map(|r| bounded(&r.text, MAX_TEXT).to_string())
            .collect();
        rel.insert("description".into(), why.join("; ").into());
        objects.insert(
            rel["id"].as_str().unwrap_or_default().to_string(),
            Value::Object(rel),
        );
    }
}
