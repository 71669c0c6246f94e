//! Google Workspace login audit (Admin SDK Reports API, application `login`).
//!
//! Accepted shapes, one object per line or pretty-printed over several
//! lines (a JSON array as the API and Sentinel samples give it; array
//! punctuation lines are [`Parsed::Directive`]):
//! - the Reports API activity: `id.time`, `id.customerId`, `actor.email`,
//!   `ipAddress`, `events[].name`, `events[].parameters[]`;
//! - the Sentinel custom-log row (`GWorkspace_ReportsAPI_login_CL`): the same
//!   object with flattened `event_name`, `login_failure_type`,
//!   `login_challenge_status`, or the column names Log Analytics gives them
//!   (`TimeGenerated`, `actor_email_s`, `ipAddress_s`, `event_name_s`,
//!   `login_failure_type_s`, `login_challenge_status_s`, `id_customerId_s`).
//!
//! | field            | source |
//! |------------------|--------|
//! | `ts`             | `id.time`, else `TimeGenerated` |
//! | `user`/`domain`  | `actor.email`, else `actor_email_s` |
//! | `source_ip`      | `ipAddress`, else `ipAddress_s` |
//! | `tenant`         | `id.customerId`, else `id_customerId_s` |
//! | `app`            | `login` |
//!
//! The first login event of `events[]` decides: `login_success` → success;
//! `login_failure` → failure by `login_failure_type`
//! (`login_failure_invalid_password` → bad password,
//! `login_failure_invalid_second_factor` → MFA denied,
//! `login_failure_account_disabled` → disabled, else other);
//! `login_challenge` and `login_verification` → challenge (MFA required), or
//! failure (MFA denied) when `login_challenge_status` is not passed;
//! `suspicious_login*` → challenge with class other (Google interrupts the
//! sign-in); `account_disabled_*` → failure (disabled). Other events
//! (`logout`, …) are [`Parsed::Directive`].

use crate::json::{parse_line, scalar, Gathered, JsonGather, Raw};
use crate::norm::{account, into_owned, ip, text};
use haboob_model::{
    AuthEvent, AuthOutcome, EventRef, FailureClass, LineParser, Parsed, RecordError, Ts,
};
use serde::Deserialize;
use std::borrow::Cow;

/// Dataset name of Google Workspace sign-ins.
pub const DATASET: &str = "auth.google";

#[derive(Deserialize)]
struct Activity<'a> {
    #[serde(borrow)]
    id: Option<Id<'a>>,
    #[serde(borrow)]
    actor: Option<ActorG<'a>>,
    #[serde(borrow, rename = "ipAddress")]
    ip: Option<Raw<'a>>,
    #[serde(borrow, default)]
    events: Vec<Ev<'a>>,
    #[serde(borrow, alias = "event_name_s")]
    event_name: Option<Raw<'a>>,
    #[serde(borrow, alias = "login_failure_type_s")]
    login_failure_type: Option<Raw<'a>>,
    #[serde(borrow, alias = "login_challenge_status_s")]
    login_challenge_status: Option<Raw<'a>>,
    #[serde(borrow, rename = "TimeGenerated")]
    generated: Option<Raw<'a>>,
    #[serde(borrow)]
    actor_email_s: Option<Raw<'a>>,
    #[serde(borrow)]
    #[serde(rename = "ipAddress_s")]
    ip_s: Option<Raw<'a>>,
    #[serde(borrow, rename = "id_customerId_s")]
    customer_s: Option<Raw<'a>>,
}

#[derive(Deserialize)]
struct Id<'a> {
    #[serde(borrow)]
    time: Option<Raw<'a>>,
    #[serde(borrow, rename = "customerId")]
    customer: Option<Raw<'a>>,
    #[serde(borrow, rename = "applicationName")]
    application: Option<Raw<'a>>,
}

#[derive(Deserialize)]
struct ActorG<'a> {
    #[serde(borrow)]
    email: Option<Raw<'a>>,
}

#[derive(Deserialize)]
struct Ev<'a> {
    #[serde(borrow)]
    name: Option<Raw<'a>>,
    #[serde(borrow, default)]
    parameters: Vec<Param<'a>>,
}

#[derive(Deserialize)]
struct Param<'a> {
    #[serde(borrow)]
    name: Option<Raw<'a>>,
    #[serde(borrow)]
    value: Option<Raw<'a>>,
}

fn or<'a>(a: Cow<'a, str>, b: Cow<'a, str>) -> Cow<'a, str> {
    if a.is_empty() {
        b
    } else {
        a
    }
}

