//! The normalized event: a borrowed view into the reader's buffer.

use crate::{CloudEvent, FieldView, NetEvent, Ts, Value, WinView};
use std::borrow::Cow;
use std::net::IpAddr;

/// Where an event came from: file, 1-based line (or record) number and the
/// raw text, kept for evidence.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    /// Input path as given (or `-` for stdin).
    pub file: &'a str,
    /// 1-based line or record number.
    pub line: u64,
    /// The raw line or record text.
    pub raw: &'a str,
}

/// One normalized event of any family.
#[derive(Debug, Clone)]
pub enum EventRef<'a> {
    /// A web-server access-log request.
    Web(WebEvent<'a>),
    /// An authentication (sign-in) attempt.
    Auth(AuthEvent<'a>),
    /// A request a web application firewall or access rule acted on, from a
    /// web server's error log.
    Waf(WafEvent<'a>),
    /// A Windows event of any channel and event id, from an EVTX record or
    /// an event XML text line. A sign-in event id (see `haboob-signin`'s
    /// `evtx` module) is delivered twice, in this order: as its
    /// [`EventRef::Auth`], then as its `Win` event (the same
    /// [`Origin`]); readers count the record once.
    Win(WinEvent<'a>),
    /// A network observation (DNS query, proxied or seen HTTP request, TLS
    /// handshake, connection) from Zeek, Suricata or Squid logs: what an
    /// internal host resolved or contacted. Behavioural detectors ignore
    /// it; the `intel.victim` signal reads it.
    Net(NetEvent<'a>),
    /// A Linux audit record (auditd's `audit.log`): one line, whatever its
    /// type, behind a field view with auditd's names.
    Audit(crate::AuditEvent<'a>),
    /// A cloud control-plane audit record (AWS CloudTrail, Azure activity
    /// log, Identity Protection risk detection, GCP Cloud Audit). A console
    /// sign-in is delivered twice, in this order: as its
    /// [`EventRef::Auth`], then as its `Cloud` record (the same
    /// [`Origin`]); readers count the record once.
    Cloud(CloudEvent<'a>),
}

impl EventRef<'_> {
    /// Event time.
    pub fn ts(&self) -> Ts {
        match self {
            EventRef::Web(w) => w.ts,
            EventRef::Auth(a) => a.ts,
            EventRef::Waf(w) => w.ts,
            EventRef::Win(w) => w.ts,
            EventRef::Net(n) => n.ts,
            EventRef::Audit(a) => a.ts,
            EventRef::Cloud(c) => c.ts,
        }
    }
}

/// One Windows event, whatever its channel and id: the `System` members
/// every rule dispatches on, typed, and the whole record behind a field
/// view with Sigma's flat names ([`WinView`]: `EventID`, `Channel`,
/// `Provider_Name`, `EventData`/`UserData` values by name). Texts borrow
/// the record (owned only where it escapes them).
#[derive(Debug, Clone)]
pub struct WinEvent<'a> {
    /// `System/TimeCreated/@SystemTime` (the EVTX record header's time when
    /// the event has none).
    pub ts: Ts,
    /// `System/EventID`.
    pub event_id: u32,
    /// `System/EventRecordID` (else the EVTX record header's number; 0 when
    /// an XML event has none).
    pub record_id: u64,
    /// `System/Channel` (`Security`, `Microsoft-Windows-Sysmon/Operational`);
    /// empty when absent.
    pub channel: Cow<'a, str>,
    /// `System/Provider/@Name`; empty when absent.
    pub provider: Cow<'a, str>,
    /// `System/Computer`; empty when absent.
    pub computer: Cow<'a, str>,
    /// The whole record, as the reader has it: the EVTX record rendered to
    /// JSON ([`WinView::new`]) or the event's XML text
    /// ([`WinView::from_xml`]). Parsed once, on the first field asked for.
    pub record: WinView<'a>,
}

impl WinEvent<'_> {
    /// The record's text (JSON or XML, see [`WinView::is_xml`]).
    pub fn text(&self) -> &str {
        self.record.text()
    }
}

/// The channel of Sysmon for Linux events (`WinEvent::channel`): Sigma's
/// `product: linux` rules run on these, `product: windows` rules do not.
pub const LINUX_SYSMON_CHANNEL: &str = "Linux-Sysmon/Operational";

/// Sigma's names of the typed members, answered without parsing the record.
fn typed<'e>(w: &'e WinEvent<'_>, name: &str) -> Option<Value<'e>> {
    let text = |s: &'e str| {
        if s.is_empty() {
            None
        } else {
            Some(Value::from(s))
        }
    };
    if name.eq_ignore_ascii_case("EventID") {
        Some(Value::Int(i64::from(w.event_id)))
    } else if name.eq_ignore_ascii_case("Channel") {
        text(&w.channel)
    } else if name.eq_ignore_ascii_case("Computer") {
        text(&w.computer)
    } else if name.eq_ignore_ascii_case("Provider_Name") {
        text(&w.provider)
    } else {
        None
    }
}

impl FieldView for WinEvent<'_> {
    /// As [`WinView`], with `EventID`, `Channel`, `Computer` and
    /// `Provider_Name` read from the typed members (no parse).
    fn field(&self, name: &str) -> Option<Value<'_>> {
        typed(self, name).or_else(|| self.record.field(name))
    }

    fn for_each_field(&self, f: &mut dyn FnMut(&str, Value<'_>)) {
        self.record.for_each_field(f);
    }

    fn for_each_text(&self, f: &mut dyn FnMut(&[u8])) {
        self.record.for_each_text(f);
    }
}

/// A request blocked or flagged by a web application firewall (ModSecurity,
/// naxsi) or refused by an access rule (nginx `deny`, Apache `Require`), as
/// the web server's error log records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WafEvent<'a> {
    /// `@timestamp`.
    pub ts: Ts,
    /// `source.ip`: the client.
    pub source_ip: IpAddr,
    /// `destination.domain`: the site, when logged.
    pub site: &'a str,
    /// `http.request.method`, when logged.
    pub method: &'a str,
    /// `url.path` (or the file system path for Apache access denials).
    pub path: &'a str,
    /// `observer.product`: `modsecurity`, `naxsi`, `nginx` or `apache`.
    pub engine: &'static str,
    /// `rule.id`: the firewall rule id(s), when logged.
    pub rule: &'a str,
    /// `rule.description`: the rule's message.
    pub message: &'a str,
    /// The request was refused (not only flagged, as in detection-only mode).
    pub blocked: bool,
}

