//! A [`Notification`] as a subject line and a body per channel, and the
//! request bodies of the webhook channels. Every attacker-controlled string
//! was cleaned by [`crate::compose`]; here it is escaped for the medium.

use crate::compose::Notification;
use crate::text;
use std::fmt::Write;

/// The channels a contact may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Channel {
    /// Email over SMTP (plain text with an HTML alternative).
    Email,
    /// Slack incoming webhook.
    Slack,
    /// Microsoft Teams incoming webhook (message card).
    Teams,
    /// Generic JSON webhook (the structured notification).
    Webhook,
}

impl Channel {
    /// Parse a channel name as in `targets.toml`.
    pub fn parse(s: &str) -> Option<Channel> {
        match s {
            "email" => Some(Channel::Email),
            "slack" => Some(Channel::Slack),
            "teams" => Some(Channel::Teams),
            "webhook" => Some(Channel::Webhook),
            _ => None,
        }
    }

    /// The name as in `targets.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Slack => "slack",
            Channel::Teams => "teams",
            Channel::Webhook => "webhook",
        }
    }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn day(ts: haboob_model::Ts) -> String {
    ts.to_string().chars().take(10).collect()
}

/// The subject line (one line, at most 200 characters).
pub fn subject(n: &Notification) -> String {
    let mut s = format!(
        "[haboob] {}: {} targeted, {} to {}",
        n.severity.as_str().to_uppercase(),
        n.organisation,
        day(n.first_seen),
        day(n.last_seen)
    );
    match n.accounts.totals {
        [c, ..] if c > 0 => {
            let _ = write!(
                s,
                ", {c} account{} compromised",
                if c == 1 { "" } else { "s" }
            );
        }
        [_, a, _] if a > 0 => {
            let _ = write!(s, ", {a} account{} attacked", if a == 1 { "" } else { "s" });
        }
        _ => {}
    }
    let _ = write!(s, " (campaign {} rev {})", n.campaign_id, n.revision);
    text::line(&s, 200)
}

fn section(out: &mut String, title: &str) {
    let _ = writeln!(out, "\n{title}\n{}", "-".repeat(title.len()));
}

fn account_list(out: &mut String, label: &str, list: &[String], total: u64) {
    if total == 0 {
        return;
    }
    let _ = writeln!(out, "{label} ({total}):");
    for u in list {
        let _ = writeln!(out, "  - {u}");
    }
    if total > list.len() as u64 {
        let _ = writeln!(out, "  - … and {} more", total - list.len() as u64);
    }
}

/// The plain-text body (email, Slack, Teams).
pub fn text(n: &Notification) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "To the security team of {}:", n.organisation);
    let _ = writeln!(
        o,
        "\nWe have seen a hostile campaign against your organisation, of {} severity. \
         This notice describes campaign {} as of revision {}; you will hear again if it changes.",
        n.severity.as_str(),
        n.campaign_id,
        n.revision
    );
    section(&mut o, "Who was targeted");
    for t in &n.targets {
        match &t.region {
            Some(r) => {
                let _ = writeln!(o, "  - {} ({}, {r})", t.name, t.sector);
            }
            None => {
                let _ = writeln!(o, "  - {} ({})", t.name, t.sector);
            }
        }
    }
    section(&mut o, "What was seen, and when");
    let _ = writeln!(o, "First seen: {}", n.first_seen);
    let _ = writeln!(o, "Last seen:  {}", n.last_seen);
    let _ = writeln!(o, "Activity:");
    for a in &n.activity {
        let _ = writeln!(
            o,
            "  - {} [{}, {} alert{}]",
            a.description,
            a.detector,
            a.alerts,
            if a.alerts == 1 { "" } else { "s" }
        );
    }
    let more = n.sources_total.saturating_sub(n.sources.len() as u64);
    let _ = write!(
        o,
        "Sources ({} address{}): {}",
        n.sources_total,
        if n.sources_total == 1 { "" } else { "es" },
        n.sources.join(", ")
    );
    if more > 0 {
        let _ = write!(o, " and {more} more");
    }
    o.push('\n');
    if !n.techniques.is_empty() {
        let _ = writeln!(o, "MITRE ATT&CK techniques: {}", n.techniques.join(", "));
    }
    section(&mut o, "Your accounts");
    if let Some(f) = &n.funnel {
        let _ = writeln!(
            o,
            "Sign-in attempts: {}; names tried: {}; identified: {}; attacked: {}; compromised: {}.",
            thousands(f.attempts),
            thousands(f.probed),
            thousands(f.identified),
            thousands(f.attacked),
            thousands(f.compromised)
        );
    }
    let a = &n.accounts;
    if a.totals == [0, 0, 0] {
        let _ = writeln!(
            o,
            "No account of yours was named in this campaign's alerts."
        );
    }
    account_list(
        &mut o,
        "Compromised (taken over)",
        &a.compromised,
        a.totals[0],
    );
    account_list(
        &mut o,
        "Attacked (password attempts)",
        &a.attacked,
        a.totals[1],
    );
    account_list(
        &mut o,
        "Identified (confirmed to exist)",
        &a.identified,
        a.totals[2],
    );
    section(&mut o, "Evidence");
    let _ = writeln!(
        o,
        "{} alert{} over {} log record{}. Sample lines:",
        n.alerts,
        if n.alerts == 1 { "" } else { "s" },
        thousands(n.events),
        if n.events == 1 { "" } else { "s" }
    );
    for e in &n.evidence {
        let _ = writeln!(o, "  {}:{}: {}", e.file, e.line, e.text);
    }
    section(&mut o, "What to do now");
    for (i, a) in n.actions.iter().enumerate() {
        let _ = writeln!(o, "{}. {a}", i + 1);
    }
    let _ = writeln!(o, "\n-- \n{}", n.sender);
    o
}

/// The HTML alternative of an email: the plain text, escaped, preformatted.
pub fn html(subject: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body><pre style=\"font-family: monospace; white-space: pre-wrap\">{}</pre></body></html>\n",
        text::html(subject),
        text::html(body)
    )
}

/// The body stored for a channel: the plain text, or for generic webhooks
/// the notification as JSON.
pub fn body(channel: Channel, n: &Notification) -> String {
    match channel {
        Channel::Webhook => serde_json::to_string_pretty(n).unwrap_or_default(),
        Channel::Email | Channel::Slack | Channel::Teams => text(n),
    }
}

/// The request body POSTed to a webhook of `channel`, from the stored
/// subject and body.
pub fn webhook_payload(channel: Channel, subject: &str, body: &str) -> String {
    match channel {
        Channel::Slack => {
            // A code block keeps the layout; Slack still reads `<…>` in it,
            // so the text is escaped, and a fence in the text cannot close it.
            let text = format!(
                "*{}*\n```\n{}\n```",
                text::slack(subject),
                text::slack(body).replace("```", "'''")
            );
            serde_json::json!({ "text": text }).to_string()
        }
        Channel::Teams => {
            let text: Vec<String> = body.lines().map(text::teams).collect();
            serde_json::json!({
                "@type": "MessageCard",
                "@context": "https://schema.org/extensions",
                "summary": subject,
                "themeColor": "B22222",
                "title": text::teams(subject),
                "text": text.join("<br>"),
            })
            .to_string()
        }
        Channel::Webhook | Channel::Email => body.to_string(),
    }
}
