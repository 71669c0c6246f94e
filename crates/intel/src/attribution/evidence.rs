//! Intel hits in member alerts, grouped by the actor they name.

use haboob_model::intel::{IntelHit, DETAILS_KEY};
use haboob_model::Alert;
use std::collections::{BTreeMap, BTreeSet};

/// Values of one indicator quoted at most.
const MAX_MATCHED: usize = 3;
/// Confidence assumed when an indicator gives none.
const DEFAULT_CONFIDENCE: u8 = 50;

/// One hit read from an alert.
pub(super) struct Hit {
    pub(super) hit: IntelHit,
}

/// The `details["intel"]` hits of every alert; entries that are not an
/// [`IntelHit`] are skipped with a debug log (the detector wrote them; they
/// are no log input).
pub(super) fn collect_hits(alerts: &[&Alert]) -> Vec<Hit> {
    let mut out = Vec::new();
    for a in alerts {
        let Some(v) = a.details.get(DETAILS_KEY) else {
            continue;
        };
        let Some(arr) = v.as_array() else {
            tracing::debug!(alert = %a.id, "details.intel is not an array; ignored.");
            continue;
        };
        for (i, e) in arr.iter().enumerate() {
            match serde_json::from_value::<IntelHit>(e.clone()) {
                Ok(hit) => out.push(Hit { hit }),
                Err(err) => {
                    tracing::debug!(alert = %a.id, entry = i, error = %err, "Not an intel hit; ignored.")
                }
            }
        }
    }
    out
}

/// One distinct indicator matched for an actor.
pub(super) struct Ind {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) source: String,
    pub(super) field: String,
    pub(super) confidence: u8,
    pub(super) confidence_given: bool,
    pub(super) matched: BTreeSet<String>,
}

/// The indicators naming one actor.
pub(super) struct HitGroup {
    /// The actor's name as the first indicator gives it.
    pub(super) name: String,
    by_id: BTreeMap<String, Ind>,
}

impl HitGroup {
    pub(super) fn named(name: &str) -> HitGroup {
        HitGroup {
            name: name.to_string(),
            by_id: BTreeMap::new(),
        }
    }

    pub(super) fn add(&mut self, h: &Hit) {
        let e = self
            .by_id
            .entry(h.hit.indicator.clone())
            .or_insert_with(|| Ind {
                id: h.hit.indicator.clone(),
                name: h.hit.name.clone(),
                source: h.hit.source.clone(),
                field: h.hit.field.clone(),
                confidence: h.hit.confidence.unwrap_or(DEFAULT_CONFIDENCE).min(100),
                confidence_given: h.hit.confidence.is_some(),
                matched: BTreeSet::new(),
            });
        if e.matched.len() < MAX_MATCHED {
            e.matched.insert(h.hit.matched.clone());
        }
    }

    /// Distinct indicators, most confident first (ids break ties).
    pub(super) fn ranked(&self) -> Vec<&Ind> {
        let mut v: Vec<&Ind> = self.by_id.values().collect();
        v.sort_by(|a, b| b.confidence.cmp(&a.confidence).then(a.id.cmp(&b.id)));
        v
    }

    /// Distinct sources of the indicators.
    pub(super) fn sources(&self) -> BTreeSet<&str> {
        self.by_id.values().map(|i| i.source.as_str()).collect()
    }
}
