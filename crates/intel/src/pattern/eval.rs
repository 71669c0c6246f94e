//! Evaluation of one observation's comparison expression on one log event.
//!
//! A comparison holds when some value of the event at that path satisfies
//! it (STIX: some object of the observation); a path the event lacks makes
//! the comparison false, with or without `NOT`.

use super::ast::{CmpOp, CompExpr, Literal, Operand, Test};
use super::mapping::Field;
use crate::Observed;
use ipnet::IpNet;
use std::cmp::Ordering;
use std::net::IpAddr;

/// One value of an event.
#[derive(Clone, Copy)]
enum Val<'a> {
    Ip(IpAddr),
    /// A number (ports).
    Int(i64),
    /// Text; `true` when compared case-insensitively (domains, e-mail
    /// addresses, accounts, hashes).
    Str(&'a str, bool),
}

pub(crate) fn eval_comp(c: &CompExpr, o: &Observed<'_>) -> bool {
    match c {
        CompExpr::Test(t) => eval_test(t, o),
        CompExpr::And(items) => items.iter().all(|c| eval_comp(c, o)),
        CompExpr::Or(items) => items.iter().any(|c| eval_comp(c, o)),
    }
}

fn ip_type(ip: IpAddr) -> &'static str {
    match ip {
        IpAddr::V4(_) => "ipv4-addr",
        IpAddr::V6(_) => "ipv6-addr",
    }
}

fn operand_has_ip(t: &Test) -> bool {
    t.nets.iter().any(Option::is_some)
}

/// Calls `f` with each value of the event at `field`.
fn each_value(field: Field, t: &Test, o: &Observed<'_>, f: &mut dyn FnMut(Val<'_>)) {
    let ips = |f: &mut dyn FnMut(Val<'_>)| {
        for ip in [o.src_ip, o.dst_ip].into_iter().flatten() {
            f(Val::Ip(ip));
        }
    };
    let s = |v: Option<&str>, ci: bool, f: &mut dyn FnMut(Val<'_>)| {
        if let Some(v) = v {
            f(Val::Str(v, ci));
        }
    };
    match field {
        Field::AnyIp => ips(f),
        Field::SrcRef => o.src_ip.into_iter().for_each(|ip| f(Val::Ip(ip))),
        Field::DstRef => {
            o.dst_ip.into_iter().for_each(|ip| f(Val::Ip(ip)));
            s(o.domain, true, f);
        }
        Field::SrcRefType => s(o.src_ip.map(ip_type), false, f),
        Field::DstRefType => {
            s(o.dst_ip.map(ip_type), false, f);
            s(o.domain.map(|_| "domain-name"), false, f);
        }
        Field::Domain => {
            s(o.domain, true, f);
            if operand_has_ip(t) {
                ips(f);
            }
        }
        Field::Url => s(o.url, false, f),
        Field::HttpMethod => s(o.http_method, false, f),
        Field::HttpPath => {
            s(o.http_path, false, f);
            s(o.url, false, f);
        }
        Field::UserAgent => s(o.user_agent, false, f),
        Field::Account => s(o.account, true, f),
        Field::Email => s(o.email, true, f),
        Field::Hash(a) => {
            for (algo, h) in o.hashes {
                if *algo == a {
                    f(Val::Str(h, true));
                }
            }
        }
        Field::FileName => s(o.file_name, false, f),
        Field::SrcPort => o.src_port.into_iter().for_each(|p| f(Val::Int(p.into()))),
        Field::DstPort => o.dst_port.into_iter().for_each(|p| f(Val::Int(p.into()))),
    }
}

pub(crate) fn eval_test(t: &Test, o: &Observed<'_>) -> bool {
    let Some(field) = t.field else {
        return false;
    };
    let mut hit = false;
    each_value(field, t, o, &mut |v| {
        if !hit {
            hit = t.op == CmpOp::Exists || matches!(cmp(v, t), Some(r) if r != t.negated);
        }
    });
    hit
}

fn unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn as_ip(v: Val<'_>) -> Option<IpAddr> {
    match v {
        Val::Ip(ip) => Some(unmap(ip)),
        Val::Str(s, _) => s.parse::<IpAddr>().ok().map(unmap),
        Val::Int(_) => None,
    }
}

