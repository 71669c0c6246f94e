//! Behavioural detectors. Each [`Detector`] sees events of one input stream
//! (one file, or one rotation group of files) in time order, keeps bounded,
//! windowed state per source, and emits [`Alert`]s. The hunt pipeline merges
//! alerts from parallel streams afterwards.
//!
//! Detectors are chosen and tuned by [`DetectConfig`] (TOML, every field with a
//! working default); [`build`] turns a config into the runtime detectors.
#![deny(missing_docs)]

pub mod auth;
pub mod web;

use haboob_model::{Alert, EventRef, Origin};
use serde::{Deserialize, Serialize};

/// A stateful detector over one event stream.
pub trait Detector: Send {
    /// Stable detector id family (e.g. `web`), for logs.
    fn name(&self) -> &'static str;
    /// The kinds of event [`Detector::observe`] reads; a caller may skip
    /// the others (this detector ignores them). Every kind unless a
    /// detector says otherwise. Asked when the detector is built and again
    /// after [`Detector::restore_state`].
    fn reads(&self) -> Kinds {
        Kinds::ALL
    }
    /// Observe one event. Alerts whose episode is over may be pushed to `out`.
    fn observe(&mut self, ev: &EventRef<'_>, origin: &Origin<'_>, out: &mut Vec<Alert>);
    /// [`Detector::observe`], with a [`Note`] on a web request shared with
    /// another lane that sees the same request: a detector that computes a
    /// per-request view writes it, or reads the one another lane wrote
    /// instead of computing it again. The alerts are those of `observe`.
    fn observe_noted(
        &mut self,
        ev: &EventRef<'_>,
        origin: &Origin<'_>,
        note: Note<'_>,
        out: &mut Vec<Alert>,
    ) {
        let _ = note;
        self.observe(ev, origin, out);
    }
    /// End of stream: flush every open episode that meets its threshold.
    fn finish(&mut self, out: &mut Vec<Alert>);
    /// The impossible-travel detector, when this is it: the hunt asks it
    /// for the sign-ins it compares across streams
    /// ([`auth::TravelDetector::keep_track`], [`auth::travel_across`]).
    fn travel(&mut self) -> Option<&mut auth::TravelDetector> {
        None
    }
    /// The windowed state (not the settings), to be carried to a later run
    /// over the same stream (incremental hunting): call before
    /// [`Detector::finish`], which flushes open windows.
    ///
    /// # Errors
    /// [`StateError::Unsupported`] for a detector that cannot carry state.
    fn save_state(&self) -> Result<DetectorState, StateError> {
        Err(StateError::Unsupported(self.name()))
    }
    /// Restore what [`Detector::save_state`] saved, on a detector built
    /// from the same settings, before it observes the new events.
    ///
    /// # Errors
    /// [`StateError::Unsupported`], or [`StateError::Decode`] when the state
    /// does not fit this detector.
    fn restore_state(&mut self, state: DetectorState) -> Result<(), StateError> {
        let _ = state;
        Err(StateError::Unsupported(self.name()))
    }
}

/// A set of event kinds ([`Detector::reads`]): one bit per
/// [`EventRef`] variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kinds(u8);

impl Kinds {
    /// Every kind (including any added to [`EventRef`] later).
    pub const ALL: Kinds = Kinds(u8::MAX);
    /// No kind: a detector with nothing to look for (not called).
    pub const NONE: Kinds = Kinds(0);
    /// Web requests ([`EventRef::Web`]).
    pub const WEB: Kinds = Kinds(1);
    /// Sign-ins ([`EventRef::Auth`]).
    pub const AUTH: Kinds = Kinds(1 << 1);
    /// Firewall actions ([`EventRef::Waf`]).
    pub const WAF: Kinds = Kinds(1 << 2);
    /// Windows events ([`EventRef::Win`]).
    pub const WIN: Kinds = Kinds(1 << 3);
    /// Network observations ([`EventRef::Net`]).
    pub const NET: Kinds = Kinds(1 << 4);
    /// Linux audit records ([`EventRef::Audit`]).
    pub const AUDIT: Kinds = Kinds(1 << 5);
    /// Cloud audit records ([`EventRef::Cloud`]).
    pub const CLOUD: Kinds = Kinds(1 << 6);

    /// The kind of one event.
    pub fn of(ev: &EventRef<'_>) -> Kinds {
        match ev {
            EventRef::Web(_) => Kinds::WEB,
            EventRef::Auth(_) => Kinds::AUTH,
            EventRef::Waf(_) => Kinds::WAF,
            EventRef::Win(_) => Kinds::WIN,
            EventRef::Net(_) => Kinds::NET,
            EventRef::Audit(_) => Kinds::AUDIT,
            EventRef::Cloud(_) => Kinds::CLOUD,
        }
    }

    /// The set as bits (bit `n`: the `n`-th kind above).
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Both sets.
    #[must_use]
    pub const fn with(self, o: Kinds) -> Kinds {
        Kinds(self.0 | o.0)
    }

