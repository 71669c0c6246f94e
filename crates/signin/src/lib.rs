//! Sign-in sources normalized to [`haboob_model::AuthEvent`], and the cloud
//! audit sources ([`haboob_model::CloudEvent`]) read with the same JSON
//! machinery.
//!
//! Each source is a [`SigninFormat`]; line-framed formats give a
//! [`haboob_model::LineParser`] ([`SigninFormat::line_parser`]), Windows
//! `.evtx` files are read with [`read_evtx`]. Every parser turns a record
//! into one normalized event (`Parsed::Event`), a record it understands but
//! that is not a sign-in (`Parsed::Directive`: CSV header, audit record of
//! another operation, other program's syslog line), or a rejection with a
//! reason ([`haboob_model::RecordError`]). Parsers reject lines of other
//! formats on a cheap first-byte / header check, so trying each format on
//! the first lines of a file detects it.
//!
//! | format | name | module docs (field mapping) | dataset |
//! |--------|------|-----------------------------|---------|
//! | Entra ID sign-ins, JSON (diagnostic export or `SigninLogs` rows) | `entra` | [`entra`] | `auth.entra` |
//! | Entra ID `SigninLogs`, Log Analytics CSV export | `entra-csv` | [`entra_csv`] | `auth.entra` |
//! | Microsoft 365 unified audit, JSON (AuditData / `OfficeActivity`) | `m365` | [`m365`] | `auth.m365` |
//! | Microsoft 365 unified audit, CSV (Purview / `OfficeActivity`) | `m365-csv` | [`m365`] | `auth.m365` |
//! | Okta System Log, JSON | `okta` | [`okta`] | `auth.okta` |
//! | Google Workspace login activities, JSON | `google` | [`google`] | `auth.google` |
//! | OpenSSH, Dovecot, Postfix SASL in syslog | `syslog` | [`syslog`] | `auth.sshd`, `auth.dovecot`, `auth.postfix` |
//! | Exim, Courier, Cyrus, Sendmail, Dropbear, nginx mail, Zimbra, SQL Server `ERRORLOG` (syslog or own files) | `syslog` | [`mail`] | `auth.exim`, `auth.courier`, `auth.cyrus`, `auth.sendmail`, `auth.dropbear`, `auth.nginx_mail`, `auth.zimbra`, `auth.mssql` |
//! | Exchange IMAP4 / POP3 / SMTP receive protocol logs | `syslog` | [`exchange`] | `auth.exchange` |
//! | Roundcube, SOGo, Horde (syslog or own files) | `syslog` | [`webmail`] | `auth.roundcube`, `auth.sogo`, `auth.horde` |
//! | Samba `auth_audit`, `auth_json_audit` (syslog or `log.samba`) | `syslog` | [`samba`] | `auth.samba` |
//! | AWS CloudTrail records (`{"Records":[…]}` files, JSON Lines, arrays; `ConsoleLogin` also a sign-in) | `cloudtrail` | [`cloudtrail`] | `cloud.aws.cloudtrail`, `auth.aws` |
//! | Azure activity log (diagnostic export, REST, `AzureActivity`) | `azure-activity` | [`azure_activity`] | `cloud.azure.activitylogs` |
//! | Entra ID Identity Protection risk detections | `azure-risk` | [`azure_activity`] | `cloud.azure.riskdetection` |
//! | GCP Cloud Audit Logs (`LogEntry` with an `AuditLog` payload) | `gcp-audit` | [`gcp_audit`] | `cloud.gcp.audit` |
//! | Windows Security `.evtx`; SQL Server 18456 in the Application `.evtx` (and every record of any channel as a Windows event, [`read_evtx_events`]) | `evtx` | [`evtx`] | `auth.windows`, `auth.mssql` |
//! | Sysmon for Linux `<Event>` XML in syslog (`sysmon:` lines; every one a Windows-style event of channel `Linux-Sysmon/Operational`) | `syslog` | [`sysmonlinux`] | - |
//! | Linux audit records (`/var/log/audit/audit.log`, raw or enriched; also via the audisp syslog plugin in `syslog`), every record an [`haboob_model::EventRef::Audit`]; remote sign-ins (sshd's `USER_LOGIN`, other programs' PAM `USER_AUTH`) also sign-ins | `auditd` | [`auditd`] | `auth.auditd` |
//! | The same events as XML text, one `<Event>` per line (`wevtutil qe /f:xml`, Event Forwarding, Winlogbeat raw XML); every line a Windows event, sign-ins as [`haboob_model::Parsed::Both`] | `windows-xml` | [`winxml`] | `auth.windows`, `auth.mssql` |
//!
//! Common rules: user names are case-folded; `alice@contoso.com` keeps the
//! whole name as `user` and `contoso.com` as `domain`; `CONTOSO\alice` gives
//! `alice` and `contoso`. Names over 320 bytes are rejected, free text (user
//! agent, app, country, tenant) is cut to 512 bytes. IPv4-mapped IPv6
//! addresses become IPv4. Entra ID (AAD STS) result codes, used by Entra and
//! by Microsoft 365 `ErrorNumber`: 0 success; 50126 bad password; 50034
//! unknown user; 50053 locked (also smart lockout / blocked IP); 50057
//! disabled; 50055 expired; 50074, 50076, 50079 challenge (MFA required);
//! 500121 MFA denied; any other code failure (other).
//!
//! ```
//! use haboob_model::{AuthOutcome, EventRef, FailureClass, Parsed};
//! use haboob_signin::SigninFormat;
//!
//! let fmt: SigninFormat = "entra".parse().unwrap();
//! let mut p = fmt.line_parser().unwrap();
//! let line = r#"{"TimeGenerated":"2024-05-01T10:00:00Z","UserPrincipalName":"Alice@Contoso.com","IPAddress":"203.0.113.9","ResultType":"50126","AppDisplayName":"Office 365 Exchange Online"}"#;
//! let Parsed::Event(EventRef::Auth(ev)) = p.parse(line).unwrap() else { panic!() };
//! assert_eq!(ev.user, "alice@contoso.com");
//! assert_eq!(ev.domain, "contoso.com");
//! assert_eq!(ev.outcome, AuthOutcome::Failure);
//! assert_eq!(ev.failure, Some(FailureClass::BadPassword));
//! ```
#![deny(missing_docs)]

