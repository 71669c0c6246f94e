//! Retro-hunting: old activity hunted again for new indicators.
//!
//! An incremental hunt ([`crate::incremental`]) records, per stream, every
//! file it read and how far (content bytes, after the last complete line).
//! [`retro_hunt`] reads those files again, from their start to that point,
//! with the intel detectors only over an index of the new indicators only,
//! so that activity read before the indicators arrived becomes alerts:
//! `intel.match` (a listed source, user agent, path, account…) and
//! `intel.victim` (an internal host that resolved or contacted listed
//! infrastructure: Zeek, Suricata, Squid, Sysmon 22; see
//! [`crate::victim`]). Each stream runs as one lane (an incremental hunt's
//! detection lanes give the same alerts unless a cap on tracked sources
//! binds), so the alerts (and their ids) are those a hunt that had the
//! indicators would have given. A file is found at its recorded path when it is still
//! the same file (device and inode, or, for compressed files, the same
//! first content bytes), else among the files of its folder and rotation
//! stem (it rotated or was compressed since); one found nowhere is named in
//! [`RetroRead::missing`], never an error.
//!
//! [`with_alerts`] then adds the alerts to the checkpoint's stream states
//! (as alerts of closed windows), so that every later incremental run keeps
//! reporting them and groups them into campaigns as a batch hunt would. The
//! read positions and detector windows are not touched: the next
//! incremental hunt reads exactly what it would have read without the
//! retro-hunt.
//!
//! Memory stays bounded as in any hunt: files are streamed, the detector's
//! windows are evicted.

use crate::incremental::position::{decoder, identity, matches, read_up_to, FilePos};
use crate::incremental::{checkpoint, ResumeError};
use crate::intel_match::IntelMatch;
use crate::victim::Victim;
use crate::{base_read_options, order, read_options, reorder, streams, HuntOptions};
use haboob_detect::{Detector, Part};
use haboob_ingest::{IngestError, Input, ReadOptions, ReadStats};
use haboob_model::{Alert, EventRef, Origin};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// Most files of a folder looked at when searching for a rotated file.
const MAX_SIBLINGS: usize = 10_000;

/// What a retro-hunt read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetroRead {
    /// Files read again (each from its start to where hunting stopped).
    pub files: u64,
    /// Content bytes read.
    pub bytes: u64,
    /// Lines read, parsed and rejected.
    pub stats: ReadStats,
    /// Recorded files found nowhere (moved or deleted), one line each.
    pub missing: Vec<String>,
    /// Recorded files found under another name (rotated or compressed
    /// since), one line each.
    pub moved: Vec<String>,
    /// Read errors, one line each.
    pub errors: Vec<String>,
}

/// What [`retro_hunt`] gives.
#[derive(Debug, Clone, Default)]
pub struct Retro {
    /// The intel alerts of each stream (by stream key), in emission order.
    pub alerts: BTreeMap<String, Vec<Alert>>,
    /// What was read.
    pub read: RetroRead,
}

/// One recorded file to read again.
struct Job {
    /// The file as found now.
    path: PathBuf,
    /// The name hunting read it under (evidence lines name it).
    name: String,
    /// Content bytes to read (from the start).
    upto: u64,
    /// Format it was read with.
    format: Option<String>,
}

/// Every file the checkpoint `prev` records, per stream key: the path it
/// was last read under.
///
/// # Errors
/// As [`crate::incremental::hunt_incremental`] for a checkpoint of another
/// version or configuration.
pub fn recorded_files(
    prev: &[u8],
    opts: &HuntOptions,
) -> Result<BTreeMap<String, Vec<String>>, ResumeError> {
    let ck = checkpoint::decode(prev, checkpoint::config_hash(opts))?;
    Ok(ck
        .streams
        .into_iter()
        .map(|(k, s)| (k, s.files.into_iter().map(|f| f.path).collect()))
        .collect())
}