    /// Whether the sets share a kind.
    pub const fn meets(self, o: Kinds) -> bool {
        self.0 & o.0 != 0
    }
}

/// What one lane's web detectors computed for a request (the decoded
/// target, its hashes and flags, the exploit classification), handed to
/// another lane that sees the same request ([`Detector::observe_noted`]).
/// The bytes are opaque: written and read by this crate only.
#[derive(Debug)]
pub enum Note<'a> {
    /// Compute as usual and append one note to the buffer (or none: then
    /// the reading lane computes).
    Write(&'a mut Vec<u8>),
    /// The note another lane wrote for this request; empty or not a whole
    /// note: compute.
    Read(&'a [u8]),
}

impl Note<'_> {
    /// The same note for one more call.
    pub fn reborrow(&mut self) -> Note<'_> {
        match self {
            Note::Write(v) => Note::Write(v),
            Note::Read(r) => Note::Read(r),
        }
    }
}

/// One detector's saved windowed state ([`Detector::save_state`]): opaque
/// bytes (CBOR), serialised into a checkpoint as a byte string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectorState(Vec<u8>);

impl DetectorState {
    /// Encode a serialisable state.
    pub fn of<T: Serialize>(who: &'static str, t: &T) -> Result<Self, StateError> {
        let mut v = Vec::new();
        ciborium::into_writer(t, &mut v).map_err(|e| StateError::Encode(who, e.to_string()))?;
        Ok(DetectorState(v))
    }

    /// Decode into a state type.
    pub fn into<T: serde::de::DeserializeOwned>(self, who: &'static str) -> Result<T, StateError> {
        ciborium::from_reader(&self.0[..]).map_err(|e| StateError::Decode(who, e.to_string()))
    }

    /// Size of the encoded state, bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the encoded state is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for DetectorState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for DetectorState {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Bytes;
        impl<'de> serde::de::Visitor<'de> for Bytes {
            type Value = DetectorState;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a detector state as a byte string")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<DetectorState, E> {
                Ok(DetectorState(v.to_vec()))
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<DetectorState, E> {
                Ok(DetectorState(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<DetectorState, A::Error> {
                let mut v = Vec::new();
                while let Some(b) = seq.next_element::<u8>()? {
                    v.push(b);
                }
                Ok(DetectorState(v))
            }
        }
        d.deserialize_byte_buf(Bytes)
    }
}

/// Why detector state cannot be saved or restored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// This detector does not carry state across runs.
    #[error("detector {0} cannot carry its state across runs")]
    Unsupported(&'static str),
    /// The state could not be encoded.
    #[error("detector {0}: cannot encode its state: {1}")]
    Encode(&'static str, String),
    /// The saved state does not fit this detector (another version or
    /// other settings).
    #[error("detector {0}: saved state does not fit: {1}")]
    Decode(&'static str, String),
}

/// All detector settings; `haboob config --default` prints this as TOML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DetectConfig {
    /// Web reconnaissance detectors.
    pub web: web::WebConfig,
    /// Account attack detectors.
    pub auth: auth::AuthConfig,
}

/// Build the runtime detectors for one stream.
pub fn build(cfg: &DetectConfig) -> Vec<Box<dyn Detector>> {
    build_part(cfg, Part::All)
}

/// Which of a stream's detectors to build when the stream's events are
/// sharded over lanes (the hunt pipeline's detection lanes): a detector whose
/// state is keyed by one source — its address, (address, site), or its
/// network as [`haboob_model::ip_prefix`] gives it (/24, /64) — sees only its
/// lane's sources and gives the same alerts as when it sees them all, as long
/// as its cap on tracked sources does not bind. A detector that compares
/// sources must see every event: it is in the one shared lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Every detector: the stream is one lane.
    All,
    /// The per-source detectors of one of `lanes` source lanes: every web
    /// rule but `web.sweep`, `web.exploit_success` and `web.defacement`, and
    /// `web.waf_block`; each cap on tracked
    /// sources (`web.max_tracked_sources`) is divided by `lanes`, so the
    /// bound over all lanes is unchanged.
    BySource {
        /// Number of source lanes.
        lanes: usize,
    },
    /// The cross-source detectors, fed every event: `web.sweep` (keyed by
    /// request fingerprint across sources), `web.exploit_success` and
    /// `web.defacement` (per-site not-found sizes, script paths, page sizes) and every account-attack
    /// detector (clusters across sources and users, travel).
    Shared,
}

/// Build the runtime detectors of one [`Part`] of a stream.
pub fn build_part(cfg: &DetectConfig, part: Part) -> Vec<Box<dyn Detector>> {
    let mut v: Vec<Box<dyn Detector>> = Vec::new();
    v.extend(web::build(&cfg.web.part(part)));
    if matches!(part, Part::All | Part::Shared) {
        v.extend(auth::build(&cfg.auth));
    }
    v
}
