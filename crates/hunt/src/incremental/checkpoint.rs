//! The checkpoint: what one incremental run hands the next, as an opaque,
//! versioned, zstd-compressed CBOR blob.
//!
//! Layout: the magic `HBCK`, the format version (u32, little-endian), the
//! configuration hash (u64, little-endian), then the zstd-compressed CBOR
//! of [`Checkpoint`]. The version and hash are read before anything is
//! decompressed, so a checkpoint of another version or configuration is
//! refused with a clear error and never half-decoded.
//!
//! Versions: 2 keeps each stream's detector state per detection lane
//! ([`StreamCk::lanes`]); 1 (before lanes in incremental hunting) kept one
//! list of every detector's state, and is read as a stream of one lane
//! ([`v1`]). A checkpoint of a later version is refused: an older haboob
//! never decodes what it does not know (it would drop the lanes' state).

use super::position::FilePos;
use crate::HuntOptions;
use haboob_detect::DetectorState;
use haboob_model::{Alert, Fnv64};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Format version of the checkpoints written; version 1 is read too (as
/// one detection lane per stream), any other is refused.
pub const CHECKPOINT_VERSION: u32 = 2;

const MAGIC: &[u8; 4] = b"HBCK";
const HEAD: usize = 4 + 4 + 8;
/// Most decompressed bytes a checkpoint may expand to (a corrupt or hostile
/// blob must not exhaust memory).
const MAX_DECODED: u64 = 4 << 30;

/// Why a previous checkpoint cannot be resumed from (or a new one written).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResumeError {
    /// Not a checkpoint, or cut short.
    #[error("the saved hunt state is not a haboob checkpoint ({0}); start a new store or hunt from scratch")]
    NotACheckpoint(&'static str),
    /// Written by another version of the checkpoint format.
    #[error("the saved hunt state has format version {found}, this haboob reads versions 1 to {expected}; start a new store or hunt from scratch")]
    Version {
        /// Version in the checkpoint.
        found: u32,
        /// Version this build reads.
        expected: u32,
    },
    /// Written under another detector or ingest configuration.
    #[error("the saved hunt state was made with another configuration (detectors, ingest settings, format or targets changed: hash {found:016x}, now {expected:016x}); start a new store or hunt from scratch")]
    Config {
        /// Hash in the checkpoint.
        found: u64,
        /// Hash of the current configuration.
        expected: u64,
    },
    /// The compressed state does not decode.
    #[error("the saved hunt state is corrupt: {0}; start a new store or hunt from scratch")]
    Corrupt(String),
    /// A stream's saved lanes are not a layout this haboob builds (one lane,
    /// or two to [`crate::lanes`]' most source lanes plus the shared one).
    #[error("the saved hunt state of stream {stream} has {lanes} detection lanes, which no hunt writes; start a new store or hunt from scratch")]
    Lanes {
        /// The stream (file or rotation group).
        stream: String,
        /// Lanes saved (source lanes and the shared lane).
        lanes: usize,
    },
    /// A detector's saved state does not fit it.
    #[error("the saved hunt state does not fit the detectors of stream {stream}: {source}")]
    State {
        /// The stream (file or rotation group).
        stream: String,
        /// What the detector said.
        #[source]
        source: haboob_detect::StateError,
    },
    /// Encoding the new checkpoint failed.
    #[error("cannot encode the hunt state: {0}")]
    Encode(String),
}

/// Everything carried from one run to the next.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Checkpoint {
    /// Runs so far (this one included once written).
    pub runs: u64,
    /// Per stream key ([`super::stream_key`]).
    pub streams: BTreeMap<String, StreamCk>,
    /// Ids of the alerts the run that wrote this reported.
    pub reported: Vec<String>,
}

/// One stream's carried state.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct StreamCk {
    /// Read positions of the stream's files (current and recent).
    pub files: Vec<FilePos>,
    /// Every detector's windowed state, in build order, per detection lane:
    /// one list (one lane, every detector), or one per source lane then the
    /// shared lane's ([`crate::lanes::lane_feeds`]); empty when none was
    /// saved. The stream is hunted in this layout in every later run.
    pub lanes: Vec<Vec<DetectorState>>,
    /// Alerts emitted so far for closed windows (before merging), and the
    /// Sigma rules' alerts of earlier runs.
    pub alerts: Vec<Alert>,
    /// Latest event time fed (ms), for the out-of-order notice.
    pub max_ts: Option<i64>,
}

