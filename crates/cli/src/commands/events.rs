//! `haboob events`: every input record as haboob understands it, one JSON
//! object per line with ECS field names, or the rejection with its reason.
//! It is how a user checks that a log is read right, and how tests assert
//! what the parsers make of each sample.

use crate::args::EventsArgs;
use crate::commands::hunt::{beside_logs, load_config, load_targets, parse_log_format};
use anyhow::Result;
use haboob_hunt::HuntOptions;
use haboob_ingest::{discover_all, read_into, EventSink, Format, IngestError, Input, ReadStats};
use haboob_model::{
    AuthEvent, AuthOutcome, CloudEvent, EventRef, FieldView, JsonView, NetEvent, NetKind, Origin,
    Value as FieldValue, WafEvent, WebEvent, WinEvent, WinView,
};
use serde_json::{json, Map, Value};
use std::io::{self, BufWriter, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Longest raw text echoed in a rejection (`event.original`).
const MAX_ORIGINAL: usize = 2048;

/// Writes each record as a JSON line; stops the reader on a write error.
struct Printer<W: Write> {
    out: W,
    format: Option<Format>,
    rejected: bool,
    fields: bool,
    error: Option<io::Error>,
    stop: Arc<AtomicBool>,
}

impl<W: Write> Printer<W> {
    fn write(&mut self, v: &Value) {
        if self.error.is_some() {
            return;
        }
        let res = serde_json::to_writer(&mut self.out, v)
            .map_err(io::Error::from)
            .and_then(|()| self.out.write_all(b"\n"));
        if let Err(e) = res {
            self.error = Some(e);
            self.stop.store(true, Ordering::Relaxed);
        }
    }
}

impl<W: Write> EventSink for Printer<W> {
    fn event(&mut self, ev: &EventRef<'_>, origin: &Origin<'_>) {
        let mut v = ecs(ev, origin, self.format);
        if self.fields {
            if let (Some(m), Some(f)) = (v.as_object_mut(), field_view(ev, origin)) {
                m.insert("haboob.fields".into(), f);
            }
        }
        self.write(&v);
        // An Exchange sign-in in an IIS log: the authentication event the
        // hunt derives from the request, printed after it (same line).
        if let EventRef::Web(w) = ev {
            if let Some(a) = haboob_detect::auth::exchange::auth_event(w) {
                let v = ecs(&EventRef::Auth(a), origin, self.format);
                self.write(&v);
            }
        }
    }

    fn rejected(&mut self, file: &str, line: u64, reason: &str, raw: &str) {
        if !self.rejected {
            return;
        }
        let v = json!({
            "event.kind": "pipeline_error",
            "error.message": reason,
            "event.original": bounded(raw, MAX_ORIGINAL),
            "log.file.path": file,
            "log.line": line,
        });
        self.write(&v);
    }

    fn format(&mut self, format: Format) {
        self.format = Some(format);
    }
}

use haboob_model::bounded;

/// Insert `v` under `k` unless it is empty.
fn put(m: &mut Map<String, Value>, k: &str, v: &str) {
    if !v.is_empty() {
        m.insert(k.to_owned(), Value::from(v));
    }
}

/// The event's named fields (see [`FieldView`]), where its kind has them:
/// web requests by taxonomy, Windows events by Sigma's flat names (the
/// `Win` event of every record, and the sign-in read from an EVTX record),
/// JSON records by their own paths.
fn field_view(ev: &EventRef<'_>, origin: &Origin<'_>) -> Option<Value> {
    let (json, win);
    let view: &dyn FieldView = match ev {
        EventRef::Web(w) => w,
        EventRef::Win(w) => w,
        EventRef::Audit(a) => a,
        // A Windows event as the EVTX reader renders it.
        EventRef::Auth(_) if origin.raw.starts_with(r#"{"Event":"#) => {
            win = WinView::new(origin.raw);
            &win
        }
        EventRef::Auth(_) | EventRef::Cloud(_) if origin.raw.starts_with('{') => {
            json = JsonView::new(origin.raw);
            &json
        }
        EventRef::Auth(_) | EventRef::Waf(_) | EventRef::Net(_) | EventRef::Cloud(_) => {
            return None
        }
    };
    let mut m = Map::new();
    view.for_each_field(&mut |name, v| {
        let v = match v {
            FieldValue::Str(s) => Value::from(s.into_owned()),
            FieldValue::Int(n) => Value::from(n),
            FieldValue::Null => Value::Null,
        };
        m.insert(name.to_owned(), v);
    });
    Some(Value::Object(m))
}

/// One event as a flat ECS object (dotted keys).
pub fn ecs(ev: &EventRef<'_>, origin: &Origin<'_>, format: Option<Format>) -> Value {
    let mut m = Map::new();
    m.insert("@timestamp".into(), Value::from(ev.ts().to_string()));
    match ev {
        EventRef::Web(w) => web(&mut m, w),
        EventRef::Auth(a) => auth(&mut m, a),
        EventRef::Waf(w) => waf(&mut m, w),
        EventRef::Win(w) => win(&mut m, w),
        EventRef::Net(n) => net(&mut m, n),
        EventRef::Audit(a) => audit(&mut m, a),
        EventRef::Cloud(c) => cloud(&mut m, c),
    }
    if let Some(f) = format {
        m.insert("haboob.log_format".into(), Value::from(f.name()));
    }
    m.insert("log.file.path".into(), Value::from(origin.file));
    m.insert("log.line".into(), Value::from(origin.line));
    Value::Object(m)
}

fn web(m: &mut Map<String, Value>, w: &WebEvent<'_>) {
    m.insert("event.category".into(), json!("web"));
    m.insert("event.dataset".into(), json!("web.access"));
    let outcome = match w.status_class() {
        1..=3 => "success",
        4 | 5 => "failure",
        _ => "unknown",
    };
    m.insert("event.outcome".into(), json!(outcome));
    m.insert("source.ip".into(), json!(w.source_ip.to_string()));
    put(m, "http.request.method", w.method);
    put(m, "url.path", w.path);
    put(m, "url.query", w.query);
    if w.status != 0 {
        m.insert("http.response.status_code".into(), json!(w.status));
    }
    m.insert("http.response.body.bytes".into(), json!(w.bytes));
    put(m, "user_agent.original", w.user_agent);
    put(m, "http.request.referrer", w.referrer);
    put(m, "destination.domain", w.site);
    put(m, "user.name", w.user);
    put(m, "http.request.forwarded", w.forwarded);
}

fn waf(m: &mut Map<String, Value>, w: &WafEvent<'_>) {
    m.insert("event.category".into(), json!("intrusion_detection"));
    m.insert("event.dataset".into(), json!("web.error"));
    m.insert(
        "event.action".into(),
        json!(if w.blocked { "blocked" } else { "flagged" }),
    );
    m.insert("observer.product".into(), json!(w.engine));
    m.insert("source.ip".into(), json!(w.source_ip.to_string()));
    put(m, "http.request.method", w.method);
    put(m, "url.path", w.path);
    put(m, "destination.domain", w.site);
    put(m, "rule.id", w.rule);
    put(m, "rule.description", w.message);
}

/// A Windows event: its `System` members under Winlogbeat's ECS names
/// (`--fields` shows the whole record).
fn win(m: &mut Map<String, Value>, w: &WinEvent<'_>) {
    m.insert("event.kind".into(), json!("event"));
    m.insert("event.code".into(), json!(w.event_id.to_string()));
    m.insert("winlog.event_id".into(), json!(w.event_id));
    m.insert("winlog.record_id".into(), json!(w.record_id));
    put(m, "winlog.channel", &w.channel);
    put(m, "winlog.provider_name", &w.provider);
    put(m, "winlog.computer_name", &w.computer);
}

/// A Linux audit record: Auditbeat's names for the header members.
fn audit(m: &mut Map<String, Value>, a: &haboob_model::AuditEvent<'_>) {
    m.insert("event.kind".into(), json!("event"));
    m.insert("auditd.log.record_type".into(), json!(a.record_type));
    m.insert("auditd.log.sequence".into(), json!(a.serial));
    put(m, "host.name", a.node);
}

/// A network observation: ECS network, DNS, HTTP and TLS names.
fn cloud(m: &mut Map<String, Value>, c: &CloudEvent<'_>) {
    m.insert("event.category".into(), json!("configuration"));
    m.insert("event.dataset".into(), json!(c.dataset));
    if let Some(ip) = c.source_ip {
        m.insert("source.ip".into(), json!(ip.to_string()));
    }
    put(m, "user.name", &c.user);
    put(m, "cloud.account.id", &c.account);
    put(m, "event.action", &c.action);
}

fn net(m: &mut Map<String, Value>, n: &NetEvent<'_>) {
    m.insert("event.category".into(), json!("network"));
    m.insert("event.dataset".into(), json!(n.dataset));
    m.insert("network.protocol".into(), json!(n.kind.name()));
    if let Some(ip) = n.client {
        m.insert("source.ip".into(), json!(ip.to_string()));
    }
    if let Some(ip) = n.server {
        m.insert("destination.ip".into(), json!(ip.to_string()));
    }
    match n.kind {
        NetKind::Dns => {
            put(m, "dns.question.name", &n.domain);
            if !n.answers.is_empty() {
                let a: Vec<&str> = n.answers.split(',').collect();
                m.insert("dns.answers.data".into(), json!(a));
            }
            if n.status != 0 {
                m.insert("dns.response_code".into(), json!(n.status));
            }
        }
        NetKind::Tls => put(m, "tls.client.server_name", &n.domain),
        NetKind::Http | NetKind::Conn => {
            put(m, "destination.domain", &n.domain);
            if n.status != 0 {
                m.insert("http.response.status_code".into(), json!(n.status));
            }
        }
    }
    put(m, "url.original", &n.url);
    put(m, "http.request.method", &n.method);
    put(m, "user_agent.original", &n.user_agent);
    put(m, "observer.name", &n.sensor);
}

fn auth(m: &mut Map<String, Value>, a: &AuthEvent<'_>) {
    m.insert("event.category".into(), json!("authentication"));
    m.insert("event.dataset".into(), json!(a.dataset));
    let (outcome, action) = match a.outcome {
        AuthOutcome::Success => ("success", "logged-in"),
        AuthOutcome::Failure => ("failure", "login-failed"),
        AuthOutcome::Challenge => ("unknown", "mfa-challenge"),
        AuthOutcome::Attempt => ("unknown", "explicit-credentials"),
        AuthOutcome::Probe => ("unknown", "pre-authentication-probe"),
    };
    m.insert("event.outcome".into(), json!(outcome));
    m.insert("event.action".into(), json!(action));
    if let Some(f) = a.failure {
        m.insert("event.reason".into(), json!(f));
    }
    if let Some(ip) = a.source_ip {
        m.insert("source.ip".into(), json!(ip.to_string()));
    }
    if let Some(asn) = a.asn {
        m.insert("source.as.number".into(), json!(asn));
    }
    put(m, "source.geo.country_iso_code", &a.country);
    put(m, "user.name", &a.user);
    put(m, "user.domain", &a.domain);
    put(m, "organization.id", &a.tenant);
    put(m, "host.name", &a.host);
    put(m, "service.name", &a.app);
    put(m, "user_agent.original", &a.client);
    if let Some(g) = a.location {
        m.insert(
            "source.geo.location".into(),
            json!({"lat": g.lat, "lon": g.lon}),
        );
    }
}

/// The hunt options `events` reads with: the log format, and the config
/// and targets `hunt` would use (given, or found beside the logs).
fn hunt_options(a: &EventsArgs, format: Option<Format>) -> Result<HuntOptions> {
    let mut config = a.config.clone();
    if config.is_none() {
        config = beside_logs(&a.paths, "haboob.toml").into_iter().next();
        if let Some(p) = &config {
            eprintln!(
                "using {} (found beside the logs; --config overrides)",
                p.display()
            );
        }
    }
    let mut targets = a.targets.clone();
    if targets.is_empty() {
        targets = beside_logs(&a.paths, "targets.toml");
        for p in &targets {
            eprintln!(
                "using {} (found beside the logs; --targets overrides)",
                p.display()
            );
        }
    }
    Ok(HuntOptions {
        format,
        config: load_config(config.as_ref())?,
        targets: load_targets(&targets)?,
        ..HuntOptions::default()
    })
}

/// `haboob events`: exit 0 when every input was read, 2 when one failed.
pub fn run(a: &EventsArgs) -> Result<u8> {
    let format = a.log_format.as_deref().map(parse_log_format).transpose()?;
    let hunt_opts = hunt_options(a, format)?;
    let discovery = discover_all(&a.paths);
    let stop = Arc::new(AtomicBool::new(false));
    let mut printer = Printer {
        out: BufWriter::new(io::stdout().lock()),
        format,
        rejected: !a.no_rejected,
        fields: a.fields,
        error: None,
        stop: Arc::clone(&stop),
    };
    let mut errors: Vec<String> = discovery.errors.iter().map(|e| e.to_string()).collect();
    let mut stats = ReadStats::default();
    // Read as a hunt reads (same format options, JSON field map, trusted
    // proxies, sites), never strict: every rejection is printed.
    let base = haboob_hunt::base_read_options(&hunt_opts, &stop);
    for input in &discovery.inputs {
        printer.format = format;
        let opts = haboob_hunt::read_options(input, &hunt_opts, &base);
        match read_into(input, &opts, &|_| {}, &mut printer, &mut stats) {
            Ok(()) => {}
            Err(IngestError::Stopped { .. }) => break,
            Err(IngestError::UnknownFormat { .. } | IngestError::NotALog { .. }) if matches!(input, Input::File(p) if discovery.found.contains(p)) =>
            {
                eprintln!("skipped {}: not a log this tool reads", input.display());
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    if let Some(e) = printer.error.take() {
        return Err(e.into());
    }
    printer.out.flush()?;
    eprintln!("{}", haboob_report::accounting_of(&stats));
    for e in &errors {
        eprintln!("error: {}", haboob_report::terminal(e, 400));
    }
    Ok(if errors.is_empty() { 0 } else { 2 })
}
