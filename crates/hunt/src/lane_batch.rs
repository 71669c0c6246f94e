//! One batch of a stream's records for the detection lanes
//! ([`super`]): each record's raw line copied once, a web request held in
//! 80 bytes with its texts as short ranges of that line, records and lines
//! in one part per source lane (walked in memory order) with the order of
//! the parts' records for the shared lane, and the notes the source lanes
//! write for the shared lane.

use super::{NO_SOURCE, TO_SHARED};
use haboob_ingest::codec::{decode, encode};
use haboob_model::{EventRef, Origin, Ts, WebEvent};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Mutex;

/// A text of a held web request: `len` bytes at `at` in its raw line, or,
/// when `at` is [`FAR`], entry `len` of [`Batch::far`] (a text outside the
/// raw line, such as a site name from the options, copied once; or a text
/// of a line too long for 16-bit offsets, copied).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Text {
    at: u16,
    len: u16,
}

/// [`Text::at`] of a text held in [`Batch::far`].
const FAR: u16 = u16::MAX;

/// What a held record is, and so what [`Held::addr`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A web request from an IPv4 address: the address.
    WebV4,
    /// A web request from an IPv6 address: its index in [`Batch::v6`].
    WebV6,
    /// Any other event, or a web request whose texts do not fit the
    /// short form: its index in [`Batch::coded`] (the record
    /// [`encode`]d, its texts inside the raw line stored as ranges of it).
    Coded,
}

/// One event of a batch with its lanes and origin: 80 bytes (a web
/// request's numbers and texts inline; any other event coded aside).
#[derive(Debug, Clone, Copy)]
struct Held {
    line: u64,
    /// A web request's time, size and status (unused when coded).
    ts: i64,
    bytes: u64,
    /// The raw line: offset and length in its [`Part::text`].
    raw: u32,
    raw_len: u32,
    /// Index in [`Batch::files`].
    file: u32,
    /// See [`Kind`].
    addr: u32,
    status: u16,
    lanes: u8,
    kind: Kind,
    /// [`WebEvent::texts`], in its order.
    texts: [Text; 9],
}

/// What one source lane's web detectors wrote for the web requests of a
/// batch, for the shared lane.
#[derive(Default)]
pub(super) struct Notes {
    /// The notes, one after another.
    pub(super) buf: Vec<u8>,
    /// Per web request run: its index in its [`Part`] and where its note
    /// ends in `buf` (an empty note: none was written).
    pub(super) ends: Vec<(u32, u32)>,
}

/// The records of one source lane in a batch (or, the last part, those of
/// no source lane), in order, with their raw lines one after another: the
/// lane walks its part in memory order.
#[derive(Default)]
struct Part {
    held: Vec<Held>,
    /// Raw lines: [`Held::raw`] is an offset in it.
    text: String,
}

/// Events of one batch.
#[derive(Default)]
pub(crate) struct Batch {
    /// Per source lane, then one for the records of no source lane.
    parts: Vec<Part>,
    /// The part of each record, in the order pushed (the shared lane
    /// takes those marked [`TO_SHARED`] in that order).
    order: Vec<u8>,
    /// Each source lane's notes on this batch.
    pub(super) notes: Vec<Mutex<Notes>>,
    /// Bytes of raw lines held in the parts.
    raw_bytes: usize,
    /// Texts of web requests held as [`FAR`], copied: a text outside the
    /// raw line, or a text of a line too long for short offsets. The first
    /// `far_used` are this batch's (the others are kept for their
    /// capacity): taken back whole, with no range to check.
    far: Vec<String>,
    far_used: usize,
    /// Bytes of the texts in `far` in use.
    far_bytes: usize,
    /// The last text copied that was not inside its raw line (a site name
    /// from the options: the same for every line of a file), by address
    /// and length, and its entry in `far`.
    last_copied: Option<(usize, usize, u16)>,
    /// IPv6 sources of web requests.
    v6: Vec<Ipv6Addr>,
    /// Coded records: their range in `other`.
    coded: Vec<(u32, u32)>,
    /// Encoded records of events other than web requests.
    other: Vec<u8>,
    datasets: Vec<&'static str>,
    files: Vec<String>,
    /// The last file name seen (address and length) and its index.
    last_file: (usize, usize, u32),
}

impl Batch {
    /// An empty batch for `lanes` source lanes and the shared lane.
    pub(super) fn new(lanes: usize) -> Batch {
        Batch {
            parts: (0..=lanes).map(|_| Part::default()).collect(),
            notes: (0..lanes).map(|_| Mutex::default()).collect(),
            ..Batch::default()
        }
    }

