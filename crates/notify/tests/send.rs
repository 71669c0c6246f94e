//! Delivery against real servers on loopback: aiosmtpd (plain and
//! STARTTLS) and an HTTP receiver that checks the HMAC signature.

#[path = "common/fixture.rs"]
mod fixture;
#[path = "common/servers.rs"]
mod servers;

use fixture::{campaign, OHIO, PLANET};
use haboob_hunt::{NotifyConfig, SmtpTls};
use haboob_notify::{compose, render, Channel, Channels, Outgoing, Sender};
use servers::{free_port, headers, plain_text, python_or_skip, Receiver, SmtpSink};

fn cfg(port: u16, tls: SmtpTls) -> NotifyConfig {
    let mut c = NotifyConfig::default();
    c.smtp.host = "127.0.0.1".into();
    c.smtp.port = port;
    c.smtp.tls = tls;
    c.smtp.from = "haboob@soc.example".into();
    c.smtp.timeout_secs = 10;
    c
}

fn message(org: &str, channel: Channel) -> (String, String) {
    let (c, alerts) = campaign();
    let s = Sender {
        name: "Example SOC".into(),
        reply_to: "soc@cisa.example".into(),
    };
    let n = compose(&c, 2, &alerts, org, &s).unwrap();
    (render::subject(&n), render::body(channel, &n))
}

fn out<'a>(channel: &'a str, address: &'a str, m: &'a (String, String)) -> Outgoing<'a> {
    Outgoing {
        id: 7,
        channel,
        address,
        subject: &m.0,
        body: &m.1,
    }
}

