//! Sysmon for Linux (Sysinternals' `sysmon` for Linux): every event is the
//! Windows-style `<Event>` XML (no namespace), one per syslog line, written
//! by the program `sysmon` (`… host sysmon: <Event><System><Provider
//! Name="Linux-Sysmon" …`; `sysmon[pid]:` on Red Hat; bare `<Event>` lines
//! from `journalctl -u sysmon -o cat`). Read by the `syslog` format, beside
//! the sign-ins of the same file.
//!
//! The XML is read by the Windows XML reader ([`crate::winxml`]) and the
//! event becomes an [`EventRef::Win`] of channel `Linux-Sysmon/Operational`
//! with the EventData names of Windows Sysmon (`Image`, `CommandLine`,
//! `ParentImage`, `CurrentDirectory`, `User`, `TargetFilename`,
//! `DestinationIp`, …): process creation (EventID 1), network connection
//! (3), process termination (5), raw access read (9), process access (10),
//! file create (11), file delete (23). Sigma rules of `product: linux`
//! (`process_creation`, `network_connection`, `file_event`, `file_delete`)
//! run on these events (the `linux.sysmon` family of the log-source
//! mapping). The time is `TimeCreated` (UTC, as Sysmon writes it), else
//! the syslog header's.

use crate::winxml::read;
use haboob_model::{EventRef, Parsed, RecordError, Ts, WinEvent, WinView};

/// The channel Sysmon for Linux writes.
pub const CHANNEL: &str = haboob_model::LINUX_SYSMON_CHANNEL;

/// Whether a syslog message (or a bare line) is a Sysmon `<Event>`.
pub(crate) fn is_event(msg: &str) -> bool {
    let m = msg.trim_start();
    m.starts_with("<Event>") || m.starts_with("<Event ")
}

/// Whether a whole line is a bare Sysmon for Linux event (`journalctl -o
/// cat`): `<Event>` without the Windows namespace, naming the provider
/// `Linux-Sysmon` (Windows event XML lines stay `windows-xml`'s).
pub(crate) fn is_bare_event(line: &str) -> bool {
    line.trim_start().starts_with("<Event>")
        && memchr::memmem::find(line.as_bytes(), b"Name=\"Linux-Sysmon\"").is_some()
}

/// The event of one Sysmon XML message; `header` is the syslog header's
/// time, used when the event has no `TimeCreated`.
pub(crate) fn event(xml: &str, header: Option<Ts>) -> Result<Parsed<'_>, RecordError> {
    let text = xml.trim();
    let f = read(text)?;
    let event_id = f.event_id("Sysmon event without EventID")?;
    let ts = match (f.time, header) {
        (Some(Ok(ts)), _) => ts,
        (Some(Err(e)), _) => return Err(RecordError::new(format!("bad TimeCreated: {e}"))),
        (None, Some(ts)) => ts,
        (None, None) => return Err(RecordError::fixed("Sysmon event without TimeCreated")),
    };
    let record_id = match &f.record_id {
        Some(r) => r
            .trim()
            .parse()
            .map_err(|_| RecordError::fixed("bad EventRecordID"))?,
        None => 0,
    };
    Ok(Parsed::Event(EventRef::Win(WinEvent {
        ts,
        event_id,
        record_id,
        channel: f.channel,
        provider: f.provider,
        computer: f.computer,
        record: WinView::from_xml(text),
    })))
}
