//! An alert's detector-specific figures: a small map from name to JSON value,
//! kept as one list sorted by name.
//!
//! Alerts carry two to a dozen of these. A `BTreeMap` allocates a node with
//! room for eleven entries (about 640 bytes) for the first one; on a flood of
//! one-off probes (hundreds of thousands of alerts) that node was the largest
//! single cost of holding the alerts. The sorted list holds what it needs,
//! looks up by binary search, and serializes as the same JSON object, keys in
//! the same (sorted) order, as the map did.

use serde::de::{Deserialize, Deserializer};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;
use std::collections::BTreeMap;

/// Detector-specific figures (distinct paths, error ratio, tool, …), sorted
/// by name, each name once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Details(Vec<(String, Value)>);

impl Details {
    /// No figures.
    pub const fn new() -> Details {
        Details(Vec::new())
    }

    /// The figures of `entries`, which are sorted by name, each name once
    /// (as a [`Details`] holds them).
    pub(crate) fn from_sorted(entries: Vec<(String, Value)>) -> Details {
        debug_assert!(entries.windows(2).all(|w| w[0].0 < w[1].0));
        Details(entries)
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.find(key).ok().map(|i| &self.0[i].1)
    }

    /// The value of `key`, to change.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        match self.find(key) {
            Ok(i) => Some(&mut self.0[i].1),
            Err(_) => None,
        }
    }

    /// Whether `key` has a value.
    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Set `key` to `value`, returning the value it replaces.
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                // Grown one entry at a time: alerts keep a handful of
                // figures, and a doubling list would leave half of its room
                // unused in every alert held.
                self.0.reserve_exact(1);
                self.0.insert(i, (key, value));
                None
            }
        }
    }

    /// Remove `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.find(key).ok().map(|i| self.0.remove(i).1)
    }

    /// Number of figures.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Names and values, sorted by name.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&String, &Value)> + '_ {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl std::ops::Index<&str> for Details {
    type Output = Value;

    /// The value of `key`; panics when there is none (as a map's index does).
    fn index(&self, key: &str) -> &Value {
        self.get(key)
            .unwrap_or_else(|| panic!("no detail named {key:?}"))
    }
}

impl FromIterator<(String, Value)> for Details {
    /// Later values of a name replace earlier ones, as in a map.
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Details {
        let mut d = Details::new();
        d.extend(iter);
        d
    }
}

impl Extend<(String, Value)> for Details {
    fn extend<I: IntoIterator<Item = (String, Value)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl From<BTreeMap<String, Value>> for Details {
    fn from(m: BTreeMap<String, Value>) -> Details {
        // Already sorted and distinct.
        Details(m.into_iter().collect())
    }
}

impl<const N: usize> From<[(String, Value); N]> for Details {
    fn from(a: [(String, Value); N]) -> Details {
        a.into_iter().collect()
    }
}

impl IntoIterator for Details {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Details {
    type Item = (&'a String, &'a Value);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, Value)>,
        fn(&'a (String, Value)) -> (&'a String, &'a Value),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl Serialize for Details {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Details {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Details, D::Error> {
        BTreeMap::<String, Value>::deserialize(d).map(Details::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn looks_up_replaces_and_removes_like_a_map() {
        let mut d = Details::new();
        assert_eq!(d.insert("tool".into(), json!("sqlmap")), None);
        assert_eq!(d.insert("count".into(), json!(3)), None);
        assert_eq!(
            d.insert("tool".into(), json!("nikto")),
            Some(json!("sqlmap"))
        );
        assert_eq!(d["tool"], "nikto");
        assert_eq!(d.get("missing"), None);
        assert!(d.contains_key("count") && !d.contains_key("cou"));
        assert_eq!(
            d.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            ["count", "tool"]
        );
        *d.get_mut("count").unwrap() = json!(4);
        assert_eq!(d.remove("count"), Some(json!(4)));
        assert_eq!(d.remove("count"), None);
        assert_eq!(d.len(), 1);
    }

    #[test]
    #[should_panic(expected = "no detail named \"absent\"")]
    fn indexing_a_missing_name_panics() {
        let _ = &Details::new()["absent"];
    }

    fn entries() -> impl Strategy<Value = Vec<(String, i64)>> {
        prop::collection::vec(("[a-e]{0,3}", any::<i64>()), 0..24)
    }

    proptest! {
        /// Whatever the order of inserts (and repeated names), the figures
        /// serialize to the bytes a `BTreeMap` gives, and read back equal.
        #[test]
        fn serializes_as_the_map_did(e in entries()) {
            let mut map = BTreeMap::new();
            let mut d = Details::new();
            for (k, v) in &e {
                prop_assert_eq!(d.insert(k.clone(), json!(v)), map.insert(k.clone(), json!(v)));
            }
            let want = serde_json::to_string(&map).unwrap();
            prop_assert_eq!(serde_json::to_string(&d).unwrap(), want.clone());
            let back: Details = serde_json::from_str(&want).unwrap();
            prop_assert_eq!(&back, &d);
            prop_assert_eq!(Details::from(map.clone()), d.clone());
            let collected: Details = e.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
            prop_assert_eq!(collected, d);
        }
    }
}
