//! TLP marking definitions: the standard TLP 1.0 and TLP 2.0 objects (by
//! id), and `definition_type: tlp` / `TLP:…` named markings in a bundle.

use crate::Tlp;
use serde_json::{Map, Value};

/// The TLP of a standard marking-definition id (TLP 1.0 and 2.0).
pub(crate) fn standard(id: &str) -> Option<Tlp> {
    Some(match id {
        // TLP 1.0 (STIX 2.1 section 7.2.1.4)
        "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9" => Tlp::Clear,
        "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da" => Tlp::Green,
        "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82" => Tlp::Amber,
        "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed" => Tlp::Red,
        // TLP 2.0 (the FIRST / OASIS extension definitions)
        "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487" => Tlp::Clear,
        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb" => Tlp::Green,
        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421" => Tlp::Amber,
        "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003" => Tlp::AmberStrict,
        "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1" => Tlp::Red,
        _ => return None,
    })
}

/// A TLP colour name (`white`, `CLEAR`, `amber+strict`, `TLP:GREEN`…).
pub(crate) fn by_name(name: &str) -> Option<Tlp> {
    let n = name.trim();
    let n = n
        .get(..4)
        .filter(|p| p.eq_ignore_ascii_case("tlp:"))
        .map_or(n, |_| &n[4..]);
    Some(match n.to_ascii_lowercase().as_str() {
        "white" | "clear" => Tlp::Clear,
        "green" => Tlp::Green,
        "amber" => Tlp::Amber,
        "amber+strict" => Tlp::AmberStrict,
        "red" => Tlp::Red,
        _ => return None,
    })
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
