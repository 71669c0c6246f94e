//! OpenSSH connections that never reach authentication, as
//! [`AuthOutcome::Probe`] events (dataset `auth.sshd`, app `ssh`, empty
//! user; `client` holds what the client offered, when logged).
//!
//! | message (after an optional `error: ` / `fatal: `) | `client` |
//! |---|---|
//! | `Unable to negotiate with IP port P: no matching … found. Their offer: O [preauth]` | `O` |
//! | `Did not receive identification string from IP [port P]` | |
//! | `Bad protocol version identification 'B' from IP [port P]` | `B` |
//! | `banner exchange: Connection from IP port P: <reason>` | |
//! | `ssh_dispatch_run_fatal: Connection from IP port P: <reason> [preauth]` | |
//! | `Connection closed by IP [port P] [[preauth]]`, `Connection reset by IP …` | |
//! | `Disconnected from IP port P [preauth]` | |
//! | `Timeout before authentication for IP port P` | |
//!
//! The same messages naming a user (`Connection closed by authenticating
//! user …`, `… by invalid user …`, `… by user …`) belong to an attempt or a
//! session and are not probes; an address logged as `UNKNOWN` (the peer was
//! gone) leaves nothing to count. `kex_exchange_identification: …` lines
//! carry no address: the same connection also logs a `Connection closed by
//! IP port P` or `banner exchange: …` line, which is the probe.
//! Anything else is [`Parsed::Directive`]; an address that is not an IP
//! address is rejected.

use crate::norm::ip;
use haboob_model::{AuthEvent, AuthOutcome, EventRef, Parsed, RecordError, Ts};
use std::borrow::Cow;
use std::net::IpAddr;

/// Bytes kept of a client's offer or identification (attacker text).
const MAX_CLIENT: usize = 256;

fn probe_event<'a>(ts: Ts, addr: IpAddr, client: &'a str) -> Parsed<'a> {
    let client = haboob_model::bounded(client, MAX_CLIENT);
    Parsed::Event(EventRef::Auth(AuthEvent {
        ts,
        dataset: "auth.sshd",
        source_ip: Some(addr),
        user: Cow::Borrowed(""),
        domain: Cow::Borrowed(""),
        tenant: Cow::Borrowed(""),
        host: Cow::Borrowed(""),
        outcome: AuthOutcome::Probe,
        failure: None,
        app: Cow::Borrowed("ssh"),
        client: Cow::Borrowed(client),
        country: Cow::Borrowed(""),
        asn: None,
        location: None,
    }))
}

/// The first space-separated token of `s`, without a trailing `:`.
fn first_token(s: &str) -> &str {
    let t = s.split(' ').next().unwrap_or("");
    // `Connection from 192.0.2.1 port 5: …` never ends the address with
    // `:`, but the old `… from 192.0.2.1: 11: …` forms do.
    match t.strip_suffix(':') {
        Some(v4) if !v4.contains(':') => v4,
        _ => t,
    }
}

/// An address that must be there.
fn addr(s: &str) -> Result<IpAddr, RecordError> {
    ip(first_token(s))?.ok_or(RecordError::fixed("bad source IP address"))
}

/// `Connection closed by X…`, `Disconnected from X…`: a probe only when `X`
/// is an address (not `authenticating user U`, `invalid user U`, `user U`
/// or `UNKNOWN`).
fn peer(ts: Ts, rest: &str) -> Result<Parsed<'_>, RecordError> {
    let t = first_token(rest);
    if matches!(t, "user" | "authenticating" | "invalid" | "UNKNOWN" | "") {
        return Ok(Parsed::Directive);
    }
    Ok(probe_event(ts, addr(rest)?, ""))
}

/// A probe event for a pre-authentication sshd message, else a directive.
pub(crate) fn probe(ts: Ts, msg: &str) -> Result<Parsed<'_>, RecordError> {
    let msg = ["error: ", "fatal: "]
        .iter()
        .find_map(|p| msg.strip_prefix(p))
        .unwrap_or(msg);
    if let Some(r) = msg.strip_prefix("Unable to negotiate with ") {
        let a = addr(r)?;
        let offer = r
            .split_once("Their offer: ")
            .map_or("", |(_, o)| o.strip_suffix(" [preauth]").unwrap_or(o));
        return Ok(probe_event(ts, a, offer));
    }
    if let Some(r) = msg.strip_prefix("Did not receive identification string from ") {
        return Ok(probe_event(ts, addr(r)?, ""));
    }
    if let Some(r) = msg.strip_prefix("Bad protocol version identification ") {
        // `'B' from IP port P`: B is client text and may contain ` from `.
        let (banner, r) = r
            .rsplit_once(" from ")
            .ok_or(RecordError::fixed("bad sshd protocol version line"))?;
        let banner = banner.strip_prefix('\'').unwrap_or(banner);
        let banner = banner.strip_suffix('\'').unwrap_or(banner);
        return Ok(probe_event(ts, addr(r)?, banner));
    }
    if let Some(r) = msg.strip_prefix("banner exchange: Connection from ") {
        return Ok(probe_event(ts, addr(r)?, ""));
    }
    if let Some(r) = msg.strip_prefix("ssh_dispatch_run_fatal: Connection from ") {
        return peer(ts, r);
    }
    if let Some(r) = msg.strip_prefix("Timeout before authentication for ") {
        return Ok(probe_event(ts, addr(r)?, ""));
    }
    for p in [
        "Connection closed by ",
        "Connection reset by ",
        "Disconnected from ",
    ] {
        if let Some(r) = msg.strip_prefix(p) {
            if p == "Disconnected from " && !r.ends_with("[preauth]") {
                // `Disconnected from IP port P` ends a session in old
                // versions; only the pre-authentication form is a probe.
                return Ok(Parsed::Directive);
            }
            return peer(ts, r);
        }
    }
    Ok(Parsed::Directive)
}
