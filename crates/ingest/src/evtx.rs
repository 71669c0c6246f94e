//! Record-framed inputs: Windows EVTX files, read with `haboob-signin`.
//! Each record counts as one "line" in the accounting: parsed or rejected
//! with its reason. A parsed record is one event, [`EventRef::Win`] (any
//! channel and event id); a sign-in record is delivered as its
//! [`EventRef::Auth`] first, then as its `Win` event (same origin), and
//! still counts as one parsed record and one event in [`ReadStats`].

use crate::read::{EventSink, ReadOptions, ReadStats, Rejection};
use crate::{Format, IngestError};
use haboob_model::{EventRef, Origin};
use haboob_signin::SigninFormat;
use std::io::Read;
use std::path::Path;

/// Whether the file starts with the EVTX magic.
pub(crate) fn is_evtx_file(path: &Path) -> bool {
    let mut head = [0u8; 8];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && haboob_signin::is_evtx(&head)
}

/// Read one EVTX file record by record.
pub(crate) fn read_evtx_file(
    path: &Path,
    name: &str,
    opts: &ReadOptions,
    progress: &(dyn Fn(u64) + Sync),
    sink: &mut dyn EventSink,
    stats: &mut ReadStats,
) -> Result<(), IngestError> {
    stats.files += 1;
    sink.format(Format::Signin(SigninFormat::Evtx));
    let start = stats.mark();
    let mut strict_failure: Option<IngestError> = None;
    let res = haboob_signin::read_evtx_events(path, &mut |record, raw, parsed| {
        if strict_failure.is_some() {
            return;
        }
        if opts.stopped() {
            strict_failure = Some(IngestError::Stopped {
                path: name.to_owned(),
            });
            return;
        }
        stats.lines += 1;
        match parsed {
            Ok(rec) => {
                stats.parsed += 1;
                stats.events += 1;
                let origin = Origin {
                    file: name,
                    line: record,
                    raw,
                };
                if let Some(a) = rec.auth {
                    sink.event(&EventRef::Auth(a), &origin);
                }
                if let Some(why) = &rec.unmapped {
                    stats.partial(name, record, &why.reason, opts.max_reject_samples);
                }
                sink.event(&EventRef::Win(rec.win), &origin);
            }
            Err(e) => {
                stats.rejected += 1;
                tracing::debug!(file = name, record, reason = %e, "Rejected a record.");
                let reason = e.to_string();
                sink.rejected(name, record, &reason, raw);
                if opts.strict {
                    strict_failure = Some(IngestError::Strict {
                        path: name.to_owned(),
                        line: record,
                        reason,
                    });
                } else if stats.samples.len() < opts.max_reject_samples {
                    stats.samples.push(Rejection {
                        file: name.to_owned(),
                        line: record,
                        reason,
                    });
                }
            }
        }
    });
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    progress(bytes);
    stats.bytes += bytes;
    *stats.formats.entry("evtx".to_owned()).or_default() += 1;
    stats.note_unparsed(name, "evtx", start);
    if let Some(e) = strict_failure {
        return Err(e);
    }
    res.map_err(|e| IngestError::Records {
        path: name.to_owned(),
        reason: e.to_string(),
    })?;
    Ok(())
}
