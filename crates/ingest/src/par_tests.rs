//! The parallel reader makes exactly the sink calls the one-threaded reader
//! makes, in the same order, with the same accounting.

use crate::read::{read_chunked, EventSink, Parallel, ReadOptions, ReadStats};
use crate::Format;
use haboob_model::{EventRef, Origin};
use std::fmt::Write;

/// Every call, as text.
#[derive(Default)]
struct Calls(Vec<String>);

impl EventSink for Calls {
    fn event(&mut self, ev: &EventRef<'_>, o: &Origin<'_>) {
        let what = match ev {
            EventRef::Web(w) => format!(
                "{} {} {} {} {} {:?} {:?}",
                w.ts.0, w.source_ip, w.method, w.path, w.status, w.user_agent, w.site
            ),
            other => format!("{:?}", other.ts()),
        };
        self.0
            .push(format!("event {}:{} {what} | {}", o.file, o.line, o.raw));
    }
    fn rejected(&mut self, file: &str, line: u64, reason: &str, raw: &str) {
        self.0
            .push(format!("rejected {file}:{line} {reason} | {raw}"));
    }
    fn format(&mut self, f: Format) {
        self.0.push(format!("format {}", f.name()));
    }
}

/// About `bytes` of a combined log with every kind of bad line in it.
fn log(bytes: usize) -> Vec<u8> {
    let mut s = String::new();
    let mut i = 0u64;
    while s.len() < bytes {
        i += 1;
        match i % 97 {
            13 => s.push_str("not a log line at all\n"),
            29 => s.push('\n'),
            41 => {
                // Longer than the limit (4 KiB below).
                s.push_str(&"x".repeat(5000));
                s.push('\n');
            }
            57 => s.push_str("198.51.100.1 - - [01/Sep/2026:00:00:00 +0000] \"GET /\u{e9} HTTP/1.1\" 200 1 \"-\" \"ua\"\r\n"),
            _ => {
                let _ = writeln!(
                    s,
                    "203.0.{}.{} - - [01/Sep/2026:{:02}:{:02}:{:02} +0000] \"GET /p/{i} HTTP/1.1\" {} {} \"-\" \"agent {}\"",
                    (i / 250) % 250,
                    i % 250 + 1,
                    (i / 3600) % 24,
                    (i / 60) % 60,
                    i % 60,
                    if i.is_multiple_of(7) { 404 } else { 200 },
                    i % 5000,
                    i % 13
                );
            }
        }
    }
    let mut b = s.into_bytes();
    // A line that is not UTF-8, and an unfinished last line.
    b.extend_from_slice(
        b"192.0.2.9 - - [01/Sep/2026:23:59:59 +0000] \"GET /\xff HTTP/1.1\" 200 1 \"-\" \"ua\"\n",
    );
    b.extend_from_slice(b"192.0.2.9 - - [01/Sep/2026:23:59:59 +0000] \"GET /last");
    b
}

fn read(data: &[u8], parallel: bool, threads: usize, chunk: usize) -> (Vec<String>, ReadStats) {
    let opts = ReadOptions {
        parallel: if parallel {
            Parallel::Always
        } else {
            Parallel::Off
        },
        max_line_bytes: 4096,
        max_reject_samples: 50,
        ..ReadOptions::default()
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let mut calls = Calls::default();
        let mut stats = ReadStats::default();
        let res = read_chunked(data, "f.log", &opts, &|_| {}, &mut calls, &mut stats, chunk);
        assert!(res.is_ok(), "{res:?}");
        (calls.0, stats)
    })
}

/// Reading `data` in parallel gives exactly the serial calls and counts.
fn same_as_serial(data: &[u8], threads: usize, chunk: usize, serial: &[String], s1: &ReadStats) {
    let (par, s2) = read(data, true, threads, chunk);
    assert_eq!(par.len(), serial.len(), "{threads} threads, chunk {chunk}");
    if let Some(i) = (0..par.len()).find(|&i| par[i] != serial[i]) {
        panic!(
            "call {i} differs:\n  serial   {}\n  parallel {}",
            serial[i], par[i]
        );
    }
    assert_eq!(
        (s1.lines, s1.parsed, s1.events, s1.rejected, s1.bytes),
        (s2.lines, s2.parsed, s2.events, s2.rejected, s2.bytes)
    );
    assert_eq!(s1.samples, s2.samples);
    assert_eq!(s1.formats, s2.formats);
}

