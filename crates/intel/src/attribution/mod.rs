//! Attribution: ranked candidate actors for a campaign, each with a
//! confidence 0-100 that is the sum of its reasons' weights.
//!
//! **No evidence, no attribution.** An actor becomes a candidate only with
//! at least one *infrastructure* or *tooling* reason; technique, targeting
//! and timing reasons only add to (or take from) a candidate's confidence,
//! so a commodity scanner probing election sites with `T1595` stays
//! unattributed.
//!
//! Scoring (every point is a reason the report shows):
//!
//! | Kind | Evidence | Weight |
//! |---|---|---|
//! | infrastructure | each distinct indicator naming the actor (any alias) in a member alert's `details["intel"]`, strongest first | confidence (50 when not given) × 40 %, then × 20 %, then × 10 % each; at most 70 in all |
//! | infrastructure | indicators from more than one source agree | +5 per further source, at most +10 |
//! | tooling | a user-agent indicator naming the actor, or a documented fingerprint of the actor's profile (user agent, tool) | indicator as above; fingerprint 25; at most 35 in all |
//! | technique | share of the campaign's techniques the actor is known for (sub-techniques count for their parent) | up to 10 |
//! | targeting | a targeted sector, a targeted region the actor is known to target | 5 each |
//! | timing | share of member alerts starting in the actor's documented working hours | +5 at ≥ 80 %, −5 at ≤ 20 % (three alerts at least) |
//!
//! The confidence is the sum, bounded to 1-100. Candidates are ranked by
//! confidence, then name; an indicator naming an actor the database does not
//! know still makes a candidate under the name the indicator gives.

mod evidence;
#[cfg(test)]
mod tests;

use crate::actors::{name_key, Actor, ActorDb};
use evidence::{collect_hits, HitGroup};
use haboob_model::intel::{Attribution, AttributionReason, ReasonKind};
use haboob_model::{Alert, Campaign};
use std::collections::{BTreeMap, BTreeSet};

/// How to attribute.
#[derive(Debug, Clone)]
pub struct AttributionOptions {
    /// Keep at most this many candidates per campaign.
    pub max_candidates: usize,
}

impl Default for AttributionOptions {
    fn default() -> Self {
        AttributionOptions { max_candidates: 3 }
    }
}

/// Indicator shares of the first, second and later matches, in percent.
const INDICATOR_SHARE: [i32; 3] = [40, 20, 10];
/// Infrastructure points from indicators at most.
const INFRA_CAP: i32 = 70;
/// Points per further agreeing source, and at most.
const SOURCE_BONUS: i32 = 5;
const SOURCE_BONUS_CAP: i32 = 10;
/// A documented fingerprint's points, and tooling at most.
const FINGERPRINT: i32 = 25;
const TOOLING_CAP: i32 = 35;
/// Technique overlap at most.
const TECHNIQUE_MAX: i32 = 10;
/// A shared sector; a shared region.
const TARGETING: i32 = 5;
/// Timing for or against.
const TIMING: i32 = 5;
/// Bound on a value from the logs quoted in a reason.
const MAX_QUOTE: usize = 120;

/// Ranked candidate actors for `campaign`, best first; empty means
/// unattributed. `alerts` are the campaign's member alerts.
pub fn attribute(
    campaign: &Campaign,
    alerts: &[&Alert],
    db: &ActorDb,
    opts: &AttributionOptions,
) -> Vec<Attribution> {
    // Evidence: indicators by actor key, profile fingerprints by actor.
    let hits = collect_hits(alerts);
    let mut keys: BTreeSet<String> = BTreeSet::new();
    let mut infra: BTreeMap<String, HitGroup> = BTreeMap::new();
    for h in &hits {
        let mut seen = BTreeSet::new();
        for name in &h.hit.actors {
            let key = match db.get(name) {
                Some(a) => name_key(&a.name),
                None => name_key(name),
            };
            if key.is_empty() || !seen.insert(key.clone()) {
                continue;
            }
            infra
                .entry(key.clone())
                .or_insert_with(|| HitGroup::named(name))
                .add(h);
            keys.insert(key);
        }
    }
    for a in db.actors() {
        if a.fingerprints.is_empty() {
            continue;
        }
        if !fingerprints(a, alerts).is_empty() {
            keys.insert(name_key(&a.name));
        }
    }
    let mut out: Vec<Attribution> = keys
        .into_iter()
        .filter_map(|key| {
            let actor = db.get(&key);
            let mut reasons = Vec::new();
            if let Some(g) = infra.get(&key) {
                reasons.extend(indicator_reasons(g));
            }
            if let Some(a) = actor {
                reasons.extend(fingerprint_reasons(a, alerts, &reasons));
            }
            let evidence = reasons.iter().any(|r| {
                matches!(r.kind, ReasonKind::Infrastructure | ReasonKind::Tooling) && r.weight > 0
            });
            if !evidence {
                return None;
            }
            if let Some(a) = actor {
                reasons.extend(technique_reason(campaign, a));
                reasons.extend(targeting_reasons(campaign, a));
                reasons.extend(timing_reason(alerts, a));
            }
            reasons.sort_by(|a, b| b.weight.cmp(&a.weight).then(a.kind.cmp(&b.kind)));
            let total: i32 = reasons.iter().map(|r| r.weight).sum();
            let (name, aliases) = match actor {
                Some(a) => {
                    let mut aliases = a.aliases.clone();
                    if let Some(id) = &a.attack_id {
                        if !aliases.contains(id) {
                            aliases.push(id.clone());
                        }
                    }
                    (a.name.clone(), aliases)
                }
                None => (
                    infra.get(&key).map(|g| g.name.clone()).unwrap_or(key),
                    Vec::new(),
                ),
            };
            Some(Attribution {
                actor: name,
                aliases,
                confidence: total.clamp(1, 100) as u8,
                reasons,
            })
        })
        .collect();
    out.sort_by(|a, b| b.confidence.cmp(&a.confidence).then(a.actor.cmp(&b.actor)));
    out.truncate(opts.max_candidates);
    out
}