    pub(super) fn clear(&mut self) {
        for p in &mut self.parts {
            p.held.clear();
            p.text.clear();
        }
        self.order.clear();
        // The notes are cleared by the lane that writes them.
        self.raw_bytes = 0;
        self.far_used = 0;
        self.far_bytes = 0;
        self.last_copied = None;
        self.v6.clear();
        self.coded.clear();
        self.other.clear();
        self.datasets.clear();
        self.files.clear();
        self.last_file = (0, 0, 0);
    }

    /// Whether no record is held.
    pub(super) fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Bytes held (texts and records).
    pub(super) fn bytes(&self) -> usize {
        self.raw_bytes
            + self.far_bytes
            + self.other.len()
            + self.order.len() * std::mem::size_of::<Held>()
    }

    fn file_index(&mut self, name: &str) -> u32 {
        let key = (name.as_ptr() as usize, name.len());
        if (self.last_file.0, self.last_file.1) == key && !self.files.is_empty() {
            return self.last_file.2;
        }
        let i = match self.files.iter().rposition(|f| f == name) {
            Some(i) => i,
            None => {
                self.files.push(name.to_string());
                self.files.len() - 1
            }
        };
        let i = u32::try_from(i).unwrap_or(u32::MAX);
        self.last_file = (key.0, key.1, i);
        i
    }

    /// The [`Text`] of `s`, a text of the web request whose raw line is
    /// `raw_text` (shorter than [`FAR`]: offsets and lengths inside it
    /// fit): a range of that line, else copied into `far` (once for a text
    /// repeated outside the line); `None` when `far` is full.
    #[inline(always)]
    fn text_of(&mut self, s: &str, raw_text: &str) -> Option<Text> {
        if s.is_empty() {
            // Empty texts as (0, 0): the cheapest to slice back.
            return Some(Text::default());
        }
        let (p, line) = (s.as_ptr() as usize, raw_text.as_ptr() as usize);
        // Inside the line: from its start on and up to its end, two
        // compares of addresses (neither sum wraps: a slice never runs
        // past the end of the address space).
        if p >= line && p + s.len() <= line + raw_text.len() {
            return Some(Text {
                at: (p - line) as u16,
                len: s.len() as u16,
            });
        }
        // Outside the line: the text copied last (a site name from the
        // options, the same for every line of a file)?
        if let Some((lp, len, i)) = self.last_copied {
            if (lp, len) == (p, s.len()) {
                return Some(Text { at: FAR, len: i });
            }
        }
        self.far_text_of(s, raw_text)
    }

    /// [`Batch::text_of`] of a text outside the raw line, or of a line
    /// too long for short offsets: copied.
    fn far_text_of(&mut self, s: &str, raw_text: &str) -> Option<Text> {
        let p = s.as_ptr() as usize;
        let at = p.wrapping_sub(raw_text.as_ptr() as usize);
        let inside = at <= raw_text.len() && s.len() <= raw_text.len() - at;
        if !inside {
            if let Some((lp, ll, i)) = self.last_copied {
                if (lp, ll) == (p, s.len()) {
                    return Some(Text { at: FAR, len: i });
                }
            }
        }
        let i = u16::try_from(self.far_used).ok().filter(|&i| i != FAR)?;
        match self.far.get_mut(self.far_used) {
            Some(kept) => {
                kept.clear();
                kept.push_str(s);
            }
            None => self.far.push(s.to_string()),
        }
        self.far_used += 1;
        self.far_bytes += s.len();
        if !inside {
            self.last_copied = Some((p, s.len(), i));
        }
        Some(Text { at: FAR, len: i })
    }