#[test]
fn parallel_reading_gives_the_same_calls_in_the_same_order() {
    // Over two rounds of blocks, so delivery overlaps parsing.
    let data = log(9 << 20);
    let (serial, s1) = read(&data, false, 1, 256 * 1024);
    assert!(serial.len() > 60_000);
    assert!(serial
        .iter()
        .any(|c| c.starts_with("rejected") && c.contains("longer than")));
    assert!(serial.iter().any(|c| c.contains("empty line")));
    for (threads, chunk) in [(2, 256 * 1024), (4, 4096), (3, 100_000)] {
        same_as_serial(&data, threads, chunk, &serial, &s1);
    }
}

#[test]
fn one_thread_reads_serially() {
    let data = log(64 << 10);
    assert_eq!(read(&data, true, 1, 4096).0, read(&data, false, 1, 4096).0);
}

/// About `bytes` of a pretty-printed JSON array of web records with bad
/// elements in it, cut inside its last record.
fn json_array(bytes: usize) -> Vec<u8> {
    let mut b = b"[\n".to_vec();
    let mut i = 0u64;
    while b.len() < bytes {
        i += 1;
        if i > 1 {
            b.extend_from_slice(b",\n");
        }
        match i % 101 {
            // Not a web record, a bare value, a string that is not UTF-8.
            13 => b.extend_from_slice(b"  {\n    \"foo\": [1, {\"bar\": \"]}\"}]\n  }"),
            29 => b.extend_from_slice(b"  42"),
            57 => b.extend_from_slice(
                b"  {\"time_iso8601\": \"2024-01-01T10:00:00Z\", \"remote_addr\": \"192.0.2.9\", \"request_uri\": \"/\xff\", \"status\": 200}",
            ),
            _ if i == 150 => {
                // Longer than a record may be (1 MiB).
                b.extend_from_slice(b"  {\"request_uri\": \"");
                b.extend_from_slice("x".repeat(1 << 20).as_bytes());
                b.extend_from_slice(b"\"}");
            }
            _ => {
                let mut s = String::new();
                let _ = write!(
                    s,
                    "  {{\n    \"time_iso8601\": \"2024-01-01T{:02}:{:02}:{:02}Z\",\n    \"remote_addr\": \"203.0.{}.{}\",\n    \"request_method\": \"GET\",\n    \"request_uri\": \"/p/{i}?q=[a]{{b}}\\\"c\\\"\",\n    \"status\": {}\n  }}",
                    (i / 3600) % 24,
                    (i / 60) % 60,
                    i % 60,
                    (i / 250) % 250,
                    i % 250 + 1,
                    if i.is_multiple_of(7) { 404 } else { 200 },
                );
                b.extend_from_slice(s.as_bytes());
            }
        }
    }
    b.extend_from_slice(b",\n  {\n    \"time_iso8601\": \"2024-01-01T");
    b
}

#[test]
fn json_array_records_are_parsed_in_parallel_in_order() {
    // Over two rounds of blocks, so delivery overlaps parsing.
    let data = json_array(10 << 20);
    let (serial, s1) = read(&data, false, 1, 256 * 1024);
    assert!(serial.len() > 30_000, "{}", serial.len());
    assert_eq!(serial[0], "format json");
    for want in [
        "longer than 1048576 bytes",
        "truncated JSON record",
        "| 42",
        "| {\"foo\":[1,{\"bar\":\"]}\"}]}",
    ] {
        assert!(
            serial
                .iter()
                .any(|c| c.starts_with("rejected") && c.contains(want)),
            "no rejection with {want:?}"
        );
    }
    // The record with a byte that is not UTF-8 is read all the same.
    assert!(serial.iter().any(|c| c.contains("192.0.2.9")));
    assert_eq!(s1.lines, s1.parsed + s1.rejected);
    // The same records as a Graph page (one line more before them).
    let mut page =
        b"{\"@odata.context\": \"https://graph.microsoft.com/v1.0/$metadata\",\n\"value\": "
            .to_vec();
    page.extend_from_slice(&data);
    let (serial_page, s3) = read(&page, false, 1, 256 * 1024);
    assert_eq!(serial_page.len(), serial.len());
    assert_eq!((s3.lines, s3.events), (s1.lines, s1.events));
    for (threads, chunk, data, serial, s1) in [
        (2, 256 * 1024, &data, &serial, &s1),
        (4, 4096, &data, &serial, &s1),
        (3, 100_000, &data, &serial, &s1),
        (2, 65_536, &page, &serial_page, &s3),
    ] {
        same_as_serial(data, threads, chunk, serial, s1);
    }
}