fn quote(s: &str) -> String {
    if s.len() <= MAX_QUOTE {
        return s.to_string();
    }
    format!("{}…", haboob_model::bounded(s, MAX_QUOTE))
}

/// One reason per distinct indicator (infrastructure, or tooling for a
/// user-agent indicator), plus the agreement of several sources.
fn indicator_reasons(g: &HitGroup) -> Vec<AttributionReason> {
    let mut out = Vec::new();
    let (mut infra_n, mut tool_n, mut infra_sum, mut tool_sum) = (0usize, 0usize, 0i32, 0i32);
    for ind in g.ranked() {
        let tooling = ind.field == "user_agent";
        let (n, sum, cap) = if tooling {
            (&mut tool_n, &mut tool_sum, TOOLING_CAP)
        } else {
            (&mut infra_n, &mut infra_sum, INFRA_CAP)
        };
        let share = INDICATOR_SHARE[(*n).min(INDICATOR_SHARE.len() - 1)];
        let w = (i32::from(ind.confidence) * share + 50) / 100;
        let w = w.min(cap - *sum).max(0);
        *n += 1;
        *sum += w;
        let conf = if ind.confidence_given {
            format!("confidence {}", ind.confidence)
        } else {
            "no confidence given".to_string()
        };
        let seen = ind
            .matched
            .iter()
            .map(|m| quote(m))
            .collect::<Vec<_>>()
            .join(", ");
        out.push(AttributionReason {
            kind: if tooling {
                ReasonKind::Tooling
            } else {
                ReasonKind::Infrastructure
            },
            text: format!(
                "{} {seen} matched indicator \"{}\" ({}) from {}, {conf}",
                ind.field,
                quote(&ind.name),
                quote(&ind.id),
                quote(&ind.source),
            ),
            weight: w,
        });
    }
    let sources = g.sources();
    if sources.len() > 1 {
        let w = (SOURCE_BONUS * (sources.len() as i32 - 1)).min(SOURCE_BONUS_CAP);
        out.push(AttributionReason {
            kind: ReasonKind::Infrastructure,
            text: format!(
                "indicators from {} sources agree: {}",
                sources.len(),
                sources
                    .iter()
                    .map(|s| quote(s))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            weight: w,
        });
    }
    out
}

/// The actor's documented fingerprints seen in member alerts: (fingerprint
/// note, value seen).
fn fingerprints(a: &Actor, alerts: &[&Alert]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for f in &a.fingerprints {
        let hit = alerts.iter().find_map(|al| {
            if let Some(want) = &f.user_agent_contains {
                let ua = al.details.get("user_agent").and_then(|v| v.as_str())?;
                contains_ci(ua, want).then(|| ua.to_string())
            } else if let Some(tool) = &f.tool {
                tools_of(al)
                    .find(|t| t.eq_ignore_ascii_case(tool))
                    .map(str::to_string)
            } else {
                None
            }
        });
        if let Some(seen) = hit {
            out.push((f.note.clone(), seen));
        }
    }
    out
}

fn tools_of(a: &Alert) -> impl Iterator<Item = &str> {
    let one = a.details.get("tool").and_then(|t| t.as_str());
    let many = a
        .details
        .get("tools")
        .and_then(|t| t.as_array())
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_str());
    one.into_iter().chain(many)
}

fn contains_ci(hay: &str, needle: &str) -> bool {
    let n = needle.as_bytes();
    !n.is_empty()
        && hay
            .as_bytes()
            .windows(n.len())
            .any(|w| w.eq_ignore_ascii_case(n))
}