/// One HTTP request from an access log. Field names follow ECS (see
/// [`crate::fields`]); empty strings stand for absent (`-`) values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebEvent<'a> {
    /// `@timestamp`.
    pub ts: Ts,
    /// `source.ip`: the peer that connected to the server (IPv4-mapped IPv6
    /// as IPv4); after reading, the client named by `forwarded` when the peer
    /// is a trusted proxy (`[ingest.proxy]`).
    pub source_ip: IpAddr,
    /// `http.request.method` (as logged, usually upper case).
    pub method: &'a str,
    /// `url.path`: the request target up to `?`, still percent-encoded.
    pub path: &'a str,
    /// `url.query`: after `?`, without it; empty when absent.
    pub query: &'a str,
    /// `http.response.status_code` (0 when not logged).
    pub status: u16,
    /// `http.response.body.bytes` (0 when `-`).
    pub bytes: u64,
    /// `user_agent.original`.
    pub user_agent: &'a str,
    /// `http.request.referrer`.
    pub referrer: &'a str,
    /// `destination.domain`: the site, from the vhost field, the Host header
    /// or the file/folder mapping; empty when unknown.
    pub site: &'a str,
    /// `user.name`: the authenticated user as logged (CLF `%u`, IIS
    /// `cs-username`); empty when absent.
    pub user: &'a str,
    /// The raw forwarding header as logged (`X-Forwarded-For`, `X-Real-IP`,
    /// `CF-Connecting-IP`, `True-Client-IP`); empty when the format has none.
    pub forwarded: &'a str,
    /// The protocol of the request line as logged (`HTTP/1.1`, `HTTP/2.0`;
    /// `http.version` with its `HTTP/` prefix); empty when not logged.
    pub protocol: &'a str,
}

impl<'a> WebEvent<'a> {
    /// The status class: 2 for 2xx, 4 for 4xx, …
    pub fn status_class(&self) -> u16 {
        self.status / 100
    }

    /// The text members in one fixed order (method, path, query,
    /// user_agent, referrer, site, user, forwarded, protocol): what the
    /// encoders store, and what [`WebEvent::from_texts`] takes back.
    pub fn texts(&self) -> [&'a str; 9] {
        [
            self.method,
            self.path,
            self.query,
            self.user_agent,
            self.referrer,
            self.site,
            self.user,
            self.forwarded,
            self.protocol,
        ]
    }

    /// A request from its numbers and its [`WebEvent::texts`].
    pub fn from_texts(
        ts: Ts,
        source_ip: IpAddr,
        status: u16,
        bytes: u64,
        texts: [&'a str; 9],
    ) -> WebEvent<'a> {
        let [method, path, query, user_agent, referrer, site, user, forwarded, protocol] = texts;
        WebEvent {
            ts,
            source_ip,
            method,
            path,
            query,
            status,
            bytes,
            user_agent,
            referrer,
            site,
            user,
            forwarded,
            protocol,
        }
    }
}

/// The result of an authentication attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthOutcome {
    /// Credentials accepted and the session started.
    Success,
    /// Credentials rejected (see [`FailureClass`]).
    Failure,
    /// First factor accepted, a further challenge (MFA) was issued.
    Challenge,
    /// Credentials were presented and the result is not in this record
    /// (Windows 4648, written on the source machine before the target
    /// checks them). `source_ip` is then `None` and `client` names the
    /// presenting host and account.
    Attempt,
    /// A connection that never reached authentication (SSH key-exchange
    /// or banner failures, connections closed before a user name was
    /// sent). `user` is empty and `client` holds what the client offered
    /// (its identification string or algorithm list) when logged. Not a
    /// sign-in attempt: the account detectors and the funnel ignore it;
    /// only `auth.ssh_probe` counts it.
    Probe,
}

