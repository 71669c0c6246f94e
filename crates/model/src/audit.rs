//! One Linux audit record (auditd's `/var/log/audit/audit.log`), with the
//! field names Sigma's `service: auditd` rules use: auditd's own.
//!
//! A record is one line: `[node=N ]type=T msg=audit(SECS.MS:SERIAL): k=v …`,
//! optionally followed (`log_format = ENRICHED`) by a `\x1d` separator and
//! the interpreted values in upper case (`ARCH=x86_64 SYSCALL=execve
//! UID="root" …`). The view answers:
//!
//! - `type` (`SYSCALL`, `EXECVE`, `PATH`, `USER_CMD`, …) and `node`;
//! - every `k=v` of the record under its own name: `"quoted"` values
//!   unquoted; unquoted values of the fields auditd writes as untrusted
//!   strings (every `aN` of `EXECVE`, `comm`, `exe`, `name`, `cwd`,
//!   `proctitle`, `key`, `cmd`, `acct`, `data`, `path`, …) hex-decoded
//!   when they are hex (auditd hex-encodes a string holding a space, quote
//!   or control character); other unquoted values as written (`SYSCALL`'s
//!   `a0`–`a3` stay the hex numbers the kernel logs); `(null)` is null;
//! - the `'…'` text of a user-space record's `msg` (`msg='unit=sshd
//!   comm="systemd" … res=success'`) as `msg`, and its `k=v` pairs as
//!   fields too;
//! - an `EXECVE` argument split in pieces (`a1_len=…  a1[0]=… a1[1]=…`) as
//!   one `a1`;
//! - the enriched values under their upper-case names; without them, a
//!   `SYSCALL` record of arch `c000003e` (x86_64) gets `SYSCALL` from its
//!   `syscall` number (the names Sigma rules use: `SYSCALL: 'mknod'`).
//!
//! Names are matched exactly first (`syscall`, the number, and `SYSCALL`,
//! the name, differ only in case), then ignoring ASCII case.

use crate::record::{FieldView, Value};
use crate::Ts;
use std::borrow::Cow;
use std::cell::OnceCell;

/// One auditd record: the typed header members and the whole line behind
/// a field view (parsed once, on the first field asked for).
#[derive(Debug, Clone)]
pub struct AuditEvent<'a> {
    /// From `msg=audit(SECS.MS:…)`.
    pub ts: Ts,
    /// The serial in `msg=audit(…:SERIAL)`: records of one event share it.
    pub serial: u64,
    /// `type=` (`SYSCALL`, `EXECVE`, …).
    pub record_type: &'a str,
    /// `node=` (the host name, when auditd logs it); empty when absent.
    pub node: &'a str,
    /// The record's text, from `node=` or `type=` on.
    pub text: &'a str,
    /// Where the `k=v` fields start in `text`.
    body: usize,
    /// The fields, as ranges of `text` or owned text (no lifetime: a cell
    /// holding borrowed values would make every event type invariant).
    fields: OnceCell<Vec<(Key, Val)>>,
}

/// A field name: a range of the record's text, or a derived name.
#[derive(Debug, Clone)]
enum Key {
    Range(usize, usize),
    Static(&'static str),
}

/// A field value: a range of the record's text, decoded text, or null.
#[derive(Debug, Clone)]
enum Val {
    Range(usize, usize),
    Owned(String),
    Null,
}

/// Fields auditd writes with `audit_log_untrustedstring` (quoted, or hex
/// when the value needs it).
const STRINGS: &[&str] = &[
    "comm",
    "exe",
    "name",
    "cwd",
    "proctitle",
    "key",
    "cmd",
    "acct",
    "data",
    "path",
    "old",
    "new",
    "exe_path",
    "ocomm",
    "watch",
    "root_dir",
    "hostname",
    "terminal",
    "subj",
    "grantors",
    "op",
];

/// Why a line is not an audit record.
pub type AuditError = &'static str;

impl<'a> AuditEvent<'a> {
    /// Reads the header of one record line (`[node=N ]type=T
    /// msg=audit(SECS.MS:SERIAL): …`); the fields are read on first use.
    pub fn parse(text: &'a str) -> Result<AuditEvent<'a>, AuditError> {
        let (node, rest) = match text.strip_prefix("node=") {
            Some(r) => {
                let sp = r.find(' ').ok_or("`node=` without a record after it")?;
                (&r[..sp], &r[sp + 1..])
            }
            None => ("", text),
        };
        let rest = rest.strip_prefix("type=").ok_or("no `type=` field")?;
        let sp = rest.find(' ').ok_or("no `msg=audit(` after `type=`")?;
        let record_type = &rest[..sp];
        if record_type.is_empty()
            || !record_type
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err("bad record type");
        }
        let after = &rest[sp + 1..];
        let stamp = after
            .strip_prefix("msg=audit(")
            .ok_or("no `msg=audit(` after `type=`")?;
        let close = stamp.find("):").ok_or("`msg=audit(` not closed by `):`")?;
        let (ts, serial) = stamp_of(&stamp[..close])?;
        let body = text.len() - (stamp.len() - close - 2);
        Ok(AuditEvent {
            ts,
            serial,
            record_type,
            node,
            text,
            body,
            fields: OnceCell::new(),
        })
    }

