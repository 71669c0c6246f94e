//! Real servers on loopback for the delivery tests: aiosmtpd (Python,
//! `scripts/ci/smtp_sink.py`) and a small HTTP webhook receiver that checks
//! the HMAC signature.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A free loopback port (bound then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A Python with aiosmtpd: `target/ci-python` (made by `scripts/ci/smtp.sh`),
/// else `python3` when it has the module. `None` prints "skipped" (and
/// panics under CI=true, where `.ci/run` installed it).
pub fn python_or_skip(test: &str) -> Option<PathBuf> {
    let mut candidates = vec![root().join("target/ci-python/bin/python3")];
    if let Ok(t) = std::env::var("CARGO_TARGET_DIR") {
        candidates.push(Path::new(&t).join("ci-python/bin/python3"));
    }
    candidates.push(PathBuf::from("python3"));
    for p in candidates {
        let ok = Command::new(&p)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Some(p);
        }
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{test}: python3 with aiosmtpd is missing (run scripts/ci/smtp.sh)");
    }
    eprintln!("skipped {test}: python3 with aiosmtpd is missing (run scripts/ci/smtp.sh)");
    None
}

/// A running aiosmtpd writing each message to `dir`.
pub struct SmtpSink {
    child: Child,
    pub port: u16,
    pub dir: PathBuf,
}

/// TLS material for a STARTTLS sink: a self-signed certificate for
/// 127.0.0.1 made with openssl at test time.
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub ca: PathBuf,
}

/// A private CA (`ca.pem`, what the client trusts) and a server
/// certificate for 127.0.0.1 signed by it, made with openssl at test time.
pub fn self_signed(dir: &Path) -> TlsFiles {
    let run = |args: &[&str]| {
        let st = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl");
        assert!(st.success(), "openssl {args:?} failed");
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=haboob test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "key.pem",
        "-out",
        "srv.csr",
    ]);
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "srv.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
        "-out",
        "cert.pem",
    ]);
    TlsFiles {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
        ca: dir.join("ca.pem"),
    }
}

impl SmtpSink {
    pub fn start(python: &Path, port: u16, dir: &Path, tls: Option<&TlsFiles>) -> SmtpSink {
        let mut cmd = Command::new(python);
        cmd.arg(root().join("scripts/ci/smtp_sink.py"))
            .arg("--port")
            .arg(port.to_string())
            .arg("--dir")
            .arg(dir);
        if let Some(t) = tls {
            cmd.arg("--tls-cert")
                .arg(&t.cert)
                .arg("--tls-key")
                .arg(&t.key)
                .arg("--require-tls");
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start smtp_sink.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(
            line.starts_with("ready"),
            "smtp sink did not start: {line:?}"
        );
        SmtpSink {
            child,
            port,
            dir: dir.to_path_buf(),
        }
    }

    /// Messages received so far, by arrival.
    pub fn messages(&self) -> Vec<String> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned())
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The header block of a received message (envelope lines included).
pub fn headers(msg: &str) -> Vec<(String, String)> {
    let head = msg.split("\r\n\r\n").next().unwrap_or("");
    let mut out: Vec<(String, String)> = Vec::new();
    for l in head.split("\r\n") {
        if l.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.1.push_str(l.trim_start());
            }
        } else if let Some((k, v)) = l.split_once(':') {
            out.push((k.to_string(), v.trim().to_string()));
        }
    }
    out
}

/// The decoded text/plain part of a received message (quoted-printable or
/// base64, as lettre chose).
pub fn plain_text(msg: &str) -> String {
    let i = msg
        .find("Content-Type: text/plain")
        .expect("a text/plain part");
    let part = &msg[i..];
    let (head, rest) = part.split_once("\r\n\r\n").unwrap();
    let boundary = msg
        .split("boundary=\"")
        .nth(1)
        .and_then(|b| b.split('"').next())
        .expect("a multipart boundary");
    let body = rest.split(&format!("\r\n--{boundary}")).next().unwrap();
    if head.contains("base64") {
        let clean: String = body.chars().filter(|c| !c.is_whitespace()).collect();
        String::from_utf8(b64(&clean)).unwrap()
    } else if head.contains("quoted-printable") {
        qp(body)
    } else {
        body.to_string()
    }
}

fn b64(s: &str) -> Vec<u8> {
    let val = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => (c - b'A') as u32,
            b'a'..=b'z' => (c - b'a' + 26) as u32,
            b'0'..=b'9' => (c - b'0' + 52) as u32,
            b'+' => 62,
            _ => 63,
        }
    };
    let bytes: Vec<u8> = s.bytes().filter(|&b| b != b'=').collect();
    let mut out = Vec::new();
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= val(c) << (18 - 6 * i);
        }
        let k = chunk.len() * 6 / 8;
        for i in 0..k {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}

fn qp(s: &str) -> String {
    let s = s.replace("=\r\n", "");
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).replace("\r\n", "\n")
}

/// One request the webhook receiver got.
#[derive(Debug, Clone)]
pub struct Hook {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The signature header matched HMAC-SHA256(secret, ts "." body).
    pub signature_ok: bool,
}

impl Hook {
    pub fn header(&self, k: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(h, _)| h.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_str())
    }
}

/// An HTTP receiver on loopback answering each POST with `status`.
pub struct Receiver {
    pub port: u16,
    pub got: Arc<Mutex<Vec<Hook>>>,
    pub status: Arc<Mutex<u16>>,
}

impl Receiver {
    pub fn start(secret: &'static str) -> Receiver {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let got = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(Mutex::new(200u16));
        let (g, st) = (got.clone(), status.clone());
        std::thread::spawn(move || {
            for s in l.incoming() {
                let Ok(s) = s else { continue };
                handle(s, secret, &g, &st);
            }
        });
        Receiver { port, got, status }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn hooks(&self) -> Vec<Hook> {
        self.got.lock().unwrap().clone()
    }
}

fn handle(mut s: TcpStream, secret: &str, got: &Mutex<Vec<Hook>>, status: &Mutex<u16>) {
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut line = String::new();
    if r.read_line(&mut line).is_err() {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).is_err() || h == "\r\n" || h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.trim_end().split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    let _ = r.read_exact(&mut body);
    let find = |k: &str| {
        headers
            .iter()
            .find(|(h, _)| h.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let ts: i64 = find("x-haboob-timestamp").parse().unwrap_or(-1);
    let expected = haboob_notify::signature(secret.as_bytes(), ts, &body);
    let hook = Hook {
        path,
        signature_ok: ts >= 0 && find("x-haboob-signature") == expected,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    got.lock().unwrap().push(hook);
    let code = *status.lock().unwrap();
    let _ = write!(
        s,
        "HTTP/1.1 {code} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
    );
}

/// Wait until `f` holds or `secs` pass.
pub fn wait_for(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    f()
}
