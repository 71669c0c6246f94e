//! The value scanner of the [`Framer`]: 64-byte blocks with SIMD masks
//! inside records, byte by byte elsewhere (value starts, escapes, the last
//! bytes of the data, top-level objects that may be page wrappers).

use super::{wrapper_array, Ctx, Dest, Framed, Framer, Key, Mode, Obj};
use memchr::memchr3;
use wide::u8x16;

/// Where the byte-by-byte scanner goes next.
enum Step {
    /// Scan on from here.
    Go(usize),
    /// The value ended (or was a wrapper): the framer's mode changed.
    Leave(usize),
}

/// Byte classes of the value scanner: outside strings, everything but
/// whitespace and `"{}[]:,` is copied as is; inside strings `"`, `\\` and a
/// line feed stop the scan.
const PLAIN: u8 = 0;
const SPECIAL: u8 = 1;
const STR_END: u8 = 2;
static CLASS: [u8; 256] = {
    let mut t = [PLAIN; 256];
    let special = b"{}[]:,";
    let mut i = 0;
    while i < special.len() {
        t[special[i] as usize] = SPECIAL;
        i += 1;
    }
    // Whitespace and control characters (dropped outside strings).
    let mut c = 0;
    while c < 0x21 {
        t[c] = SPECIAL;
        c += 1;
    }
    t[b'"' as usize] = STR_END;
    t[b'\\' as usize] = STR_END;
    t[b'\n' as usize] = STR_END;
    t
};

/// Masks of one 64-byte block (bit `j` for byte `j`): double quotes, bytes
/// up to 0x20 (whitespace, control characters), brackets `{}[]` (and `Y`,
/// `y`, `_`, DEL, which are not JSON outside strings); whether the block
/// holds a backslash (rare: its place is found only then); and its line
/// feeds counted per lane (0 to 4 in each of 16 lanes, added up across
/// blocks by [`Framer::blocks`]: no mask, no bit count per block).
/// Portable SIMD (SSE2 on x86-64, NEON on aarch64).
#[inline(always)]
fn masks(b: &[u8; 64]) -> (u64, u64, u64, bool, u8x16) {
    let quote = u8x16::splat(b'"');
    let space = u8x16::splat(0x20);
    let br_or = u8x16::splat(0x26);
    let br_eq = u8x16::splat(0x7f);
    let backslash = u8x16::splat(b'\\');
    let lf = u8x16::splat(b'\n');
    let (mut q, mut ws, mut br) = (0u64, 0u64, 0u64);
    let (mut bs, mut nl) = (u8x16::splat(0), u8x16::splat(0));
    for (k, sixteen) in b.chunks_exact(16).enumerate() {
        let v = u8x16::from(<[u8; 16]>::try_from(sixteen).unwrap_or([0; 16]));
        let bits = |m: u8x16| u64::from(m.move_mask() as u16) << (16 * k);
        q |= bits(v.cmp_eq(quote));
        ws |= bits(v.max(space).cmp_eq(space));
        br |= bits((v | br_or).cmp_eq(br_eq));
        bs |= v.cmp_eq(backslash);
        // A match is 0xff: subtracting it adds one.
        nl -= v.cmp_eq(lf);
    }
    (q, ws, br, bs.any(), nl)
}

/// The sum of the 16 lanes.
#[inline]
fn lanes_sum(v: u8x16) -> u64 {
    v.to_array().iter().map(|&n| u64::from(n)).sum()
}

/// `m` without its bits below `k` (`k` up to 64).
#[inline(always)]
fn clear_below(m: u64, k: usize) -> u64 {
    if k >= 64 {
        0
    } else {
        m & (u64::MAX << k)
    }
}

/// Whether `b` can start a value (anything else between elements or members
/// is skipped as stray punctuation).
pub(super) fn starts_value(b: u8) -> bool {
    matches!(b, b'{' | b'[' | b'"') || CLASS[b as usize] == PLAIN
}

