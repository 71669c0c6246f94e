//! Query strings: known parameters only, each at most once, bounded, and
//! a 400 naming the parameter when a value does not parse.

use crate::ApiError;
use haboob_model::{Severity, TargetSector, Ts};
use haboob_store::{AlertQuery, CampaignQuery, NotificationState, Status};
use std::collections::BTreeMap;

/// Longest value accepted for a query parameter.
const MAX_VALUE: usize = 512;

/// Parsed query parameters.
#[derive(Debug, Default)]
pub(crate) struct Params(BTreeMap<&'static str, String>);

impl Params {
    /// Parse `raw`, accepting only the names in `allowed`.
    pub(crate) fn parse(raw: Option<&str>, allowed: &[&'static str]) -> Result<Params, ApiError> {
        let mut map = BTreeMap::new();
        for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            let Some(name) = allowed.iter().find(|a| **a == k) else {
                return Err(ApiError::param(&k, "unknown parameter"));
            };
            if v.len() > MAX_VALUE {
                return Err(ApiError::param(
                    name,
                    format!("longer than {MAX_VALUE} bytes"),
                ));
            }
            if map.insert(*name, v.into_owned()).is_some() {
                return Err(ApiError::param(name, "given more than once"));
            }
        }
        Ok(Params(map))
    }

    /// A non-empty value (empty values do not filter, as from an HTML form).
    pub(crate) fn str(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    fn parsed<T>(
        &self,
        name: &str,
        f: impl FnOnce(&str) -> Option<T>,
        expected: &str,
    ) -> Result<Option<T>, ApiError> {
        match self.str(name) {
            None => Ok(None),
            Some(v) => f(v)
                .map(Some)
                .ok_or_else(|| ApiError::param(name, format!("expected {expected}"))),
        }
    }

    pub(crate) fn severity(&self, name: &str) -> Result<Option<Severity>, ApiError> {
        self.parsed(name, parse_severity, "low, medium, high or critical")
    }

    pub(crate) fn status(&self, name: &str) -> Result<Option<Status>, ApiError> {
        self.parsed(name, parse_status, "new, triaged, notified or closed")
    }

    pub(crate) fn sector(&self, name: &str) -> Result<Option<TargetSector>, ApiError> {
        self.parsed(
            name,
            parse_sector,
            "election, news, campaign, government or other",
        )
    }

    pub(crate) fn notification_state(
        &self,
        name: &str,
    ) -> Result<Option<NotificationState>, ApiError> {
        self.parsed(
            name,
            |v| match v {
                "pending" => Some(NotificationState::Pending),
                "sent" => Some(NotificationState::Sent),
                "failed" => Some(NotificationState::Failed),
                _ => None,
            },
            "pending, sent or failed",
        )
    }

    pub(crate) fn time(&self, name: &str) -> Result<Option<Ts>, ApiError> {
        self.parsed(
            name,
            |v| Ts::parse_rfc3339(v).ok(),
            "an RFC 3339 time such as 2024-05-01T00:00:00Z",
        )
    }

    pub(crate) fn bool(&self, name: &str) -> Result<bool, ApiError> {
        Ok(self
            .parsed(
                name,
                |v| match v {
                    "true" | "1" => Some(true),
                    "false" | "0" => Some(false),
                    _ => None,
                },
                "true or false",
            )?
            .unwrap_or(false))
    }

    /// A page size, 1..=500 (0 or absent: the store's default).
    pub(crate) fn limit(&self) -> Result<u32, ApiError> {
        Ok(self
            .parsed(
                "limit",
                |v| v.parse::<u32>().ok().filter(|n| (1..=500).contains(n)),
                "a whole number from 1 to 500",
            )?
            .unwrap_or(0))
    }

    pub(crate) fn offset(&self) -> Result<u64, ApiError> {
        Ok(self
            .parsed(
                "offset",
                |v| v.parse::<u64>().ok(),
                "a whole number of rows to skip",
            )?
            .unwrap_or(0))
    }

    fn text(&self, name: &str) -> Option<String> {
        self.str(name).map(str::to_string)
    }
}

/// Parameters of the campaign list.
pub(crate) const CAMPAIGN_PARAMS: &[&str] = &[
    "severity",
    "sector",
    "organisation",
    "tool",
    "status",
    "since",
    "until",
    "include_superseded",
    "limit",
    "offset",
];

/// The campaign filter of `p`.
pub(crate) fn campaign_query(p: &Params) -> Result<CampaignQuery, ApiError> {
    let q = CampaignQuery {
        min_severity: p.severity("severity")?,
        sector: p.sector("sector")?,
        organisation: p.text("organisation"),
        tool: p.text("tool"),
        status: p.status("status")?,
        since: p.time("since")?,
        until: p.time("until")?,
        include_superseded: p.bool("include_superseded")?,
        limit: p.limit()?,
        offset: p.offset()?,
    };
    if let (Some(s), Some(u)) = (q.since, q.until) {
        if s > u {
            return Err(ApiError::param("since", "later than until"));
        }
    }
    Ok(q)
}

/// Parameters of the alert list.
pub(crate) const ALERT_PARAMS: &[&str] = &[
    "campaign", "detector", "severity", "source", "target", "user", "since", "until", "limit",
    "offset",
];

/// The alert filter of `p`.
pub(crate) fn alert_query(p: &Params) -> Result<AlertQuery, ApiError> {
    Ok(AlertQuery {
        campaign: p.text("campaign"),
        detector: p.text("detector"),
        min_severity: p.severity("severity")?,
        source: p.text("source"),
        target: p.text("target"),
        user: p.text("user"),
        since: p.time("since")?,
        until: p.time("until")?,
        limit: p.limit()?,
        offset: p.offset()?,
    })
}

pub(crate) fn parse_severity(v: &str) -> Option<Severity> {
    match v {
        "low" => Some(Severity::Low),
        "medium" => Some(Severity::Medium),
        "high" => Some(Severity::High),
        "critical" => Some(Severity::Critical),
        _ => None,
    }
}

pub(crate) fn parse_status(v: &str) -> Option<Status> {
    match v {
        "new" => Some(Status::New),
        "triaged" => Some(Status::Triaged),
        "notified" => Some(Status::Notified),
        "closed" => Some(Status::Closed),
        _ => None,
    }
}

pub(crate) fn parse_sector(v: &str) -> Option<TargetSector> {
    match v {
        "election" => Some(TargetSector::Election),
        "news" => Some(TargetSector::News),
        "campaign" => Some(TargetSector::Campaign),
        "government" => Some(TargetSector::Government),
        "other" => Some(TargetSector::Other),
        _ => None,
    }
}

/// Lower-case name of a status.
pub(crate) fn status_str(s: Status) -> &'static str {
    match s {
        Status::New => "new",
        Status::Triaged => "triaged",
        Status::Notified => "notified",
        Status::Closed => "closed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(raw: &str) -> String {
        match Params::parse(Some(raw), CAMPAIGN_PARAMS).and_then(|p| campaign_query(&p)) {
            Ok(q) => panic!("{raw} parsed as {q:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn campaign_filters() {
        let p = Params::parse(
            Some("severity=high&status=triaged&organisation=Ohio%20SoS&tool=sqlmap&since=2024-05-01T00:00:00Z&limit=10&offset=20&sector="),
            CAMPAIGN_PARAMS,
        )
        .expect("parses");
        let q = campaign_query(&p).expect("valid");
        assert_eq!(q.min_severity, Some(Severity::High));
        assert_eq!(q.status, Some(Status::Triaged));
        assert_eq!(q.organisation.as_deref(), Some("Ohio SoS"));
        assert_eq!(q.tool.as_deref(), Some("sqlmap"));
        assert_eq!(
            q.since,
            Some(Ts::parse_rfc3339("2024-05-01T00:00:00Z").expect("ts"))
        );
        assert_eq!((q.limit, q.offset, q.sector), (10, 20, None));
    }

    #[test]
    fn bad_values_name_the_parameter() {
        assert!(err("severity=huge").starts_with("severity: expected"));
        assert!(err("since=yesterday").starts_with("since: expected an RFC 3339"));
        assert!(err("limit=0").starts_with("limit:"));
        assert!(err("limit=501").starts_with("limit:"));
        assert!(err("offset=-1").starts_with("offset:"));
        assert!(err("status=open").starts_with("status:"));
        assert!(err("sector=army").starts_with("sector:"));
        assert_eq!(err("colour=red"), "colour: unknown parameter");
        assert_eq!(
            err("status=new&status=closed"),
            "status: given more than once"
        );
        assert!(err("since=2024-05-02T00:00:00Z&until=2024-05-01T00:00:00Z").starts_with("since:"));
        assert!(err(&format!("organisation={}", "x".repeat(600))).starts_with("organisation:"));
        assert!(err(&format!("tool={}", "x".repeat(600))).starts_with("tool:"));
    }
}