/// Read again every file the checkpoint `prev` records, up to where hunting
/// stopped, with the intel detectors over `opts.intel` only (the new
/// indicators). `opts` must be the options the incremental hunts run with
/// (same configuration, targets and format), `intel` aside.
///
/// # Errors
/// A checkpoint of another version or configuration ([`ResumeError`]).
pub fn retro_hunt(
    prev: &[u8],
    opts: &HuntOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Retro, ResumeError> {
    let ck = checkpoint::decode(prev, checkpoint::config_hash(opts))?;
    let index = opts.intel.clone().unwrap_or_default();
    let stop = Arc::new(AtomicBool::new(false));
    let base = base_read_options(opts, &stop);
    let runs: Vec<(String, Vec<Alert>, RetroRead)> = ck
        .streams
        .into_iter()
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|(key, s)| {
            let (jobs, mut read) = locate(&s.files);
            let alerts = if index.is_empty() {
                Vec::new()
            } else {
                let mut dets = intel_detectors(&index);
                read_stream(&jobs, opts, &base, progress, &mut dets, &mut read)
            };
            (key, alerts, read)
        })
        .collect();
    let mut out = Retro::default();
    for (key, alerts, read) in runs {
        out.read.files += read.files;
        out.read.bytes += read.bytes;
        out.read.stats.merge(read.stats, crate::MAX_REJECT_SAMPLES);
        out.read.missing.extend(read.missing);
        out.read.moved.extend(read.moved);
        out.read.errors.extend(read.errors);
        if !alerts.is_empty() {
            out.alerts.insert(key, alerts);
        }
    }
    Ok(out)
}

/// The intel detectors of a stream over `index`, as a hunt builds them
/// (in the same order, one lane).
fn intel_detectors(index: &Arc<haboob_intel::IntelIndex>) -> Vec<Box<dyn Detector>> {
    vec![
        Box::new(IntelMatch::new(Arc::clone(index), Part::All)),
        Box::new(Victim::new(Arc::clone(index), Part::All)),
    ]
}

/// Find each recorded file of a stream; the files in reading order (oldest
/// rotation first).
fn locate(records: &[FilePos]) -> (Vec<Job>, RetroRead) {
    let mut read = RetroRead::default();
    let mut found: Vec<(Input, Job)> = Vec::new();
    let mut taken: HashSet<PathBuf> = HashSet::new();
    // Most recently read first: a path now held by a newer file is that one's.
    for r in records.iter().filter(|r| r.offset > 0) {
        // Where it was: its absolute path when recorded, else (a checkpoint
        // of an older version) the path as given, from this folder.
        let at = Path::new(r.abs.as_deref().unwrap_or(&r.path));
        let hit = if is_same(at, r) {
            Some(at.to_path_buf())
        } else {
            siblings(at)
                .into_iter()
                .find(|p| !taken.contains(p) && is_same(p, r))
        };
        match hit {
            Some(p) if !taken.contains(&p) => {
                if p != at {
                    read.moved.push(format!(
                        "{}: now {} (rotated since it was read)",
                        r.path,
                        p.display()
                    ));
                }
                taken.insert(p.clone());
                found.push((
                    Input::File(p.clone()),
                    Job {
                        path: p,
                        name: r.path.clone(),
                        upto: r.offset,
                        format: r.format.clone(),
                    },
                ));
            }
            _ => read.missing.push(format!(
                "{}{}: not found (moved or deleted since it was read): not read again",
                r.path,
                match &r.abs {
                    Some(a) if *a != r.path => format!(" ({a})"),
                    _ => String::new(),
                }
            )),
        }
    }
    // Reading order of the stream, as hunting reads it.
    let order: Vec<Input> =
        streams::group(&found.iter().map(|(i, _)| i.clone()).collect::<Vec<_>>())
            .into_iter()
            .flatten()
            .collect();
    let mut jobs = Vec::with_capacity(found.len());
    for i in order {
        if let Some(pos) = found.iter().position(|(f, _)| *f == i) {
            jobs.push(found.swap_remove(pos).1);
        }
    }
    (jobs, read)
}

/// Files of `at`'s folder in its stream (same rotation stem).
fn siblings(at: &Path) -> Vec<PathBuf> {
    let Some(dir) = at.parent() else {
        return Vec::new();
    };
    let key = streams::stream_key(&[Input::File(at.to_path_buf())]);
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = rd
        .take(MAX_SIBLINGS)
        .filter_map(|e| e.ok())
        .map(|e| {
            // The name as hunting spells it (folder as recorded).
            at.with_file_name(e.file_name())
        })
        .filter(|p| p.is_file())
        .filter(|p| streams::stream_key(&[Input::File(p.clone())]) == key)
        .collect();
    out.sort();
    out
}

