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
    /// `network-traffic:src_port`.
    SrcPort,
    /// `network-traffic:dst_port`.
    DstPort,
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

/// The object paths logs can answer: object type, property keys, and the
/// field of [`crate::Observed`] read. This is the one table of the crate
/// between STIX paths and log fields: the pattern evaluator reads through
/// it ([`field_of`]), and patterns are written from it
/// ([`observable_pattern`]: the first row of a field is the one written).
/// Keys after `request_header` (HTTP header names) compare without case;
/// `file:hashes.<algo>` is [`HASH_KEYS`].
const PATHS: &[(&str, &[&str], Field)] = &[
    ("ipv4-addr", &["value"], Field::AnyIp),
    ("ipv6-addr", &["value"], Field::AnyIp),
    ("domain-name", &["value"], Field::Domain),
    ("url", &["value"], Field::Url),
    ("email-addr", &["value"], Field::Email),
    ("email-message", &["from_ref", "value"], Field::Email),
    ("email-message", &["sender_ref", "value"], Field::Email),
    ("user-account", &["user_id"], Field::Account),
    ("user-account", &["account_login"], Field::Account),
    ("file", &["name"], Field::FileName),
    ("network-traffic", &["src_ref", "value"], Field::SrcRef),
    ("network-traffic", &["dst_ref", "value"], Field::DstRef),
    ("network-traffic", &["src_ref", "type"], Field::SrcRefType),
    ("network-traffic", &["dst_ref", "type"], Field::DstRefType),
    ("network-traffic", &["src_port"], Field::SrcPort),
    ("network-traffic", &["dst_port"], Field::DstPort),
    (
        "network-traffic",
        &["extensions", "http-request-ext", "request_method"],
        Field::HttpMethod,
    ),
    (
        "network-traffic",
        &["extensions", "http-request-ext", "request_value"],
        Field::HttpPath,
    ),
    (
        "network-traffic",
        &[
            "extensions",
            "http-request-ext",
            "request_header",
            "User-Agent",
        ],
        Field::UserAgent,
    ),
];

/// The `file:hashes` keys written for each algorithm (any case, with or
/// without `-`, is read: [`hash_algo`]).
const HASH_KEYS: [(HashAlgo, &str); 4] = [
    (HashAlgo::Md5, "MD5"),
    (HashAlgo::Sha1, "SHA-1"),
    (HashAlgo::Sha256, "SHA-256"),
    (HashAlgo::Sha512, "SHA-512"),
];

/// The log field an object path reads, or None when logs do not carry it.
pub(crate) fn field_of(path: &ObjectPath) -> Option<Field> {
    let ty = path.object_type.as_str();
    if let ("file", [PathStep::Key(h), PathStep::Key(algo)]) = (ty, path.steps.as_slice()) {
        if h == "hashes" {
            return Some(Field::Hash(hash_algo(algo)?));
        }
    }
    PATHS.iter().find_map(|(t, keys, field)| {
        let same = *t == ty
            && keys.len() == path.steps.len()
            && keys.iter().zip(&path.steps).enumerate().all(|(i, (k, s))| {
                let Some(s) = key(s) else { return false };
                if i > 0 && keys[i - 1] == "request_header" {
                    s.eq_ignore_ascii_case(k)
                } else {
                    s == *k
                }
            });
        same.then_some(*field)
    })
}

/// The object path written for `field` (`v6`: an IPv6 address).
fn path_of(field: Field, v6: bool) -> ObjectPath {
    let (ty, keys): (&str, Vec<&str>) = match field {
        Field::Hash(a) => (
            "file",
            vec![
                "hashes",
                HASH_KEYS
                    .iter()
                    .find(|(x, _)| *x == a)
                    .map_or("MD5", |k| k.1),
            ],
        ),
        Field::AnyIp if v6 => ("ipv6-addr", vec!["value"]),
        f => PATHS
            .iter()
            .find(|(_, _, x)| *x == f)
            .map_or(("x-unknown", vec!["value"]), |(t, k, _)| (*t, k.to_vec())),
    };
    ObjectPath {
        object_type: ty.to_string(),
        steps: keys
            .into_iter()
            .map(|k| PathStep::Key(k.to_string()))
            .collect(),
    }
}

/// The pattern that holds exactly for events carrying `o` (the inverse of
/// [`Pattern::as_any`](super::Pattern::as_any) for one observable): an
/// equality, `ISSUBSET` for a network.
pub fn observable_pattern(o: &Observable) -> String {
    let (field, op, value) = match o {
        Observable::Ip(net) => {
            let v6 = matches!(net, IpNet::V6(_));
            if net.prefix_len() == net.max_prefix_len() {
                (Field::AnyIp, "=", net.addr().to_string())
            } else {
                return format!(
                    "[{} ISSUBSET {}]",
                    path_of(Field::AnyIp, v6),
                    Literal::Str(net.to_string())
                );
            }
        }
        Observable::Domain(d) => (Field::Domain, "=", d.clone()),
        Observable::Url(u) => (Field::Url, "=", u.clone()),
        Observable::Email(e) => (Field::Email, "=", e.clone()),
        Observable::Account(a) => (Field::Account, "=", a.clone()),
        Observable::UserAgent(u) => (Field::UserAgent, "=", u.clone()),
        Observable::Hash(a, h) => (Field::Hash(*a), "=", h.clone()),
    };
    let v6 = matches!(o, Observable::Ip(IpNet::V6(_)));
    format!("[{} {op} {}]", path_of(field, v6), Literal::Str(value))
}

/// The observable a hit names: its field (`src_ip`, `dst_ip`, `domain`,
/// `url`, `user_agent`, `account`, `email`, `hash`) and the value seen;
/// None for other fields (`pattern`) or a value that is not of the kind.
pub fn hit_observable(field: &str, matched: &str) -> Option<Observable> {
    Some(match field {
        "src_ip" | "dst_ip" => Observable::Ip(IpNet::from(haboob_model::canonical_ip(
            matched.trim().parse::<IpAddr>().ok()?,
        ))),
        "domain" => {
            let d = matched.trim().trim_end_matches('.').to_ascii_lowercase();
            if d.is_empty() {
                return None;
            }
            Observable::Domain(d)
        }
        "url" => Observable::Url(matched.to_string()),
        "user_agent" => Observable::UserAgent(matched.to_string()),
        "account" => Observable::Account(matched.to_string()),
        "email" => Observable::Email(matched.trim().to_ascii_lowercase()),
        "hash" => {
            let (a, h) = crate::sources::value::hash(matched)?;
            Observable::Hash(a, h)
        }
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