/// Hash of what must not change between runs: the detector and ingest
/// settings, the forced format, the targets (they name sites), and whether
/// sign-ins are located (geo databases given or not).
pub(crate) fn config_hash(opts: &HuntOptions) -> u64 {
    let mut h = Fnv64::default();
    let parts = [
        serde_json::to_string(&opts.config.detect()).unwrap_or_default(),
        serde_json::to_string(&opts.config.ingest).unwrap_or_default(),
        format!("{:?}", opts.format),
        format!("{:?}", opts.targets),
        format!("geo: {}", opts.geo.is_some()),
    ];
    for p in &parts {
        h.field(p);
    }
    h.finish()
}

/// Encode a checkpoint.
pub(crate) fn encode(ck: &Checkpoint, config: u64) -> Result<Vec<u8>, ResumeError> {
    let mut out = Vec::with_capacity(1 << 16);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&CHECKPOINT_VERSION.to_le_bytes());
    out.extend_from_slice(&config.to_le_bytes());
    let mut z = zstd::Encoder::new(out, 3).map_err(|e| ResumeError::Encode(e.to_string()))?;
    z.include_checksum(true)
        .map_err(|e| ResumeError::Encode(e.to_string()))?;
    ciborium::into_writer(ck, &mut z).map_err(|e| ResumeError::Encode(e.to_string()))?;
    z.finish().map_err(|e| ResumeError::Encode(e.to_string()))
}

/// Decode a checkpoint written under configuration hash `config`.
pub(crate) fn decode(blob: &[u8], config: u64) -> Result<Checkpoint, ResumeError> {
    if blob.len() < HEAD || &blob[..4] != MAGIC {
        return Err(ResumeError::NotACheckpoint(if blob.len() < HEAD {
            "too short"
        } else {
            "no HBCK header"
        }));
    }
    let word = |r: std::ops::Range<usize>| -> [u8; 8] {
        let mut a = [0u8; 8];
        a[..r.len()].copy_from_slice(&blob[r]);
        a
    };
    let found = u32::from_le_bytes(word(4..8)[..4].try_into().unwrap_or([0; 4]));
    if found != CHECKPOINT_VERSION && found != 1 {
        return Err(ResumeError::Version {
            found,
            expected: CHECKPOINT_VERSION,
        });
    }
    let hash = u64::from_le_bytes(word(8..16));
    if hash != config {
        return Err(ResumeError::Config {
            found: hash,
            expected: config,
        });
    }
    let z = zstd::Decoder::new(&blob[HEAD..]).map_err(|e| ResumeError::Corrupt(e.to_string()))?;
    // Decompressed whole first, so that the frame's checksum is verified
    // before anything is decoded.
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(z, MAX_DECODED), &mut raw)
        .map_err(|e| ResumeError::Corrupt(e.to_string()))?;
    let corrupt = |e: ciborium::de::Error<std::io::Error>| ResumeError::Corrupt(e.to_string());
    if found == 1 {
        let old: v1::Checkpoint = ciborium::from_reader(&raw[..]).map_err(corrupt)?;
        return Ok(old.into());
    }
    ciborium::from_reader(&raw[..]).map_err(corrupt)
}

/// Version 1, read as one detection lane per stream.
pub(crate) mod v1 {
    use super::{Alert, DetectorState, FilePos};
    use serde::Deserialize;
    use std::collections::BTreeMap;

    /// Everything carried from one run to the next (version 1).
    #[derive(Debug, Deserialize)]
    pub(crate) struct Checkpoint {
        pub runs: u64,
        pub streams: BTreeMap<String, StreamCk>,
        pub reported: Vec<String>,
    }

    /// One stream's carried state (version 1): one list of every
    /// detector's state.
    #[derive(Debug, Deserialize)]
    pub(crate) struct StreamCk {
        pub files: Vec<FilePos>,
        pub detectors: Vec<DetectorState>,
        pub alerts: Vec<Alert>,
        pub max_ts: Option<i64>,
    }

    impl From<Checkpoint> for super::Checkpoint {
        fn from(c: Checkpoint) -> Self {
            super::Checkpoint {
                runs: c.runs,
                streams: c
                    .streams
                    .into_iter()
                    .map(|(k, s)| {
                        let lanes = if s.detectors.is_empty() {
                            Vec::new()
                        } else {
                            vec![s.detectors]
                        };
                        let s = super::StreamCk {
                            files: s.files,
                            lanes,
                            alerts: s.alerts,
                            max_ts: s.max_ts,
                        };
                        (k, s)
                    })
                    .collect(),
                reported: c.reported,
            }
        }
    }
}