    fn fields(&self) -> &[(Key, Val)] {
        self.fields.get_or_init(|| {
            let mut raw = Vec::new();
            read_fields(&self.text[self.body..], self.record_type, &mut raw);
            let base = self.text.as_ptr() as usize;
            let range = |s: &str| {
                let start = s.as_ptr() as usize - base;
                (start, start + s.len())
            };
            let mut out: Vec<(Key, Val)> = raw
                .into_iter()
                .map(|(k, v)| {
                    let (a, b) = range(k);
                    let v = match v {
                        Value::Str(Cow::Borrowed(s)) => {
                            let (c, d) = range(s);
                            Val::Range(c, d)
                        }
                        Value::Str(Cow::Owned(s)) => Val::Owned(s),
                        Value::Int(n) => Val::Owned(n.to_string()),
                        Value::Null => Val::Null,
                    };
                    (Key::Range(a, b), v)
                })
                .collect();
            if self.record_type == "SYSCALL" && self.find(&out, "SYSCALL", true).is_none() {
                let get = |n: &str| match self.find(&out, n, true) {
                    Some(Value::Str(s)) => Some(s.into_owned()),
                    _ => None,
                };
                if let Some(name) = syscall_name(get("arch"), get("syscall")) {
                    out.push((Key::Static("SYSCALL"), Val::Owned(name.to_owned())));
                }
            }
            out
        })
    }

    fn key<'s>(&'s self, k: &'s Key) -> &'s str {
        match k {
            Key::Range(a, b) => &self.text[*a..*b],
            Key::Static(s) => s,
        }
    }

    fn val<'s>(&'s self, v: &'s Val) -> Value<'s> {
        match v {
            Val::Range(a, b) => Value::from(&self.text[*a..*b]),
            Val::Owned(s) => Value::from(s.as_str()),
            Val::Null => Value::Null,
        }
    }

    /// The value of `name` in `fields`: exact name, else (unless `exact`)
    /// ignoring ASCII case.
    fn find<'s>(&'s self, fields: &'s [(Key, Val)], name: &str, exact: bool) -> Option<Value<'s>> {
        let hit = fields
            .iter()
            .find(|(k, _)| self.key(k) == name)
            .or_else(|| {
                (!exact)
                    .then(|| {
                        fields
                            .iter()
                            .find(|(k, _)| self.key(k).eq_ignore_ascii_case(name))
                    })
                    .flatten()
            })?;
        Some(self.val(&hit.1))
    }
}

/// `SECS.MS:SERIAL`.
fn stamp_of(s: &str) -> Result<(Ts, u64), AuditError> {
    let (t, serial) = s.split_once(':').ok_or("no serial in `msg=audit(…)`")?;
    let serial = serial.parse().map_err(|_| "bad serial in `msg=audit(…)`")?;
    let (secs, frac) = t.split_once('.').unwrap_or((t, "0"));
    let secs: i64 = secs.parse().map_err(|_| "bad time in `msg=audit(…)`")?;
    if frac.is_empty() || frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err("bad time in `msg=audit(…)`");
    }
    let mut ms = 0i64;
    for b in frac.bytes().chain(std::iter::repeat(b'0')).take(3) {
        ms = ms * 10 + i64::from(b - b'0');
    }
    let ts = secs
        .checked_mul(1000)
        .and_then(|v| v.checked_add(ms))
        .ok_or("time out of range")?;
    Ok((Ts(ts), serial))
}

