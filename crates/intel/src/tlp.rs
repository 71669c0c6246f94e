//! The one TLP table of the crate: STIX marking-definition ids of TLP 1.0
//! (STIX 2.1 section 7.2.1.4) and TLP 2.0 (the FIRST / OASIS extension
//! definitions) ↔ [`Tlp`], and the colour names. Read by the STIX reader
//! (`stix::markings`), written by the STIX export, and by name by the MISP
//! export (`tlp:amber+strict` tags).

use crate::Tlp;

/// The TLP version of a standard marking definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlpVersion {
    /// TLP 1.0: the marking definitions STIX 2.1 predefines.
    V1,
    /// TLP 2.0: the marking definitions of the OASIS TLP 2.0 extension.
    V2,
}

/// One standard TLP marking definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlpMarking {
    /// Its id (`marking-definition--<uuid>`).
    pub id: &'static str,
    /// The colour.
    pub tlp: Tlp,
    /// TLP 1.0 or 2.0.
    pub version: TlpVersion,
    /// `created` of the standard object.
    pub created: &'static str,
}

/// The extension definition of TLP 2.0 markings.
pub const TLP2_EXTENSION: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

/// Every standard TLP marking definition. The first row of a colour is the
/// one written (TLP 1.0 where it exists: STIX 2.1 predefines it).
pub const MARKINGS: &[TlpMarking] = &[
    m(
        "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
        Tlp::Clear,
        TlpVersion::V1,
    ),
    m(
        "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
        Tlp::Green,
        TlpVersion::V1,
    ),
    m(
        "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
        Tlp::Amber,
        TlpVersion::V1,
    ),
    m(
        "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
        Tlp::Red,
        TlpVersion::V1,
    ),
    m(
        "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        Tlp::Clear,
        TlpVersion::V2,
    ),
    m(
        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        Tlp::Green,
        TlpVersion::V2,
    ),
    m(
        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        Tlp::Amber,
        TlpVersion::V2,
    ),
    m(
        "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        Tlp::AmberStrict,
        TlpVersion::V2,
    ),
    m(
        "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        Tlp::Red,
        TlpVersion::V2,
    ),
];

const fn m(id: &'static str, tlp: Tlp, version: TlpVersion) -> TlpMarking {
    TlpMarking {
        id,
        tlp,
        version,
        created: match version {
            TlpVersion::V1 => "2017-01-20T00:00:00.000Z",
            TlpVersion::V2 => "2022-10-01T00:00:00.000Z",
        },
    }
}

/// The TLP of a standard marking-definition id (TLP 1.0 or 2.0).
pub fn from_marking_id(id: &str) -> Option<Tlp> {
    MARKINGS.iter().find(|m| m.id == id).map(|m| m.tlp)
}

/// The standard marking definition written for `tlp` (TLP 1.0 where it
/// exists, else TLP 2.0: AMBER+STRICT).
pub fn marking(tlp: Tlp) -> &'static TlpMarking {
    MARKINGS
        .iter()
        .find(|m| m.tlp == tlp)
        .unwrap_or(&MARKINGS[0])
}

/// The colour's name as TLP writes it, lower case (`clear`, `green`,
/// `amber`, `amber+strict`, `red`); TLP 1.0 calls CLEAR `white`
/// ([`name_v1`]).
pub fn name(tlp: Tlp) -> &'static str {
    match tlp {
        Tlp::Clear => "clear",
        Tlp::Green => "green",
        Tlp::Amber => "amber",
        Tlp::AmberStrict => "amber+strict",
        Tlp::Red => "red",
    }
}

/// The TLP 1.0 name (`white` for CLEAR).
pub fn name_v1(tlp: Tlp) -> &'static str {
    match tlp {
        Tlp::Clear => "white",
        t => name(t),
    }
}

/// A TLP colour by name, any case, with or without `TLP:`: `white`,
/// `clear`, `green`, `amber`, `amber+strict` (or `amber-strict`), `red`.
pub fn by_name(name: &str) -> Option<Tlp> {
    let n = name.trim();
    let n = n
        .get(..4)
        .filter(|p| p.eq_ignore_ascii_case("tlp:"))
        .map_or(n, |_| &n[4..]);
    Some(match n.to_ascii_lowercase().as_str() {
        "white" | "clear" => Tlp::Clear,
        "green" => Tlp::Green,
        "amber" => Tlp::Amber,
        "amber+strict" | "amber-strict" => Tlp::AmberStrict,
        "red" => Tlp::Red,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_colour_round_trips() {
        for t in [
            Tlp::Clear,
            Tlp::Green,
            Tlp::Amber,
            Tlp::AmberStrict,
            Tlp::Red,
        ] {
            assert_eq!(from_marking_id(marking(t).id), Some(t));
            assert_eq!(by_name(name(t)), Some(t));
            assert_eq!(
                by_name(&format!("TLP:{}", name_v1(t).to_uppercase())),
                Some(t)
            );
        }
        assert_eq!(marking(Tlp::AmberStrict).version, TlpVersion::V2);
        assert_eq!(marking(Tlp::Red).version, TlpVersion::V1);
        // Both versions of a colour read to it; nothing else does.
        assert_eq!(MARKINGS.iter().filter(|m| m.tlp == Tlp::Green).count(), 2);
        assert_eq!(
            from_marking_id("marking-definition--00000000-0000-4000-8000-000000000000"),
            None
        );
        assert_eq!(by_name("amber strict"), None);
    }
}
