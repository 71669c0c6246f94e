//! The [`codec`](crate::codec) records of a network observation
//! ([`EventRef::Net`]) and of a cloud audit record ([`EventRef::Cloud`]).

use crate::codec::Cursor;
use haboob_model::{CloudEvent, NetEvent, NetKind, Ts};
use std::borrow::Cow;
use std::io;

fn bad(what: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

/// Appends `n` (after the family byte); `dataset` is the interned index.
pub(crate) fn encode_net(
    n: &NetEvent<'_>,
    dataset: u32,
    out: &mut Vec<u8>,
    put_ip: fn(&mut Vec<u8>, Option<std::net::IpAddr>),
    put_str: &mut impl FnMut(&mut Vec<u8>, &str),
) {
    out.extend_from_slice(&n.ts.0.to_le_bytes());
    out.extend_from_slice(&dataset.to_le_bytes());
    out.push(NetKind::ALL.iter().position(|k| *k == n.kind).unwrap_or(0) as u8);
    put_ip(out, n.client);
    put_ip(out, n.server);
    out.extend_from_slice(&n.status.to_le_bytes());
    for s in [
        &n.domain,
        &n.url,
        &n.method,
        &n.user_agent,
        &n.answers,
        &n.sensor,
    ] {
        put_str(out, s);
    }
}

/// Reads what [`encode_net`] wrote.
pub(crate) fn decode_net<'a>(
    c: &mut Cursor<'a>,
    datasets: &[&'static str],
) -> io::Result<NetEvent<'a>> {
    let ts = Ts(i64::from_le_bytes(c.arr()?));
    let ds = u32::from_le_bytes(c.arr()?) as usize;
    let dataset = *datasets.get(ds).ok_or_else(|| bad("bad dataset"))?;
    let kind = *NetKind::ALL
        .get(usize::from(c.u8()?))
        .ok_or_else(|| bad("bad network event kind"))?;
    let client = c.ip()?;
    let server = c.ip()?;
    let status = u16::from_le_bytes(c.arr()?);
    Ok(NetEvent {
        ts,
        dataset,
        kind,
        client,
        server,
        status,
        domain: Cow::Borrowed(c.str()?),
        url: Cow::Borrowed(c.str()?),
        method: Cow::Borrowed(c.str()?),
        user_agent: Cow::Borrowed(c.str()?),
        answers: Cow::Borrowed(c.str()?),
        sensor: Cow::Borrowed(c.str()?),
    })
}

/// Appends `e` (after the family byte); `dataset` is the interned index.
pub(crate) fn encode_cloud(
    e: &CloudEvent<'_>,
    dataset: u32,
    out: &mut Vec<u8>,
    put_ip: fn(&mut Vec<u8>, Option<std::net::IpAddr>),
    put_str: &mut impl FnMut(&mut Vec<u8>, &str),
) {
    out.extend_from_slice(&e.ts.0.to_le_bytes());
    out.extend_from_slice(&dataset.to_le_bytes());
    put_ip(out, e.source_ip);
    for s in [&e.user, &e.account, &e.action] {
        put_str(out, s);
    }
}

/// Reads what [`encode_cloud`] wrote.
pub(crate) fn decode_cloud<'a>(
    c: &mut Cursor<'a>,
    datasets: &[&'static str],
) -> io::Result<CloudEvent<'a>> {
    let ts = Ts(i64::from_le_bytes(c.arr()?));
    let ds = u32::from_le_bytes(c.arr()?) as usize;
    let dataset = *datasets.get(ds).ok_or_else(|| bad("bad dataset"))?;
    Ok(CloudEvent {
        ts,
        dataset,
        source_ip: c.ip()?,
        user: Cow::Borrowed(c.str()?),
        account: Cow::Borrowed(c.str()?),
        action: Cow::Borrowed(c.str()?),
    })
}

#[cfg(test)]
mod tests {
    use crate::codec::{decode, encode};
    use haboob_model::{EventRef, NetEvent, NetKind, Origin, Ts};
    use std::borrow::Cow;

    #[test]
    fn a_network_event_comes_back_equal() {
        let base = "1.0 dns a.example";
        let n = NetEvent {
            client: Some("10.0.0.5".parse().unwrap()),
            server: Some("2001:db8::53".parse().unwrap()),
            domain: Cow::Borrowed(&base[8..]),
            answers: Cow::Owned("192.0.2.1,b.example".into()),
            status: 3,
            ..NetEvent::empty(Ts::from_secs(1), "zeek.dns", NetKind::Dns)
        };
        let o = Origin {
            file: "f",
            line: 2,
            raw: base,
        };
        let (mut buf, mut ds) = (Vec::new(), Vec::new());
        encode(
            &EventRef::Net(n.clone()),
            &o,
            usize::MAX,
            base,
            &mut ds,
            &mut buf,
        );
        let (ev, line, raw) = decode(&buf, base, &ds).unwrap();
        assert_eq!((line, raw), (2, base));
        let EventRef::Net(back) = ev else {
            panic!("not a network event")
        };
        assert_eq!(back, n);
        for cut in 0..buf.len() {
            assert!(decode(&buf[..cut], base, &ds).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn a_cloud_event_comes_back_equal() {
        use haboob_model::CloudEvent;
        let base = r#"{"eventName":"StopLogging"}"#;
        let c = CloudEvent {
            ts: Ts::from_secs(7),
            dataset: "cloud.aws.cloudtrail",
            source_ip: Some("198.51.100.7".parse().unwrap()),
            user: Cow::Borrowed("pedro"),
            account: Cow::Owned("111122223333".to_owned()),
            action: Cow::Borrowed(&base[14..25]),
        };
        let o = Origin {
            file: "f",
            line: 3,
            raw: base,
        };
        let mut datasets = Vec::new();
        let mut out = Vec::new();
        encode(
            &EventRef::Cloud(c.clone()),
            &o,
            usize::MAX,
            base,
            &mut datasets,
            &mut out,
        );
        let (ev, line, raw) = decode(&out, base, &datasets).unwrap();
        let EventRef::Cloud(back) = ev else {
            panic!("not a cloud event")
        };
        assert_eq!((back, line, raw), (c, 3, base));
    }
}
