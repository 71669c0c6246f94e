//! Calendar arithmetic and the timestamp layouts the simulator writes
//! (CLF, ISO 8601 with offset, IIS W3C), allocation-free into a byte buffer.

/// Milliseconds in one second.
pub(crate) const MS: i64 = 1000;
/// Seconds in one day.
pub(crate) const DAY: i64 = 86_400;
/// 2026-09-01T00:00:00Z, the start of every simulated period, in seconds.
pub(crate) const PERIOD_START: i64 = 1_788_220_800;

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// A fixed time-zone rule for local timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Zone {
    /// UTC, `+0000`.
    Utc,
    /// US Eastern: EST (-0500) / EDT (-0400) with the US daylight-saving rule
    /// (second Sunday of March to first Sunday of November, 02:00 local).
    UsEastern,
}

/// (year, month 1–12, day 1–31) for days since the epoch.
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Days since the epoch of a civil date.
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since the epoch of the `n`-th (1-based) Sunday of a month.
fn nth_sunday(y: i64, m: u32, n: i64) -> i64 {
    let first = days_from_civil(y, m, 1);
    // 1970-01-01 was a Thursday: weekday 0 = Sunday.
    let wd = (first + 4).rem_euclid(7);
    first + (7 - wd) % 7 + 7 * (n - 1)
}

impl Zone {
    /// Offset east of UTC in seconds at the UTC instant `secs`.
    pub(crate) fn offset(self, secs: i64) -> i64 {
        match self {
            Zone::Utc => 0,
            Zone::UsEastern => {
                let (y, _, _) = civil_from_days(secs.div_euclid(DAY));
                // 02:00 EST = 07:00 UTC; 02:00 EDT = 06:00 UTC.
                let start = nth_sunday(y, 3, 2) * DAY + 7 * 3600;
                let end = nth_sunday(y, 11, 1) * DAY + 6 * 3600;
                if (start..end).contains(&secs) {
                    -4 * 3600
                } else {
                    -5 * 3600
                }
            }
        }
    }
}

fn push2(out: &mut Vec<u8>, v: i64) {
    out.push(b'0' + (v / 10 % 10) as u8);
    out.push(b'0' + (v % 10) as u8);
}

fn push4(out: &mut Vec<u8>, v: i64) {
    push2(out, v / 100);
    push2(out, v % 100);
}

/// Local calendar fields for `secs` in a zone: (y, m, d, sec-of-day, offset).
fn local(secs: i64, zone: Zone) -> (i64, u32, u32, i64, i64) {
    let off = zone.offset(secs);
    let l = secs + off;
    let (y, m, d) = civil_from_days(l.div_euclid(DAY));
    (y, m, d, l.rem_euclid(DAY), off)
}

fn push_hms(out: &mut Vec<u8>, sod: i64, sep: u8) {
    push2(out, sod / 3600);
    out.push(sep);
    push2(out, sod / 60 % 60);
    out.push(sep);
    push2(out, sod % 60);
}

fn push_offset(out: &mut Vec<u8>, off: i64, colon: bool) {
    out.push(if off < 0 { b'-' } else { b'+' });
    let a = off.abs();
    push2(out, a / 3600);
    if colon {
        out.push(b':');
    }
    push2(out, a / 60 % 60);
}

/// Append the Common Log Format time `01/Sep/2026:00:00:00 -0400`.
pub(crate) fn push_clf(out: &mut Vec<u8>, secs: i64, zone: Zone) {
    let (y, m, d, sod, off) = local(secs, zone);
    push2(out, i64::from(d));
    out.push(b'/');
    out.extend_from_slice(MONTHS[m as usize - 1]);
    out.push(b'/');
    push4(out, y);
    out.push(b':');
    push_hms(out, sod, b':');
    out.push(b' ');
    push_offset(out, off, false);
}

/// Append ISO 8601 local time with offset, as nginx's `$time_iso8601`:
/// `2026-09-01T00:00:00+00:00`.
pub(crate) fn push_iso(out: &mut Vec<u8>, secs: i64, zone: Zone) {
    let (y, m, d, sod, off) = local(secs, zone);
    push4(out, y);
    out.push(b'-');
    push2(out, i64::from(m));
    out.push(b'-');
    push2(out, i64::from(d));
    out.push(b'T');
    push_hms(out, sod, b':');
    push_offset(out, off, true);
}

/// Append the IIS W3C `date time` pair in UTC: `2026-09-01 00:00:00`.
pub(crate) fn push_w3c(out: &mut Vec<u8>, secs: i64) {
    let (y, m, d, sod, _) = local(secs, Zone::Utc);
    push4(out, y);
    out.push(b'-');
    push2(out, i64::from(m));
    out.push(b'-');
    push2(out, i64::from(d));
    out.push(b' ');
    push_hms(out, sod, b':');
}

/// `(yy, mm)` of a UTC instant, for IIS monthly file names (`u_exYYMM.log`).
pub(crate) fn year_month(secs: i64) -> (i64, u32) {
    let (y, m, _) = civil_from_days(secs.div_euclid(DAY));
    (y % 100, m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use haboob_model::Ts;

    fn s(f: impl Fn(&mut Vec<u8>)) -> String {
        let mut v = Vec::new();
        f(&mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn period_start_is_september_first() {
        assert_eq!(
            Ts::from_secs(PERIOD_START).to_string(),
            "2026-09-01T00:00:00.000Z"
        );
    }

    #[test]
    fn clf_round_trips_through_model_parser_across_dst_end() {
        // 2026-11-01 is the first Sunday of November: EDT ends at 06:00 UTC.
        let before = Ts::parse_rfc3339("2026-11-01T05:59:59Z").unwrap().secs();
        let after = before + 1;
        let a = s(|v| push_clf(v, before, Zone::UsEastern));
        let b = s(|v| push_clf(v, after, Zone::UsEastern));
        assert_eq!(a, "01/Nov/2026:01:59:59 -0400");
        assert_eq!(b, "01/Nov/2026:01:00:00 -0500");
        assert_eq!(Ts::parse_clf(&a).unwrap().secs(), before);
        assert_eq!(Ts::parse_clf(&b).unwrap().secs(), after);
        // DST start 2027-03-14 07:00 UTC.
        let t = Ts::parse_rfc3339("2027-03-14T07:00:00Z").unwrap().secs();
        assert_eq!(
            s(|v| push_clf(v, t - 1, Zone::UsEastern)),
            "14/Mar/2027:01:59:59 -0500"
        );
        assert_eq!(
            s(|v| push_clf(v, t, Zone::UsEastern)),
            "14/Mar/2027:03:00:00 -0400"
        );
    }

    #[test]
    fn iso_and_w3c_layouts() {
        let t = PERIOD_START + 3661;
        let iso = s(|v| push_iso(v, t, Zone::Utc));
        assert_eq!(iso, "2026-09-01T01:01:01+00:00");
        assert_eq!(Ts::parse_rfc3339(&iso).unwrap().secs(), t);
        let iso_e = s(|v| push_iso(v, t, Zone::UsEastern));
        assert_eq!(iso_e, "2026-08-31T21:01:01-04:00");
        assert_eq!(Ts::parse_rfc3339(&iso_e).unwrap().secs(), t);
        assert_eq!(s(|v| push_w3c(v, t)), "2026-09-01 01:01:01");
        assert_eq!(year_month(t), (26, 9));
    }
}
