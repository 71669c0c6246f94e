//! The `[notify]` section of `haboob.toml`: how `haboob notify` reaches the
//! targeted organisations (SMTP server, webhook signing secret), which
//! campaigns it tells them about, and how often it retries. Who to tell is
//! in `targets.toml` (`[[organisation]]` contacts).

use haboob_model::Severity;
use serde::{Deserialize, Serialize};

/// How notifications are sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct NotifyConfig {
    /// Campaigns below this severity (low, medium, high, critical) are not
    /// notified.
    #[schemars(with = "String")]
    pub min_severity: Severity,
    /// Seconds to wait before each retry of a failed delivery, in order;
    /// after the last one the notification is given up (failed).
    pub retry_secs: Vec<u64>,
    /// Who sends the notifications, as signed at the end of each message.
    pub sender: String,
    /// How the organisation reaches the sender, printed under "What to do
    /// now" (e.g. an email address or phone number of your SOC).
    pub reply_to: String,
    /// Email over SMTP.
    pub smtp: SmtpConfig,
    /// Webhooks (Slack, Teams, generic JSON).
    pub webhook: WebhookConfig,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            min_severity: Severity::High,
            retry_secs: vec![60, 300, 1800, 7200, 43200],
            sender: "haboob".into(),
            reply_to: String::new(),
            smtp: SmtpConfig::default(),
            webhook: WebhookConfig::default(),
        }
    }
}

/// Transport security of the SMTP connection.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// STARTTLS, and refuse to send when the server does not offer it.
    #[default]
    Required,
    /// STARTTLS when the server offers it, else plain text.
    Opportunistic,
    /// Plain text (a relay on loopback only).
    None,
}

/// Email over SMTP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpConfig {
    /// SMTP server (relay) host name.
    pub host: String,
    /// SMTP port (587 for submission with STARTTLS, 25 for relays).
    pub port: u16,
    /// required (STARTTLS or no delivery), opportunistic, or none.
    pub tls: SmtpTls,
    /// Extra PEM file of certificate authorities trusted for STARTTLS (a
    /// private CA); the public web roots are always trusted.
    pub ca_file: String,
    /// From address of the messages.
    pub from: String,
    /// User name for SMTP authentication (empty: none).
    pub user: String,
    /// Environment variable holding the SMTP password.
    pub password_env: String,
    /// Seconds before a connection or command times out.
    pub timeout_secs: u64,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            host: "localhost".into(),
            port: 587,
            tls: SmtpTls::Required,
            ca_file: String::new(),
            from: "haboob@localhost.localdomain".into(),
            user: String::new(),
            password_env: "HABOOB_SMTP_PASSWORD".into(),
            timeout_secs: 30,
        }
    }
}

/// Webhooks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookConfig {
    /// Environment variable holding the secret that signs every webhook
    /// body: `X-Haboob-Signature: sha256=HEX(HMAC-SHA256(secret,
    /// TIMESTAMP + "." + BODY))` with `X-Haboob-Timestamp: TIMESTAMP` (Unix
    /// seconds). Webhooks are not sent when the variable is unset.
    pub secret_env: String,
    /// Seconds before a request times out.
    pub timeout_secs: u64,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            secret_env: "HABOOB_WEBHOOK_SECRET".into(),
            timeout_secs: 30,
        }
    }
}

impl NotifyConfig {
    /// Why the section is unusable, if it is.
    pub fn validate(&self) -> Result<(), String> {
        if self.retry_secs.len() > 50 {
            return Err("notify.retry_secs: at most 50 retries".into());
        }
        if self.smtp.host.trim().is_empty() {
            return Err("notify.smtp.host: empty".into());
        }
        if self.smtp.from.chars().any(char::is_control) || !self.smtp.from.contains('@') {
            return Err(format!(
                "notify.smtp.from: {:?} is not an email address",
                self.smtp.from
            ));
        }
        for (k, v) in [
            ("notify.sender", &self.sender),
            ("notify.reply_to", &self.reply_to),
        ] {
            if v.chars().any(char::is_control) || v.len() > 500 {
                return Err(format!("{k}: one line of at most 500 bytes"));
            }
        }
        Ok(())
    }
}
