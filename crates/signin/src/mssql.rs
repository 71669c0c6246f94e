//! SQL Server login failures (event 18456): the failure class of the
//! reason text and the sign-in of the event's data, shared by the
//! `ERRORLOG` reader ([`crate::mail`]), the EVTX reader ([`crate::evtx`])
//! and the event XML text parser ([`crate::winxml`]).

use crate::evtx::MSSQL_DATASET;
use crate::norm::{account, ip};
use haboob_model::{AuthEvent, AuthOutcome, FailureClass, RecordError, Ts};
use std::borrow::Cow;
use FailureClass::{BadPassword, Disabled, Expired, LockedOut, Other, UnknownUser};

/// Outcome of a SQL Server `Login failed … Reason:` text:
/// "Could not find a login matching the name provided" → unknown user;
/// "Password did not match" → bad password; "account is disabled" →
/// disabled; "password of the account has expired" / "must be changed" →
/// expired; "locked out" → locked; anything else → other.
pub fn mssql_reason(reason: &str) -> FailureClass {
    if reason.contains("Could not find a login matching") {
        UnknownUser
    } else if reason.contains("Password did not match") {
        BadPassword
    } else if reason.contains("account is disabled") {
        Disabled
    } else if reason.contains("has expired") || reason.contains("must be changed") {
        Expired
    } else if reason.contains("locked out") {
        LockedOut
    } else {
        Other
    }
}

pub(crate) fn no_mssql_data() -> RecordError {
    RecordError::fixed("SQL Server 18456 without its user, reason and client data")
}

/// SQL Server 18456 (login failed) from its unnamed `Data` values
/// `[user, " Reason: …", " [CLIENT: IP]"]`: shared by the EVTX reader and
/// the event XML text parser.
pub(crate) fn mssql<'a>(ts: Ts, data: Vec<Cow<'a, str>>) -> Result<AuthEvent<'a>, RecordError> {
    let mut vals = data.into_iter();
    let (Some(user), Some(reason), client) = (vals.next(), vals.next(), vals.next()) else {
        return Err(no_mssql_data());
    };
    let class = mssql_reason(&reason);
    let client = client.unwrap_or_default();
    let addr = client
        .trim()
        .strip_prefix("[CLIENT: ")
        .and_then(|c| c.strip_suffix(']'))
        .unwrap_or("");
    // `<local machine>` and named pipes are not addresses.
    let addr = if addr.parse::<std::net::IpAddr>().is_ok() || addr.contains(':') {
        ip(addr)?
    } else {
        None
    };
    let (user, domain) = if user.trim().is_empty() {
        (Cow::Borrowed(""), Cow::Borrowed(""))
    } else {
        account(user, Cow::Borrowed(""))?
    };
    Ok(AuthEvent {
        ts,
        dataset: MSSQL_DATASET,
        source_ip: addr,
        user,
        domain,
        tenant: Cow::Borrowed(""),
        host: Cow::Borrowed(""),
        outcome: AuthOutcome::Failure,
        failure: Some(class),
        app: Cow::Borrowed("mssql"),
        client: Cow::Borrowed(""),
        country: Cow::Borrowed(""),
        asn: None,
        location: None,
    })
}
