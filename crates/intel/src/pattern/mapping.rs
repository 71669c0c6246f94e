//! Which object paths a log event can answer (mapped onto [`Observed`]),
//! whether a pattern can match logs at all, and the observables an index
//! can look patterns up by.

use super::ast::{CmpOp, CompExpr, Literal, ObjectPath, ObsExpr, Operand, PathStep, Test};
use crate::{HashAlgo, Observable};
use ipnet::IpNet;
use std::net::IpAddr;

/// A field of [`crate::Observed`] an object path reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    /// `ipv4-addr:value`, `ipv6-addr:value`: source or destination address.
    AnyIp,
    /// `network-traffic:src_ref.value`.
    SrcRef,
    /// `network-traffic:dst_ref.value`: destination address or domain.
    DstRef,
    /// `network-traffic:src_ref.type`.
    SrcRefType,
    /// `network-traffic:dst_ref.type`.
    DstRefType,
    /// `domain-name:value` (an address written there reads the addresses).
    Domain,
    Url,
    HttpMethod,
    HttpPath,
    UserAgent,
    Account,
    Email,
    Hash(HashAlgo),
    FileName,
}

fn key(s: &PathStep) -> Option<&str> {
    match s {
        PathStep::Key(k) => Some(k),
        _ => None,
    }
}

/// The hash algorithm of a `hashes` key (`MD5`, `md5`, `SHA-256`, `sha256`…).
pub(crate) fn hash_algo(name: &str) -> Option<HashAlgo> {
    let mut buf = [0u8; 8];
    let mut n = 0;
    for c in name.bytes().filter(|c| *c != b'-' && *c != b'_') {
        if n == buf.len() {
            return None;
        }
        buf[n] = c.to_ascii_lowercase();
        n += 1;
    }
    match &buf[..n] {
        b"md5" => Some(HashAlgo::Md5),
        b"sha1" => Some(HashAlgo::Sha1),
        b"sha256" => Some(HashAlgo::Sha256),
        b"sha512" => Some(HashAlgo::Sha512),
        _ => None,
    }
}

/// The log field an object path reads, or None when logs do not carry it.
pub(crate) fn field_of(path: &ObjectPath) -> Option<Field> {
    if path.steps.len() > 5 {
        return None;
    }
    let mut buf = [""; 5];
    for (slot, step) in buf.iter_mut().zip(&path.steps) {
        *slot = key(step)?;
    }
    let keys = &buf[..path.steps.len()];
    Some(match (path.object_type.as_str(), keys) {
        ("ipv4-addr" | "ipv6-addr", ["value"]) => Field::AnyIp,
        ("domain-name", ["value"]) => Field::Domain,
        ("url", ["value"]) => Field::Url,
        ("email-addr", ["value"]) => Field::Email,
        ("email-message", ["from_ref" | "sender_ref", "value"]) => Field::Email,
        ("user-account", ["user_id" | "account_login"]) => Field::Account,
        ("file", ["name"]) => Field::FileName,
        ("file", ["hashes", algo]) => Field::Hash(hash_algo(algo)?),
        ("network-traffic", ["src_ref", "value"]) => Field::SrcRef,
        ("network-traffic", ["dst_ref", "value"]) => Field::DstRef,
        ("network-traffic", ["src_ref", "type"]) => Field::SrcRefType,
        ("network-traffic", ["dst_ref", "type"]) => Field::DstRefType,
        ("network-traffic", ["extensions", "http-request-ext", rest @ ..]) => match rest {
            ["request_method"] => Field::HttpMethod,
            ["request_value"] => Field::HttpPath,
            ["request_header", h] if h.eq_ignore_ascii_case("user-agent") => Field::UserAgent,
            _ => return None,
        },
        _ => return None,
    })
}

/// Parses an address or network; a single address becomes a host prefix,
/// IPv4-mapped IPv6 becomes IPv4, host bits are cleared.
pub(crate) fn parse_net(s: &str) -> Option<IpNet> {
    let s = s.trim();
    let net = match s.parse::<IpNet>() {
        Ok(n) => n,
        Err(_) => IpNet::from(s.parse::<IpAddr>().ok()?),
    };
    Some(
        match net {
            IpNet::V6(v6) => match v6.addr().to_ipv4_mapped() {
                Some(v4) if v6.prefix_len() >= 96 => {
                    IpNet::new(IpAddr::V4(v4), v6.prefix_len() - 96).ok()?
                }
                _ => net,
            },
            _ => net,
        }
        .trunc(),
    )
}

