//! Which fields of an event a pattern reads, as a bit mask: an index skips
//! events that carry none of them, and names the value a hit was seen in.

use super::ast::{CompExpr, ObsExpr};
use super::mapping::Field;
use crate::Observed;

const IP: u32 = 1;
const DOMAIN: u32 = 1 << 1;
const URL: u32 = 1 << 2;
const METHOD: u32 = 1 << 3;
const PATH: u32 = 1 << 4;
const UA: u32 = 1 << 5;
const ACCOUNT: u32 = 1 << 6;
const EMAIL: u32 = 1 << 7;
const HASH: u32 = 1 << 8;
const FILE: u32 = 1 << 9;
const PORT: u32 = 1 << 10;

/// The event fields a path's field reads (see `eval::each_value`).
fn bits(f: Field) -> u32 {
    match f {
        Field::AnyIp | Field::SrcRef | Field::SrcRefType => IP,
        Field::DstRef | Field::DstRefType | Field::Domain => IP | DOMAIN,
        Field::Url => URL,
        Field::HttpMethod => METHOD,
        Field::HttpPath => PATH | URL,
        Field::UserAgent => UA,
        Field::Account => ACCOUNT,
        Field::Email => EMAIL,
        Field::Hash(_) => HASH,
        Field::FileName => FILE,
        Field::SrcPort | Field::DstPort => PORT,
    }
}

fn comp_mask(c: &CompExpr) -> u32 {
    match c {
        CompExpr::Test(t) => t.field.map_or(0, bits),
        CompExpr::And(items) | CompExpr::Or(items) => {
            items.iter().map(comp_mask).fold(0, |a, b| a | b)
        }
    }
}

/// The fields a pattern reads.
pub(crate) fn pattern_mask(e: &ObsExpr) -> u32 {
    match e {
        ObsExpr::Observation(c) => comp_mask(c),
        ObsExpr::Qualified(inner, _) => pattern_mask(inner),
        ObsExpr::And(items) | ObsExpr::Or(items) | ObsExpr::FollowedBy(items) => {
            items.iter().map(pattern_mask).fold(0, |a, b| a | b)
        }
    }
}

/// The fields an event carries.
pub(crate) fn observed_mask(o: &Observed<'_>) -> u32 {
    let mut m = 0;
    let mut set = |present: bool, bit: u32| {
        if present {
            m |= bit;
        }
    };
    set(o.src_ip.is_some() || o.dst_ip.is_some(), IP);
    set(o.domain.is_some(), DOMAIN);
    set(o.url.is_some(), URL);
    set(o.http_method.is_some(), METHOD);
    set(o.http_path.is_some(), PATH);
    set(o.user_agent.is_some(), UA);
    set(o.account.is_some(), ACCOUNT);
    set(o.email.is_some(), EMAIL);
    set(!o.hashes.is_empty(), HASH);
    set(o.file_name.is_some(), FILE);
    set(o.src_port.is_some() || o.dst_port.is_some(), PORT);
    m
}

/// The first value of the event among the fields of `mask` (path, URL,
/// user agent, domain, account, e-mail, file name, hash, address, method,
/// port): what a hit of a pattern without an anchor names.
pub(crate) fn first_value(mask: u32, o: &Observed<'_>) -> Option<String> {
    let text = [
        (PATH, o.http_path),
        (URL, o.url),
        (UA, o.user_agent),
        (DOMAIN, o.domain),
        (ACCOUNT, o.account),
        (EMAIL, o.email),
        (FILE, o.file_name),
        (HASH, o.hashes.first().map(|(_, h)| *h)),
    ];
    for (bit, v) in text {
        if let (true, Some(v)) = (mask & bit != 0, v) {
            return Some(v.to_string());
        }
    }
    if mask & IP != 0 {
        if let Some(ip) = o.src_ip.or(o.dst_ip) {
            return Some(ip.to_string());
        }
    }
    if mask & METHOD != 0 {
        if let Some(m) = o.http_method {
            return Some(m.to_string());
        }
    }
    if mask & PORT != 0 {
        if let Some(p) = o.dst_port.or(o.src_port) {
            return Some(p.to_string());
        }
    }
    None
}
