//! Helpers shared by the cloud audit readers ([`crate::cloudtrail`],
//! [`crate::azure_activity`], [`crate::gcp_audit`]).

use crate::json::{scalar, Raw};
use crate::norm::text;
use haboob_model::{CloudEvent, RecordError, Ts};
use std::borrow::Cow;
use std::net::IpAddr;

/// The first non-empty scalar of `raws`.
pub(crate) fn first_of<'a>(raws: &[Option<Raw<'a>>]) -> Cow<'a, str> {
    for r in raws {
        let s = scalar(*r);
        if !s.is_empty() {
            return s;
        }
    }
    Cow::Borrowed("")
}

/// A record's time stamp (RFC 3339); `missing time` when empty.
pub(crate) fn time(s: &str) -> Result<Ts, RecordError> {
    if s.is_empty() {
        return Err(RecordError::fixed("missing time"));
    }
    Ts::parse_rfc3339(s).map_err(|e| RecordError::new(format!("bad time: {e}")))
}

/// The caller's address when the field holds one. Cloud audit logs put
/// other things there on purpose (`ec2.amazonaws.com`, `AWS Internal`,
/// GCP `private` / `gce-internal-ip`): no address, not a bad record.
pub(crate) fn lenient_ip(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    haboob_model::parse_addr(s)
}

/// A cloud event with its texts bounded.
pub(crate) fn event<'a>(
    ts: Ts,
    dataset: &'static str,
    source_ip: Option<IpAddr>,
    user: Cow<'a, str>,
    account: Cow<'a, str>,
    action: Cow<'a, str>,
) -> CloudEvent<'a> {
    CloudEvent {
        ts,
        dataset,
        source_ip,
        user: text(user),
        account: text(account),
        action: text(action),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_times() {
        assert_eq!(lenient_ip("ec2.amazonaws.com"), None);
        assert_eq!(lenient_ip("gce-internal-ip"), None);
        assert_eq!(lenient_ip(" 192.0.2.7 "), "192.0.2.7".parse().ok());
        assert_eq!(time("").unwrap_err().reason, "missing time");
        assert!(time("yesterday")
            .unwrap_err()
            .reason
            .starts_with("bad time"));
        assert_eq!(
            time("2020-09-14T00:44:23.000Z").unwrap(),
            Ts::parse_rfc3339("2020-09-14T00:44:23Z").unwrap()
        );
    }
}
