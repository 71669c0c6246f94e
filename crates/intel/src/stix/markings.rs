//! TLP marking definitions: the standard TLP 1.0 and TLP 2.0 objects (by
//! id, from the crate's one table [`crate::tlp`]), and `definition_type:
//! tlp` / `TLP:…` named markings in a bundle.

use crate::Tlp;
use serde_json::{Map, Value};

/// The TLP of a standard marking-definition id (TLP 1.0 and 2.0).
pub(crate) fn standard(id: &str) -> Option<Tlp> {
    crate::tlp::from_marking_id(id)
}

/// A TLP colour name (`white`, `CLEAR`, `amber+strict`, `TLP:GREEN`…).
pub(crate) fn by_name(name: &str) -> Option<Tlp> {
    crate::tlp::by_name(name)
}

/// The TLP a marking-definition object in a bundle stands for.
pub(crate) fn from_object(obj: &Map<String, Value>) -> Option<Tlp> {
    if obj.get("definition_type").and_then(Value::as_str) == Some("tlp") {
        if let Some(t) = obj
            .get("definition")
            .and_then(|d| d.get("tlp"))
            .and_then(Value::as_str)
            .and_then(by_name)
        {
            return Some(t);
        }
    }
    // TLP 2.0 objects: `definition_type: "TLP:AMBER"`, or the extension's
    // `tlp_2_0: "amber"`.
    if let Some(t) = obj
        .get("definition_type")
        .and_then(Value::as_str)
        .filter(|d| d.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("tlp:")))
        .and_then(by_name)
    {
        return Some(t);
    }
    if let Some(t) = obj
        .get("extensions")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|m| m.values())
        .find_map(|e| e.get("tlp_2_0").and_then(Value::as_str))
        .and_then(by_name)
    {
        return Some(t);
    }
    let name = obj.get("name").and_then(Value::as_str)?;
    if name
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("tlp:"))
    {
        by_name(name)
    } else {
        None
    }
}