/// Whether the file at `p` is the one `r` records: the same device and
/// inode (a plain file that has at least the bytes read), or the same
/// first content bytes (a compressed file, or a plain file copied).
fn is_same(p: &Path, r: &FilePos) -> bool {
    let Ok(meta) = std::fs::metadata(p) else {
        return false;
    };
    let (dev, ino) = identity(&meta);
    let known = (dev, ino) != (0, 0);
    if !r.compressed && known && (dev, ino) == (r.dev, r.ino) && meta.len() >= r.offset {
        return head(p).is_some_and(|h| matches(&h, r));
    }
    if r.compressed && known && (dev, ino) == (r.dev, r.ino) && meta.len() == r.disk_len {
        return true;
    }
    // Another file: the same content start (a rotation that compressed or
    // copied it).
    r.fp_len > 0 && head(p).is_some_and(|h| matches(&h, r))
}

/// The first content bytes of a file (decompressed).
fn head(p: &Path) -> Option<Vec<u8>> {
    let n = crate::incremental::position::FINGERPRINT_BYTES;
    match decoder(p).ok()? {
        Some(mut d) => read_up_to(&mut d, n).ok(),
        None => read_up_to(&mut File::open(p).ok()?, n).ok(),
    }
}

/// Read the stream's files into the intel detectors, in time order as
/// hunting does; their alerts.
fn read_stream(
    jobs: &[Job],
    opts: &HuntOptions,
    base: &ReadOptions,
    progress: &(dyn Fn(u64) + Sync),
    dets: &mut [Box<dyn Detector>],
    read: &mut RetroRead,
) -> Vec<Alert> {
    let mut alerts = Vec::new();
    let mut reorder = reorder::Reorder::new(
        opts.config.ingest.order_tolerance_secs,
        order::sort_buffer_bytes(opts),
    );
    let mut feed = |ev: &EventRef<'_>, o: &Origin<'_>, alerts: &mut Vec<Alert>| {
        // Exchange sign-ins in IIS logs too, as the hunt derives them.
        let derived = match ev {
            EventRef::Web(w) => haboob_detect::auth::exchange::auth_event(w).map(EventRef::Auth),
            _ => None,
        };
        for ev in std::iter::once(ev).chain(derived.as_ref()) {
            for d in dets.iter_mut() {
                d.observe(ev, o, alerts);
            }
        }
    };
    for job in jobs {
        let input = Input::File(PathBuf::from(&job.name));
        let mut ro = read_options(&input, opts, base);
        if ro.format.is_none() {
            ro.format = job.format.as_deref().and_then(|f| f.parse().ok());
        }
        let mut sink = |ev: &EventRef<'_>, o: &Origin<'_>| {
            reorder.push(ev, o, &mut |ev, o| feed(ev, o, &mut alerts));
        };
        let res = open(&job.path).and_then(|r| {
            let mut counted = Counted {
                inner: r.take(job.upto),
                n: 0,
            };
            let res = haboob_ingest::read_reader_into(
                &mut counted,
                &job.name,
                &ro,
                progress,
                &mut sink,
                &mut read.stats,
            );
            read.bytes += counted.n;
            res
        });
        match res {
            Ok(()) => read.files += 1,
            Err(e) => read.errors.push(match e {
                IngestError::Open { .. } | IngestError::Read { .. } => e.to_string(),
                other => format!("{}: {other}", job.name),
            }),
        }
    }
    reorder.drain(&mut |ev, o| feed(ev, o, &mut alerts));
    for d in dets.iter_mut() {
        d.finish(&mut alerts);
    }
    alerts
}

/// The file's content reader (decompressed when compressed).
fn open(p: &Path) -> Result<Box<dyn Read>, IngestError> {
    let err = |source| IngestError::Open {
        path: p.display().to_string(),
        source,
    };
    match decoder(p).map_err(err)? {
        Some(d) => Ok(d),
        None => Ok(Box::new(std::io::BufReader::with_capacity(
            64 * 1024,
            File::open(p).map_err(err)?,
        ))),
    }
}

/// Counts the bytes read through it.
struct Counted<R> {
    inner: R,
    n: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n += n as u64;
        Ok(n)
    }
}