    /// Hold one event for `lanes`. A batch holds less than 4 GiB: the
    /// caller hands it over at [`super::BATCH_BYTES`].
    pub(super) fn push(&mut self, lanes: u8, ev: &EventRef<'_>, o: &Origin<'_>) {
        let file = self.file_index(o.file);
        // The part of the record's source lane; the last: none.
        let sources = self.parts.len().saturating_sub(1);
        let part = usize::from(lanes & NO_SOURCE).min(sources);
        let Ok(part_byte) = u8::try_from(part) else {
            return;
        };
        let Some(Part { text: raw_at, .. }) = self.parts.get(part) else {
            return;
        };
        let (Ok(raw), Ok(raw_len)) = (u32::try_from(raw_at.len()), u32::try_from(o.raw.len()))
        else {
            return;
        };
        let mut held = Held {
            line: o.line,
            ts: 0,
            bytes: 0,
            raw,
            raw_len,
            file,
            addr: 0,
            status: 0,
            lanes,
            kind: Kind::Coded,
            texts: [Text::default(); 9],
        };
        if let EventRef::Web(w) = ev {
            let (far_used, far_bytes) = (self.far_used, self.far_bytes);
            if self.hold_web(w, o.raw, &mut held).is_none() {
                // `far` is full: coded instead, without what it added.
                self.far_used = far_used;
                self.far_bytes = far_bytes;
                self.last_copied = None;
                held.kind = Kind::Coded;
            }
        }
        if held.kind == Kind::Coded {
            let Some(index) = self.code(ev, o) else {
                return;
            };
            held.addr = index;
        }
        let Some(p) = self.parts.get_mut(part) else {
            return;
        };
        p.text.push_str(o.raw);
        p.held.push(held);
        self.order.push(part_byte);
        self.raw_bytes += o.raw.len();
    }

    /// Code `ev` (raw line `o.raw`) aside: its index in [`Batch::coded`].
    /// Out of line: most records of a large stream are web requests held
    /// short, and the reading thread's loop stays smaller without it.
    #[inline(never)]
    fn code(&mut self, ev: &EventRef<'_>, o: &Origin<'_>) -> Option<u32> {
        let start = u32::try_from(self.other.len()).ok()?;
        let index = u32::try_from(self.coded.len()).ok()?;
        encode(
            ev,
            o,
            usize::MAX,
            o.raw,
            &mut self.datasets,
            &mut self.other,
        );
        let end = u32::try_from(self.other.len()).unwrap_or(u32::MAX);
        self.coded.push((start, end));
        Some(index)
    }

    /// Fill `held` with the web request `w` (raw line `raw_text`); `None`
    /// when a text cannot be held short.
    fn hold_web(&mut self, w: &WebEvent<'_>, raw_text: &str, held: &mut Held) -> Option<()> {
        // In [`WebEvent::texts`] order, each written in place as it is
        // found (an array built first was kept on the stack and copied
        // into `held` text by text).
        let t = &mut held.texts;
        // The line's length is tested once, not once per text.
        if raw_text.len() < usize::from(FAR) {
            t[0] = self.text_of(w.method, raw_text)?;
            t[1] = self.text_of(w.path, raw_text)?;
            t[2] = self.text_of(w.query, raw_text)?;
            t[3] = self.text_of(w.user_agent, raw_text)?;
            t[4] = self.text_of(w.referrer, raw_text)?;
            t[5] = self.text_of(w.site, raw_text)?;
            t[6] = self.text_of(w.user, raw_text)?;
            t[7] = self.text_of(w.forwarded, raw_text)?;
            t[8] = self.text_of(w.protocol, raw_text)?;
        } else {
            // A line too long for short offsets: its texts copied.
            for (t, s) in t.iter_mut().zip(w.texts()) {
                if !s.is_empty() {
                    *t = self.far_text_of(s, raw_text)?;
                }
            }
        }
        (held.kind, held.addr) = match w.source_ip {
            IpAddr::V4(a) => (Kind::WebV4, u32::from(a)),
            IpAddr::V6(a) => {
                let i = u32::try_from(self.v6.len()).ok()?;
                self.v6.push(a);
                (Kind::WebV6, i)
            }
        };
        held.ts = w.ts.0;
        held.bytes = w.bytes;
        held.status = w.status;
        Some(())
    }

    /// The text `t` of a web request whose raw line is `raw`: an empty
    /// text without slicing, a range of the line, or a copied text.
    #[inline(always)]
    fn text<'a>(&'a self, raw: &'a str, t: Text) -> Option<&'a str> {
        if t.at == FAR {
            return self.far.get(usize::from(t.len)).map(String::as_str);
        }
        if t.len == 0 {
            return Some("");
        }
        // From, then to: two small slicings the walks inline (a range's
        // is called out of line there).
        raw.get(usize::from(t.at)..)?.get(..usize::from(t.len))
    }