/// Why an authentication attempt failed, normalized across sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureClass {
    /// The account does not exist (Entra 50034, 4625 0xC0000064, Kerberos 0x6).
    UnknownUser,
    /// Wrong password for an existing account (50126, 0xC000006A, 0x18).
    BadPassword,
    /// The account is locked (50053, 4740, 0xC0000234).
    LockedOut,
    /// Password accepted, MFA required and not yet satisfied (50074, 50076).
    MfaRequired,
    /// MFA denied or failed (500121).
    MfaDenied,
    /// The account is disabled.
    Disabled,
    /// Password or account expired.
    Expired,
    /// Anything else.
    Other,
}

/// One authentication attempt. Text fields are case-folded by the parser;
/// empty strings stand for absent values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthEvent<'a> {
    /// `@timestamp`.
    pub ts: Ts,
    /// `event.dataset`, e.g. `auth.entra`, `auth.okta`, `auth.sshd`.
    pub dataset: &'static str,
    /// `source.ip`, when the source records one.
    pub source_ip: Option<IpAddr>,
    /// `user.name`: the full, case-folded account name (`alice@contoso.com`).
    pub user: Cow<'a, str>,
    /// `user.domain`: the UPN suffix or NT domain, case-folded.
    pub domain: Cow<'a, str>,
    /// Tenant or organisation id/name when the source records one.
    pub tenant: Cow<'a, str>,
    /// The system that recorded the attempt: the syslog header's host, the
    /// Windows computer, the web site of a login read from a web log; when
    /// the record names no tenant, domain or host, the reader puts the site
    /// name of the file it was read from (see `ReadOptions::site`). Empty
    /// when unknown. [`AuthEvent::target`] falls back on it.
    pub host: Cow<'a, str>,
    /// `event.outcome`.
    pub outcome: AuthOutcome,
    /// Failure class when `outcome` is `Failure` (or `Challenge` for MFA).
    pub failure: Option<FailureClass>,
    /// Application or protocol (`Exchange Online`, `imap`, `ssh`, …).
    pub app: Cow<'a, str>,
    /// Client or user agent string.
    pub client: Cow<'a, str>,
    /// ISO country code when known.
    pub country: Cow<'a, str>,
    /// Autonomous system number when known.
    pub asn: Option<u32>,
    /// Where the source is, when a City database (or the log) says.
    pub location: Option<GeoPoint>,
}

impl<'a> AuthEvent<'a> {
    /// An attempt of `dataset` at `ts` with `outcome` and every other field
    /// absent (no address, class, location or ASN; empty text): the base for
    /// struct-update syntax in the parsers.
    pub fn empty(ts: Ts, dataset: &'static str, outcome: AuthOutcome) -> AuthEvent<'a> {
        AuthEvent {
            ts,
            dataset,
            source_ip: None,
            user: Cow::Borrowed(""),
            domain: Cow::Borrowed(""),
            tenant: Cow::Borrowed(""),
            host: Cow::Borrowed(""),
            outcome,
            failure: None,
            app: Cow::Borrowed(""),
            client: Cow::Borrowed(""),
            country: Cow::Borrowed(""),
            asn: None,
            location: None,
        }
    }
}

impl AuthEvent<'_> {
    /// What the attempt was against, an alert's target: the tenant, else
    /// the domain, else the host (empty when none is known).
    pub fn target(&self) -> &str {
        [&self.tenant, &self.domain, &self.host]
            .into_iter()
            .find(|t| !t.is_empty())
            .map_or("", |t| t.as_ref())
    }
}

/// A place on Earth as geo-IP databases give it: degrees and the radius
/// (km) within which the address is likely to be.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GeoPoint {
    /// Latitude, degrees north.
    pub lat: f32,
    /// Longitude, degrees east.
    pub lon: f32,
    /// Accuracy radius in km (0 when unknown).
    pub radius_km: u16,
}

impl Eq for GeoPoint {}

impl GeoPoint {
    /// Mean Earth radius (km) used for great-circle distances.
    pub const EARTH_RADIUS_KM: f64 = 6371.0;

    /// A point, or `None` when the coordinates are out of range or not finite.
    pub fn new(lat: f64, lon: f64, radius_km: u16) -> Option<GeoPoint> {
        ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some(GeoPoint {
            lat: lat as f32,
            lon: lon as f32,
            radius_km,
        })
    }

    /// Great-circle (haversine) distance in km.
    pub fn distance_km(&self, other: &GeoPoint) -> f64 {
        let (la1, lo1) = (
            f64::from(self.lat).to_radians(),
            f64::from(self.lon).to_radians(),
        );
        let (la2, lo2) = (
            f64::from(other.lat).to_radians(),
            f64::from(other.lon).to_radians(),
        );
        let h = ((la2 - la1) / 2.0).sin().powi(2)
            + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
        2.0 * Self::EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
    }
}
