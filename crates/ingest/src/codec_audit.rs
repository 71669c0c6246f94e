//! The byte encoding of a Linux audit record ([`crate::codec`], kind 5): a flag and
//! the record text, stored once when it is the raw text kept with it (the
//! header is read again on decoding, the fields on first use).

use crate::codec::{put_str, Cursor};
use haboob_model::AuditEvent;
use std::io;

pub(crate) fn encode_audit(a: &AuditEvent<'_>, raw: &str, out: &mut Vec<u8>) {
    out.push(5);
    let same = a.text.as_ptr() == raw.as_ptr() && a.text.len() == raw.len();
    out.push(u8::from(same));
    if !same {
        put_str(out, a.text);
    }
}

pub(crate) fn decode_audit<'a>(c: &mut Cursor<'a>, raw: &'a str) -> io::Result<AuditEvent<'a>> {
    let bad = |what: &'static str| io::Error::new(io::ErrorKind::InvalidData, what);
    let text = match c.u8()? {
        1 => raw,
        0 => c.str()?,
        _ => return Err(bad("bad audit record flags")),
    };
    AuditEvent::parse(text).map_err(|_| bad("bad audit record"))
}

#[cfg(test)]
mod tests {
    use crate::codec::{decode, encode};
    use haboob_model::{AuditEvent, EventRef, FieldView, Origin, Value};

    #[test]
    fn audit_records_round_trip() {
        let line = r#"type=EXECVE msg=audit(1604996384.965:93777): argc=2 a0="dd" a1=69663D2F6465762F7A65726F"#;
        let ev = EventRef::Audit(AuditEvent::parse(line).unwrap());
        let mut ds = Vec::new();
        // Raw text kept (stored once), and cut away (stored apart).
        for (limit, raw) in [(usize::MAX, line), (0, "")] {
            let o = Origin {
                file: "audit.log",
                line: 3,
                raw: line,
            };
            let mut buf = Vec::new();
            encode(&ev, &o, limit, "", &mut ds, &mut buf);
            let (back, n, kept) = decode(&buf, "", &ds).unwrap();
            assert_eq!((n, kept), (3, raw));
            let EventRef::Audit(a) = back else {
                panic!("not an audit record")
            };
            assert_eq!(
                (a.ts.0, a.serial, a.record_type),
                (1_604_996_384_965, 93777, "EXECVE")
            );
            assert_eq!(a.field("a1"), Some(Value::from("if=/dev/zero")));
        }
    }
}
