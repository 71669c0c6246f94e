//! Threat-intelligence vocabulary shared by the intel crate, the store and
//! export: indicators, observables, the observed view of a log event, the
//! details of an intel hit, and attributions.

use crate::Ts;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// Traffic Light Protocol marking (TLP 2.0 names; TLP 1.0 `white` reads as
/// `clear`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tlp {
    /// May be shared without restriction (TLP:CLEAR, formerly WHITE).
    Clear,
    /// Community-wide.
    Green,
    /// Organisation and its clients.
    Amber,
    /// Organisation only.
    AmberStrict,
    /// Named recipients only.
    Red,
}

/// Where an indicator came from, how far to trust it and how far it may be
/// shared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// Source name: a feed, collection, file or organisation
    /// (e.g. `taxii:https://…/collections/ID`, `misp:CIRCL`, `list:ips.txt`).
    pub source: String,
    /// When haboob imported it.
    pub imported: Ts,
    /// Confidence 0-100 (STIX `confidence`; MISP threat level mapped), if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<u8>,
    /// Sharing marking, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tlp: Option<Tlp>,
    /// A reference (report URL, MISP event uuid, STIX id of the producer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// A hash algorithm named by an indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HashAlgo {
    /// MD5.
    Md5,
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-512.
    Sha512,
}

/// One indexable value: what a log event can be looked up by.
///
/// Values are normalised when built: domains, e-mail addresses and hashes
/// lower-case, a domain without its trailing dot, a single address as a
/// host prefix (`/32`, `/128`), IPv4-mapped IPv6 as IPv4.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "kebab-case")]
pub enum Observable {
    /// An address or network (`ipv4-addr`/`ipv6-addr`, incl. CIDR).
    Ip(IpNet),
    /// A domain; its sub-domains match too.
    Domain(String),
    /// A full URL (`scheme://host/path?query`).
    Url(String),
    /// An e-mail address.
    Email(String),
    /// An account name (`user-account:user_id` / `account_login`).
    Account(String),
    /// An HTTP User-Agent, matched exactly.
    UserAgent(String),
    /// A file hash.
    Hash(HashAlgo, String),
}

/// What must be seen for an indicator to match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IndicatorCondition {
    /// Any one of these values (plain lists, MISP attributes, and STIX
    /// patterns that are an `OR` of equalities).
    Any(Vec<Observable>),
    /// A STIX 2.1 pattern that is more than an `OR` of equalities; compiled
    /// and evaluated by the `pattern` module.
    Pattern(String),
}

/// One indicator with its provenance and validity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicator {
    /// Stable id: the STIX id (`indicator--…`), the MISP attribute uuid, or
    /// `list--<sha256 of source and value>` for list lines.
    pub id: String,
    /// Human name (STIX `name`, MISP event info, list label).
    pub name: String,
    /// What to look for.
    pub condition: IndicatorCondition,
    /// Valid from (STIX `valid_from`), if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<Ts>,
    /// Expiry (STIX `valid_until`, list/feed TTL); an expired indicator never matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Ts>,
    /// Labels: STIX `indicator_types`/`labels`, MISP tags and category
    /// (e.g. `malicious-activity`, `attribution`, `seized`, `sinkhole`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    /// Actors it indicates: intrusion-set names reached through
    /// `indicates` relationships, MISP galaxy threat actors, list labels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actors: Vec<String>,
    /// Where it came from.
    pub provenance: Provenance,
}

/// One log event seen as STIX Cyber-observable objects: the fields the
/// pattern evaluator and the index look at. Unknown fields are `None`/empty.
#[derive(Debug, Clone, Default)]
pub struct Observed<'a> {
    /// Client / connecting address (`network-traffic:src_ref`, and
    /// `ipv4-addr:value`/`ipv6-addr:value`).
    pub src_ip: Option<IpAddr>,
    /// Server / contacted address (`network-traffic:dst_ref`, and
    /// `ipv4-addr:value`/`ipv6-addr:value`).
    pub dst_ip: Option<IpAddr>,
    /// Domain asked for or contacted (DNS query, HTTP Host, TLS SNI):
    /// `domain-name:value`.
    pub domain: Option<&'a str>,
    /// Full URL when the log has one, else built by the caller from
    /// site + path: `url:value`.
    pub url: Option<&'a str>,
    /// HTTP method: `network-traffic:extensions.'http-request-ext'.request_method`.
    pub http_method: Option<&'a str>,
    /// HTTP path and query: `…'http-request-ext'.request_value`.
    pub http_path: Option<&'a str>,
    /// HTTP User-Agent: `…'http-request-ext'.request_header.'User-Agent'`.
    pub user_agent: Option<&'a str>,
    /// Account: `user-account:user_id` / `account_login`.
    pub account: Option<&'a str>,
    /// E-mail address: `email-addr:value` (and `email-message:from_ref.value`).
    pub email: Option<&'a str>,
    /// File hashes: `file:hashes.'SHA-256'` etc.
    pub hashes: &'a [(HashAlgo, &'a str)],
    /// File name: `file:name`.
    pub file_name: Option<&'a str>,
    /// Client port: `network-traffic:src_port`.
    pub src_port: Option<u16>,
    /// Server port: `network-traffic:dst_port`.
    pub dst_port: Option<u16>,
}

/// Keys of an intel alert's `details` (detectors `intel.match` and
/// `intel.victim`): one entry per indicator that matched, under
/// `details["intel"]` as a JSON array of [`IntelHit`].
pub const DETAILS_KEY: &str = "intel";

/// One indicator that matched an alert's events: what attribution and
/// export read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntelHit {
    /// Indicator id.
    pub indicator: String,
    /// Indicator name.
    pub name: String,
    /// The value seen in the log (bounded to 256 bytes).
    pub matched: String,
    /// Which field it was seen in: `src_ip`, `dst_ip`, `domain`, `url`,
    /// `user_agent`, `account`, `email`, `hash`, `pattern`.
    pub field: String,
    /// Source of the indicator.
    pub source: String,
    /// Confidence of the indicator, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<u8>,
    /// TLP of the indicator, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tlp: Option<Tlp>,
    /// Actors the indicator points to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actors: Vec<String>,
    /// Labels of the indicator.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
}

/// What kind of evidence an attribution reason is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReasonKind {
    /// An indicator of the actor's infrastructure matched.
    Infrastructure,
    /// Techniques seen overlap the actor's known techniques.
    Technique,
    /// Targets' sector or region match the actor's targeting.
    Targeting,
    /// A tool or its fingerprint (user agent, request shape) of the actor.
    Tooling,
    /// Activity hours or dates match the actor's habits.
    Timing,
}

/// One reason for (or against) an attribution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributionReason {
    /// Kind of evidence.
    pub kind: ReasonKind,
    /// Human text, e.g. "source 203.0.113.7 is in indicator … (ISAC, confidence 80)".
    pub text: String,
    /// Contribution to the confidence, in points (may be negative).
    pub weight: i32,
}

/// A candidate actor for a campaign, with its confidence and reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribution {
    /// Actor's canonical name.
    pub actor: String,
    /// Other names (vendors' names, ATT&CK id).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Confidence 0-100.
    pub confidence: u8,
    /// Why, strongest first.
    pub reasons: Vec<AttributionReason>,
}