/// The x86_64 name of a `SYSCALL` record's `syscall` number.
fn syscall_name(arch: Option<String>, syscall: Option<String>) -> Option<&'static str> {
    if arch? != "c000003e" {
        return None;
    }
    let n: usize = syscall?.parse().ok()?;
    crate::audit_syscalls::X86_64
        .get(n)
        .copied()
        .filter(|s| !s.is_empty())
}

fn hex_value(s: &str) -> Option<String> {
    if s.is_empty() || !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let bytes: Vec<u8> = (0..s.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect();
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// `aN` or `aN[i]` of an `EXECVE` record: `Some((N as text, piece))`.
fn execve_arg(k: &str) -> Option<(&str, bool)> {
    let rest = k.strip_prefix('a')?;
    let (n, piece) = match rest.find('[') {
        Some(i) if rest.ends_with(']') => (&rest[..i], true),
        Some(_) => return None,
        None => (rest, false),
    };
    (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())).then_some((&k[..=n.len()], piece))
}

/// The `k=v` pairs of `s` into `out` (see the module docs).
fn read_fields<'a>(s: &'a str, record_type: &str, out: &mut Vec<(&'a str, Value<'a>)>) {
    let (plain, enriched) = match s.find('\u{1d}') {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    };
    for (k, raw, quote) in pairs(plain) {
        let v: Value<'a> = match quote {
            Some('\'') => {
                // A user-space record's message: its own pairs too.
                for (k2, raw2, q2) in pairs(raw) {
                    out.push((k2, value(k2, raw2, q2, "")));
                }
                Value::from(raw)
            }
            _ => value(k, raw, quote, record_type),
        };
        if record_type == "EXECVE" {
            if let Some((arg, true)) = execve_arg(k) {
                let piece = v.to_string();
                match out.iter_mut().find(|(n, _)| *n == arg) {
                    Some((_, Value::Str(whole))) => whole.to_mut().push_str(&piece),
                    _ => out.push((arg, Value::Str(Cow::Owned(piece)))),
                }
                continue;
            }
        }
        out.push((k, v));
    }
    for (k, raw, quote) in pairs(enriched) {
        out.push((k, value(k, raw, quote, "")));
    }
}

fn value<'a>(k: &str, raw: &'a str, quote: Option<char>, record_type: &str) -> Value<'a> {
    if quote.is_some() {
        return Value::from(raw);
    }
    if raw == "(null)" || raw.is_empty() {
        return Value::Null;
    }
    let string = STRINGS.contains(&k) || (record_type == "EXECVE" && execve_arg(k).is_some());
    match string.then(|| hex_value(raw)).flatten() {
        Some(s) => Value::Str(Cow::Owned(s)),
        None => Value::from(raw),
    }
}

/// `k=v` pairs of `s`: key, value (without its quotes) and the quote.
fn pairs(s: &str) -> impl Iterator<Item = (&str, &str, Option<char>)> {
    let mut rest = s;
    std::iter::from_fn(move || loop {
        rest = rest.trim_start_matches([' ', '\t']);
        if rest.is_empty() {
            return None;
        }
        let end = rest.find([' ', '=']).unwrap_or(rest.len());
        if rest.as_bytes().get(end) != Some(&b'=') {
            // A word without `=` (`auditd start, ver=…`): skipped.
            rest = &rest[end..];
            continue;
        }
        let k = &rest[..end];
        let v = &rest[end + 1..];
        let (val, quote, next) = match v.chars().next() {
            Some(q @ ('"' | '\'')) => match v[1..].find(q) {
                Some(i) => (&v[1..=i], Some(q), &v[i + 2..]),
                None => (&v[1..], Some(q), ""),
            },
            _ => {
                let e = v.find(' ').unwrap_or(v.len());
                (&v[..e], None, &v[e..])
            }
        };
        rest = next;
        if !k.is_empty() {
            return Some((k, val, quote));
        }
    })
}

