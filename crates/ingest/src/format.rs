//! The supported log formats and their parsers.

use crate::alb::Alb;
use crate::clf::{Clf, ClfKind};
use crate::errorlog::ErrorLog;
use crate::iis::Iis;
use crate::json::{JsonFieldMap, JsonParser};
use crate::netjson::{Suricata, ZeekJsonParser};
use crate::proxy::ProxyConfig;
use crate::squid::Squid;
use crate::text::{Public, RecordParser};
use crate::zeek::Zeek;
use crate::zoraxy::Zoraxy;
use haboob_model::{LineParser, Parsed, RecordError};
use haboob_signin::SigninFormat;
use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

/// Log formats. [`Format::name`] is the CLI `--format` spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Format {
    /// NCSA combined (`combined`): nginx and Apache default.
    Combined,
    /// NCSA common (`common`): combined without referrer and user agent.
    Common,
    /// Apache `vhost_combined` (`vhost-combined`): `%v:%p` (or `%v`) then combined.
    VhostCombined,
    /// BunkerWeb (`bunkerweb`): `vhost-combined` with an optional request id
    /// before the user field.
    BunkerWeb,
    /// IIS W3C extended (`iis`), driven by `#Fields:` directives.
    Iis,
    /// One JSON object per line (`json`), mapped with [`JsonFieldMap`].
    Json,
    /// AWS Application Load Balancer access logs (`aws-alb`).
    AwsAlb,
    /// Zoraxy reverse proxy logs (`zoraxy`).
    Zoraxy,
    /// nginx and Apache error logs (`error-log`): firewall and access-rule
    /// denials become events, other lines are read and counted.
    ErrorLog,
    /// Zeek ASCII logs (`zeek`): `dns.log`, `http.log`, `ssl.log`,
    /// `conn.log` with their `#fields` header.
    Zeek,
    /// Zeek JSON logs (`zeek-json`), one object per line.
    ZeekJson,
    /// Suricata EVE JSON (`suricata`): `dns`, `http` and `tls` records.
    Suricata,
    /// Squid native `access.log` (`squid`).
    Squid,
    /// A sign-in source (Entra ID, Microsoft 365, Okta, Google Workspace,
    /// host and mail server logs, Windows EVTX).
    Signin(SigninFormat),
}

/// The formats ingest parses itself, in auto-detection tie-break order; the
/// sign-in formats follow them, in [`SigninFormat::all`]'s order (listed
/// there once).
const OWN: &[Format] = &[
    Format::Combined,
    Format::Common,
    Format::VhostCombined,
    Format::BunkerWeb,
    Format::Iis,
    Format::Json,
    Format::AwsAlb,
    Format::Zoraxy,
    Format::ErrorLog,
    Format::Zeek,
    Format::ZeekJson,
    Format::Suricata,
    Format::Squid,
];

/// Every format: [`OWN`], then the sign-in formats.
static ALL: LazyLock<Vec<Format>> = LazyLock::new(|| {
    OWN.iter()
        .copied()
        .chain(SigninFormat::all().iter().map(|f| Format::Signin(*f)))
        .collect()
});

impl Format {
    /// The CLI spelling, e.g. `vhost-combined`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Combined => "combined",
            Format::Common => "common",
            Format::VhostCombined => "vhost-combined",
            Format::BunkerWeb => "bunkerweb",
            Format::Zoraxy => "zoraxy",
            Format::Iis => "iis",
            Format::Json => "json",
            Format::AwsAlb => "aws-alb",
            Format::ErrorLog => "error-log",
            Format::Zeek => "zeek",
            Format::ZeekJson => "zeek-json",
            Format::Suricata => "suricata",
            Format::Squid => "squid",
            Format::Signin(f) => f.name(),
        }
    }

    /// Every format, in auto-detection tie-break order.
    pub fn all() -> &'static [Format] {
        ALL.as_slice()
    }

    /// A fresh parser (stateful for IIS: use one per file).
    ///
    /// Values that need decoding (IIS `+` in user agents, JSON string escapes)
    /// are returned as logged through this interface; [`crate::read_input`]
    /// decodes them. Combined logs take the forwarding header from the first
    /// quoted field after the user agent (the default of
    /// [`crate::ProxyConfig::combined_field`]).
    pub fn parser(self, json_fields: &JsonFieldMap) -> Box<dyn LineParser> {
        Box::new(Public(self.record_parser(json_fields)))
    }

    /// The internal parser with decoding support (default combined field).
    pub(crate) fn record_parser(self, json_fields: &JsonFieldMap) -> Box<dyn RecordParser> {
        self.record_parser_with(json_fields, ProxyConfig::default().combined_field)
    }

    /// Whether each line parses on its own, so blocks of lines can be parsed
    /// by separate parsers (not IIS `#Fields:`, CSV headers, or syslog's
    /// year inference, which carry state from line to line).
    pub(crate) fn lines_are_independent(self) -> bool {
        matches!(
            self,
            Format::Combined
                | Format::Common
                | Format::VhostCombined
                | Format::BunkerWeb
                | Format::Zoraxy
                | Format::Json
                | Format::AwsAlb
                | Format::ErrorLog
                | Format::ZeekJson
                | Format::Suricata
                | Format::Squid
        )
    }

    /// Whether parsing a line costs enough, next to detecting on it, that
    /// parsing blocks on other threads pays for handing the events over.
    /// Measured (BENCHMARKS.md, 2 cores): JSON lines 9 % less wall time;
    /// combined logs none (parsing is about a fifth of the work, detection
    /// the rest) for 20 % more CPU.
    pub(crate) fn parse_outweighs_hand_off(self) -> bool {
        matches!(self, Format::Json)
    }

    /// The internal parser; `xff` is the combined logs' forwarding field.
    pub(crate) fn record_parser_with(
        self,
        json_fields: &JsonFieldMap,
        xff: u8,
    ) -> Box<dyn RecordParser> {
        match self {
            Format::Combined => Box::new(Clf::new(ClfKind::Combined, xff)),
            Format::Common => Box::new(Clf::new(ClfKind::Common, 0)),
            Format::VhostCombined => Box::new(Clf::new(ClfKind::VhostCombined, xff)),
            Format::BunkerWeb => Box::new(Clf::new(ClfKind::BunkerWeb, xff)),
            Format::Zoraxy => Box::new(Zoraxy),
            Format::Iis => Box::new(Iis::default()),
            Format::Json => Box::new(JsonParser::new(json_fields)),
            Format::AwsAlb => Box::new(Alb),
            Format::ErrorLog => Box::new(ErrorLog(xff)),
            Format::Zeek => Box::new(Zeek::default()),
            Format::ZeekJson => Box::new(ZeekJsonParser),
            Format::Suricata => Box::new(Suricata),
            Format::Squid => Box::new(Squid),
            Format::Signin(f) => match f.line_parser() {
                Some(p) => Box::new(SigninLines(p)),
                None => Box::new(NotLines),
            },
        }
    }
}