#[test]
fn email_reaches_aiosmtpd_with_the_organisations_content_and_no_injected_header() {
    let Some(py) = python_or_skip("email_reaches_aiosmtpd") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(&py, free_port(), dir.path(), None);
    let ch = Channels::new(&cfg(sink.port, SmtpTls::None));
    let m = message(OHIO, Channel::Email);
    ch.send(&out("email", "soc@oh.example", &m), 0).unwrap();
    let got = sink.messages();
    assert_eq!(got.len(), 1);
    let h = headers(&got[0]);
    let get = |k: &str| {
        h.iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
    };
    assert_eq!(get("X-Envelope-To"), ["soc@oh.example"]);
    assert_eq!(get("X-Envelope-From"), ["haboob@soc.example"]);
    assert_eq!(get("To"), ["soc@oh.example"]);
    assert!(get("Bcc").is_empty() && get("X-Evil").is_empty(), "{h:?}");
    assert_eq!(get("Subject").len(), 1);
    assert!(
        get("Subject")[0].contains("Ohio Secretary of State targeted"),
        "{h:?}"
    );
    let text = plain_text(&got[0]);
    for want in [
        "To the security team of Ohio Secretary of State:",
        "  - login.oh.example (election, OH)",
        "Compromised (taken over) (1):\n  - alice@oh.example",
        "  - eve Bcc: attacker@evil.example",
        "Reset the passwords of the compromised accounts",
        "phishing-resistant multi-factor authentication",
        "inbox rules, forwarding",
        "Preserve the logs",
        "Contact soc@cisa.example",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
    assert!(!text.contains("clark") && !text.contains("lois"));
    assert!(
        got[0].contains("Content-Type: text/html"),
        "HTML alternative"
    );
}

#[test]
fn email_with_required_starttls_and_a_private_ca() {
    let Some(py) = python_or_skip("email_with_required_starttls") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let tls = servers::self_signed(dir.path());
    let mail = dir.path().join("mail");
    let sink = SmtpSink::start(&py, free_port(), &mail, Some(&tls));
    let mut c = cfg(sink.port, SmtpTls::Required);
    c.smtp.ca_file = tls.ca.display().to_string();
    let m = message(PLANET, Channel::Email);
    Channels::new(&c)
        .send(&out("email", "desk@planet.example", &m), 0)
        .unwrap();
    let got = sink.messages();
    assert_eq!(got.len(), 1);
    assert!(got[0].contains("X-Sink-TLS: yes"), "{}", &got[0][..200]);
    assert!(plain_text(&got[0]).contains("clark@planet.example"));
    // Without the private CA the certificate is not trusted: nothing sent.
    let e = Channels::new(&cfg(sink.port, SmtpTls::Required))
        .send(&out("email", "desk@planet.example", &m), 0)
        .unwrap_err();
    assert!(!e.permanent, "{e:?}");
    assert_eq!(sink.messages().len(), 1);
}

#[test]
fn required_starttls_refuses_a_server_without_it() {
    let Some(py) = python_or_skip("required_starttls_refuses") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(&py, free_port(), dir.path(), None);
    let m = message(OHIO, Channel::Email);
    let e = Channels::new(&cfg(sink.port, SmtpTls::Required))
        .send(&out("email", "soc@oh.example", &m), 0)
        .unwrap_err();
    assert!(e.message.starts_with("smtp:"), "{e:?}");
    assert!(sink.messages().is_empty());
    // Opportunistic sends in clear text to such a server.
    Channels::new(&cfg(sink.port, SmtpTls::Opportunistic))
        .send(&out("email", "soc@oh.example", &m), 0)
        .unwrap();
    assert_eq!(sink.messages().len(), 1);
}

#[test]
fn a_refused_connection_is_a_transient_failure() {
    let port = free_port();
    let m = message(OHIO, Channel::Email);
    let e = Channels::new(&cfg(port, SmtpTls::None))
        .send(&out("email", "soc@oh.example", &m), 0)
        .unwrap_err();
    assert!(!e.permanent, "{e:?}");
    let e = Channels::new(&cfg(port, SmtpTls::None))
        .send(
            &out("webhook", &format!("http://127.0.0.1:{port}/h"), &m),
            0,
        )
        .unwrap_err();
    assert!(!e.permanent && e.message.contains("secret"), "{e:?}");
}

fn hook_cfg(var: &str, secret: &str) -> NotifyConfig {
    std::env::set_var(var, secret);
    let mut c = cfg(1, SmtpTls::None);
    c.webhook.secret_env = var.into();
    c.webhook.timeout_secs = 10;
    c
}

#[test]
fn webhooks_are_signed_and_shaped_per_channel() {
    let rx = Receiver::start("s3cret-1");
    let ch = Channels::new(&hook_cfg("HABOOB_TEST_SECRET_SHAPES", "s3cret-1"));
    let json = message(OHIO, Channel::Webhook);
    ch.send(&out("webhook", &rx.url("/generic"), &json), 1_790_000_000)
        .unwrap();
    let text = message(OHIO, Channel::Slack);
    ch.send(&out("slack", &rx.url("/slack"), &text), 1_790_000_001)
        .unwrap();
    ch.send(&out("teams", &rx.url("/teams"), &text), 1_790_000_002)
        .unwrap();
    let hooks = rx.hooks();
    assert_eq!(hooks.len(), 3);
    for h in &hooks {
        assert!(h.signature_ok, "{h:?}");
        assert_eq!(h.header("X-Haboob-Delivery"), Some("7"));
        assert_eq!(h.header("Content-Type"), Some("application/json"));
    }
    assert_eq!(hooks[0].header("X-Haboob-Timestamp"), Some("1790000000"));
    let v: serde_json::Value = serde_json::from_str(&hooks[0].body).unwrap();
    assert_eq!(v["schema"], "haboob.notification/1");
    assert_eq!(v["organisation"], OHIO);
    assert_eq!(v["accounts"]["compromised"][0], "alice@oh.example");
    let v: serde_json::Value = serde_json::from_str(&hooks[1].body).unwrap();
    assert!(v["text"].as_str().unwrap().contains("alice@oh.example"));
    let v: serde_json::Value = serde_json::from_str(&hooks[2].body).unwrap();
    assert_eq!(v["@type"], "MessageCard");
    assert!(v["text"].as_str().unwrap().contains("alice@oh.example"));
    // A receiver with another secret sees a bad signature.
    let other = Receiver::start("not-the-secret");
    ch.send(&out("webhook", &other.url("/x"), &json), 5)
        .unwrap();
    assert!(!other.hooks()[0].signature_ok);
}

#[test]
fn webhook_errors_are_permanent_or_transient_by_status() {
    let rx = Receiver::start("s");
    let ch = Channels::new(&hook_cfg("HABOOB_TEST_SECRET_STATUS", "s"));
    let m = message(PLANET, Channel::Webhook);
    *rx.status.lock().unwrap() = 400;
    let e = ch.send(&out("webhook", &rx.url("/"), &m), 0).unwrap_err();
    assert!(e.permanent && e.message == "webhook: HTTP 400", "{e:?}");
    *rx.status.lock().unwrap() = 503;
    let e = ch.send(&out("webhook", &rx.url("/"), &m), 0).unwrap_err();
    assert!(!e.permanent && e.message == "webhook: HTTP 503", "{e:?}");
    *rx.status.lock().unwrap() = 429;
    assert!(
        !ch.send(&out("webhook", &rx.url("/"), &m), 0)
            .unwrap_err()
            .permanent
    );
}
