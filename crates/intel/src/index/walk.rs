//! One walk over the fields of an observed event, shared by
//! [`IntelIndex::lookup`](super::IntelLookup) and the pattern anchors.

use super::IntelIndex;
use crate::sources::value::{url_host, url_path};
use crate::Observed;
use haboob_model::Ts;
use std::borrow::Cow;
use std::net::IpAddr;

/// A value of an observed event, as [`IntelIndex::walk`] gives it: made
/// into text only when an indicator matched it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum FieldValue<'a> {
    /// An address.
    Ip(IpAddr),
    /// Any other value.
    Text(&'a str),
}

impl FieldValue<'_> {
    /// The value as text.
    pub(crate) fn text(&self) -> Cow<'_, str> {
        match self {
            FieldValue::Ip(ip) => Cow::Owned(ip.to_string()),
            FieldValue::Text(t) => Cow::Borrowed(t),
        }
    }
}

impl IntelIndex {
    /// Probe every field of `o` this index answers, in one order (source
    /// and destination address, domain, URL, user agent, account, e-mail,
    /// hashes): for each field with indicators valid at `ts`, call
    /// `f(field, value, ids)`. `ids` is the caller's buffer, cleared
    /// between fields; what to do with the ids is the caller's.
    pub(crate) fn walk(
        &self,
        o: &Observed<'_>,
        ts: Ts,
        ids: &mut Vec<u32>,
        mut f: impl FnMut(&'static str, FieldValue<'_>, &[u32]),
    ) {
        let mut take = |field: &'static str, v: FieldValue<'_>, ids: &mut Vec<u32>| {
            if !ids.is_empty() {
                f(field, v, ids);
                ids.clear();
            }
        };
        ids.clear();
        if let Some(ip) = o.src_ip {
            self.ip_ids(ip, ts, ids);
            take("src_ip", FieldValue::Ip(ip), ids);
        }
        if let Some(ip) = o.dst_ip {
            self.ip_ids(ip, ts, ids);
            take("dst_ip", FieldValue::Ip(ip), ids);
        }
        if let Some(d) = o.domain {
            self.domain_ids(d, ts, ids);
            take("domain", FieldValue::Text(d), ids);
        }
        if let Some(u) = o.url {
            if let Some(h) = url_host(u) {
                self.url_ids(h, url_path(u), ts, ids);
                take("url", FieldValue::Text(u), ids);
            }
        }
        if let Some(ua) = o.user_agent {
            self.user_agent_ids(ua, ts, ids);
            take("user_agent", FieldValue::Text(ua), ids);
        }
        if let Some(a) = o.account {
            self.account_ids(a, ts, ids);
            take("account", FieldValue::Text(a), ids);
        }
        if let Some(e) = o.email {
            self.email_ids(e, ts, ids);
            take("email", FieldValue::Text(e), ids);
        }
        for (a, h) in o.hashes {
            self.hash_ids(*a, h, ts, ids);
            take("hash", FieldValue::Text(h), ids);
        }
    }
}
