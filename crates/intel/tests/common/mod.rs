//! Helpers shared by the intel crate's integration tests.

use haboob_intel::{Indicator, IndicatorCondition, Provenance};
use haboob_model::Ts;

/// An indicator `id` with a STIX pattern, from source `test`.
pub fn ind(id: &str, pattern: &str) -> Indicator {
    Indicator {
        id: id.into(),
        name: id.into(),
        condition: IndicatorCondition::Pattern(pattern.into()),
        valid_from: None,
        valid_until: None,
        labels: vec![],
        actors: vec![],
        provenance: Provenance {
            source: "test".into(),
            imported: Ts(0),
            confidence: None,
            tlp: None,
            reference: None,
        },
    }
}
