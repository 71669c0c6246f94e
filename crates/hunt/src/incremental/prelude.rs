//! Header lines replayed before a resumed read: the CSV header of sign-in
//! exports, the last IIS `#Fields:` directive, the last of each Zeek header
//! directive. They are kept in the file's record ([`FilePos::prelude`]) and
//! are not counted again.

use super::position::{read_up_to, FilePos};
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};

/// Longest header line kept for replay.
const MAX_PRELUDE: usize = 64 * 1024;

/// A format whose records need a header line replayed when resumed.
fn needs_prelude(format: &str) -> Option<Prelude> {
    match format {
        "iis" => Some(Prelude::LastFields),
        "zeek" => Some(Prelude::ZeekHeader),
        f if f.ends_with("-csv") => Some(Prelude::FirstLine),
        _ => None,
    }
}

enum Prelude {
    /// The first line of the file (a CSV header).
    FirstLine,
    /// The last `#Fields:` directive read (IIS/W3C).
    LastFields,
    /// The last of each Zeek header directive a parser keeps
    /// ([`ZEEK_DIRECTIVES`]), in that order, one per line.
    ZeekHeader,
}

/// The Zeek header directives that set how data lines read, in the order
/// they are replayed (`#separator` first: the others are split by it).
const ZEEK_DIRECTIVES: [&[u8]; 6] = [
    b"#separator",
    b"#set_separator",
    b"#empty_field",
    b"#unset_field",
    b"#path",
    b"#fields",
];

/// Keep the header line the file's format needs replayed on resume.
pub(super) fn update_prelude(
    rec: &mut FilePos,
    f: &mut File,
    from: u64,
    to: u64,
) -> io::Result<()> {
    let Some(kind) = rec.format.as_deref().and_then(needs_prelude) else {
        return Ok(());
    };
    match kind {
        Prelude::FirstLine => {
            if rec.prelude.is_none() {
                f.seek(SeekFrom::Start(0))?;
                let head = read_up_to(f, MAX_PRELUDE)?;
                if let Some(i) = head.iter().position(|&b| b == b'\n') {
                    let line = head[..i].strip_suffix(b"\r").unwrap_or(&head[..i]);
                    rec.prelude = Some(line.to_vec());
                }
            }
        }
        Prelude::LastFields => {
            // Directives are rare; scan the new part for the last one.
            scan_lines(f, from, to, |l| {
                if l.starts_with(b"#Fields:") {
                    rec.prelude = Some(l.to_vec());
                }
            })?;
        }
        Prelude::ZeekHeader => {
            // As for IIS: scan the new part for directives; each replaces
            // the one of its name kept so far.
            let mut kept: [Option<Vec<u8>>; 6] = Default::default();
            for l in rec.prelude.iter().flat_map(|p| p.split(|&b| b == b'\n')) {
                zeek_directive(l, &mut kept);
            }
            scan_lines(f, from, to, |l| {
                if l.first() == Some(&b'#') {
                    zeek_directive(l, &mut kept);
                }
            })?;
            let lines: Vec<Vec<u8>> = kept.into_iter().flatten().collect();
            if !lines.is_empty() {
                rec.prelude = Some(lines.join(&b'\n'));
            }
        }
    }
    Ok(())
}

/// Call `each` with every line of `[from, to)` of `f` of at most
/// [`MAX_PRELUDE`] bytes, without its `\n` or `\r\n`.
fn scan_lines(f: &mut File, from: u64, to: u64, mut each: impl FnMut(&[u8])) -> io::Result<()> {
    f.seek(SeekFrom::Start(from))?;
    let mut r = BufReader::with_capacity(64 * 1024, f.take(to - from));
    let mut line = Vec::new();
    loop {
        line.clear();
        if std::io::BufRead::read_until(&mut r, b'\n', &mut line)? == 0 {
            return Ok(());
        }
        if line.len() <= MAX_PRELUDE {
            let l = line.strip_suffix(b"\n").unwrap_or(&line);
            each(l.strip_suffix(b"\r").unwrap_or(l));
        }
    }
}

/// Keep `line` in `kept` when it is one of [`ZEEK_DIRECTIVES`] (the name
/// followed by a tab, or a space for `#separator`).
fn zeek_directive(line: &[u8], kept: &mut [Option<Vec<u8>>; 6]) {
    for (slot, name) in kept.iter_mut().zip(ZEEK_DIRECTIVES) {
        if line.starts_with(name) && matches!(line.get(name.len()), Some(b'\t' | b' ')) {
            *slot = Some(line.to_vec());
        }
    }
}
