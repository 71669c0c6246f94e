//! CSV framing for line parsers: a CSV record may span several lines (quoted
//! fields with line breaks, as Log Analytics exports JSON columns), so lines
//! are gathered until the quotes balance, then parsed as one record.

use haboob_model::{RecordError, Ts};

/// Largest record gathered across lines before it is rejected.
pub(crate) const MAX_RECORD: usize = 1 << 20;

/// Gathers lines into complete CSV records.
#[derive(Debug, Default)]
pub(crate) struct CsvRecords {
    pending: String,
    open: bool,
    rec: csv::StringRecord,
}

/// What one more line made.
pub(crate) enum Feed<'r> {
    /// Inside a quoted field: the record goes on on the next line.
    Partial,
    /// A complete record.
    Record(&'r csv::StringRecord),
}

impl CsvRecords {
    /// Add one line (without terminator).
    pub(crate) fn feed(&mut self, line: &str) -> Result<Feed<'_>, RecordError> {
        let quotes = memchr::memchr_iter(b'"', line.as_bytes()).count();
        let was_open = self.open;
        if quotes % 2 == 1 {
            self.open = !self.open;
        }
        if was_open {
            if self.pending.len() + line.len() > MAX_RECORD {
                self.reset();
                return Err(RecordError::fixed("CSV record longer than 1 MiB"));
            }
            self.pending.push('\n');
            self.pending.push_str(line);
        } else {
            self.pending.clear();
            self.pending.push_str(line);
        }
        if self.open {
            return Ok(Feed::Partial);
        }
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(self.pending.as_bytes());
        match rdr.read_record(&mut self.rec) {
            Ok(true) => Ok(Feed::Record(&self.rec)),
            Ok(false) => Err(RecordError::fixed("empty CSV record")),
            Err(_) => Err(RecordError::fixed("bad CSV record")),
        }
    }

    /// Drop a partial record (after an error).
    pub(crate) fn reset(&mut self) {
        self.pending.clear();
        self.open = false;
    }
}

/// Split a header line into column names (BOM stripped).
pub(crate) fn header_names(line: &str) -> Result<Vec<String>, RecordError> {
    let line = line.trim_start_matches('\u{feff}');
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line.as_bytes());
    let mut rec = csv::StringRecord::new();
    match rdr.read_record(&mut rec) {
        Ok(true) => Ok(rec.iter().map(|s| s.trim().to_owned()).collect()),
        _ => Err(RecordError::fixed("bad CSV header")),
    }
}

/// Index of the first column named one of `names` (exact match).
pub(crate) fn col(header: &[String], names: &[&str]) -> Option<usize> {
    names
        .iter()
        .find_map(|n| header.iter().position(|h| h == n))
}

/// A field of a record by optional column index; empty when absent.
pub(crate) fn get(rec: &csv::StringRecord, i: Option<usize>) -> &str {
    i.and_then(|i| rec.get(i)).unwrap_or("")
}

/// Parse a Log Analytics / Purview export time: ISO 8601, or US
/// `4/28/2021, 2:08:45.221 PM` (comma optional, fraction optional).
pub(crate) fn export_time(s: &str) -> Result<Ts, RecordError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(RecordError::fixed("missing time"));
    }
    if s.as_bytes().get(4) == Some(&b'-') {
        return Ts::parse_rfc3339(s).map_err(|e| RecordError::new(format!("bad time: {e}")));
    }
    us_time(s).ok_or(RecordError::fixed(
        "bad time: expected M/D/YYYY, h:mm:ss AM",
    ))
}

fn us_time(s: &str) -> Option<Ts> {
    let (date, rest) = s.split_once(' ')?;
    let date = date.trim_end_matches(',');
    let mut d = date.split('/');
    let mo: u32 = d.next()?.parse().ok()?;
    let day: u32 = d.next()?.parse().ok()?;
    let y: i64 = d.next()?.parse().ok()?;
    if d.next().is_some() || !(1000..=9999).contains(&y) {
        return None;
    }
    let rest = rest.trim();
    let (clock, ampm) = match rest.rsplit_once(' ') {
        Some((c, a)) => (c, Some(a)),
        None => (rest, None),
    };
    let mut c = clock.split(':');
    let mut h: u32 = c.next()?.parse().ok()?;
    let mi: u32 = c.next()?.parse().ok()?;
    let sec_part = c.next()?;
    if c.next().is_some() {
        return None;
    }
    let (sec, frac) = sec_part.split_once('.').unwrap_or((sec_part, ""));
    let sec: u32 = sec.parse().ok()?;
    let mut ms = 0u32;
    for (i, ch) in frac.bytes().enumerate() {
        if !ch.is_ascii_digit() {
            return None;
        }
        if i < 3 {
            ms = ms * 10 + u32::from(ch - b'0');
        }
    }
    for _ in frac.len().min(3)..3 {
        ms *= 10;
    }
    match ampm {
        Some(a) if a.eq_ignore_ascii_case("AM") => {
            if h == 0 || h > 12 {
                return None;
            }
            if h == 12 {
                h = 0;
            }
        }
        Some(a) if a.eq_ignore_ascii_case("PM") => {
            if h == 0 || h > 12 {
                return None;
            }
            if h != 12 {
                h += 12;
            }
        }
        Some(_) => return None,
        None => {}
    }
    Ts::from_civil(y, mo, day, h, mi, sec, ms).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn us_times() {
        let t = export_time("4/28/2021, 2:08:45.221 PM").unwrap();
        assert_eq!(t.to_string(), "2021-04-28T14:08:45.221Z");
        let t = export_time("12/1/2021 12:00:01 AM").unwrap();
        assert_eq!(t.to_string(), "2021-12-01T00:00:01.000Z");
        let t = export_time("2021-04-28T14:08:45Z").unwrap();
        assert_eq!(t.to_string(), "2021-04-28T14:08:45.000Z");
        assert!(export_time("13/28/2021, 2:08:45 PM").is_err());
        assert!(export_time("4/28/2021, 13:08:45 PM").is_err());
        assert_eq!(export_time("").unwrap_err().reason, "missing time");
    }

    #[test]
    fn multi_line_records() {
        let mut r = CsvRecords::default();
        assert!(matches!(r.feed("a,\"x").unwrap(), Feed::Partial));
        assert!(matches!(r.feed("y\"\"z").unwrap(), Feed::Partial));
        match r.feed("w\",b").unwrap() {
            Feed::Record(rec) => {
                assert_eq!(rec.get(0), Some("a"));
                assert_eq!(rec.get(1), Some("x\ny\"z\nw"));
                assert_eq!(rec.get(2), Some("b"));
            }
            Feed::Partial => panic!("record should be complete"),
        }
        match r.feed("1,2").unwrap() {
            Feed::Record(rec) => assert_eq!(rec.len(), 2),
            Feed::Partial => panic!("record should be complete"),
        }
    }
}
