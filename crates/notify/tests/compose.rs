//! Message composition: per organisation, only its own accounts; attacker
//! text cleaned; the whole text as a reviewed snapshot.

#[path = "common/fixture.rs"]
mod fixture;

use fixture::{campaign, HOSTILE_USER, OHIO, PLANET};
use haboob_notify::{compose, render, Channel, Sender};

fn sender() -> Sender {
    Sender {
        name: "Example Election Security SOC".into(),
        reply_to: "soc@cisa.example, +1 555 0100".into(),
    }
}

#[test]
fn ohio_is_told_about_its_accounts_only() {
    let (c, alerts) = campaign();
    let n = compose(&c, 2, &alerts, OHIO, &sender()).unwrap();
    assert_eq!(n.accounts.compromised, ["alice@oh.example"]);
    assert_eq!(
        n.accounts.attacked,
        [
            "bob@oh.example",
            "carol@oh.example",
            "eve Bcc: attacker@evil.example"
        ]
    );
    assert_eq!(n.accounts.identified, ["dave@oh.example"]);
    assert_eq!(n.accounts.totals, [1, 3, 1]);
    assert_eq!(
        n.targets
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>(),
        ["elections.oh.example", "login.oh.example"]
    );
    assert_eq!(n.sources, ["203.0.113.7", "203.0.113.8"]);
    assert_eq!(n.alerts, 3);
    assert_eq!(n.funnel.unwrap().attempts, 1200);
    assert_eq!(n.first_seen.to_string(), "2026-09-30T23:00:00.000Z");
    let text = render::text(&n);
    for other in ["clark", "lois", "planet", "198.51.100.9", "unowned"] {
        assert!(!text.contains(other), "{other} leaked into Ohio's message");
    }
    let json = render::body(Channel::Webhook, &n);
    assert!(!json.contains("clark") && !json.contains("lois"), "{json}");
}

#[test]
fn planet_is_told_about_its_accounts_only() {
    let (c, alerts) = campaign();
    let n = compose(&c, 2, &alerts, PLANET, &sender()).unwrap();
    assert_eq!(n.accounts.compromised, ["clark@planet.example"]);
    assert_eq!(n.accounts.attacked, ["lois@planet.example"]);
    assert!(n.accounts.identified.is_empty());
    let text = render::text(&n);
    for other in ["alice", "bob@", "evil", "oh.example", "203.0.113"] {
        assert!(
            !text.contains(other),
            "{other} leaked into the Planet's message"
        );
    }
    assert!(render::subject(&n).contains("1 account compromised"));
}

#[test]
fn no_message_for_an_organisation_not_targeted() {
    let (c, alerts) = campaign();
    assert!(compose(&c, 2, &alerts, "Metropolis Board of Elections", &sender()).is_none());
}

#[test]
fn attacker_text_cannot_break_lines_or_headers() {
    let (c, alerts) = campaign();
    let n = compose(&c, 2, &alerts, OHIO, &sender()).unwrap();
    let subject = render::subject(&n);
    assert!(!subject.contains(['\r', '\n']));
    let text = render::text(&n);
    assert!(!text.contains('\r') && !text.contains('\u{1b}'), "{text:?}");
    assert!(!text.contains(HOSTILE_USER));
    // Every line of the body is ours: none starts with an injected header.
    assert!(!text
        .lines()
        .any(|l| l.starts_with("Bcc:") || l.starts_with("X-Evil:")));
    let html = render::html(&subject, &text);
    assert!(!html.contains("<script>") && html.contains("&lt;script&gt;"));
    let slack = render::webhook_payload(Channel::Slack, &subject, &text);
    assert!(!slack.contains("<script>"), "{slack}");
    let teams = render::webhook_payload(Channel::Teams, &subject, &text);
    assert!(!teams.contains("<script>"), "{teams}");
}

#[test]
fn the_advice_follows_what_happened() {
    let (c, alerts) = campaign();
    let n = compose(&c, 2, &alerts, OHIO, &sender()).unwrap();
    let all = n.actions.join("\n");
    assert!(all.contains("Reset the passwords of the compromised accounts and revoke all their sessions and refresh tokens now: alice@oh.example."));
    assert!(all.contains("inbox rules, forwarding"));
    assert!(all.contains("phishing-resistant multi-factor authentication (FIDO2 security keys or passkeys) for the attacked accounts: bob@oh.example"));
    assert!(
        all.contains("Preserve the logs from 2026-09-30T23:00:00.000Z to 2026-10-03T04:00:00.000Z")
    );
    assert!(all.contains("Contact soc@cisa.example, +1 555 0100"));
    // Only web activity: no account advice.
    let (mut c, alerts) = campaign();
    c.targets.retain(|t| t.name != "login.oh.example");
    let n = compose(&c, 1, &alerts, OHIO, &sender()).unwrap();
    assert_eq!(n.accounts.totals, [0, 0, 0]);
    let all = n.actions.join("\n");
    assert!(
        !all.contains("Reset the passwords") && !all.contains("phishing-resistant"),
        "{all}"
    );
    assert!(all.contains("did not serve the files"), "{all}");
    assert!(render::text(&n).contains("No account of yours was named"));
}

#[test]
fn ohio_email_snapshot() {
    let (c, alerts) = campaign();
    let n = compose(&c, 2, &alerts, OHIO, &sender()).unwrap();
    let out = format!("Subject: {}\n\n{}", render::subject(&n), render::text(&n));
    insta::assert_snapshot!(out);
}

#[test]
fn planet_webhook_json_snapshot() {
    let (c, alerts) = campaign();
    let n = compose(&c, 2, &alerts, PLANET, &sender()).unwrap();
    insta::assert_snapshot!(render::body(Channel::Webhook, &n));
}
