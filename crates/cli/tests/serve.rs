//! `haboob token create|list|revoke` and `haboob serve` as a user runs
//! them: the secret printed once, never listed, revocation taking effect on
//! the running server; anonymous API requests refused, the health check open.

mod common;

use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A plain HTTP/1.1 GET; the status code and body.
fn get(port: u16, path: &str, token: Option<&str>) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Connection: close\r\n\r\n"
    )?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    let status = out
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn tokens_and_serve() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("h.db").display());
    let o = run(
        &[
            "token", "create", "--store", &url, "--role", "analyst", "--name", "alice",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let secret = text(&o.stdout).trim().to_string();
    assert_eq!(
        text(&o.stdout).lines().count(),
        1,
        "only the secret on stdout"
    );
    assert!(secret.len() >= 32, "{secret}");
    assert!(text(&o.stderr).contains("shown only once"));
    let o = run(
        &[
            "token", "create", "--store", &url, "--role", "viewer", "--name", "alice",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2), "a second alice is refused");
    let o = run(
        &[
            "token",
            "create",
            "--store",
            &url,
            "--role",
            "viewer",
            "--name",
            "bob\x1b[2J",
        ],
        None,
    );
    assert_eq!(
        o.status.code(),
        Some(2),
        "control characters in a name are refused"
    );
    let o = run(
        &[
            "token", "create", "--store", &url, "--role", "root", "--name", "x",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2));

    let list = run(&["token", "list", "--store", &url], None);
    assert_eq!(list.status.code(), Some(0));
    let listed = text(&list.stdout);
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with("alice ") && l.contains("analyst") && l.ends_with("live")),
        "{listed}"
    );
    assert!(!listed.contains(&secret), "the list never shows secrets");

    // The server: a free port, then wait for /healthz.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _server = Server(
        haboob()
            .args([
                "serve",
                "--store",
                &url,
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn haboob serve"),
    );
    let start = Instant::now();
    loop {
        match get(port, "/healthz", None) {
            Ok((200, body)) => {
                assert_eq!(body.trim(), r#"{"status":"ok"}"#);
                break;
            }
            _ if start.elapsed() < Duration::from_secs(30) => {
                std::thread::sleep(Duration::from_millis(100))
            }
            other => panic!("haboob serve did not come up: {other:?}"),
        }
    }
    let (status, body) = get(port, "/api/v1/campaigns", None).unwrap();
    assert_eq!(
        (status, body.as_str()),
        (401, r#"{"error":"authentication required"}"#)
    );
    let (status, body) = get(port, "/api/v1/campaigns?severity=high", Some(&secret)).unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, r#"{"items":[],"total":0,"next_offset":null}"#);
    let (status, body) = get(port, "/api/v1/campaigns?severity=severe", Some(&secret)).unwrap();
    assert_eq!(
        (status, body.as_str()),
        (
            400,
            r#"{"error":"severity: expected low, medium, high or critical"}"#
        )
    );
    let (status, _) = get(port, "/campaigns", None).unwrap();
    assert_eq!(status, 303, "console pages send to the login page");

    let o = run(
        &["token", "revoke", "--store", &url, "--name", "alice"],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(
        get(port, "/api/v1/campaigns", Some(&secret)).unwrap().0,
        401,
        "revoked at once"
    );
    let listed = text(&run(&["token", "list", "--store", &url], None).stdout);
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with("alice ") && l.ends_with("revoked")),
        "{listed}"
    );
    let o = run(
        &["token", "revoke", "--store", &url, "--name", "nobody"],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("no live token named nobody"));
    // Token administration from the command line is in the audit trail,
    // newest first, in the name of the account that ran it.
    let store = haboob_store::Store::open(&url).unwrap();
    let trail: Vec<String> = store
        .audit(&haboob_store::AuditQuery::default())
        .unwrap()
        .iter()
        .filter(|e| e.campaign.is_empty() && e.actor.starts_with("cli:"))
        .map(|e| serde_json::to_string(&e.action).unwrap())
        .collect();
    assert_eq!(
        trail.first().map(String::as_str),
        Some(r#"{"action":"revoke_token","name":"alice"}"#),
        "{trail:?}"
    );
    assert!(trail
        .iter()
        .any(|a| a == r#"{"action":"create_token","name":"alice","role":"analyst"}"#));
}