    /// Hand the records of source lane `lane` to `out` with their index
    /// in the lane's part and their lanes, in order.
    // Not inlined: one call per batch, and profiles name the walk.
    #[inline(never)]
    pub(super) fn each(
        &self,
        lane: usize,
        out: &mut impl FnMut(u32, u8, &EventRef<'_>, &Origin<'_>),
    ) {
        // The last part is no source lane's.
        let Some(part) = self.parts.get(lane).filter(|_| lane + 1 < self.parts.len()) else {
            return;
        };
        let mut slot = EventRef::Web(WebEvent::from_texts(
            Ts(0),
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            0,
            0,
            [""; 9],
        ));
        for (i, h) in (0u32..).zip(&part.held) {
            self.hand(i, h, &part.text, &mut slot, out);
        }
    }

    /// Hand the records the shared lane takes ([`TO_SHARED`]) to `out`
    /// with their index in their part and their lanes, in the order
    /// pushed.
    #[inline(never)]
    pub(super) fn each_shared(&self, out: &mut impl FnMut(u32, u8, &EventRef<'_>, &Origin<'_>)) {
        // Per part: the index of its next record.
        let mut next = [0u32; super::MAX_LANES + 1];
        let mut slot = EventRef::Web(WebEvent::from_texts(
            Ts(0),
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            0,
            0,
            [""; 9],
        ));
        for &p in &self.order {
            let p = usize::from(p);
            let (Some(part), Some(i)) = (self.parts.get(p), next.get_mut(p)) else {
                tracing::error!("Lane batch record out of bounds.");
                return;
            };
            let Some(h) = part.held.get(*i as usize) else {
                tracing::error!("Lane batch record out of bounds.");
                return;
            };
            if h.lanes & TO_SHARED != 0 {
                self.hand(*i, h, &part.text, &mut slot, out);
            }
            *i += 1;
        }
    }

    /// Hand record `i` (`h`, its raw line in `text`) to `out`; a web
    /// request is rebuilt in `slot` (a web request kept for the walk: its
    /// fields are overwritten, nothing is moved or dropped per record).
    /// Only what `push` wrote is read: a failure is a bug.
    #[inline]
    fn hand<'a>(
        &'a self,
        i: u32,
        h: &Held,
        text: &'a str,
        slot: &mut EventRef<'a>,
        out: &mut impl FnMut(u32, u8, &EventRef<'_>, &Origin<'_>),
    ) {
        let file = self.files.get(h.file as usize).map_or("-", String::as_str);
        let raw = text
            .get(h.raw as usize..)
            .and_then(|t| t.get(..h.raw_len as usize));
        let Some(raw) = raw else {
            tracing::error!("Lane batch record out of bounds.");
            return;
        };
        let origin = Origin {
            file,
            line: h.line,
            raw,
        };
        let source_ip = match h.kind {
            Kind::WebV4 => IpAddr::V4(Ipv4Addr::from(h.addr)),
            Kind::WebV6 => match self.v6.get(h.addr as usize) {
                Some(a) => IpAddr::V6(*a),
                None => {
                    tracing::error!("Lane batch record out of bounds.");
                    return;
                }
            },
            Kind::Coded => {
                let data = self
                    .coded
                    .get(h.addr as usize)
                    .and_then(|&(a, b)| self.other.get(a as usize..b as usize))
                    .unwrap_or_default();
                match decode(data, raw, &self.datasets) {
                    Ok((ev, _, _)) => out(i, h.lanes, &ev, &origin),
                    Err(e) => tracing::error!(error = %e, "Lane batch record undecodable."),
                }
                return;
            }
        };
        let EventRef::Web(w) = slot else {
            return;
        };
        if self.web_into(raw, h, w).is_none() {
            tracing::error!("Lane batch record out of bounds.");
            return;
        }
        w.source_ip = source_ip;
        out(i, h.lanes, slot, &origin);
    }

    /// Overwrite `w` with the held web request `h` (raw line `raw`) but
    /// its source; `None` when a text is out of bounds (a bug).
    #[inline(always)]
    fn web_into<'a>(&'a self, raw: &'a str, h: &Held, w: &mut WebEvent<'a>) -> Option<()> {
        // In [`WebEvent::texts`] order.
        let t = &h.texts;
        w.ts = Ts(h.ts);
        w.status = h.status;
        w.bytes = h.bytes;
        w.method = self.text(raw, t[0])?;
        w.path = self.text(raw, t[1])?;
        w.query = self.text(raw, t[2])?;
        w.user_agent = self.text(raw, t[3])?;
        w.referrer = self.text(raw, t[4])?;
        w.site = self.text(raw, t[5])?;
        w.user = self.text(raw, t[6])?;
        w.forwarded = self.text(raw, t[7])?;
        w.protocol = self.text(raw, t[8])?;
        Some(())
    }
}
