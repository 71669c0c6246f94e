//! Delivery of one rendered message: email over SMTP (`lettre`, blocking)
//! and webhooks (`ureq`, blocking), each webhook body signed with
//! HMAC-SHA256.

use crate::render::{self, Channel};
use crate::text;
use haboob_hunt::{NotifyConfig, SmtpTls};
use hmac::{Hmac, Mac};
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};
use sha2::Sha256;
use std::time::Duration;

/// Header carrying the body's signature: `sha256=<hex>`.
pub const SIGNATURE_HEADER: &str = "X-Haboob-Signature";
/// Header carrying the Unix time (seconds) included in the signature.
pub const TIMESTAMP_HEADER: &str = "X-Haboob-Timestamp";
/// Header carrying the notification's id (receivers may drop repeats).
pub const DELIVERY_HEADER: &str = "X-Haboob-Delivery";

/// Why a delivery attempt failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    /// Retrying cannot help (address refused, bad request, no credentials):
    /// the notification is given up at once.
    pub permanent: bool,
    /// What happened (no secrets).
    pub message: String,
}

impl SendError {
    fn transient(message: impl Into<String>) -> SendError {
        SendError {
            permanent: false,
            message: message.into(),
        }
    }
    fn permanent(message: impl Into<String>) -> SendError {
        SendError {
            permanent: true,
            message: message.into(),
        }
    }
}

/// One message to deliver.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// Notification id (sent in [`DELIVERY_HEADER`]).
    pub id: i64,
    /// Channel name (`email`, `slack`, `teams`, `webhook`).
    pub channel: &'a str,
    /// Email address or URL.
    pub address: &'a str,
    /// Subject line.
    pub subject: &'a str,
    /// Stored body ([`render::body`]).
    pub body: &'a str,
}

/// `sha256=<hex>` of HMAC-SHA256(secret, `timestamp` + "." + `body`).
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256=");
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// The channels, configured once per run.
pub struct Channels {
    smtp: Result<SmtpTransport, String>,
    from: Result<Mailbox, String>,
    agent: ureq::Agent,
    secret: Option<Vec<u8>>,
    secret_env: String,
}

impl Channels {
    /// Build the SMTP transport and the HTTP agent from `[notify]`; the
    /// SMTP password and webhook secret are read from the environment
    /// variables the configuration names. A channel that cannot be set up
    /// (unreadable CA file, bad from-address) fails each of its deliveries
    /// permanently with the reason, so the others still go.
    pub fn new(cfg: &NotifyConfig) -> Channels {
        let s = &cfg.smtp;
        let smtp = (|| {
            let tls = match s.tls {
                SmtpTls::None => Tls::None,
                mode => {
                    let mut b = TlsParameters::builder(s.host.clone());
                    if !s.ca_file.is_empty() {
                        let pem = std::fs::read(&s.ca_file)
                            .map_err(|e| format!("notify.smtp.ca_file {}: {e}", s.ca_file))?;
                        let cert = Certificate::from_pem(&pem)
                            .map_err(|e| format!("notify.smtp.ca_file {}: {e}", s.ca_file))?;
                        b = b.add_root_certificate(cert);
                    }
                    let p = b
                        .build_rustls()
                        .map_err(|e| format!("notify.smtp: TLS setup: {e}"))?;
                    if mode == SmtpTls::Required {
                        Tls::Required(p)
                    } else {
                        Tls::Opportunistic(p)
                    }
                }
            };
            let mut t = SmtpTransport::builder_dangerous(s.host.as_str())
                .port(s.port)
                .tls(tls)
                .timeout(Some(Duration::from_secs(s.timeout_secs.max(1))));
            if !s.user.is_empty() {
                let pass = std::env::var(&s.password_env).map_err(|_| {
                    format!(
                        "notify.smtp.user is set but {} (password_env) is not",
                        s.password_env
                    )
                })?;
                t = t.credentials(Credentials::new(s.user.clone(), pass));
            }
            Ok(t.build())
        })();
        let from = s
            .from
            .parse::<Mailbox>()
            .map_err(|e| format!("notify.smtp.from {:?}: {e}", s.from));
        let timeout = Duration::from_secs(cfg.webhook.timeout_secs.max(1));
        let agent = ureq::AgentBuilder::new()
            .timeout(timeout)
            .redirects(0)
            .build();
        let secret = std::env::var(&cfg.webhook.secret_env)
            .ok()
            .filter(|s| !s.is_empty())
            .map(String::into_bytes);
        Channels {
            smtp,
            from,
            agent,
            secret,
            secret_env: cfg.webhook.secret_env.clone(),
        }
    }

    /// Deliver one message; `now_secs` is the signature's timestamp.
    pub fn send(&self, m: &Outgoing<'_>, now_secs: i64) -> Result<(), SendError> {
        match Channel::parse(m.channel) {
            Some(Channel::Email) => self.email(m),
            Some(c) => self.webhook(c, m, now_secs),
            None => Err(SendError::permanent(format!(
                "unknown channel {:?}",
                text::line(m.channel, 32)
            ))),
        }
    }

    fn email(&self, m: &Outgoing<'_>) -> Result<(), SendError> {
        let smtp = self.smtp.as_ref().map_err(SendError::permanent)?;
        let from = self.from.as_ref().map_err(SendError::permanent)?;
        let to: Mailbox = m
            .address
            .parse()
            .map_err(|e| SendError::permanent(format!("bad address: {e}")))?;
        // Header values are one cleaned line; lettre encodes them too.
        let subject = text::line(m.subject, 200);
        let msg = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(subject.clone())
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(m.body.to_string()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(render::html(&subject, m.body)),
                    ),
            )
            .map_err(|e| SendError::permanent(format!("cannot build the message: {e}")))?;
        smtp.send(&msg).map(|_| ()).map_err(|e| {
            let message = format!("smtp: {e}");
            if e.is_permanent() {
                SendError::permanent(message)
            } else {
                SendError::transient(message)
            }
        })
    }

    fn webhook(&self, c: Channel, m: &Outgoing<'_>, now_secs: i64) -> Result<(), SendError> {
        let secret = self.secret.as_deref().ok_or_else(|| {
            SendError::transient(format!(
                "webhook secret {} is not set; not sending unsigned",
                self.secret_env
            ))
        })?;
        let payload = render::webhook_payload(c, m.subject, m.body);
        let sig = signature(secret, now_secs, payload.as_bytes());
        let res = self
            .agent
            .post(m.address)
            .set("Content-Type", "application/json")
            .set(TIMESTAMP_HEADER, &now_secs.to_string())
            .set(SIGNATURE_HEADER, &sig)
            .set(DELIVERY_HEADER, &m.id.to_string())
            .send_string(&payload);
        match res {
            Ok(_) => Ok(()),
            Err(ureq::Error::Status(code, _)) => {
                let message = format!("webhook: HTTP {code}");
                if (400..500).contains(&code) && code != 408 && code != 429 {
                    Err(SendError::permanent(message))
                } else {
                    Err(SendError::transient(message))
                }
            }
            Err(ureq::Error::Transport(t)) => Err(SendError::transient(format!("webhook: {t}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_of_timestamp_dot_body() {
        // RFC 4231 test case 2 key and data, with the timestamp prefix
        // making the data "0.what do ya want for nothing?" — checked
        // against `openssl dgst -sha256 -hmac Jefe`.
        let s = signature(b"Jefe", 0, b"what do ya want for nothing?");
        assert_eq!(
            s,
            "sha256=37f471929915ccd2cbbe79feb84ffcff4f2bb25e15fc41c2506687331ae179cc"
        );
    }
}