/// The observable an equality on `field` with value `v` stands for.
fn observable(field: Field, v: &str) -> Option<Observable> {
    Some(match field {
        Field::AnyIp | Field::SrcRef => Observable::Ip(parse_net(v)?),
        Field::Domain | Field::DstRef => match parse_net(v) {
            Some(net) => Observable::Ip(net),
            None => {
                let d = v.trim().trim_end_matches('.').to_ascii_lowercase();
                if d.is_empty() {
                    return None;
                }
                Observable::Domain(d)
            }
        },
        Field::Url => Observable::Url(v.to_string()),
        Field::Email => Observable::Email(v.trim().to_ascii_lowercase()),
        Field::Account => Observable::Account(v.to_string()),
        Field::UserAgent => Observable::UserAgent(v.to_string()),
        Field::Hash(a) => Observable::Hash(a, v.trim().to_ascii_lowercase()),
        _ => return None,
    })
}

/// Observables a test stands for when it holds exactly for them: `=` and
/// `IN` of strings, `ISSUBSET` of a network.
fn test_observables(t: &Test, directional: bool) -> Option<Vec<Observable>> {
    if t.negated {
        return None;
    }
    let field = t.field?;
    if !directional && matches!(field, Field::SrcRef | Field::DstRef) {
        return None;
    }
    match (t.op, &t.operand) {
        (CmpOp::Eq, Operand::Literal(Literal::Str(s))) => Some(vec![observable(field, s)?]),
        (CmpOp::In, Operand::Set(items)) if !items.is_empty() => items
            .iter()
            .map(|l| observable(field, l.as_str()?))
            .collect(),
        (CmpOp::IsSubset, Operand::Literal(Literal::Str(s)))
            if matches!(
                field,
                Field::AnyIp | Field::SrcRef | Field::DstRef | Field::Domain
            ) =>
        {
            Some(vec![Observable::Ip(parse_net(s)?)])
        }
        _ => None,
    }
}

/// `as_any` of one observation: an OR of equalities.
fn comp_any(c: &CompExpr, out: &mut Vec<Observable>) -> bool {
    match c {
        CompExpr::Test(t) => match test_observables(t, false) {
            Some(v) => {
                out.extend(v);
                true
            }
            None => false,
        },
        CompExpr::Or(items) => items.iter().all(|c| comp_any(c, out)),
        CompExpr::And(_) => false,
    }
}

pub(crate) fn as_any(e: &ObsExpr, out: &mut Vec<Observable>) -> bool {
    match e {
        ObsExpr::Observation(c) => comp_any(c, out),
        ObsExpr::Or(items) => items.iter().all(|e| as_any(e, out)),
        _ => false,
    }
}

fn comp_anchors(c: &CompExpr) -> Option<Vec<Observable>> {
    match c {
        CompExpr::Test(t) => test_observables(t, true),
        CompExpr::Or(items) => {
            let mut out = Vec::new();
            for c in items {
                out.extend(comp_anchors(c)?);
            }
            Some(out)
        }
        CompExpr::And(items) => items.iter().filter_map(comp_anchors).min_by_key(Vec::len),
    }
}

/// Observables one of which every event of a match contains.
pub(crate) fn anchors(e: &ObsExpr) -> Option<Vec<Observable>> {
    match e {
        ObsExpr::Observation(c) => comp_anchors(c),
        ObsExpr::Qualified(inner, _) => anchors(inner),
        ObsExpr::And(items) | ObsExpr::Or(items) | ObsExpr::FollowedBy(items) => {
            let mut out = Vec::new();
            for e in items {
                out.extend(anchors(e)?);
            }
            Some(out)
        }
    }
}

/// Whether a comparison expression can hold on a log event; else the paths
/// that logs lack.
fn comp_support(c: &CompExpr, missing: &mut Vec<String>) -> bool {
    match c {
        CompExpr::Test(t) => {
            let ok = t.field.is_some();
            if !ok {
                let p = t.path.to_string();
                if !missing.contains(&p) {
                    missing.push(p);
                }
            }
            ok
        }
        // Every operand is visited so that all missing paths are named.
        CompExpr::And(items) => items
            .iter()
            .map(|c| comp_support(c, missing))
            .fold(true, |a, b| a & b),
        CompExpr::Or(items) => items
            .iter()
            .map(|c| comp_support(c, missing))
            .fold(false, |a, b| a | b),
    }
}

pub(crate) fn obs_support(e: &ObsExpr, missing: &mut Vec<String>) -> bool {
    match e {
        ObsExpr::Observation(c) => comp_support(c, missing),
        ObsExpr::Qualified(inner, _) => obs_support(inner, missing),
        ObsExpr::And(items) | ObsExpr::FollowedBy(items) => items
            .iter()
            .map(|e| obs_support(e, missing))
            .fold(true, |a, b| a & b),
        ObsExpr::Or(items) => items
            .iter()
            .map(|e| obs_support(e, missing))
            .fold(false, |a, b| a | b),
    }
}