impl FieldView for AuditEvent<'_> {
    fn field(&self, name: &str) -> Option<Value<'_>> {
        if name.eq_ignore_ascii_case("type") {
            return Some(Value::from(self.record_type));
        }
        if name == "node" {
            return Some(if self.node.is_empty() {
                Value::Null
            } else {
                Value::from(self.node)
            });
        }
        self.find(self.fields(), name, false)
    }

    fn for_each_field(&self, f: &mut dyn FnMut(&str, Value<'_>)) {
        f("type", Value::from(self.record_type));
        if !self.node.is_empty() {
            f("node", Value::from(self.node));
        }
        for (k, v) in self.fields() {
            f(self.key(k), self.val(v));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Events stay covariant in their lifetime (the cell holds no borrow).
    #[allow(dead_code)]
    fn covariant<'a: 'b, 'b>(x: crate::EventRef<'a>) -> crate::EventRef<'b> {
        x
    }

    fn get(ev: &AuditEvent<'_>, k: &str) -> Option<String> {
        ev.field(k).map(|v| match v {
            Value::Null => "<null>".to_owned(),
            v => v.to_string(),
        })
    }

    #[test]
    fn syscall_record_with_derived_name() {
        let l = "type=SYSCALL msg=audit(1481076984.827:17): arch=c000003e syscall=313 success=yes exit=0 a0=0 a1=41a15c items=0 ppid=390 pid=391 comm=\"modprobe\" exe=\"/usr/bin/kmod\" key=(null)";
        let ev = AuditEvent::parse(l).unwrap();
        assert_eq!(ev.ts, Ts(1_481_076_984_827));
        assert_eq!(ev.serial, 17);
        assert_eq!(get(&ev, "type").as_deref(), Some("SYSCALL"));
        assert_eq!(get(&ev, "syscall").as_deref(), Some("313"));
        assert_eq!(get(&ev, "SYSCALL").as_deref(), Some("finit_module"));
        assert_eq!(get(&ev, "a1").as_deref(), Some("41a15c"));
        assert_eq!(get(&ev, "exe").as_deref(), Some("/usr/bin/kmod"));
        assert_eq!(get(&ev, "key").as_deref(), Some("<null>"));
        assert_eq!(get(&ev, "nope"), None);
    }

    #[test]
    fn execve_hex_pieces_enriched_and_user_messages() {
        let l = "node=web1 type=EXECVE msg=audit(1.5:9): argc=3 a0=\"sh\" a1=\"-c\" a2_len=6 a2[0]=6C7320 a2[1]=2D6C\u{1d}ARCH=x86_64";
        let ev = AuditEvent::parse(l).unwrap();
        assert_eq!(ev.ts, Ts(1500));
        assert_eq!(ev.node, "web1");
        assert_eq!(get(&ev, "a2").as_deref(), Some("ls -l"));
        assert_eq!(get(&ev, "ARCH").as_deref(), Some("x86_64"));
        let l = "type=SERVICE_START msg=audit(1481076983.864:6): pid=1 uid=0 msg='unit=auditd comm=\"systemd\" exe=\"/usr/lib/systemd/systemd\" hostname=? res=success'";
        let ev = AuditEvent::parse(l).unwrap();
        assert_eq!(get(&ev, "unit").as_deref(), Some("auditd"));
        assert_eq!(get(&ev, "res").as_deref(), Some("success"));
        assert_eq!(get(&ev, "hostname").as_deref(), Some("?"));
        let l = "type=EXECVE msg=audit(1.5:9): argc=2 a0=636174 a1=2F6574632F736861646F77";
        let ev = AuditEvent::parse(l).unwrap();
        assert_eq!(get(&ev, "a0").as_deref(), Some("cat"));
        assert_eq!(get(&ev, "a1").as_deref(), Some("/etc/shadow"));
    }

    #[test]
    fn bad_headers_say_why() {
        for (l, why) in [
            ("hello", "no `type=` field"),
            ("type=SYSCALL arch=1", "no `msg=audit(` after `type=`"),
            (
                "type=SYSCALL msg=audit(12:x): a=1",
                "bad serial in `msg=audit(…)`",
            ),
            (
                "type=SYSCALL msg=audit(1.1:2 a=1",
                "`msg=audit(` not closed by `):`",
            ),
            ("type=syscall msg=audit(1.1:2): a=1", "bad record type"),
        ] {
            assert_eq!(AuditEvent::parse(l).unwrap_err(), why, "{l}");
        }
    }
}