/// A sign-in parser behind the internal trait (it decodes its own values).
struct SigninLines(Box<dyn LineParser>);

impl RecordParser for SigninLines {
    fn parse_rec<'a>(
        &mut self,
        line: &'a str,
        _scratch: Option<&'a mut String>,
    ) -> Result<Parsed<'a>, RecordError> {
        self.0.parse(line)
    }
}

/// A record format (EVTX) offered a text line: every line is rejected.
struct NotLines;

impl RecordParser for NotLines {
    fn parse_rec<'a>(
        &mut self,
        _line: &'a str,
        _scratch: Option<&'a mut String>,
    ) -> Result<Parsed<'a>, RecordError> {
        Err(RecordError::fixed(
            "not an EVTX file (EVTX is a binary record format)",
        ))
    }
}

impl Format {
    /// Whether the format's records are JSON objects (such inputs may also be
    /// JSON documents: arrays and page wrappers).
    pub fn is_json(self) -> bool {
        matches!(
            self,
            Format::Json
                | Format::Signin(
                    SigninFormat::Entra
                        | SigninFormat::M365
                        | SigninFormat::Okta
                        | SigninFormat::Google
                        | SigninFormat::CloudTrail
                        | SigninFormat::AzureActivity
                        | SigninFormat::AzureRisk
                        | SigninFormat::GcpAudit
                )
        )
    }

    /// Whether the format reads binary records rather than lines.
    pub fn is_record_format(self) -> bool {
        matches!(self, Format::Signin(SigninFormat::Evtx))
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Format, String> {
        ALL.iter().copied().find(|f| f.name() == s).ok_or_else(|| {
            let names: Vec<&str> = ALL.iter().map(|f| f.name()).collect();
            format!(
                "unknown format {:?} (expected one of: {})",
                s.chars().take(40).collect::<String>(),
                names.join(", ")
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_registry_every_format_once() {
        let all = Format::all();
        let names: std::collections::BTreeSet<&str> = all.iter().map(|f| f.name()).collect();
        assert_eq!(names.len(), all.len(), "a name is used twice");
        for f in SigninFormat::all() {
            assert_eq!(all.iter().filter(|g| **g == Format::Signin(*f)).count(), 1);
        }
        assert_eq!(all.len(), OWN.len() + SigninFormat::all().len());
        // The public parser is the internal one: same answer on one line.
        let line = r#"192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1"#;
        let m = JsonFieldMap::default();
        for f in all {
            let a = f.parser(&m).parse(line).map(|p| format!("{p:?}"));
            let b = f
                .record_parser(&m)
                .parse_rec(line, None)
                .map(|p| format!("{p:?}"));
            assert_eq!(a.map_err(|e| e.reason), b.map_err(|e| e.reason), "{f}");
        }
    }

    #[test]
    fn names_round_trip() {
        for f in Format::all() {
            assert_eq!(f.name().parse::<Format>(), Ok(*f));
        }
        assert_eq!(
            "apache".parse::<Format>().unwrap_err(),
            "unknown format \"apache\" (expected one of: combined, common, vhost-combined, bunkerweb, iis, json, \
             aws-alb, zoraxy, error-log, zeek, zeek-json, suricata, squid, entra, entra-csv, m365, m365-csv, okta, google, syslog, windows-xml, auditd, evtx, \
             cloudtrail, azure-activity, azure-risk, gcp-audit)"
        );
    }
}
