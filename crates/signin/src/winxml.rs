//! Windows events as XML text, one `<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">…</Event>`
//! per line: what `wevtutil qe /f:xml`, Windows Event Forwarding
//! collectors, Winlogbeat's raw XML and CrowdSec's Windows acquisition
//! write. Detected by content: a line starting with `<Event` that names the
//! event namespace.
//!
//! Each line is read with `quick-xml` (no regular expressions): the
//! `System` part's `EventID`, `Provider Name`, `TimeCreated SystemTime` and
//! `Computer`, `Channel` and `EventRecordID`, and the `EventData` part's
//! `<Data Name="…">` values (unnamed `<Data>` values for SQL Server's
//! 18456). Every event becomes an [`EventRef::Win`] (any channel and id;
//! its fields, read from the XML on first use by [`WinView::from_xml`],
//! answer as the same event read from EVTX). The event ids that are
//! sign-ins and their mapping are the EVTX reader's, shared with it
//! ([`crate::evtx`] module docs): same dataset (`auth.windows`,
//! `auth.mssql`), outcome, failure class, user, source address, app and
//! client; such a line is [`Parsed::Both`]: the sign-in, then the Windows
//! event. A line that is not well-formed event XML, an event without
//! `TimeCreated`, or a sign-in event without its `EventData` or a field the
//! mapping needs (e.g. `Status` of a 4625), is rejected with the reason.

use crate::evtx::{sign_in, wanted, EventFields};
use crate::mssql::mssql;
use haboob_model::{EventRef, LineParser, Parsed, RecordError, Ts, WinEvent, WinView};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::borrow::Cow;

/// The Windows event XML namespace every line names.
pub const NAMESPACE: &str = "http://schemas.microsoft.com/win/2004/08/events/event";

/// The `EventData` names the sign-in mapping reads; other values are skipped.
const NAMES: [&str; 11] = [
    "TargetUserName",
    "TargetDomainName",
    "SubjectDomainName",
    "SubjectUserName",
    "IpAddress",
    "LogonType",
    "Status",
    "SubStatus",
    "WorkstationName",
    "Workstation",
    "ServiceName",
];

/// Line parser for Windows event XML text (format `windows-xml`).
#[derive(Debug, Default, Clone, Copy)]
pub struct WinXmlParser;

/// The `EventData` values of one line, by name.
struct Named<'a>(Vec<(&'static str, Cow<'a, str>)>);

impl<'a> EventFields<'a> for Named<'a> {
    fn named(&self, name: &str) -> Cow<'a, str> {
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(Cow::Borrowed(""), |(_, v)| v.clone())
    }
}

/// The element whose text is being read.
#[derive(Clone, Copy, PartialEq)]
enum Leaf {
    None,
    EventId,
    Computer,
    Channel,
    RecordId,
    /// A `<Data>` of `EventData`: its name when it is one of [`NAMES`],
    /// `None` for an unnamed one; skipped for other names.
    Data(Option<&'static str>),
    Skip,
}

/// What one line holds.
#[derive(Default)]
pub(crate) struct Fields<'a> {
    pub(crate) id: Option<Cow<'a, str>>,
    pub(crate) provider: Cow<'a, str>,
    pub(crate) time: Option<Result<Ts, String>>,
    pub(crate) computer: Cow<'a, str>,
    pub(crate) channel: Cow<'a, str>,
    pub(crate) record_id: Option<Cow<'a, str>>,
    has_data: bool,
    named: Vec<(&'static str, Cow<'a, str>)>,
    unnamed: Vec<Cow<'a, str>>,
}

impl Fields<'_> {
    /// The `EventID`, or `missing` as the error when there is none.
    pub(crate) fn event_id(&self, missing: &'static str) -> Result<u32, RecordError> {
        self.id
            .as_deref()
            .ok_or(RecordError::fixed(missing))?
            .trim()
            .parse()
            .map_err(|_| RecordError::fixed("bad EventID"))
    }
}

fn bad(e: impl std::fmt::Display) -> RecordError {
    let mut s = format!("bad Windows event XML: {e}");
    haboob_model::truncate_bounded(&mut s, 200);
    RecordError::new(s)
}

fn attr<'b>(e: &'b BytesStart<'_>, name: &[u8]) -> Result<Option<Cow<'b, [u8]>>, RecordError> {
    for a in e.attributes() {
        let a = a.map_err(bad)?;
        if a.key.local_name().as_ref() == name {
            return Ok(Some(a.value));
        }
    }
    Ok(None)
}