/// Equality of a value and a literal (`net`: the literal as a network);
/// None when they cannot be compared.
fn eq(v: Val<'_>, lit: &Literal, net: Option<IpNet>) -> Option<bool> {
    match (v, lit) {
        (Val::Ip(ip), Literal::Str(_)) => net.map(|n| n.contains(&unmap(ip))),
        (Val::Ip(_), _) => None,
        (Val::Int(x), Literal::Int(n)) => Some(x == *n),
        (Val::Int(x), Literal::Float(n)) => Some(x as f64 == *n),
        (Val::Int(x), Literal::Str(s)) => s.trim().parse::<i64>().ok().map(|n| n == x),
        (Val::Int(_), _) => None,
        (Val::Str(x, ci), Literal::Str(s)) => Some(if ci {
            x.trim_end_matches('.')
                .eq_ignore_ascii_case(s.trim_end_matches('.'))
        } else {
            x == s
        }),
        (Val::Str(x, _), Literal::Int(n)) => x.trim().parse::<i64>().ok().map(|y| y == *n),
        (Val::Str(x, _), Literal::Float(n)) => x.trim().parse::<f64>().ok().map(|y| y == *n),
        (Val::Str(x, _), Literal::Bool(b)) => match x {
            "true" => Some(*b),
            "false" => Some(!*b),
            _ => None,
        },
        (Val::Str(x, _), Literal::Hex(h)) => Some(x.eq_ignore_ascii_case(h)),
        (Val::Str(x, _), Literal::Binary(b)) => Some(x == b),
        (Val::Str(..), Literal::Timestamp(_)) => None,
    }
}

fn order(v: Val<'_>, lit: &Literal) -> Option<Ordering> {
    match (v, lit) {
        (Val::Int(x), Literal::Int(n)) => Some(x.cmp(n)),
        (Val::Int(x), Literal::Float(n)) => (x as f64).partial_cmp(n),
        (Val::Str(x, _), Literal::Str(s)) => Some(x.cmp(s.as_str())),
        (Val::Str(x, _), Literal::Int(n)) => x.trim().parse::<i64>().ok().map(|y| y.cmp(n)),
        (Val::Str(x, _), Literal::Float(n)) => {
            x.trim().parse::<f64>().ok().and_then(|y| y.partial_cmp(n))
        }
        _ => None,
    }
}

/// The comparison on one value, before `NOT`; None when not comparable
/// (then the comparison is false with or without `NOT`).
fn cmp(v: Val<'_>, t: &Test) -> Option<bool> {
    match (t.op, &t.operand) {
        (CmpOp::Eq, Operand::Literal(l)) => eq(v, l, t.net(0)),
        (CmpOp::Neq, Operand::Literal(l)) => eq(v, l, t.net(0)).map(|b| !b),
        (CmpOp::Gt, Operand::Literal(l)) => order(v, l).map(Ordering::is_gt),
        (CmpOp::Lt, Operand::Literal(l)) => order(v, l).map(Ordering::is_lt),
        (CmpOp::Ge, Operand::Literal(l)) => order(v, l).map(Ordering::is_ge),
        (CmpOp::Le, Operand::Literal(l)) => order(v, l).map(Ordering::is_le),
        (CmpOp::In, Operand::Set(items)) => {
            let mut any = None;
            for (i, l) in items.iter().enumerate() {
                match eq(v, l, t.net(i)) {
                    Some(true) => return Some(true),
                    Some(false) => any = Some(false),
                    None => {}
                }
            }
            any
        }
        (CmpOp::Like | CmpOp::Matches, Operand::Regex(re)) => Some(match v {
            Val::Str(s, _) => re.is_match(s),
            Val::Ip(ip) => re.is_match(&ip.to_string()),
            Val::Int(n) => re.is_match(&n.to_string()),
        }),
        (CmpOp::IsSubset, Operand::Literal(Literal::Str(_))) => {
            let net = t.net(0)?;
            Some(net.contains(&as_ip(v)?))
        }
        (CmpOp::IsSuperset, Operand::Literal(Literal::Str(_))) => {
            let net = t.net(0)?;
            let ip = as_ip(v)?;
            Some(net.prefix_len() == net.max_prefix_len() && net.addr() == ip)
        }
        (CmpOp::Exists, _) => Some(true),
        _ => None,
    }
}
