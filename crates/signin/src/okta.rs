//! Okta System Log events as JSON lines (one event object per line).
//!
//! | field            | source |
//! |------------------|--------|
//! | `ts`             | `published` |
//! | `user`/`domain`  | `actor.alternateId` |
//! | `source_ip`      | `client.ipAddress` |
//! | outcome, failure | `eventType`, `outcome.result`, `outcome.reason` |
//! | `app`            | `eventType` |
//! | `client`         | `client.userAgent.rawUserAgent` |
//! | `country`        | `client.geographicalContext.country` (as logged: a name) |
//! | `asn`            | `securityContext.asNumber` |
//!
//! Sign-in events: `user.session.start`, `user.authentication.*`,
//! `user.account.lock` (always a lockout failure) and
//! `user.mfa.okta_verify.deny_push` (always an MFA denial). Other event types
//! are [`Parsed::Directive`]. `outcome.result`: `SUCCESS`/`ALLOW` → success,
//! `CHALLENGE` → challenge (MFA required), `FAILURE`/`DENY` → failure classed
//! by `outcome.reason`: `INVALID_CREDENTIALS` → bad password, `LOCKED_OUT` →
//! locked, `VERIFICATION_ERROR` → MFA denied on MFA events and bad password
//! otherwise; an actor id of `unknown` or a reason naming an unknown user →
//! unknown user; anything else → other. Lower-case top-level keys (as some
//! pipelines write them: `eventtype`, `securitycontext`) are accepted.

use crate::json::{object_line, parse_line, scalar, Raw};
use crate::norm::{account, ip, text};
use haboob_model::{
    AuthEvent, AuthOutcome, EventRef, FailureClass, LineParser, Parsed, RecordError, Ts,
};
use serde::Deserialize;
use std::borrow::Cow;

/// Dataset name of Okta sign-ins.
pub const DATASET: &str = "auth.okta";

#[derive(Deserialize)]
struct Event<'a> {
    #[serde(borrow)]
    published: Option<Raw<'a>>,
    #[serde(borrow, rename = "eventType", alias = "eventtype")]
    event_type: Option<Raw<'a>>,
    #[serde(borrow)]
    outcome: Option<Outcome<'a>>,
    #[serde(borrow)]
    actor: Option<Actor<'a>>,
    #[serde(borrow)]
    client: Option<Client<'a>>,
    #[serde(borrow, rename = "securityContext", alias = "securitycontext")]
    security: Option<Security<'a>>,
}

#[derive(Deserialize)]
struct Outcome<'a> {
    #[serde(borrow)]
    result: Option<Raw<'a>>,
    #[serde(borrow)]
    reason: Option<Raw<'a>>,
}

#[derive(Deserialize)]
struct Actor<'a> {
    #[serde(borrow)]
    id: Option<Raw<'a>>,
    #[serde(borrow, rename = "alternateId")]
    alternate_id: Option<Raw<'a>>,
}

#[derive(Deserialize)]
struct Client<'a> {
    #[serde(borrow, rename = "ipAddress")]
    ip: Option<Raw<'a>>,
    #[serde(borrow, rename = "userAgent")]
    user_agent: Option<UserAgent<'a>>,
    #[serde(borrow, rename = "geographicalContext")]
    geo: Option<Geo<'a>>,
}

#[derive(Deserialize)]
struct UserAgent<'a> {
    #[serde(borrow, rename = "rawUserAgent")]
    raw: Option<Raw<'a>>,
}

#[derive(Deserialize)]
struct Geo<'a> {
    #[serde(borrow)]
    country: Option<Raw<'a>>,
}

#[derive(Deserialize)]
struct Security<'a> {
    #[serde(borrow, rename = "asNumber")]
    as_number: Option<Raw<'a>>,
}

/// Line parser for Okta System Log JSON lines.
#[derive(Debug, Default)]
pub struct OktaParser;

fn is_signin(et: &str) -> bool {
    et == "user.session.start"
        || et.starts_with("user.authentication.")
        || et == "user.account.lock"
        || et == "user.mfa.okta_verify.deny_push"
}

fn classify(
    et: &str,
    result: &str,
    reason: &str,
    actor_id: &str,
) -> Result<(AuthOutcome, Option<FailureClass>), RecordError> {
    use AuthOutcome::*;
    use FailureClass::*;
    if et == "user.account.lock" {
        return Ok((Failure, Some(LockedOut)));
    }
    if et == "user.mfa.okta_verify.deny_push" {
        return Ok((Failure, Some(MfaDenied)));
    }
    match result {
        "SUCCESS" | "ALLOW" => Ok((Success, None)),
        "CHALLENGE" => Ok((Challenge, Some(MfaRequired))),
        "FAILURE" | "DENY" => {
            let lower = reason.to_ascii_lowercase();
            let class = if actor_id.eq_ignore_ascii_case("unknown")
                || lower.contains("unknown user")
                || lower.contains("user not found")
                || lower == "unknown_user"
            {
                UnknownUser
            } else {
                match reason {
                    "INVALID_CREDENTIALS" => BadPassword,
                    "LOCKED_OUT" => LockedOut,
                    "VERIFICATION_ERROR" if et.contains("mfa") => MfaDenied,
                    "VERIFICATION_ERROR" => BadPassword,
                    _ => Other,
                }
            };
            Ok((Failure, Some(class)))
        }
        "" => Err(RecordError::fixed("missing outcome.result")),
        _ => Err(RecordError::fixed("unknown outcome.result")),
    }
}

impl LineParser for OktaParser {
    fn parse<'a>(&mut self, line: &'a str) -> Result<Parsed<'a>, RecordError> {
        let line = object_line(line).ok_or(RecordError::fixed("not a JSON object"))?;
        let ev: Event<'a> = parse_line(line)?;
        let Some(et) = ev.event_type.map(|r| scalar(Some(r))) else {
            return Err(RecordError::fixed("not an Okta System Log event"));
        };
        if !is_signin(&et) {
            return Ok(Parsed::Directive);
        }
        let published = scalar(ev.published);
        if published.is_empty() {
            return Err(RecordError::fixed("missing time"));
        }
        let ts = Ts::parse_rfc3339(&published)
            .map_err(|e| RecordError::new(format!("bad time: {e}")))?;
        let (actor_id, alt) = match ev.actor {
            Some(a) => (scalar(a.id), scalar(a.alternate_id)),
            None => (Cow::Borrowed(""), Cow::Borrowed("")),
        };
        let (user, domain) = account(alt, Cow::Borrowed(""))?;
        let (result, reason) = match ev.outcome {
            Some(o) => (scalar(o.result), scalar(o.reason)),
            None => (Cow::Borrowed(""), Cow::Borrowed("")),
        };
        let (outcome, failure) = classify(&et, &result, &reason, &actor_id)?;
        let (source_ip, client, country) = match ev.client {
            Some(c) => (
                ip(&scalar(c.ip))?,
                c.user_agent.map_or(Cow::Borrowed(""), |u| scalar(u.raw)),
                c.geo.map_or(Cow::Borrowed(""), |g| scalar(g.country)),
            ),
            None => (None, Cow::Borrowed(""), Cow::Borrowed("")),
        };
        Ok(Parsed::Event(EventRef::Auth(AuthEvent {
            ts,
            dataset: DATASET,
            source_ip,
            user,
            domain,
            tenant: Cow::Borrowed(""),
            host: Cow::Borrowed(""),
            outcome,
            failure,
            app: text(et),
            client: text(client),
            country: text(country),
            asn: ev.security.and_then(|s| scalar(s.as_number).parse().ok()),
            location: None,
        })))
    }
}