fn fingerprint_reasons(
    a: &Actor,
    alerts: &[&Alert],
    before: &[AttributionReason],
) -> Vec<AttributionReason> {
    let mut sum: i32 = before
        .iter()
        .filter(|r| r.kind == ReasonKind::Tooling)
        .map(|r| r.weight)
        .sum();
    fingerprints(a, alerts)
        .into_iter()
        .map(|(note, seen)| {
            let w = FINGERPRINT.min(TOOLING_CAP - sum).max(0);
            sum += w;
            AttributionReason {
                kind: ReasonKind::Tooling,
                text: format!("{} seen: {}", quote(&note), quote(&seen)),
                weight: w,
            }
        })
        .collect()
}

fn parent(t: &str) -> &str {
    t.split('.').next().unwrap_or(t)
}

fn technique_reason(c: &Campaign, a: &Actor) -> Option<AttributionReason> {
    if c.techniques.is_empty() || a.techniques.is_empty() {
        return None;
    }
    let known: BTreeSet<&str> = a
        .techniques
        .iter()
        .flat_map(|t| [t.as_str(), parent(t)])
        .collect();
    let shared: Vec<&str> = c
        .techniques
        .iter()
        .map(String::as_str)
        .filter(|t| known.contains(t) || known.contains(parent(t)))
        .collect();
    if shared.is_empty() {
        return None;
    }
    let w = (TECHNIQUE_MAX * shared.len() as i32 + c.techniques.len() as i32 / 2)
        / c.techniques.len() as i32;
    Some(AttributionReason {
        kind: ReasonKind::Technique,
        text: format!(
            "{} of the campaign's {} techniques are known for the actor: {}",
            shared.len(),
            c.techniques.len(),
            shared.join(", ")
        ),
        weight: w.max(1),
    })
}

/// US state and territory codes, as `targets.toml` regions use them: an
/// actor targeting `US` targets them.
const US_STATES: &[&str] = &[
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY", "PR", "GU", "VI", "AS", "MP",
];

fn region_matches(actor_region: &str, target_region: &str) -> bool {
    actor_region.eq_ignore_ascii_case(target_region)
        || actor_region.eq_ignore_ascii_case("US")
            && US_STATES
                .iter()
                .any(|s| s.eq_ignore_ascii_case(target_region))
}

fn targeting_reasons(c: &Campaign, a: &Actor) -> Vec<AttributionReason> {
    let mut out = Vec::new();
    let sectors: BTreeSet<String> = c
        .targets
        .iter()
        .filter(|t| a.sectors.contains(&t.sector))
        .map(|t| format!("{:?}", t.sector).to_lowercase())
        .collect();
    if !sectors.is_empty() {
        out.push(AttributionReason {
            kind: ReasonKind::Targeting,
            text: format!(
                "targets in sectors the actor targets: {}",
                sectors.into_iter().collect::<Vec<_>>().join(", ")
            ),
            weight: TARGETING,
        });
    }
    let regions: BTreeSet<&str> = c
        .targets
        .iter()
        .filter_map(|t| t.region.as_deref())
        .filter(|r| a.regions.iter().any(|ar| region_matches(ar, r)))
        .collect();
    if !regions.is_empty() {
        out.push(AttributionReason {
            kind: ReasonKind::Targeting,
            text: format!(
                "targets in regions the actor targets: {}",
                regions
                    .into_iter()
                    .map(quote)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            weight: TARGETING,
        });
    }
    out
}

fn timing_reason(alerts: &[&Alert], a: &Actor) -> Option<AttributionReason> {
    let (Some(offset), Some([start, end])) = (a.utc_offset_minutes, a.work_hours) else {
        return None;
    };
    if alerts.len() < 3 {
        return None;
    }
    let within = alerts
        .iter()
        .filter(|al| {
            let local_min =
                (al.first_seen.0.div_euclid(60_000) + i64::from(offset)).rem_euclid(24 * 60);
            let h = (local_min / 60) as u8;
            if start < end {
                (start..end).contains(&h)
            } else {
                h >= start || h < end
            }
        })
        .count();
    let share = within * 100 / alerts.len();
    let zone = format!("UTC{:+}", f64::from(offset) / 60.0);
    let (weight, how, n) = if share >= 80 {
        (TIMING, "within", within)
    } else if share <= 20 {
        (-TIMING, "outside", alerts.len() - within)
    } else {
        return None;
    };
    Some(AttributionReason {
        kind: ReasonKind::Timing,
        text: format!(
            "{n} of {} alerts began {how} the actor's working hours ({start:02}-{end:02} {zone})",
            alerts.len()
        ),
        weight,
    })
}