impl Framer {
    pub(super) fn value<E>(
        &mut self,
        data: &[u8],
        mut i: usize,
        sink: &mut dyn FnMut(Framed<'_>) -> Result<(), E>,
    ) -> Result<usize, E> {
        let len = data.len();
        while i < len {
            let mut stop = (i + 1).min(len);
            if !self.cand && !self.bare && !self.esc && self.depth > 0 && len - i >= 64 {
                let (j, ended, until) = self.blocks(data, i);
                i = j;
                if ended {
                    self.end_value(sink)?;
                    return Ok(i);
                }
                stop = until;
            } else if len - i < 64 {
                stop = len;
            }
            // Byte by byte: a value's first bytes, past a backslash, the last
            // bytes of the data.
            while i < stop {
                match self.step(data, i, sink)? {
                    Step::Go(j) => i = j,
                    Step::Leave(j) => return Ok(j),
                }
            }
        }
        Ok(i)
    }

    /// The block scanner, 64 bytes at a time with bit masks ([`masks`]): inside an object or array, not a top-level
    /// candidate, no pending escape. Returns the position reached, whether
    /// the value ended there, and how far the byte-by-byte scanner must go
    /// before blocks resume (past a backslash, or the last bytes).
    fn blocks(&mut self, data: &[u8], mut i: usize) -> (usize, bool, usize) {
        let mut ended = false;
        let mut stop = data.len();
        // Line feeds of whole blocks, per lane (at most 4 per block: added
        // up over fewer than 64 blocks before they are counted).
        let mut lfs = u8x16::splat(0);
        let mut lf_blocks = 0;
        while let Some(b) = data.get(i..i + 64) {
            let Ok(b) = <&[u8; 64]>::try_from(b) else {
                break;
            };
            let (quotes, ws, brackets, bs, newlines) = masks(b);
            if bs {
                // Escapes are left to the byte-by-byte scanner.
                let at = b.iter().position(|&c| c == b'\\').unwrap_or(0);
                stop = i + at + 2;
                break;
            }
            // Inside a string: from its opening quote to before its closing one.
            let mut p = quotes;
            for shift in [1, 2, 4, 8, 16, 32] {
                p ^= p << shift;
            }
            let in_str = if self.in_str { !p } else { p };
            let mut structural = brackets & !in_str;
            let mut limit = 64;
            while structural != 0 {
                let k = structural.trailing_zeros() as usize;
                match b[k] {
                    b'{' | b'[' => self.depth += 1,
                    b'}' | b']' => {
                        self.depth -= 1;
                        if self.depth == 0 {
                            limit = k + 1;
                            ended = true;
                            break;
                        }
                    }
                    _ => {}
                }
                structural &= structural - 1;
            }
            let keep = if limit == 64 {
                u64::MAX
            } else {
                (1u64 << limit) - 1
            };
            if ended {
                self.line += b[..limit].iter().filter(|&&c| c == b'\n').count() as u64;
            } else {
                lfs += newlines;
                lf_blocks += 1;
                if lf_blocks == 63 {
                    self.line += lanes_sum(lfs);
                    (lfs, lf_blocks) = (u8x16::splat(0), 0);
                }
            }
            // Copy the block but whitespace outside strings.
            self.copy_kept(data, i, keep & !(ws & !in_str));
            if ended {
                i += limit;
                self.in_str = false;
                break;
            }
            self.in_str = in_str >> 63 != 0;
            i += 64;
        }
        self.line += lanes_sum(lfs);
        (i, ended, stop.min(data.len()))
    }

    /// Append the bytes of the block `data[i..i + 64]` whose bit is set in
    /// `kept`. Each run is copied as 32 bytes (64 for the longer ones) into
    /// the gathering buffer's slack, whatever its length: no call and no
    /// length-dependent loop per run (pretty-printed JSON has a few runs
    /// per block), read from `data` itself while 128 bytes from the block
    /// are there (a copy of the block would stall the loads that straddle
    /// its stores); near the size limit, through [`Framer::push`], which
    /// marks the record over-long.
    #[inline]
    fn copy_kept(&mut self, data: &[u8], i: usize, kept: u64) {
        if self.dest == Dest::Discard || self.over || kept == 0 {
            return;
        }
        if self.rec.len() + 64 > self.max {
            let mut m = kept;
            while m != 0 {
                let from = m.trailing_zeros() as usize;
                let n = (m >> from).trailing_ones() as usize;
                self.push(&data[i + from..i + from + n]);
                m = clear_below(m, from + n);
            }
            return;
        }
        let mut tail = [0u8; 128];
        let src: &[u8; 128] = match data.get(i..i + 128).and_then(|s| s.try_into().ok()) {
            Some(s) => s,
            None => {
                let end = data.len().min(i + 128);
                tail[..end - i].copy_from_slice(&data[i..end]);
                &tail
            }
        };
        let dst = self.rec.room();
        let mut pos = 0;
        let mut m = kept;
        while m != 0 {
            // The lowest run of set bits: `from..end`; adding its lowest bit
            // carries through it (to 0 when it reaches bit 63).
            let from = m.trailing_zeros() as usize;
            let past = m.wrapping_add(m & m.wrapping_neg());
            let end = past.trailing_zeros() as usize;
            let (Some(to), Some(run)) = (dst.get_mut(pos..pos + 64), src.get(from..from + 64))
            else {
                break; // not reached: pos + 64 <= 128 and from < 64
            };
            to[..32].copy_from_slice(&run[..32]);
            if end - from > 32 {
                to[32..].copy_from_slice(&run[32..]);
            }
            pos += end - from;
            m &= past;
        }
        self.rec.advance(pos);
    }

    /// One step of the byte-by-byte scanner from `i`.
    fn step<E>(
        &mut self,
        data: &[u8],
        mut i: usize,
        sink: &mut dyn FnMut(Framed<'_>) -> Result<(), E>,
    ) -> Result<Step, E> {
        let len = data.len();
        {
            if self.in_str {
                if self.esc {
                    self.esc = false;
                    if data[i] == b'\n' {
                        self.line += 1;
                    }
                    self.push(&data[i..=i]);
                    i += 1;
                    return Ok(Step::Go(i));
                }
                // Most strings are short: look at a few bytes before memchr.
                let short = (i + 24).min(len);
                let at = match data[i..short]
                    .iter()
                    .position(|b| CLASS[*b as usize] == STR_END)
                {
                    Some(off) => i + off,
                    None => match memchr3(b'"', b'\\', b'\n', &data[short..]) {
                        Some(off) => short + off,
                        None => {
                            self.push(&data[i..]);
                            return Ok(Step::Go(len));
                        }
                    },
                };
                self.push(&data[i..=at]);
                i = at + 1;
                match data[at] {
                    b'\\' => self.esc = true,
                    b'\n' => self.line += 1,
                    _ => {
                        self.in_str = false;
                        if self.string_closed(sink)? {
                            return Ok(Step::Leave(i));
                        }
                    }
                }
                return Ok(Step::Go(i));
            }
            // A run of bytes copied as they are (numbers, literals).
            let start = i;
            while i < len && CLASS[data[i] as usize] == PLAIN {
                i += 1;
            }
            if i > start {
                self.push(&data[start..i]);
                if self.cand && self.depth == 1 && self.key == Key::Value {
                    self.key = Key::After;
                }
                if i == len {
                    return Ok(Step::Go(i));
                }
            }
            let b = data[i];
            if self.bare {
                // A bare token (number, literal) ends at a delimiter.
                self.end_value(sink)?;
                return Ok(Step::Leave(i));
            }
            i += 1;
            match b {
                b'\n' => self.line += 1,
                0..=0x20 => {
                    while i < len && data[i] == b' ' {
                        i += 1;
                    }
                }
                b'"' => {
                    if self.cand && self.depth == 1 && self.key == Key::Expect && !self.over {
                        self.key = Key::In;
                        self.key_at.0 = self.rec.len() + 1;
                    }
                    self.push(b"\"");
                    self.in_str = true;
                }
                b'{' | b'[' => {
                    if self.cand && self.depth == 1 && self.key == Key::Value {
                        self.key = Key::After;
                        let (s, e) = self.key_at;
                        let arr = (b == b'[' && !self.over)
                            .then(|| self.rec.as_slice().get(s..e).and_then(wrapper_array))
                            .flatten();
                        if let Some(arr) = arr {
                            // A page wrapper: its records are the array's elements.
                            self.rec.clear();
                            self.cand = false;
                            self.stack.push(Ctx::Obj(Obj::Wrapper));
                            self.stack.push(Ctx::Arr(arr));
                            self.mode = Mode::Between;
                            return Ok(Step::Leave(i));
                        }
                    }
                    self.push(&[b]);
                    self.depth += 1;
                }
                b'}' | b']' => {
                    self.push(&[b]);
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        self.end_value(sink)?;
                        return Ok(Step::Leave(i));
                    }
                }
                b':' => {
                    self.push(b":");
                    if self.cand && self.depth == 1 && self.key == Key::Colon {
                        self.key = Key::Value;
                    }
                }
                b',' => {
                    self.push(b",");
                    if self.cand && self.depth == 1 {
                        self.key = Key::Expect;
                    }
                }
                // `\\` outside a string: not JSON, left to the parser.
                _ => self.push(&[b]),
            }
        }
        Ok(Step::Go(i))
    }

    /// A string ended inside the value; true when that ended the value.
    fn string_closed<E>(
        &mut self,
        sink: &mut dyn FnMut(Framed<'_>) -> Result<(), E>,
    ) -> Result<bool, E> {
        if self.depth == 0 {
            self.end_value(sink)?;
            return Ok(true);
        }
        if self.cand && self.depth == 1 {
            match self.key {
                Key::In => {
                    self.key = Key::Colon;
                    self.key_at.1 = self.rec.len().saturating_sub(1);
                }
                Key::Value => self.key = Key::After,
                _ => {}
            }
        }
        Ok(false)
    }
}

/// The record being gathered: its bytes, and at least [`Gather::SLACK`]
/// bytes of room past them that the block copy writes in whole runs
/// (whatever lies past the record's length is never read).
#[derive(Debug, Default)]
pub(super) struct Gather {
    buf: Vec<u8>,
    len: usize,
}

impl Gather {
    /// Room the block copy needs past the record's end.
    const SLACK: usize = 128;

    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    pub(super) fn clear(&mut self) {
        self.len = 0;
    }

    pub(super) fn extend(&mut self, s: &[u8]) {
        let end = self.len + s.len();
        if self.buf.len() < end {
            self.grow(end);
        }
        self.buf[self.len..end].copy_from_slice(s);
        self.len = end;
    }

    /// At least [`Gather::SLACK`] bytes past the record's end.
    #[inline]
    fn room(&mut self) -> &mut [u8] {
        let end = self.len + Self::SLACK;
        if self.buf.len() < end {
            self.grow(end);
        }
        &mut self.buf[self.len..]
    }

    /// Keep `n` bytes written into [`Gather::room`].
    #[inline]
    fn advance(&mut self, n: usize) {
        self.len = (self.len + n).min(self.buf.len());
    }

    #[cold]
    fn grow(&mut self, end: usize) {
        self.buf.resize(end.max(2 * self.buf.len()).max(4096), 0);
    }
}
