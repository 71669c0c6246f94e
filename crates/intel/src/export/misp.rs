//! A MISP event (the JSON `{"Event": …}` that MISP imports) for campaigns.

use super::{bounded, hits, sectors, uuid_for, ExportCampaign, ExportOptions};
use crate::Tlp;
use serde_json::{json, Value};
use std::collections::BTreeSet;

const MAX_TEXT: usize = 1024;

/// The MISP tag of a TLP colour (`tlp:amber+strict`), from [`crate::tlp`].
fn tlp_tag(t: Tlp) -> String {
    format!("tlp:{}", crate::tlp::name(t))
}

fn misp_type(field: &str, value: &str) -> Option<&'static str> {
    Some(match field {
        "src_ip" => "ip-src",
        "dst_ip" => "ip-dst",
        "domain" => "domain",
        "url" => "url",
        "user_agent" => "user-agent",
        "email" => "email-src",
        "hash" => match value.len() {
            32 => "md5",
            40 => "sha1",
            64 => "sha256",
            128 => "sha512",
            _ => return None,
        },
        _ => return None,
    })
}

/// One MISP event for `campaigns`: attacker sources as `ip-src` attributes
/// (for detection), values of matched indicators (with the source in the
/// comment), the TLP tag, a threat-actor galaxy tag per attributed actor
/// and a `haboob:tool` tag per tool the campaigns' requests named.
pub fn misp_event(campaigns: &[ExportCampaign], opts: &ExportOptions) -> Value {
    let mut ids: Vec<&str> = campaigns.iter().map(|c| c.campaign.id.as_str()).collect();
    ids.sort_unstable();
    let date = opts.created.to_rfc3339();
    let ts = (opts.created.0 / 1000).to_string();
    let mut attrs = Vec::new();
    let mut seen = BTreeSet::new();
    let mut actors = BTreeSet::new();
    let mut tools = BTreeSet::new();
    let mut push = |kind: &str, value: &str, comment: String, to_ids: bool, campaign: &str| {
        let value = bounded(value, MAX_TEXT);
        if !seen.insert((kind.to_string(), value.to_string())) {
            return;
        }
        attrs.push(json!({
            "uuid": uuid_for("misp-attribute", &format!("{kind}\n{value}")).to_string(),
            "type": kind,
            "category": "Network activity",
            "value": value,
            "to_ids": to_ids,
            "comment": bounded(&comment, MAX_TEXT),
            "timestamp": ts,
            "distribution": "5",
            "Tag": [{"name": tlp_tag(opts.tlp)}, {"name": format!("haboob:campaign=\"{campaign}\"")}],
        }));
    };
    let mut info = Vec::new();
    for ec in campaigns {
        let c = &ec.campaign;
        info.push(format!(
            "{} ({})",
            bounded(&c.summary, 200),
            sectors(c).join(", ")
        ));
        for ip in &c.sources {
            push(
                "ip-src",
                &ip.to_string(),
                format!("attacker source, haboob campaign {}", c.id),
                true,
                &c.id,
            );
        }
        for (h, _) in hits(ec) {
            if let Some(kind) = misp_type(&h.field, &h.matched) {
                push(
                    kind,
                    &h.matched,
                    format!("matched indicator {} from {}", h.indicator, h.source),
                    true,
                    &c.id,
                );
            }
        }
        for a in &c.attribution {
            actors.insert(a.actor.clone());
        }
        tools.extend(c.tools.iter().cloned());
    }
    let mut tags = vec![json!({"name": tlp_tag(opts.tlp)})];
    for a in &actors {
        tags.push(json!({"name": format!("misp-galaxy:threat-actor=\"{}\"", bounded(a, 200))}));
    }
    for t in &tools {
        // A machine tag's value is quoted: a quote inside would end it.
        let t = bounded(t, 200).replace('"', "'");
        tags.push(json!({"name": format!("haboob:tool=\"{t}\"")}));
    }
    let threat_level = if campaigns
        .iter()
        .any(|c| c.campaign.severity >= haboob_model::Severity::High)
    {
        "1"
    } else {
        "2"
    };
    json!({"Event": {
        "uuid": uuid_for("misp-event", &ids.join(",")).to_string(),
        "info": bounded(&format!("haboob: {}", info.join("; ")), MAX_TEXT),
        "date": &date[..10],
        "timestamp": ts,
        "threat_level_id": threat_level,
        "analysis": "1",
        "distribution": "0",
        "published": false,
        "Orgc": {"name": bounded(&opts.producer, 200)},
        "Tag": tags,
        "Attribute": attrs,
    }})
}
