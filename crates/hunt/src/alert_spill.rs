//! Packed alerts past a memory budget go to an anonymous temporary file
//! (`[hunt] spill_alerts_after_mib`): a flood of alerts then holds about 4
//! bytes an alert on the heap instead of about a hundred, and the
//! operating system's page cache, not the process, holds the rest while it
//! has room.
//!
//! The file is made on the first chunk spilled, in the temporary folder
//! (`TMPDIR`), and is gone when the hunt ends (it has no name). When it
//! cannot be made or written (no room), the chunk stays in memory: one
//! warning, no alert lost.

use haboob_model::packed::ChunkSpill;
use haboob_model::PackedAlerts;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::{Arc, Mutex};

/// An anonymous temporary file of sealed chunks, appended to and read back
/// by position.
#[derive(Debug, Default)]
pub(crate) struct TempSpill {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// The file, once made; `None` before the first chunk.
    file: Option<File>,
    /// Bytes written.
    len: u64,
    /// Why spilling stopped (the file could not be made or written): no
    /// more attempts, chunks stay in memory.
    failed: bool,
}

impl TempSpill {
    /// A spill shared by the stores of one hunt.
    pub(crate) fn shared() -> Arc<TempSpill> {
        Arc::new(TempSpill::default())
    }
}

impl State {
    fn write(&mut self, bytes: &[u8]) -> io::Result<u64> {
        if self.file.is_none() {
            self.file = Some(tempfile::tempfile()?);
        }
        let f = self.file.as_mut().expect("made above");
        let at = self.len;
        f.seek(SeekFrom::Start(at))?;
        f.write_all(bytes)?;
        self.len += bytes.len() as u64;
        Ok(at)
    }
}

impl ChunkSpill for TempSpill {
    fn put(&self, bytes: &[u8]) -> Option<u64> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if st.failed {
            return None;
        }
        match st.write(bytes) {
            Ok(at) => Some(at),
            Err(e) => {
                st.failed = true;
                tracing::warn!(
                    "alerts: cannot spill packed alerts to a temporary file ({e}); \
                     keeping them in memory"
                );
                None
            }
        }
    }

    fn get(&self, at: u64, len: usize, buf: &mut Vec<u8>) -> io::Result<()> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let f = st
            .file
            .as_mut()
            .ok_or_else(|| io::Error::other("nothing was spilled"))?;
        f.seek(SeekFrom::Start(at))?;
        buf.clear();
        buf.resize(len, 0);
        f.read_exact(buf)
    }
}

/// An empty store of packed alerts spilling to `spill` past `after_mib`
/// MiB of compressed alerts on the heap (0: never spills).
pub(crate) fn store(spill: &Arc<TempSpill>, after_mib: u64) -> PackedAlerts {
    let p = PackedAlerts::new();
    if after_mib == 0 {
        return p;
    }
    let bytes = usize::try_from(after_mib.saturating_mul(1 << 20)).unwrap_or(usize::MAX);
    p.spill_to(spill.clone(), bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_come_back_from_where_they_were_put() {
        let s = TempSpill::default();
        let a = s.put(b"first chunk").unwrap();
        let b = s.put(b"second").unwrap();
        assert_eq!((a, b), (0, 11));
        let mut buf = vec![9; 3];
        s.get(b, 6, &mut buf).unwrap();
        assert_eq!(buf, b"second");
        s.get(a, 11, &mut buf).unwrap();
        assert_eq!(buf, b"first chunk");
        // Past the end: an error, not short bytes.
        assert!(s.get(b, 7, &mut buf).is_err());
    }

    #[test]
    fn reading_before_anything_was_spilled_is_an_error() {
        let s = TempSpill::default();
        let mut buf = Vec::new();
        let e = s.get(0, 1, &mut buf).unwrap_err();
        assert!(e.to_string().contains("nothing was spilled"), "{e}");
    }

    #[test]
    fn a_store_over_its_budget_spills_and_reads_back() {
        let s = TempSpill::shared();
        // 0 MiB never spills; a tiny budget is not expressible in MiB, so
        // the store is built directly with one of 0 bytes.
        assert_eq!(store(&s, 0).spilled_bytes(), 0);
        let mut p = PackedAlerts::with_chunk_bytes(256).spill_to(s.clone(), 0);
        let alerts: Vec<haboob_model::Alert> = (0..500)
            .map(|i| haboob_model::Alert {
                id: format!("al-{i}"),
                detector: "web.probe".into(),
                title: format!("probe {i}"),
                techniques: vec![],
                severity: haboob_model::Severity::Low,
                source: haboob_model::AlertSource::default(),
                target: "votes.example.gov".into(),
                user: None,
                first_seen: haboob_model::Ts(i),
                last_seen: haboob_model::Ts(i),
                count: 1,
                details: haboob_model::Details::new(),
                evidence: vec![],
            })
            .collect();
        for a in &alerts {
            p.push(a);
        }
        assert!(p.spilled_bytes() > 0);
        assert_eq!(p.iter().collect::<Vec<_>>(), alerts);
        assert_eq!(
            s.state.lock().unwrap().len,
            p.spilled_bytes() as u64,
            "every spilled byte is in the file"
        );
    }
}