/// The checkpoint `prev` with `alerts` (by stream key, as [`retro_hunt`]
/// gives them, already filtered of alerts stored before) added to their
/// streams' alerts, so that every later incremental run reports them. An
/// alert whose id the stream already holds is left out. Read positions and
/// detector windows are unchanged; the run count is one less, so that
/// handing the result to [`crate::incremental::hunt_incremental`] with no
/// inputs (which assembles the report over everything, reads nothing and
/// counts one run) gives back the run count of `prev`. The number of
/// alerts added.
///
/// # Errors
/// A checkpoint of another version or configuration ([`ResumeError`]).
pub fn with_alerts(
    prev: &[u8],
    opts: &HuntOptions,
    alerts: BTreeMap<String, Vec<Alert>>,
) -> Result<(Vec<u8>, u64), ResumeError> {
    let config = checkpoint::config_hash(opts);
    let mut ck = checkpoint::decode(prev, config)?;
    let mut added = 0;
    for (key, list) in alerts {
        let Some(s) = ck.streams.get_mut(&key) else {
            continue;
        };
        let mut have: BTreeSet<String> = s.alerts.iter().map(|a| a.id.clone()).collect();
        for a in list {
            if have.insert(a.id.clone()) {
                ck.reported.push(a.id.clone());
                s.alerts.push(a);
                added += 1;
            }
        }
    }
    ck.runs = ck.runs.saturating_sub(1);
    Ok((checkpoint::encode(&ck, config)?, added))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incremental::hunt_incremental;

    /// A web log given by a path relative to the crate (where tests run).
    const LOG: &str = "tests/fixtures/background/a.example.gov/access.log";

    fn recorded(opts: &HuntOptions) -> Vec<FilePos> {
        let inc = hunt_incremental(&[Input::File(LOG.into())], opts, None, &|_| {}).unwrap();
        let ck = checkpoint::decode(&inc.checkpoint, checkpoint::config_hash(opts)).unwrap();
        ck.streams.into_values().flat_map(|s| s.files).collect()
    }

    #[test]
    fn inputs_are_recorded_with_their_absolute_path() {
        let files = recorded(&HuntOptions::default());
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].path, LOG);
        let abs = std::fs::canonicalize(LOG).unwrap();
        assert!(abs.is_absolute());
        assert_eq!(files[0].abs.as_deref(), abs.to_str());
        let (jobs, read) = locate(&files);
        assert_eq!(read, RetroRead::default());
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].path, abs);
        // Evidence keeps naming the file as it was given.
        assert_eq!(jobs[0].name, LOG);
        assert_eq!(jobs[0].upto, std::fs::metadata(LOG).unwrap().len());
    }

    #[test]
    fn records_of_older_versions_resolve_from_the_current_folder() {
        let opts = HuntOptions::default();
        let mut files = recorded(&opts);
        // A record as an older version wrote it: no absolute path, and no
        // such key in the encoded checkpoint.
        files[0].abs = None;
        let config = checkpoint::config_hash(&opts);
        let ck = checkpoint::Checkpoint {
            runs: 1,
            streams: BTreeMap::from([(
                LOG.to_owned(),
                checkpoint::StreamCk {
                    files: files.clone(),
                    ..Default::default()
                },
            )]),
            reported: Vec::new(),
        };
        let blob = checkpoint::encode(&ck, config).unwrap();
        let back = checkpoint::decode(&blob, config).unwrap();
        assert_eq!(back.streams[LOG].files, files);
        let (jobs, read) = locate(&files);
        assert_eq!(read, RetroRead::default());
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].path, Path::new(LOG));
        // Not there from here: named, with its absolute path when known.
        let mut gone = files[0].clone();
        gone.path = "elsewhere/access.log".to_owned();
        let (jobs, read) = locate(&[gone.clone()]);
        assert!(jobs.is_empty());
        assert_eq!(
            read.missing,
            ["elsewhere/access.log: not found (moved or deleted since it was read): not read again"]
        );
        gone.abs = Some("/nonexistent/elsewhere/access.log".to_owned());
        let (_, read) = locate(&[gone]);
        assert_eq!(
            read.missing,
            ["elsewhere/access.log (/nonexistent/elsewhere/access.log): not found (moved or deleted since it was read): not read again"]
        );
    }
}
