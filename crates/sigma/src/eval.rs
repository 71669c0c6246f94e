//! A compiled rule's program and its evaluation against a [`FieldView`].
//!
//! Fields are read lazily: an item reads its field only when the condition
//! reaches it (`and`/`or` short-circuit), and nothing is allocated per event
//! except where a view itself builds a value (numbers are formatted into a
//! stack buffer).

use crate::pattern::Pattern;
use haboob_model::{FieldView, Value};
use std::net::IpAddr;

/// The boolean program of a condition over the rule's selections.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Sel(usize),
    Not(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
}

/// A search identifier's body.
#[derive(Debug, Clone)]
pub(crate) enum Sel {
    /// A map: every item holds.
    All(Vec<Item>),
    /// A list of maps (or keyword lists): one holds.
    Any(Vec<Sel>),
    /// Parts that must all hold (a map mixing keyword and field entries).
    And(Vec<Sel>),
    /// Keywords: searched in every field value; one (or, with `all`, each)
    /// must be found. Each rule value is a group of alternatives (its
    /// encodings or placeholder values), one of which must be found.
    Keywords { all: bool, pats: Vec<Vec<Pattern>> },
}

/// One `field|modifiers: values` entry.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    /// View names to read, the first present wins (renames of the mapping).
    pub(crate) names: Vec<String>,
    pub(crate) test: Test,
}

#[derive(Debug, Clone)]
pub(crate) enum Test {
    /// `|exists: true/false`.
    Exists(bool),
    /// Values: one (or with `all`, each) matches; `neq` negates.
    Values { all: bool, neq: bool, ms: Vec<M> },
}

/// Comparison of `gt`/`gte`/`lt`/`lte`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Gt,
    Gte,
    Lt,
    Lte,
    Eq,
}

impl Op {
    fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Op::Gt => a > b,
            Op::Gte => a >= b,
            Op::Lt => a < b,
            Op::Lte => a <= b,
            Op::Eq => a == b,
        }
    }
}

/// Where `fieldref` expects the other field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pos {
    Exact,
    Prefix,
    Suffix,
    Contains,
}

/// A date part for the time modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

/// One value's matcher.
#[derive(Debug, Clone)]
pub(crate) enum M {
    /// A string pattern (numbers compare by their decimal text).
    Str(Pattern),
    /// `null`: absent or empty.
    Null,
    /// `|re`.
    Re(regex::Regex),
    /// `|cidr`: network address and prefix length, as IPv6 bits.
    Cidr(u128, u32),
    /// `|gt` … and numbers compared as numbers.
    Cmp(Op, f64),
    /// `|fieldref`: the other field's value.
    FieldRef {
        names: Vec<String>,
        pos: Pos,
        cased: bool,
    },
    /// `|minute` … of a date field, compared with `op`.
    Time(Unit, Op, f64),
    /// One rule value that became several (`base64offset`, `expand`): any.
    AnyOf(Vec<M>),
}

/// Text of a value: strings as they are, integers formatted into `buf`.
fn text<'b>(v: &'b Value<'_>, buf: &'b mut [u8; 20]) -> Option<&'b [u8]> {
    match v {
        Value::Str(s) => Some(s.as_bytes()),
        Value::Int(n) => Some(haboob_model::decimal(*n, buf)),
        Value::Null => None,
    }
}

fn number(v: &Value<'_>) -> Option<f64> {
    match v {
        Value::Int(n) => Some(*n as f64),
        Value::Str(s) => {
            let t = s.trim();
            t.parse::<f64>().ok().or_else(|| {
                let h = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X"))?;
                i64::from_str_radix(h, 16).ok().map(|n| n as f64)
            })
        }
        Value::Null => None,
    }
}

fn ip_bits(s: &str) -> Option<u128> {
    let ip: IpAddr = s.trim().parse().ok()?;
    Some(match ip {
        IpAddr::V4(a) => u128::from(a.to_ipv6_mapped()),
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => u128::from(v4.to_ipv6_mapped()),
            None => u128::from(a),
        },
    })
}

