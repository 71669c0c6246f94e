//! `scripts/corpus.sh` against a std-only HTTP server on 127.0.0.1 serving a
//! small tree laid out as `<repository>/<commit>/<path>`: files land and
//! verify, present files are not fetched again, a tampered or missing
//! upstream file is an error naming it, and `--verify` checks a copy.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

/// Serves `root` over HTTP/1.0 on 127.0.0.1 (an ephemeral port) from a
/// thread; counts requests. The thread ends with the test process.
fn serve(root: PathBuf) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            counter.fetch_add(1, Ordering::SeqCst);
            let _ = answer(&root, conn);
        }
    });
    (url, hits)
}

fn answer(root: &Path, mut conn: TcpStream) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" {
            break;
        }
    }
    let path = request.split(' ').nth(1).unwrap_or("/");
    let path = percent_decode(path.trim_start_matches('/'));
    let body = if path.split('/').any(|p| p == "..") {
        None
    } else {
        std::fs::read(root.join(&path)).ok()
    };
    match body {
        Some(b) => {
            write!(
                conn,
                "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n",
                b.len()
            )?;
            conn.write_all(&b)
        }
        None => conn.write_all(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if let Ok(v) = u8::from_str_radix(s.get(i + 1..i + 3).unwrap_or(""), 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

/// A one-member zip archive, stored (no compression).
fn zip_one(name: &str, data: &[u8]) -> Vec<u8> {
    let (crc, len, nlen) = (crc32(data), data.len() as u32, name.len() as u16);
    let mut z = Vec::new();
    let le16 = |z: &mut Vec<u8>, v: u16| z.extend_from_slice(&v.to_le_bytes());
    let le32 = |z: &mut Vec<u8>, v: u32| z.extend_from_slice(&v.to_le_bytes());
    le32(&mut z, 0x0403_4b50);
    for v in [20, 0, 0, 0, 0x21] {
        le16(&mut z, v); // version, flags, method (stored), time, date
    }
    for v in [crc, len, len] {
        le32(&mut z, v);
    }
    le16(&mut z, nlen);
    le16(&mut z, 0);
    z.extend_from_slice(name.as_bytes());
    z.extend_from_slice(data);
    let cd = z.len() as u32;
    le32(&mut z, 0x0201_4b50);
    for v in [20, 20, 0, 0, 0, 0x21] {
        le16(&mut z, v);
    }
    for v in [crc, len, len] {
        le32(&mut z, v);
    }
    for v in [nlen, 0, 0, 0, 0] {
        le16(&mut z, v);
    }
    le32(&mut z, 0);
    le32(&mut z, 0); // local header offset
    z.extend_from_slice(name.as_bytes());
    let cd_len = z.len() as u32 - cd;
    le32(&mut z, 0x0605_4b50);
    for v in [0, 0, 1, 1] {
        le16(&mut z, v);
    }
    le32(&mut z, cd_len);
    le32(&mut z, cd);
    le16(&mut z, 0);
    z
}

fn sha256_hex(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum");
    String::from_utf8(out.stdout).unwrap()[..64].to_string()
}

/// Upstream tree + manifest the test owns.
struct Upstream {
    dir: tempfile::TempDir,
    manifest: PathBuf,
}

impl Upstream {
    fn file(&self, repo: &str, path: &str) -> PathBuf {
        self.dir
            .path()
            .join("www")
            .join(repo)
            .join(COMMIT)
            .join(path)
    }
}

const FILES: &[(&str, &str, &str, &[u8])] = &[
    // (corpus path, repository, upstream path, content)
    (
        "logs/access.log",
        "acme/logs",
        "data/access.log",
        b"1.2.3.4 - - [x] \"GET / HTTP/1.1\" 200 1\n",
    ),
    (
        "evtx/With Space/a b.txt",
        "acme/evtx",
        "Credential Access/a b.txt",
        b"spaced\n",
    ),
];

fn upstream() -> Upstream {
    let dir = tempfile::tempdir().unwrap();
    let www = dir.path().join("www");
    let mut manifest = String::from(
        "# test manifest\nsource\tlogs\tacme/logs\t0123456789abcdef0123456789abcdef01234567\tMIT\n\
         source\tevtx\tacme/evtx\t0123456789abcdef0123456789abcdef01234567\tGPL-3.0\n",
    );
    let key = |repo: &str| if repo == "acme/logs" { "logs" } else { "evtx" };
    for (rel, repo, up, data) in FILES {
        let p = www.join(repo).join(COMMIT).join(up);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, data).unwrap();
        manifest += &format!(
            "file\t{}\t{}\t{rel}\traw\t{}\t{up}\n",
            sha256_hex(&p),
            data.len(),
            key(repo)
        );
    }
    // A zip member, as for the OTRF datasets.
    let member = b"{\"Operation\":\"MailItemsAccessed\"}\n";
    let zip = www.join("acme/logs").join(COMMIT).join("sets/Mail.Zip");
    std::fs::create_dir_all(zip.parent().unwrap()).unwrap();
    std::fs::write(&zip, zip_one("Mail.json", member)).unwrap();
    let plain = dir.path().join("Mail.json");
    std::fs::write(&plain, member).unwrap();
    manifest += &format!(
        "file\t{}\t{}\tsets/Mail.json\tzip\tlogs\tsets/Mail.Zip\tMail.json\n",
        sha256_hex(&plain),
        member.len()
    );
    // A derived file: counted, never fetched.
    manifest += "file\t0000000000000000000000000000000000000000000000000000000000000000\t1\treduced.json\tderived\tlogs\tdata\n";
    let path = dir.path().join("manifest.tsv");
    std::fs::write(&path, manifest).unwrap();
    Upstream {
        dir,
        manifest: path,
    }
}

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

/// Runs scripts/corpus.sh with a deadline (killed after 60 s).
fn script(base: &str, args: &[&str]) -> Run {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/corpus.sh");
    let mut child = Command::new("bash")
        .arg(script)
        .args(args)
        .env("HABOOB_CORPUS_BASE_URL", base)
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bash");
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("scripts/corpus.sh ran over 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn fetches_verifies_and_does_not_fetch_again() {
    let up = upstream();
    let (base, hits) = serve(up.dir.path().join("www"));
    let dest = up.dir.path().join("cache");
    let m = up.manifest.to_str().unwrap();
    let r = script(&base, &["--manifest", m, dest.to_str().unwrap()]);
    assert!(r.ok, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(
            "4 files in the manifest, 0 already verified, 3 fetched and verified, 1 derived (1 absent: not downloadable)"
        ),
        "{}",
        r.stdout
    );
    for (rel, _, _, data) in FILES {
        assert_eq!(std::fs::read(dest.join(rel)).unwrap(), *data, "{rel}");
    }
    assert_eq!(
        std::fs::read(dest.join("sets/Mail.json")).unwrap(),
        b"{\"Operation\":\"MailItemsAccessed\"}\n"
    );
    assert!(!dest.join("reduced.json").exists());
    assert!(!dest.join(".partial").exists());
    assert_eq!(
        std::fs::read_to_string(dest.join(".verified"))
            .unwrap()
            .trim(),
        sha256_hex(&up.manifest)
    );
    assert_eq!(hits.load(Ordering::SeqCst), 3);

    // Again: everything present and verified, nothing requested.
    let r = script(&base, &["--manifest", m, dest.to_str().unwrap()]);
    assert!(r.ok, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("3 already verified, 0 fetched"),
        "{}",
        r.stdout
    );
    assert_eq!(hits.load(Ordering::SeqCst), 3);

    // --verify passes on the copy, then names a file changed locally.
    let r = script(
        &base,
        &["--verify", "--manifest", m, dest.to_str().unwrap()],
    );
    assert!(r.ok, "{}{}", r.stdout, r.stderr);
    std::fs::write(dest.join("logs/access.log"), "edited\n").unwrap();
    let r = script(
        &base,
        &["--verify", "--manifest", m, dest.to_str().unwrap()],
    );
    assert!(!r.ok);
    assert!(r.stderr.contains("1 error(s)"), "{}", r.stderr);
    assert!(
        r.stderr.contains("  logs/access.log: sha256 "),
        "{}",
        r.stderr
    );
    assert_eq!(hits.load(Ordering::SeqCst), 3, "--verify fetches nothing");

    // A fetch run repairs the locally changed file (one request).
    let r = script(&base, &["--manifest", m, dest.to_str().unwrap()]);
    assert!(r.ok, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("re-fetching logs/access.log"),
        "{}",
        r.stderr
    );
    assert_eq!(hits.load(Ordering::SeqCst), 4);
    assert_eq!(
        std::fs::read(dest.join("logs/access.log")).unwrap(),
        FILES[0].3
    );
}

#[test]
fn tampered_upstream_file_is_an_error_naming_it() {
    let up = upstream();
    std::fs::write(
        up.file("acme/evtx", "Credential Access/a b.txt"),
        "tampered\n",
    )
    .unwrap();
    let (base, _) = serve(up.dir.path().join("www"));
    let dest = up.dir.path().join("cache");
    let r = script(
        &base,
        &[
            "--manifest",
            up.manifest.to_str().unwrap(),
            dest.to_str().unwrap(),
        ],
    );
    assert!(!r.ok);
    assert!(r.stderr.contains("corpus: 1 error(s):"), "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "  evtx/With Space/a b.txt: sha256 {} from {base}/acme/evtx/{COMMIT}/Credential%20Access/a%20b.txt, manifest says ",
            sha256_hex(&up.file("acme/evtx", "Credential Access/a b.txt"))
        )),
        "{}",
        r.stderr
    );
    // The bad file is not placed, the good ones are, and no stamp: the tests
    // do not take this directory for a corpus.
    assert!(!dest.join("evtx/With Space/a b.txt").exists());
    assert!(dest.join("logs/access.log").exists());
    assert!(!dest.join(".verified").exists());
}

#[test]
fn missing_upstream_file_is_an_error_naming_it() {
    let up = upstream();
    std::fs::remove_file(up.file("acme/logs", "data/access.log")).unwrap();
    std::fs::remove_file(up.file("acme/logs", "sets/Mail.Zip")).unwrap();
    let (base, _) = serve(up.dir.path().join("www"));
    let dest = up.dir.path().join("cache");
    let r = script(
        &base,
        &[
            "--manifest",
            up.manifest.to_str().unwrap(),
            dest.to_str().unwrap(),
        ],
    );
    assert!(!r.ok);
    assert!(r.stderr.contains("corpus: 2 error(s):"), "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "  logs/access.log: cannot fetch {base}/acme/logs/{COMMIT}/data/access.log ("
        )),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("  sets/Mail.json: cannot fetch "),
        "{}",
        r.stderr
    );
    assert!(r.stdout.contains("1 fetched and verified"), "{}", r.stdout);
    assert!(!dest.join("logs/access.log").exists());
    assert!(!dest.join(".verified").exists());
}
