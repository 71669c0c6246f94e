//! SigmaHQ's Linux rules (`tests/fixtures/linux/rules`, copied unchanged)
//! over Linux logs read by haboob's readers: auditd records (real samples
//! from OTRF Security-Datasets and Elastic Beats) and Sysmon for Linux
//! events in syslog. Every line's hits are asserted exactly (sources in
//! `tests/fixtures/linux/SOURCES.md`).

use haboob_model::{EventRef, Parsed, LINUX_SYSMON_CHANNEL};
use haboob_sigma::{load, Family, Loaded, Mapping};
use haboob_signin::SigninFormat;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/linux")
}

fn rules() -> Loaded {
    let l = load(&[fixtures().join("rules")], &Mapping::builtin());
    assert_eq!(l.tally.total.invalid, 0);
    assert_eq!(l.rules.len(), 7, "every Linux rule loads");
    l
}

/// The titles of the rules each line hits (`None`: the line is rejected,
/// with its reason), as the hunt dispatches them: audit records to
/// `linux.auditd`, Sysmon for Linux events to `linux.sysmon`, Windows
/// events to `windows`; sign-ins to none of these.
fn hits(l: &Loaded, format: SigninFormat, file: &str) -> Vec<(usize, Result<Vec<String>, String>)> {
    let text = std::fs::read_to_string(fixtures().join(file)).unwrap();
    let mut p = format.line_parser().unwrap();
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let r = match p.parse(line) {
            Err(e) => Err(e.reason.into_owned()),
            Ok(Parsed::Event(EventRef::Auth(a))) => Err(format!("sign-in {}", a.dataset)),
            Ok(Parsed::Event(ev)) => Ok(run(l, &ev)),
            Ok(other) => Err(format!("unexpected {other:?}")),
        };
        out.push((i + 1, r));
    }
    out
}

fn run(l: &Loaded, ev: &EventRef<'_>) -> Vec<String> {
    let mut idx = Vec::new();
    match ev {
        EventRef::Audit(a) => l.rules.matches(Family::Auditd, a, &mut idx),
        EventRef::Win(w) if w.channel == LINUX_SYSMON_CHANNEL => {
            l.rules.matches(Family::LinuxSysmon, w, &mut idx)
        }
        EventRef::Win(w) => l.rules.matches(Family::Windows, w, &mut idx),
        _ => {}
    }
    idx.iter().map(|i| l.rules.meta(*i).title.clone()).collect()
}

fn titles(t: &[&str]) -> Result<Vec<String>, String> {
    Ok(t.iter().map(|s| s.to_string()).collect())
}

#[test]
fn auditd_atomic_tests_hit_exactly_binary_padding() {
    let l = rules();
    let got = hits(&l, SigninFormat::Auditd, "auditd/otrf_atomic.log");
    assert_eq!(got.len(), 18);
    for (line, r) in got {
        // `dd if=/dev/zero bs=1 count=1` (the EXECVE record of the second
        // atomic test) and nothing else: not its SYSCALL, PATH or
        // PROCTITLE records, not `arp -a`.
        let want = if line == 14 {
            titles(&["Binary Padding - Linux"])
        } else {
            titles(&[])
        };
        assert_eq!(r, want, "line {line}");
    }
}

#[test]
fn auditd_user_space_records_and_near_misses() {
    let l = rules();
    let got = hits(&l, SigninFormat::Auditd, "auditd/beats.log");
    assert_eq!(got.len(), 12);
    for (line, r) in got {
        // ADD_USER of `useradd` (line 4). The ADD_GROUP records of
        // `groupadd` do not count; `modprobe` running `/usr/bin/kmod`
        // (line 10) is not `insmod` (`comm` differs), a miss.
        let want = if line == 4 {
            titles(&["Creation Of An User Account"])
        } else {
            titles(&[])
        };
        assert_eq!(r, want, "line {line}");
    }
}

#[test]
fn auditd_bad_lines_say_why() {
    let l = rules();
    let got = hits(&l, SigninFormat::Auditd, "auditd/bad.log");
    let got: Vec<_> = got.into_iter().map(|(_, r)| r).collect();
    assert_eq!(
        got,
        vec![
            Err("no serial in `msg=audit(…)`".to_owned()),
            Err("bad time in `msg=audit(…)`".to_owned()),
            Err("no `type=` field".to_owned()),
            titles(&[]),
        ]
    );
}

#[test]
fn sysmon_for_linux_categories() {
    let l = rules();
    let got = hits(&l, SigninFormat::Syslog, "sysmon/syslog");
    let want: Vec<Result<Vec<String>, String>> = vec![
        titles(&["Decode Base64 Encoded Text"]),
        titles(&["File Deletion"]),
        titles(&[]),
        titles(&["Linux Reverse Shell Indicator"]),
        // Filtered: bash connecting to 127.0.0.1.
        titles(&[]),
        titles(&["New Cron File Created"]),
        // Filtered: /etc/cron.daily/apt.
        titles(&[]),
        // A file delete by /usr/bin/rm (EventID 23) is no process creation.
        titles(&[]),
        // The sshd sign-in in the same file: a sign-in, no Sysmon event.
        Err("sign-in auth.sshd".to_owned()),
        // Red Hat's `sysmon[pid]:` tag.
        titles(&["Decode Base64 Encoded Text"]),
        Err("bad Windows event XML: the line ends inside <Event>".to_owned()),
        // A bare event, as `journalctl -u sysmon -o cat` prints it.
        titles(&["Decode Base64 Encoded Text"]),
    ];
    assert_eq!(got.len(), want.len());
    for ((line, g), w) in got.into_iter().zip(want) {
        match (&g, &w) {
            (Err(g), Err(w)) => assert!(g.starts_with(w.as_str()), "line {line}: {g}"),
            _ => assert_eq!(g, w, "line {line}"),
        }
    }
}

#[test]
fn windows_sysmon_rules_do_not_run_on_linux_events() {
    // A Windows process_creation rule of the same shape (Image ends with
    // `/base64`) does not see Linux events, and the Linux one does not see
    // Windows Sysmon events.
    let win_rule = "title: w\nid: 00000000-0000-0000-0000-000000000001\nlogsource: {product: windows, category: process_creation}\ndetection:\n    sel:\n        Image|endswith: '/base64'\n    condition: sel\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("w.yml"), win_rule).unwrap();
    let l = load(
        &[fixtures().join("rules"), dir.path().to_owned()],
        &Mapping::builtin(),
    );
    let got = hits(&l, SigninFormat::Syslog, "sysmon/syslog");
    assert_eq!(got[0].1, titles(&["Decode Base64 Encoded Text"]));
}