/// Parses `a.b.c.d/n` or `v6/n` into (network bits, prefix length on 128).
pub(crate) fn parse_cidr(s: &str) -> Option<(u128, u32)> {
    let (addr, len) = s.trim().split_once('/').unwrap_or((s.trim(), ""));
    let ip: IpAddr = addr.parse().ok()?;
    let (bits, max, off) = match ip {
        IpAddr::V4(a) => (u128::from(a.to_ipv6_mapped()), 32, 96),
        IpAddr::V6(a) => (u128::from(a), 128, 0),
    };
    let len: u32 = if len.is_empty() {
        max
    } else {
        len.parse().ok()?
    };
    if len > max {
        return None;
    }
    let plen = len + off;
    let mask = if plen == 0 {
        0
    } else {
        u128::MAX << (128 - plen)
    };
    Some((bits & mask, plen))
}

/// Parses the date part of `YYYY-MM-DD[T ]HH:MM…`.
fn date_part(s: &str, unit: Unit) -> Option<f64> {
    let b = s.trim().as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        std::str::from_utf8(b.get(r)?).ok()?.parse().ok()
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let v = match unit {
        Unit::Year => y,
        Unit::Month => mo,
        Unit::Day => d,
        Unit::Hour => num(11..13)?,
        Unit::Minute => num(14..16)?,
        Unit::Week => iso_week(y, mo, d)?,
    };
    Some(v as f64)
}

/// Days since 1970-01-01 of a civil date.
fn days(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// ISO 8601 week number.
fn iso_week(y: i64, m: i64, d: i64) -> Option<i64> {
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let n = days(y, m, d);
    let wd = (n + 3).rem_euclid(7); // Monday = 0
    let thursday = n - wd + 3;
    // Year of that Thursday: find via its Jan 1st.
    let mut ty = y;
    if thursday < days(ty, 1, 1) {
        ty -= 1;
    } else if thursday >= days(ty + 1, 1, 1) {
        ty += 1;
    }
    Some((thursday - days(ty, 1, 1)) / 7 + 1)
}

fn get<'e>(ev: &'e dyn FieldView, names: &[String]) -> Option<Value<'e>> {
    names.iter().find_map(|n| ev.field(n))
}

impl M {
    fn matches(&self, v: Option<&Value<'_>>, ev: &dyn FieldView) -> bool {
        let mut buf = [0u8; 20];
        match self {
            M::Null => matches!(v, None | Some(Value::Null)),
            M::AnyOf(ms) => ms.iter().any(|m| m.matches(v, ev)),
            _ if v.is_none() => false,
            M::Str(p) => match v.and_then(|v| text(v, &mut buf)) {
                Some(t) => p.is_match(t),
                None => p.is_empty_exact(),
            },
            M::Re(re) => v
                .and_then(|v| text(v, &mut buf))
                .and_then(|t| std::str::from_utf8(t).ok())
                .is_some_and(|t| re.is_match(t)),
            M::Cidr(net, len) => v
                .and_then(|v| text(v, &mut buf))
                .and_then(|t| std::str::from_utf8(t).ok())
                .and_then(ip_bits)
                .is_some_and(|ip| {
                    let mask = if *len == 0 {
                        0
                    } else {
                        u128::MAX << (128 - len)
                    };
                    ip & mask == *net
                }),
            M::Cmp(op, n) => v.and_then(number).is_some_and(|x| op.holds(x, *n)),
            M::Time(unit, op, n) => v
                .and_then(|v| text(v, &mut buf))
                .and_then(|t| std::str::from_utf8(t).ok())
                .and_then(|t| date_part(t, *unit))
                .is_some_and(|x| op.holds(x, *n)),
            M::FieldRef { names, pos, cased } => {
                let Some(a) = v.and_then(|v| text(v, &mut buf)) else {
                    return false;
                };
                let other = get(ev, names);
                let mut buf2 = [0u8; 20];
                let Some(b) = other.as_ref().and_then(|o| text(o, &mut buf2)) else {
                    return false;
                };
                let eq = |x: &[u8], y: &[u8]| {
                    if *cased {
                        x == y
                    } else {
                        x.eq_ignore_ascii_case(y)
                    }
                };
                match pos {
                    Pos::Exact => eq(a, b),
                    Pos::Prefix => a.len() >= b.len() && eq(&a[..b.len()], b),
                    Pos::Suffix => a.len() >= b.len() && eq(&a[a.len() - b.len()..], b),
                    Pos::Contains => b.is_empty() || a.windows(b.len()).any(|w| eq(w, b)),
                }
            }
        }
    }
}

impl Item {
    pub(crate) fn eval(&self, ev: &dyn FieldView) -> bool {
        let v = get(ev, &self.names);
        match &self.test {
            Test::Exists(want) => v.is_some() == *want,
            Test::Values { all, neq, ms } => {
                let hit = if *all {
                    ms.iter().all(|m| m.matches(v.as_ref(), ev))
                } else {
                    ms.iter().any(|m| m.matches(v.as_ref(), ev))
                };
                if *neq {
                    v.is_some() && !hit
                } else {
                    hit
                }
            }
        }
    }
}