pub mod auditd;
pub mod azure_activity;
mod cloud;
pub mod cloudtrail;
mod csvrec;
pub mod entra;
pub mod entra_csv;
pub mod evtx;
pub mod exchange;
pub mod gcp_audit;
pub mod google;
mod json;
pub mod m365;
pub mod mail;
mod mailsys;
mod mssql;
mod norm;
pub mod okta;
pub mod samba;
pub mod sshprobe;
pub mod syslog;
pub mod sysmonlinux;
pub mod webmail;
pub mod winxml;

use haboob_model::{AuthEvent, LineParser, RecordError};
use std::path::{Path, PathBuf};
use std::str::FromStr;

pub use auditd::AuditdParser;
pub use azure_activity::{AzureActivityParser, AzureRiskParser};
pub use cloudtrail::CloudTrailParser;
pub use entra::EntraParser;
pub use entra_csv::EntraCsvParser;
pub use gcp_audit::GcpAuditParser;
pub use google::GoogleParser;
pub use m365::{M365CsvParser, M365Parser};
pub use okta::OktaParser;
pub use syslog::SyslogParser;
pub use winxml::WinXmlParser;

/// A sign-in source format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum SigninFormat {
    /// Entra ID sign-in JSON lines (`entra`).
    Entra,
    /// Entra ID `SigninLogs` Log Analytics CSV export (`entra-csv`).
    EntraCsv,
    /// Microsoft 365 unified audit JSON lines (`m365`).
    M365,
    /// Microsoft 365 unified audit CSV export (`m365-csv`).
    M365Csv,
    /// Okta System Log JSON lines (`okta`).
    Okta,
    /// Google Workspace login activities (`google`).
    Google,
    /// Host and mail sign-ins in syslog or in the mail servers' own log
    /// files (`syslog`): OpenSSH, Dovecot, Postfix, Exim, Courier, Cyrus,
    /// Sendmail, Dropbear, nginx mail, Zimbra, Exchange protocol logs, SQL
    /// Server `ERRORLOG`, Roundcube, SOGo, Horde, Samba.
    Syslog,
    /// Windows events as XML text, one `<Event>` per line (`windows-xml`):
    /// the same events as [`SigninFormat::Evtx`].
    WindowsXml,
    /// Linux audit logs, one record per line (`auditd`): every record a
    /// Linux audit event ([`haboob_model::EventRef::Audit`]).
    Auditd,
    /// Windows event log files (`evtx`): Security sign-ins, SQL Server 18456.
    Evtx,
    /// AWS CloudTrail records (`cloudtrail`).
    CloudTrail,
    /// Azure activity log records (`azure-activity`).
    AzureActivity,
    /// Entra ID Identity Protection risk detections (`azure-risk`).
    AzureRisk,
    /// GCP Cloud Audit Logs (`gcp-audit`).
    GcpAudit,
}

const ALL: [SigninFormat; 14] = [
    SigninFormat::Entra,
    SigninFormat::EntraCsv,
    SigninFormat::M365,
    SigninFormat::M365Csv,
    SigninFormat::Okta,
    SigninFormat::Google,
    SigninFormat::Syslog,
    SigninFormat::WindowsXml,
    SigninFormat::Auditd,
    SigninFormat::Evtx,
    SigninFormat::CloudTrail,
    SigninFormat::AzureActivity,
    SigninFormat::AzureRisk,
    SigninFormat::GcpAudit,
];

