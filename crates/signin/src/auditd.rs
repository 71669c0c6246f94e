//! Linux audit logs (`/var/log/audit/audit.log`, format `auditd`): one
//! record per line, `[node=N ]type=T msg=audit(SECS.MS:SERIAL): k=v …`,
//! raw or `ENRICHED`; also records relayed to syslog by the audisp syslog
//! plugin (`… host audisp-syslog: type=…`, read by the `syslog` format).
//! Each record becomes an [`EventRef::Audit`] with auditd's field names
//! ([`haboob_model::AuditEvent`] documents them: hex-decoded strings,
//! `EXECVE` arguments `a0`…`aN`, the enriched `SYSCALL` name).
//!
//! Records are matched one by one, not grouped into events by serial:
//! every SigmaHQ `service: auditd` rule (54 at SigmaHQ commit 8eaafff) has
//! selections that each name one record type (`type: EXECVE` with
//! `a0`…`aN`, `type: SYSCALL` with `SYSCALL`/`exe`/`comm`/`key`, `type:
//! PATH` with `name`, `type: SERVICE_STOP` with `unit`, …) joined by `or`
//! (`1 of selection_*`); no rule needs fields of two records of one event
//! at once. So nothing is buffered: memory does not grow with the log, and
//! records out of order or split across files match the same. The serial is
//! kept ([`haboob_model::AuditEvent::serial`]) for whoever reads the hits.
//!
//! A line that is not an audit record (no `type=`, no `msg=audit(…):`
//! header, a bad time or serial) is rejected with the reason.

use haboob_model::{AuditEvent, EventRef, LineParser, Parsed, RecordError};

/// Line parser for auditd logs (format `auditd`).
#[derive(Debug, Default, Clone, Copy)]
pub struct AuditdParser;

/// One record (the text from `node=` or `type=` on).
pub(crate) fn record(text: &str) -> Result<Parsed<'_>, RecordError> {
    AuditEvent::parse(text.trim_end())
        .map(|a| Parsed::Event(EventRef::Audit(a)))
        .map_err(RecordError::fixed)
}

impl LineParser for AuditdParser {
    fn parse<'a>(&mut self, line: &'a str) -> Result<Parsed<'a>, RecordError> {
        if line.trim().is_empty() {
            return Err(RecordError::fixed("empty line"));
        }
        record(line)
    }
}