/// Whether every group (`all`) or some group of keyword patterns is found
/// in the event's field values: one walk over the fields for all of them.
fn keywords(ev: &dyn FieldView, all: bool, groups: &[Vec<Pattern>]) -> bool {
    let found_in = |v: &Value<'_>, g: &[Pattern]| {
        let mut buf = [0u8; 20];
        text(v, &mut buf).is_some_and(|t| g.iter().any(|p| p.is_match(t)))
    };
    if !all {
        let mut done = false;
        ev.for_each_field(&mut |_, v| {
            done = done || groups.iter().any(|g| found_in(&v, g));
        });
        return done;
    }
    let mut found = vec![false; groups.len()];
    let mut left = groups.len();
    ev.for_each_field(&mut |_, v| {
        for (i, g) in groups.iter().enumerate() {
            if left > 0 && !found[i] && found_in(&v, g) {
                found[i] = true;
                left -= 1;
            }
        }
    });
    left == 0
}

impl Sel {
    pub(crate) fn eval(&self, ev: &dyn FieldView) -> bool {
        match self {
            Sel::All(items) => items.iter().all(|i| i.eval(ev)),
            Sel::Any(sels) => sels.iter().any(|s| s.eval(ev)),
            Sel::And(sels) => sels.iter().all(|s| s.eval(ev)),
            Sel::Keywords { all, pats } => keywords(ev, *all, pats),
        }
    }
}

impl Node {
    pub(crate) fn eval(&self, sels: &[Sel], ev: &dyn FieldView) -> bool {
        match self {
            Node::Sel(i) => sels[*i].eval(ev),
            Node::Not(n) => !n.eval(sels, ev),
            Node::And(v) => v.iter().all(|n| n.eval(sels, ev)),
            Node::Or(v) => v.iter().any(|n| n.eval(sels, ev)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_and_dates() {
        let (n, l) = parse_cidr("10.0.0.0/8").unwrap();
        let m = M::Cidr(n, l);
        let ev = haboob_model::JsonView::new("{}");
        assert!(m.matches(Some(&Value::from("10.1.2.3")), &ev));
        assert!(!m.matches(Some(&Value::from("11.1.2.3")), &ev));
        assert!(m.matches(Some(&Value::from("::ffff:10.1.2.3")), &ev));
        assert!(!m.matches(Some(&Value::from("not an ip")), &ev));
        let (n, l) = parse_cidr("2001:db8::/32").unwrap();
        assert!(M::Cidr(n, l).matches(Some(&Value::from("2001:db8:1::5")), &ev));
        assert!(!M::Cidr(n, l).matches(Some(&Value::from("2001:db9::5")), &ev));
        assert!(parse_cidr("10.0.0.0/33").is_none());
        assert_eq!(date_part("2026-11-28T16:32:24Z", Unit::Hour), Some(16.0));
        assert_eq!(date_part("2026-11-28 16:32:24", Unit::Minute), Some(32.0));
        assert_eq!(date_part("2026-11-28", Unit::Week), Some(48.0));
        assert_eq!(date_part("2021-01-03", Unit::Week), Some(53.0));
        assert_eq!(date_part("2024-12-30", Unit::Week), Some(1.0));
        assert_eq!(date_part("x", Unit::Year), None);
    }

    #[test]
    fn integers_as_text() {
        let mut buf = [0u8; 20];
        for n in [0, 7, -7, 10, 4624, i64::MAX, i64::MIN] {
            assert_eq!(
                haboob_model::decimal(n, &mut buf),
                n.to_string().as_bytes(),
                "{n}"
            );
        }
    }

    #[test]
    fn numbers_compare_as_numbers() {
        let ev = haboob_model::JsonView::new("{}");
        let m = M::Cmp(Op::Gte, 10.0);
        assert!(m.matches(Some(&Value::Int(10)), &ev));
        assert!(m.matches(Some(&Value::from(" 11 ")), &ev));
        assert!(m.matches(Some(&Value::from("0x10")), &ev));
        assert!(!m.matches(Some(&Value::Int(9)), &ev));
        assert!(!m.matches(Some(&Value::from("ten")), &ev));
        assert!(!m.matches(None, &ev));
    }
}
