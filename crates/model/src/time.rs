//! Timestamps: UTC milliseconds since the Unix epoch, with hand-written
//! parsers for the layouts web and sign-in logs use (allocation-free).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A UTC instant in milliseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Ts(pub i64);

/// Why a timestamp did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TsError {
    /// The text does not have the expected layout.
    Layout(&'static str),
    /// A field is out of range (month 13, hour 25, offset +99:00, …).
    Range(&'static str),
}

impl fmt::Display for TsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TsError::Layout(w) => write!(f, "bad timestamp layout: {w}"),
            TsError::Range(w) => write!(f, "timestamp field out of range: {w}"),
        }
    }
}

impl std::error::Error for TsError {}

/// Days since the epoch for a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn digits(b: &[u8], what: &'static str) -> Result<u32, TsError> {
    if b.is_empty() {
        return Err(TsError::Layout(what));
    }
    let mut v: u32 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return Err(TsError::Layout(what));
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Ok(v)
}

fn month_abbrev(b: &[u8]) -> Result<u32, TsError> {
    const M: [&[u8; 3]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    if b.len() != 3 {
        return Err(TsError::Layout("month"));
    }
    let lower = [
        b[0].to_ascii_lowercase(),
        b[1].to_ascii_lowercase(),
        b[2].to_ascii_lowercase(),
    ];
    M.iter()
        .position(|m| **m == lower)
        .map(|i| i as u32 + 1)
        .ok_or(TsError::Layout("month"))
}

impl Ts {
    /// The wall clock (0 before 1970, saturating far in the future).
    pub fn now() -> Ts {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        Ts(ms)
    }

    /// From whole seconds since the epoch.
    pub const fn from_secs(s: i64) -> Ts {
        Ts(s * 1000)
    }

    /// Whole seconds since the epoch.
    pub const fn secs(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// Build from UTC calendar fields, validating ranges.
    pub fn from_civil(
        y: i64,
        mo: u32,
        d: u32,
        h: u32,
        mi: u32,
        s: u32,
        ms: u32,
    ) -> Result<Ts, TsError> {
        if !(1..=12).contains(&mo) {
            return Err(TsError::Range("month"));
        }
        let dim = match mo {
            2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        if d == 0 || d > dim {
            return Err(TsError::Range("day"));
        }
        if h > 23 || mi > 59 || s > 60 || ms > 999 {
            return Err(TsError::Range("time of day"));
        }
        let days = days_from_civil(y, mo, d);
        let secs = days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s);
        Ok(Ts(secs * 1000 + i64::from(ms)))
    }

    /// Parse the Common Log Format time `10/Oct/2000:13:55:36 -0700`
    /// (without brackets).
    pub fn parse_clf(s: &str) -> Result<Ts, TsError> {
        let b = s.as_bytes();
        if b.len() != 26 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' || b[20] != b' ' {
            return Err(TsError::Layout("expected dd/Mon/yyyy:HH:MM:SS +zzzz"));
        }
        let d = digits(&b[0..2], "day")?;
        let mo = month_abbrev(&b[3..6])?;
        let y = digits(&b[7..11], "year")?;
        let h = digits(&b[12..14], "hour")?;
        let mi = digits(&b[15..17], "minute")?;
        let sec = digits(&b[18..20], "second")?;
        let off = parse_offset(&b[21..])?;
        let t = Ts::from_civil(i64::from(y), mo, d, h, mi, sec, 0)?;
        Ok(Ts(t.0 - off * 1000))
    }

    /// Parse RFC 3339 / ISO 8601 `2023-04-26T12:23:00.186641Z`,
    /// `2025-12-31T17:40:00+01:00`, `2024-01-01 12:00:00` (no zone = UTC).
    /// Fractions beyond milliseconds are truncated.
    pub fn parse_rfc3339(s: &str) -> Result<Ts, TsError> {
        let b = s.as_bytes();
        if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
            return Err(TsError::Layout("expected yyyy-mm-ddTHH:MM:SS"));
        }
        if b[10] != b'T' && b[10] != b't' && b[10] != b' ' {
            return Err(TsError::Layout("date/time separator"));
        }
        let y = digits(&b[0..4], "year")?;
        let mo = digits(&b[5..7], "month")?;
        let d = digits(&b[8..10], "day")?;
        let h = digits(&b[11..13], "hour")?;
        let mi = digits(&b[14..16], "minute")?;
        let sec = digits(&b[17..19], "second")?;
        let mut i = 19;
        let mut ms = 0u32;
        if i < b.len() && (b[i] == b'.' || b[i] == b',') {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                if i - start < 3 {
                    ms = ms * 10 + u32::from(b[i] - b'0');
                }
                i += 1;
            }
            if i == start {
                return Err(TsError::Layout("empty fraction"));
            }
            for _ in (i - start)..3 {
                ms *= 10;
            }
        }
        let off = match &b[i..] {
            [] | [b'Z'] | [b'z'] => 0,
            rest => parse_offset(rest)?,
        };
        let t = Ts::from_civil(i64::from(y), mo, d, h, mi, sec, ms)?;
        Ok(Ts(t.0 - off * 1000))
    }

    /// Format as RFC 3339 UTC with milliseconds: `2024-05-01T10:00:00.000Z`.
    pub fn to_rfc3339(self) -> String {
        self.to_string()
    }
}

