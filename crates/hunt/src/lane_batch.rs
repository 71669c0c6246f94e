//! One batch of a stream's records for the detection lanes
//! ([`super`]): each record's raw line copied once, a web request's fields
//! as ranges of it, the records of each lane listed, and the notes the
//! source lanes write for the shared lane.

use super::{NO_SOURCE, TO_SHARED};
use haboob_ingest::codec::{decode, encode};
use haboob_model::{EventRef, Origin};
use std::net::IpAddr;
use std::sync::Mutex;

/// A text of a batch: offset and length in [`Batch::text`].
#[derive(Debug, Clone, Copy, Default)]
struct Span(u32, u32);

/// A web request held in a batch: every text a [`Span`] (no copy of the
/// fields of the raw line, no UTF-8 check when read back).
#[derive(Debug, Clone, Copy)]
struct WebRec {
    ts: haboob_model::Ts,
    source_ip: IpAddr,
    status: u16,
    bytes: u64,
    /// [`haboob_model::WebEvent::texts`], in its order.
    texts: [Span; 9],
}

/// What a record holds: a web request, or any other event [`encode`]d
/// (its texts inside the raw line stored as ranges of it) in
/// [`Batch::other`] from `.0` to `.1`.
#[derive(Debug, Clone, Copy)]
enum Rec {
    Web(WebRec),
    Other(u32, u32),
}

/// One event of a batch, its lanes and origin.
#[derive(Debug, Clone, Copy)]
pub(super) struct Held {
    lanes: u8,
    file: u32,
    line: u64,
    raw: Span,
    rec: Rec,
}

/// What one source lane's web detectors wrote for the web requests of a
/// batch, for the shared lane.
#[derive(Default)]
pub(super) struct Notes {
    /// The notes, one after another.
    pub(super) buf: Vec<u8>,
    /// Per web request run: its index in [`Batch::held`] and where its note
    /// ends in `buf` (an empty note: none was written).
    pub(super) ends: Vec<(u32, u32)>,
}

