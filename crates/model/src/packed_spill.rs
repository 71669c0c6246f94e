//! Where a [`PackedAlerts`](crate::PackedAlerts) may put sealed chunks
//! instead of the heap ([`PackedAlerts::spill_to`](crate::PackedAlerts::spill_to)).
//!
//! Packing makes a flood of alerts a few hundred bytes each; spilling makes
//! it a few bytes each (a record's end offset), the compressed chunks going
//! to storage the caller provides: this crate does no I/O, the hunt gives
//! it an anonymous temporary file. A chunk the spill refuses (a full disk)
//! stays on the heap: spilling saves memory, it never loses an alert.

use std::fmt::Debug;

/// Storage for sealed chunks: written once, read back any number of times,
/// from any thread.
pub trait ChunkSpill: Debug + Send + Sync {
    /// Store `bytes` and say where (an opaque position handed back to
    /// [`ChunkSpill::get`]), or `None` when they could not be stored.
    fn put(&self, bytes: &[u8]) -> Option<u64>;

    /// The `len` bytes stored at `at` by [`ChunkSpill::put`], into `buf`
    /// (replacing its contents).
    ///
    /// # Errors
    ///
    /// When they cannot be read back; the store then panics naming the
    /// chunk, as for any other record it cannot decode.
    fn get(&self, at: u64, len: usize, buf: &mut Vec<u8>) -> std::io::Result<()>;
}

/// A spill in memory, for tests: every chunk kept in one growing buffer,
/// refusing (as a full disk does) once it holds `limit` bytes.
#[derive(Debug, Default)]
pub struct MemorySpill {
    bytes: std::sync::Mutex<Vec<u8>>,
    limit: Option<usize>,
}

impl MemorySpill {
    /// A spill that takes at most `limit` bytes.
    pub fn with_limit(limit: usize) -> MemorySpill {
        MemorySpill {
            bytes: Default::default(),
            limit: Some(limit),
        }
    }

    /// Bytes stored.
    pub fn len(&self) -> usize {
        self.bytes.lock().expect("memory spill lock").len()
    }

    /// Whether nothing was stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl ChunkSpill for MemorySpill {
    fn put(&self, bytes: &[u8]) -> Option<u64> {
        let mut all = self.bytes.lock().expect("memory spill lock");
        if self.limit.is_some_and(|l| all.len() + bytes.len() > l) {
            return None;
        }
        let at = all.len() as u64;
        all.extend_from_slice(bytes);
        Some(at)
    }

    fn get(&self, at: u64, len: usize, buf: &mut Vec<u8>) -> std::io::Result<()> {
        let all = self.bytes.lock().expect("memory spill lock");
        let range = usize::try_from(at)
            .ok()
            .and_then(|s| Some(s..s.checked_add(len)?))
            .filter(|r| r.end <= all.len())
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::UnexpectedEof))?;
        buf.clear();
        buf.extend_from_slice(&all[range]);
        Ok(())
    }
}