/// Parse `+hhmm`, `-hhmm`, `+hh:mm` into seconds east of UTC.
fn parse_offset(b: &[u8]) -> Result<i64, TsError> {
    let sign = match b.first() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return Err(TsError::Layout("zone offset sign")),
    };
    let (hh, mm) = match b.len() {
        5 => (&b[1..3], &b[3..5]),
        6 if b[3] == b':' => (&b[1..3], &b[4..6]),
        _ => return Err(TsError::Layout("zone offset")),
    };
    let h = digits(hh, "zone hours")?;
    let m = digits(mm, "zone minutes")?;
    if h > 18 || m > 59 {
        return Err(TsError::Range("zone offset"));
    }
    Ok(sign * (i64::from(h) * 3600 + i64::from(m) * 60))
}

impl fmt::Display for Ts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.div_euclid(1000);
        let ms = self.0.rem_euclid(1000);
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
            sod / 3600,
            (sod / 60) % 60,
            sod % 60
        )
    }
}

/// RFC 3339 text in human-readable formats (JSON); in binary formats (the
/// CBOR of incremental hunting's checkpoints) the milliseconds as an
/// integer, so that every value, even one outside the calendar such as a
/// detector's `Ts(i64::MIN)`, round-trips exactly.
impl Serialize for Ts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(self)
        } else {
            s.serialize_i64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Ts {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let s = String::deserialize(d)?;
            Ts::parse_rfc3339(&s).map_err(serde::de::Error::custom)
        } else {
            i64::deserialize(d).map(Ts)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clf_with_offsets() {
        let a = Ts::parse_clf("10/Oct/2000:13:55:36 -0700").unwrap();
        assert_eq!(a.to_string(), "2000-10-10T20:55:36.000Z");
        let b = Ts::parse_clf("17/Oct/2023:05:57:49 +1100").unwrap();
        assert_eq!(b.to_string(), "2023-10-16T18:57:49.000Z");
        let c = Ts::parse_clf("01/Jan/2024:00:30:00 +0530").unwrap();
        assert_eq!(c.to_string(), "2023-12-31T19:00:00.000Z");
        assert!(Ts::parse_clf("10/Foo/2000:13:55:36 -0700").is_err());
        assert!(Ts::parse_clf("31/Feb/2000:13:55:36 -0700").is_err());
        assert!(Ts::parse_clf("10/Oct/2000:13:55:36").is_err());
    }

    #[test]
    fn rfc3339_variants() {
        let a = Ts::parse_rfc3339("2023-04-26T12:23:00.186641Z").unwrap();
        assert_eq!(a.to_string(), "2023-04-26T12:23:00.186Z");
        let b = Ts::parse_rfc3339("2025-12-31T17:40:00.000000100+01:00").unwrap();
        assert_eq!(b.to_string(), "2025-12-31T16:40:00.000Z");
        let c = Ts::parse_rfc3339("2024-02-29 23:59:59").unwrap();
        assert_eq!(c.to_string(), "2024-02-29T23:59:59.000Z");
        assert!(Ts::parse_rfc3339("2023-02-29T00:00:00Z").is_err());
        assert!(Ts::parse_rfc3339("2023-01-01T00:00:00+25:00").is_err());
        assert!(Ts::parse_rfc3339("yesterday").is_err());
    }

    #[test]
    fn roundtrip_civil() {
        for days in [-1000i64, -1, 0, 1, 11_016, 19_000, 20_000, 100_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