fn classify(
    name: &str,
    failure_type: &str,
    challenge: &str,
) -> Option<(AuthOutcome, Option<FailureClass>)> {
    use AuthOutcome::*;
    use FailureClass::*;
    let passed = challenge.is_empty()
        || challenge.eq_ignore_ascii_case("passed")
        || challenge.eq_ignore_ascii_case("challenge passed");
    Some(match name {
        "login_success" => (Success, None),
        "login_failure" => (
            Failure,
            Some(match failure_type {
                "login_failure_invalid_password" => BadPassword,
                "login_failure_invalid_second_factor" => MfaDenied,
                "login_failure_account_disabled" => Disabled,
                _ => Other,
            }),
        ),
        "login_challenge" | "login_verification" if passed => (Challenge, Some(MfaRequired)),
        "login_challenge" | "login_verification" => (Failure, Some(MfaDenied)),
        n if n.starts_with("suspicious_login") || n == "suspicious_programmatic_login" => {
            (Challenge, Some(Other))
        }
        n if n.starts_with("account_disabled") => (Failure, Some(Disabled)),
        _ => return None,
    })
}

fn activity(line: &str) -> Result<Parsed<'_>, RecordError> {
    let a: Activity<'_> = parse_line(line)?;
    let (time, customer, app_name) = match &a.id {
        Some(id) => (scalar(id.time), scalar(id.customer), scalar(id.application)),
        None => (Cow::Borrowed(""), Cow::Borrowed(""), Cow::Borrowed("")),
    };
    let flat_name = scalar(a.event_name);
    if a.events.is_empty() && flat_name.is_empty() {
        return Err(RecordError::fixed("not a Google Workspace activity"));
    }
    if !app_name.is_empty() && app_name != "login" {
        return Ok(Parsed::Directive);
    }
    let mut decided = None;
    for ev in &a.events {
        let name = scalar(ev.name);
        let mut ft = Cow::Borrowed("");
        let mut cs = Cow::Borrowed("");
        for p in &ev.parameters {
            match scalar(p.name).as_ref() {
                "login_failure_type" => ft = scalar(p.value),
                "login_challenge_status" => cs = scalar(p.value),
                _ => {}
            }
        }
        if let Some(d) = classify(&name, &ft, &cs) {
            decided = Some(d);
            break;
        }
    }
    if decided.is_none() && a.events.is_empty() {
        decided = classify(
            &flat_name,
            &scalar(a.login_failure_type),
            &scalar(a.login_challenge_status),
        );
    }
    let Some((outcome, failure)) = decided else {
        return Ok(Parsed::Directive);
    };
    let time = or(time, scalar(a.generated));
    if time.is_empty() {
        return Err(RecordError::fixed("missing time"));
    }
    let ts = Ts::parse_rfc3339(&time).map_err(|e| RecordError::new(format!("bad time: {e}")))?;
    let email = or(
        a.actor.map_or(Cow::Borrowed(""), |x| scalar(x.email)),
        scalar(a.actor_email_s),
    );
    let (user, domain) = account(email, Cow::Borrowed(""))?;
    let source_ip = ip(&or(scalar(a.ip), scalar(a.ip_s)))?;
    Ok(Parsed::Event(EventRef::Auth(AuthEvent {
        ts,
        dataset: DATASET,
        source_ip,
        user,
        domain,
        tenant: text(or(customer, scalar(a.customer_s))),
        host: Cow::Borrowed(""),
        outcome,
        failure,
        app: Cow::Borrowed("login"),
        client: Cow::Borrowed(""),
        country: Cow::Borrowed(""),
        asn: None,
        location: None,
    })))
}

/// Line parser for Google Workspace login activities.
#[derive(Debug, Default)]
pub struct GoogleParser {
    gather: JsonGather,
}

impl LineParser for GoogleParser {
    fn parse<'a>(&mut self, line: &'a str) -> Result<Parsed<'a>, RecordError> {
        if self.gather.is_idle() {
            let t = line.trim_start_matches('\u{feff}').trim();
            if !(t.starts_with('{')
                || t.starts_with('[')
                || t.starts_with(']')
                || t.is_empty()
                || t == ",")
            {
                return Err(RecordError::fixed("not a JSON object"));
            }
        }
        match self.gather.feed(line)? {
            Gathered::Nothing => Ok(Parsed::Directive),
            Gathered::Line(l) => activity(l),
            Gathered::Owned(text) => Ok(match activity(text)? {
                Parsed::Event(EventRef::Auth(ev)) => Parsed::Event(EventRef::Auth(into_owned(ev))),
                _ => Parsed::Directive,
            }),
        }
    }
}
