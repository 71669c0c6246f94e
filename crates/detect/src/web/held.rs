//! A tracker's map value: the boxed slot with its `touched` time beside it,
//! so that the idle sweep and the cap read the map's own memory instead of
//! one slot allocation per key. Saved and restored as the map of slots it
//! was before (the same bytes, the same map on restore).

use super::episode::{Key, Slot};
use super::fxhash::FxBuild;
use haboob_model::Ts;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, Serializer};
use std::collections::HashMap;
use std::marker::PhantomData;

/// One tracked key's slot; `touched` always equals `slot.ep.touched`.
#[derive(Debug)]
pub(crate) struct Held<S> {
    /// When the episode was last kept alive (a copy of `slot.ep.touched`).
    pub touched: Ts,
    /// The episode and the detector's state.
    pub slot: Box<Slot<S>>,
}

impl<S> Held<S> {
    /// Hold a slot (its touched time copied).
    #[inline]
    pub fn new(slot: Box<Slot<S>>) -> Self {
        Held {
            touched: slot.ep.touched,
            slot,
        }
    }

    /// Mark the episode as touched at `now` (never moving back in time).
    #[inline]
    pub fn touch(&mut self, now: Ts) {
        self.touched = self.touched.max(now);
        self.slot.ep.touched = self.touched;
    }
}

type Map<S> = HashMap<Key, Held<S>, FxBuild>;

/// Save as a map of key to slot (what `HashMap<Key, Box<Slot<S>>>` saves).
pub(crate) fn serialize<S: Serialize, Z: Serializer>(m: &Map<S>, z: Z) -> Result<Z::Ok, Z::Error> {
    z.collect_map(m.iter().map(|(k, h)| (k, &*h.slot)))
}

/// Read what [`serialize`] wrote (or a tracker saved before), inserting in
/// the saved order into a map of the capacity serde gives a map of boxed
/// slots, so that the restored map is laid out (and swept) as before.
pub(crate) fn deserialize<'de, S, D>(d: D) -> Result<Map<S>, D::Error>
where
    S: Deserialize<'de>,
    D: Deserializer<'de>,
{
    struct V<S>(PhantomData<S>);
    impl<'de, S: Deserialize<'de>> Visitor<'de> for V<S> {
        type Value = Map<S>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a map of tracked slots")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Map<S>, A::Error> {
            // serde's own cap on a map's preallocation (1 MiB of entries).
            let per = std::mem::size_of::<(Key, Box<Slot<S>>)>().max(1);
            let cap = a.size_hint().unwrap_or(0).min(1024 * 1024 / per);
            let mut m = HashMap::with_capacity_and_hasher(cap, FxBuild);
            while let Some((k, slot)) = a.next_entry::<Key, Box<Slot<S>>>()? {
                m.insert(k, Held::new(slot));
            }
            Ok(m)
        }
    }
    d.deserialize_map(V(PhantomData))
}