/// Read one event line: its System and EventData fields.
pub(crate) fn read(line: &str) -> Result<Fields<'_>, RecordError> {
    let mut r = Reader::from_str(line);
    r.config_mut().trim_text(true);
    let mut f = Fields::default();
    // Depth of the element being read: 1 = Event, 2 = System / EventData.
    let mut depth = 0usize;
    let mut part: &[u8] = b"";
    let mut leaf = Leaf::None;
    let mut leaf_text = false;
    loop {
        let ev = r
            .read_event()
            .map_err(|e| bad(format!("{e} at byte {}", r.error_position())))?;
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(ev, Event::Empty(_));
                let name = e.local_name();
                let name = name.as_ref();
                if depth == 0 && name != b"Event" {
                    return Err(bad("the root element is not <Event>"));
                }
                if depth == 1 {
                    part = match name {
                        b"System" => b"System",
                        b"EventData" => {
                            f.has_data = true;
                            b"EventData"
                        }
                        _ => b"",
                    };
                } else if depth == 2 && part == b"System" {
                    match name {
                        b"EventID" => leaf = Leaf::EventId,
                        b"Computer" => leaf = Leaf::Computer,
                        b"Channel" => leaf = Leaf::Channel,
                        b"EventRecordID" => leaf = Leaf::RecordId,
                        b"Provider" => {
                            if let Some(n) = attr(e, b"Name")? {
                                let n = std::str::from_utf8(&n).map_err(bad)?;
                                let n = quick_xml::escape::unescape(n).map_err(bad)?;
                                f.provider = Cow::Owned(n.into_owned());
                            }
                        }
                        b"TimeCreated" => {
                            f.time = attr(e, b"SystemTime")?.map(|t| {
                                std::str::from_utf8(&t)
                                    .map_err(|e| e.to_string())
                                    .and_then(|t| Ts::parse_rfc3339(t).map_err(|e| e.to_string()))
                            });
                        }
                        _ => {}
                    }
                } else if depth == 2 && part == b"EventData" && name == b"Data" {
                    leaf = match attr(e, b"Name")? {
                        None => Leaf::Data(None),
                        Some(n) => NAMES
                            .iter()
                            .find(|k| k.as_bytes() == n.as_ref())
                            .map_or(Leaf::Skip, |k| Leaf::Data(Some(k))),
                    };
                }
                leaf_text = false;
                if empty {
                    end_leaf(&mut f, &mut leaf, leaf_text);
                    if depth == 0 {
                        break;
                    }
                } else {
                    depth += 1;
                }
            }
            Event::Text(t) if leaf != Leaf::None && depth >= 3 => {
                let v = t.unescape().map_err(bad)?;
                leaf_text = true;
                match leaf {
                    Leaf::EventId => f.id = Some(v),
                    Leaf::Computer => f.computer = v,
                    Leaf::Channel => f.channel = v,
                    Leaf::RecordId => f.record_id = Some(v),
                    Leaf::Data(Some(n)) => f.named.push((n, v)),
                    Leaf::Data(None) => f.unnamed.push(v),
                    Leaf::None | Leaf::Skip => {}
                }
            }
            Event::End(_) => {
                depth -= 1;
                if depth == 2 {
                    end_leaf(&mut f, &mut leaf, leaf_text);
                }
                if depth == 1 {
                    part = b"";
                }
                if depth == 0 {
                    break;
                }
            }
            Event::Eof => {
                return Err(bad(if depth == 0 {
                    "no <Event> element"
                } else {
                    "the line ends inside <Event>"
                }))
            }
            _ => {}
        }
    }
    Ok(f)
}

/// A `<Data>` without text is an empty value.
fn end_leaf<'a>(f: &mut Fields<'a>, leaf: &mut Leaf, had_text: bool) {
    if !had_text {
        match *leaf {
            Leaf::Data(Some(n)) => f.named.push((n, Cow::Borrowed(""))),
            Leaf::Data(None) => f.unnamed.push(Cow::Borrowed("")),
            _ => {}
        }
    }
    *leaf = Leaf::None;
}

/// Whether a line looks like Windows event XML (the cheap check before
/// parsing).
pub fn looks_like_event_xml(line: &str) -> bool {
    let l = line.trim_start_matches('\u{feff}').trim_start();
    l.starts_with("<Event") && memchr::memmem::find(l.as_bytes(), NAMESPACE.as_bytes()).is_some()
}

impl LineParser for WinXmlParser {
    fn parse<'a>(&mut self, line: &'a str) -> Result<Parsed<'a>, RecordError> {
        if !looks_like_event_xml(line) {
            return Err(RecordError::fixed("not a Windows event XML line"));
        }
        let text = line.trim_start_matches('\u{feff}').trim();
        let f = read(text)?;
        let id = f.event_id("record without EventID")?;
        let ts = match f.time {
            Some(Ok(ts)) => ts,
            Some(Err(e)) => return Err(RecordError::new(format!("bad TimeCreated: {e}"))),
            None => return Err(RecordError::fixed("event without TimeCreated")),
        };
        let record_id = match &f.record_id {
            Some(r) => r
                .trim()
                .parse()
                .map_err(|_| RecordError::fixed("bad EventRecordID"))?,
            None => 0,
        };
        let win = WinEvent {
            ts,
            event_id: id,
            record_id,
            channel: f.channel,
            provider: f.provider,
            computer: f.computer,
            record: WinView::from_xml(text),
        };
        if !wanted(id, &win.provider) {
            return Ok(Parsed::Event(EventRef::Win(win)));
        }
        let ev = if id == 18456 {
            mssql(ts, f.unnamed)
        } else if !f.has_data {
            Err(RecordError::fixed("sign-in record without EventData"))
        } else {
            sign_in(id, &win.computer, ts, &Named(f.named))
        };
        // A sign-in whose fields do not map is still a Windows event.
        Ok(match ev {
            Ok(ev) => Parsed::Both(EventRef::Auth(ev), EventRef::Win(win)),
            Err(why) => Parsed::Partial(EventRef::Win(win), why),
        })
    }
}