impl SigninFormat {
    /// The format's name, as accepted by [`FromStr`].
    pub fn name(self) -> &'static str {
        match self {
            SigninFormat::Entra => "entra",
            SigninFormat::EntraCsv => "entra-csv",
            SigninFormat::M365 => "m365",
            SigninFormat::M365Csv => "m365-csv",
            SigninFormat::Okta => "okta",
            SigninFormat::Google => "google",
            SigninFormat::Syslog => "syslog",
            SigninFormat::WindowsXml => "windows-xml",
            SigninFormat::Auditd => "auditd",
            SigninFormat::Evtx => "evtx",
            SigninFormat::CloudTrail => "cloudtrail",
            SigninFormat::AzureActivity => "azure-activity",
            SigninFormat::AzureRisk => "azure-risk",
            SigninFormat::GcpAudit => "gcp-audit",
        }
    }

    /// Every format.
    pub fn all() -> &'static [SigninFormat] {
        &ALL
    }

    /// A fresh parser for one file. None for Evtx (not line-framed: use
    /// [`read_evtx`]). The syslog parser assumes the current UTC year for
    /// RFC 3164 time stamps; build [`SyslogParser::new`] to choose it.
    pub fn line_parser(self) -> Option<Box<dyn LineParser>> {
        Some(match self {
            SigninFormat::Entra => Box::new(EntraParser),
            SigninFormat::EntraCsv => Box::<EntraCsvParser>::default(),
            SigninFormat::M365 => Box::new(M365Parser),
            SigninFormat::M365Csv => Box::<M365CsvParser>::default(),
            SigninFormat::Okta => Box::new(OktaParser),
            SigninFormat::Google => Box::<GoogleParser>::default(),
            SigninFormat::Syslog => Box::new(SyslogParser::new(current_year())),
            SigninFormat::WindowsXml => Box::new(WinXmlParser),
            SigninFormat::Auditd => Box::new(AuditdParser),
            SigninFormat::Evtx => return None,
            SigninFormat::CloudTrail => Box::new(CloudTrailParser),
            SigninFormat::AzureActivity => Box::new(AzureActivityParser),
            SigninFormat::AzureRisk => Box::new(AzureRiskParser),
            SigninFormat::GcpAudit => Box::new(GcpAuditParser),
        })
    }
}

fn current_year() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let ts = haboob_model::Ts::from_secs(secs).to_string();
    ts[..4].parse().unwrap_or(1970)
}

impl std::fmt::Display for SigninFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SigninFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ALL.iter().copied().find(|f| f.name() == s).ok_or_else(|| {
            let names: Vec<&str> = ALL.iter().map(|f| f.name()).collect();
            format!(
                "unknown sign-in format (expected one of {})",
                names.join(", ")
            )
        })
    }
}

/// Errors of this crate (per file; bad records are [`RecordError`]s).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SigninError {
    /// The file could not be opened or read.
    #[error("cannot read {}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a readable EVTX file.
    #[error("{}: not a readable EVTX file: {reason}", .path.display())]
    Evtx {
        /// The file.
        path: PathBuf,
        /// What the EVTX reader said.
        reason: String,
    },
}

/// Read a .evtx file record by record; for each record call
/// `f(record_number, raw_json_text, parsed)` where parsed is `Ok(Some(ev))`
/// for an auth event, `Ok(None)` for other event ids, `Err(reason)` for a bad
/// record (then `raw_json_text` is empty when the record could not be
/// rendered). Returns the number of records. Memory bounded (chunk by chunk).
#[allow(clippy::type_complexity)] // the signature the ingest crate calls
pub fn read_evtx(
    path: &Path,
    f: &mut dyn FnMut(u64, &str, Result<Option<AuthEvent<'_>>, RecordError>),
) -> Result<u64, SigninError> {
    if let Err(source) = std::fs::metadata(path) {
        return Err(SigninError::Read {
            path: path.to_owned(),
            source,
        });
    }
    evtx::read(path, f)
}

/// Read a .evtx file record by record, every record as events; for each
/// record call `f(record_number, raw_json_text, parsed)` where parsed is
/// the record's Windows event (any channel and event id) with its sign-in
/// for the ids [`read_evtx`] reads ([`evtx::Record`]), or why the record is
/// rejected (as [`read_evtx`]; a record without `EventID` or with a bad
/// `TimeCreated` too). Returns the number of records. Memory bounded.
#[allow(clippy::type_complexity)] // the signature the ingest crate calls
pub fn read_evtx_events(
    path: &Path,
    f: &mut dyn FnMut(u64, &str, Result<evtx::Record<'_>, RecordError>),
) -> Result<u64, SigninError> {
    if let Err(source) = std::fs::metadata(path) {
        return Err(SigninError::Read {
            path: path.to_owned(),
            source,
        });
    }
    evtx::read_events(path, f)
}

/// True when `first_bytes` start with the EVTX file magic `ElfFile\0`.
pub fn is_evtx(first_bytes: &[u8]) -> bool {
    first_bytes.starts_with(b"ElfFile\0")
}