/// Events of one batch.
#[derive(Default)]
pub(crate) struct Batch {
    pub(super) held: Vec<Held>,
    /// The records of each source lane, then of the shared lane: indexes
    /// into `held`, in order.
    pub(super) lists: Vec<Vec<u32>>,
    /// Each source lane's notes on this batch.
    pub(super) notes: Vec<Mutex<Notes>>,
    /// Raw lines, and texts of events that are not inside their raw line.
    text: String,
    /// The last text copied that was not inside its raw line (a site name
    /// from the options: the same for every line of a file), by address
    /// and length, and its span.
    last_copied: (usize, usize, Span),
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
            lists: vec![Vec::new(); lanes + 1],
            notes: (0..lanes).map(|_| Mutex::default()).collect(),
            ..Batch::default()
        }
    }

    pub(super) fn clear(&mut self) {
        self.held.clear();
        for l in &mut self.lists {
            l.clear();
        }
        // The notes are cleared by the lane that writes them.
        self.text.clear();
        self.last_copied = (0, 0, Span::default());
        self.other.clear();
        self.datasets.clear();
        self.files.clear();
        self.last_file = (0, 0, 0);
    }

    /// Bytes held (texts and records).
    pub(super) fn bytes(&self) -> usize {
        self.text.len() + self.other.len() + self.held.len() * std::mem::size_of::<Held>()
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

    /// The span of `s`: inside the raw line copied at `raw`, else copied.
    fn span(&mut self, s: &str, raw_text: &str, raw: Span) -> Span {
        let (p, b) = (s.as_ptr() as usize, raw_text.as_ptr() as usize);
        if p >= b && p + s.len() <= b + raw_text.len() {
            // Offsets fit: the raw line's do.
            return Span(raw.0 + (p - b) as u32, s.len() as u32);
        }
        if s.is_empty() {
            return Span(0, 0);
        }
        if (self.last_copied.0, self.last_copied.1) == (p, s.len()) {
            return self.last_copied.2;
        }
        let (Ok(off), Ok(len)) = (u32::try_from(self.text.len()), u32::try_from(s.len())) else {
            return Span(0, 0);
        };
        self.text.push_str(s);
        let sp = Span(off, len);
        self.last_copied = (p, s.len(), sp);
        sp
    }

    /// Hold one event for `lanes`. A batch holds less than 4 GiB: the
    /// caller hands it over at [`BATCH_BYTES`].
    pub(super) fn push(&mut self, lanes: u8, ev: &EventRef<'_>, o: &Origin<'_>) {
        let file = self.file_index(o.file);
        let (Ok(off), Ok(len)) = (u32::try_from(self.text.len()), u32::try_from(o.raw.len()))
        else {
            return;
        };
        self.text.push_str(o.raw);
        let raw = Span(off, len);
        let rec = match ev {
            EventRef::Web(w) => {
                let mut texts = [Span::default(); 9];
                for (t, s) in texts.iter_mut().zip(w.texts()) {
                    *t = self.span(s, o.raw, raw);
                }
                Rec::Web(WebRec {
                    ts: w.ts,
                    source_ip: w.source_ip,
                    status: w.status,
                    bytes: w.bytes,
                    texts,
                })
            }
            _ => {
                let start = u32::try_from(self.other.len()).unwrap_or(u32::MAX);
                encode(
                    ev,
                    o,
                    usize::MAX,
                    o.raw,
                    &mut self.datasets,
                    &mut self.other,
                );
                Rec::Other(start, u32::try_from(self.other.len()).unwrap_or(u32::MAX))
            }
        };
        let index = u32::try_from(self.held.len()).unwrap_or(u32::MAX);
        let shared = self.lists.len().saturating_sub(1);
        if lanes & NO_SOURCE != NO_SOURCE {
            if let Some(l) = self.lists[..shared].get_mut(usize::from(lanes & NO_SOURCE)) {
                l.push(index);
            }
        }
        if lanes & TO_SHARED != 0 {
            if let Some(l) = self.lists.get_mut(shared) {
                l.push(index);
            }
        }
        self.held.push(Held {
            lanes,
            file,
            line: o.line,
            raw,
            rec,
        });
    }

    fn text(&self, s: Span) -> Option<&str> {
        self.text.get(s.0 as usize..s.0 as usize + s.1 as usize)
    }

    /// Hand the records `list` names (indexes into `held`, from
    /// [`Batch::lists`]) to `out` with their index and lanes, in order.
    pub(super) fn each(
        &self,
        list: &[u32],
        out: &mut impl FnMut(u32, u8, &EventRef<'_>, &Origin<'_>),
    ) {
        'records: for &i in list {
            let Some(h) = self.held.get(i as usize) else {
                tracing::error!("Lane batch record out of bounds.");
                continue;
            };
            let file = self.files.get(h.file as usize).map_or("-", String::as_str);
            // Only what `push` wrote is read: a failure is a bug.
            let Some(raw) = self.text(h.raw) else {
                tracing::error!("Lane batch record out of bounds.");
                continue;
            };
            let origin = Origin {
                file,
                line: h.line,
                raw,
            };
            match h.rec {
                Rec::Web(w) => {
                    let mut texts = [""; 9];
                    for (t, s) in texts.iter_mut().zip(w.texts) {
                        let Some(text) = self.text(s) else {
                            tracing::error!("Lane batch record out of bounds.");
                            continue 'records;
                        };
                        *t = text;
                    }
                    let ev = EventRef::Web(haboob_model::WebEvent::from_texts(
                        w.ts,
                        w.source_ip,
                        w.status,
                        w.bytes,
                        texts,
                    ));
                    out(i, h.lanes, &ev, &origin);
                }
                Rec::Other(a, b) => {
                    let data = self.other.get(a as usize..b as usize).unwrap_or_default();
                    match decode(data, raw, &self.datasets) {
                        Ok((ev, _, _)) => out(i, h.lanes, &ev, &origin),
                        Err(e) => tracing::error!(error = %e, "Lane batch record undecodable."),
                    }
                }
            }
        }
    }
}
