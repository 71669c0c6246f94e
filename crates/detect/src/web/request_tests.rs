//! The request view: [`Req::fill`] against its definition before the
//! one-pass path (the path decoded, then each hash over its whole text),
//! the same view, hashes included (saved states keep them), for requests of
//! any shape; decoding; notes written by one lane and read by another; the
//! static-asset test.

use super::*;
use proptest::prelude::*;

/// The view as [`Req::fill`] computed it before the one-pass path.
fn reference(r: &mut Req, w: &WebEvent<'_>) {
    r.once.clear();
    r.twice.clear();
    let path = &w.path.as_bytes()[..w.path.len().min(MAX_TARGET)];
    let room = MAX_TARGET - path.len();
    let query = &w.query.as_bytes()[..w.query.len().min(room)];
    let mut percent = decode_into(path, &mut r.once, false);
    r.path_len = r.once.len();
    if !w.query.is_empty() {
        r.once.push(b'?');
        percent |= decode_into(query, &mut r.once, true);
    }
    r.twice_path_len = 0;
    if percent {
        let (p, q) = r.once.split_at(r.path_len);
        decode_into(p, &mut r.twice, false);
        r.twice_path_len = r.twice.len();
        decode_into(q, &mut r.twice, true);
    }
    r.path_hash = hash_bytes(&r.once[..r.path_len]);
    r.target_hash = if r.once.len() == r.path_len {
        r.path_hash
    } else {
        hash_bytes(&r.once)
    };
    r.site_hash = hash_bytes(w.site.as_bytes());
    let ua = w.user_agent.as_bytes();
    r.ua_hash = hash_bytes(&ua[..ua.len().min(MAX_UA)]);
    let p = &r.once[..r.path_len];
    r.name_at = memchr::memrchr(b'/', p).map_or(0, |i| i + 1);
    r.ext_at = memchr::memrchr(b'.', &p[r.name_at..]).map(|d| r.name_at + d + 1);
    r.is_static = is_static(path);
}

/// Every field the rules read.
fn view(r: &Req) -> String {
    format!(
        "{:?} {} {:?} {} {} {:x} {:x} {:x} {:x} {} {:?} {:?}",
        r.once.escape_ascii().to_string(),
        r.path_len,
        r.twice.escape_ascii().to_string(),
        if r.twice.is_empty() {
            0
        } else {
            r.twice_path_len
        },
        r.is_static,
        r.path_hash,
        r.site_hash,
        r.target_hash,
        r.ua_hash,
        r.name_at,
        r.ext_at,
        r.exploit,
    )
}

/// The fields a note carries ([`Req::write_note`]): those the rules of
/// the shared part read.
fn carried(r: &Req) -> String {
    format!(
        "{:?} {} {} {:x} {:x} {:?}",
        r.once.escape_ascii().to_string(),
        r.path_len,
        r.is_static,
        r.path_hash,
        r.site_hash,
        r.exploit,
    )
}

/// Bytes of request texts: letters of both cases, escapes (whole, cut,
/// double), separators, dots, `+`, and any byte.
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("/".to_string()),
        Just(".".to_string()),
        Just("%".to_string()),
        Just("%25".to_string()),
        Just("%2E".to_string()),
        Just("%2f".to_string()),
        Just("+".to_string()),
        Just("?".to_string()),
        "[a-zA-Z0-9]{1,9}",
        Just(".PHP".to_string()),
        Just(".css".to_string()),
        any::<char>().prop_map(String::from),
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

fn event<'a>(path: &'a str, query: &'a str, site: &'a str, ua: &'a str) -> WebEvent<'a> {
    WebEvent {
        ts: haboob_model::Ts::from_secs(1),
        source_ip: "192.0.2.1".parse().unwrap(),
        method: "GET",
        path,
        query,
        status: 200,
        bytes: 10,
        user_agent: ua,
        referrer: "-",
        site,
        user: "",
        forwarded: "",
        protocol: "HTTP/1.1",
    }
}

/// [`cased_target`] lower-cased is the view's target, once and twice.
#[track_caller]
fn assert_cased(r: &Req, w: &WebEvent<'_>) {
    assert_eq!(cased_target(w, false).to_ascii_lowercase(), r.once);
    if !r.twice.is_empty() {
        assert_eq!(cased_target(w, true).to_ascii_lowercase(), r.twice);
    }
}

proptest! {
    /// One view filled request after request (the site remembered from the
    /// last one) equals a fresh reference view of each; the target decoded
    /// with its case kept is, lower-cased, the view's (once and twice).
    #[test]
    fn fill_agrees_with_the_reference(
        reqs in proptest::collection::vec(
            (text(), text(), prop_oneof![Just(""), Just("www.example.org"), Just("a")], text()),
            1..8),
    ) {
        let mut r = Req::default();
        for (path, query, site, ua) in &reqs {
            let w = event(path, query, site, ua);
            r.fill(&w);
            let mut want = Req::default();
            reference(&mut want, &w);
            prop_assert_eq!(view(&r), view(&want), "{:?}", (path, query, site));
            assert_cased(&r, &w);
        }
    }
}

/// Long targets (cut at [`MAX_TARGET`], the query left out or cut) and a
/// long user agent.
#[test]
fn long_requests_agree_with_the_reference() {
    let long_path = format!("/A{}", "b%41c".repeat(MAX_TARGET / 4));
    let long_plain = format!("/{}", "Ab".repeat(MAX_TARGET));
    let near = format!("/{}", "x".repeat(MAX_TARGET - 3));
    let ua = "U".repeat(MAX_UA + 9);
    let mut r = Req::default();
    for (path, query) in [
        (long_path.as_str(), "q=1"),
        (long_plain.as_str(), "a=%41"),
        (near.as_str(), "abcdef"),
        (near.as_str(), ""),
        ("/x", ""),
    ] {
        let w = event(path, query, "s", &ua);
        r.fill(&w);
        let mut want = Req::default();
        reference(&mut want, &w);
        assert_eq!(view(&r), view(&want), "{}", &path[..20.min(path.len())]);
        assert_cased(&r, &w);
    }
}

/// Static-asset extensions as the plain definition: one of the list, in
/// any case, and nothing else (lookalikes, longer, shorter, empty).
#[test]
fn static_extensions_agree_with_the_list() {
    let plain = |ext: &[u8]| {
        STATIC_EXTENSIONS
            .iter()
            .any(|s| s.as_bytes().eq_ignore_ascii_case(ext))
    };
    for s in STATIC_EXTENSIONS {
        assert!(static_ext(s.as_bytes()));
        assert!(static_ext(s.to_ascii_uppercase().as_bytes()));
    }
    for ext in [
        "", "c", "cs", "cssx", "woff3", "woff22", "j", "\0js", "js\0", "php", "html",
    ] {
        assert_eq!(static_ext(ext.as_bytes()), plain(ext.as_bytes()), "{ext:?}");
    }
}

proptest! {
    #[test]
    fn static_ext_is_the_plain_definition(ext in proptest::collection::vec(
        prop_oneof![b'a'..=b'z', b'A'..=b'Z', b'0'..=b'9', any::<u8>()], 0..7)) {
        let plain = STATIC_EXTENSIONS.iter().any(|s| s.as_bytes().eq_ignore_ascii_case(&ext));
        prop_assert_eq!(static_ext(&ext), plain);
    }
}

proptest! {
    /// The extension of a lower-cased path, packed from its last word, is
    /// static as by the plain definition.
    #[test]
    fn lower_extensions_are_static_as_the_plain_definition(
        stem in "[a-z/]{0,9}",
        ext in prop_oneof![Just("css".to_string()), Just("woff2".to_string()), Just("js".to_string()), "[a-z0-9]{0,6}"],
    ) {
        let path = format!("{stem}.{ext}");
        let e = path.len() - ext.len();
        let plain = STATIC_EXTENSIONS.iter().any(|s| s.as_bytes() == ext.as_bytes());
        prop_assert_eq!(static_lower_ext(path.as_bytes(), e), plain, "{}", path);
    }
}

#[test]
fn decodes_once_and_twice() {
    let mut out = Vec::new();
    decode_into(b"/%252E%252E%252Ffoo", &mut out, false);
    assert_eq!(out, b"/%2e%2e%2ffoo");
    let mut out2 = Vec::new();
    decode_into(&out, &mut out2, false);
    assert_eq!(out2, b"/../foo");
    let mut q = Vec::new();
    decode_into(b"a=1+UNION+select%", &mut q, true);
    assert_eq!(q, b"a=1 union select%");
    let mut bad = Vec::new();
    decode_into(b"%zz%4", &mut bad, false);
    assert_eq!(bad, b"%zz%4");
    // With the case kept: escapes decoded to the byte they name.
    let w = event("/A/%252E%72O0AB", "t=%2572O0AB+X", "s", "-");
    assert_eq!(cased_target(&w, false), b"/A/%2ErO0AB?t=%72O0AB X");
    assert_eq!(cased_target(&w, true), b"/A/.rO0AB?t=rO0AB X");
}

/// A note restores the fields it carries of the view it was written from
/// (decoded once, static flag, the path's and site's hashes,
/// classification) and leaves the others as they were; a cut or padded
/// note is refused; one note is read after another from the same buffer.
#[test]
fn a_note_restores_the_view() {
    use super::super::lists::ExploitKind;
    let mut buf = Vec::new();
    let mut ends = Vec::new();
    let mut written = Vec::new();
    for (path, query, classified) in [
        ("/a/%252E%252E%252Fetc/passwd", "x=%2527+or+1", true),
        ("/static/App.JS", "", false),
        ("/", "", true),
    ] {
        let mut r = Req::default();
        r.fill(&event(path, query, "www.example.org", "-"));
        if classified {
            r.exploit.kinds.insert(ExploitKind::Traversal);
            r.exploit.header_kinds.insert(ExploitKind::Log4Shell);
            r.exploit.products.extend([3, 70_000]);
        }
        r.write_note(classified, &mut buf);
        ends.push(buf.len());
        written.push((carried(&r), classified));
    }
    assert!(
        written[0].0.contains("%2e%2e%2fetc/passwd"),
        "{}",
        written[0].0
    );
    let mut start = 0;
    // One reused view, as a lane reads notes one after another.
    let mut r = Req::default();
    let mut other = Req::default();
    other.fill(&event("/x/y.php", "a=%2541", "other.example", "agent"));
    for (end, (want, classified)) in ends.iter().zip(&written) {
        let note = &buf[start..*end];
        // What a note does not carry is left as it was, but the last
        // segment and extension, derived from the carried path.
        r.twice.clone_from(&other.twice);
        r.twice_path_len = other.twice_path_len;
        (r.target_hash, r.ua_hash) = (other.target_hash, other.ua_hash);
        (r.name_at, r.ext_at) = (other.name_at, other.ext_at);
        assert_eq!(r.read_note(note), Some(*classified));
        assert_eq!(&carried(&r), want);
        assert_eq!(r.twice, other.twice);
        assert_eq!(r.twice_path_len, other.twice_path_len);
        assert_eq!(
            (r.target_hash, r.ua_hash),
            (other.target_hash, other.ua_hash)
        );
        // The last segment and extension are those of the carried path.
        assert_eq!(
            (r.name_at, r.ext_at),
            super::super::lower::name_and_ext(&r.once[..r.path_len])
        );
        assert_ne!((r.name_at, r.ext_at), (other.name_at, other.ext_at));
        assert_eq!(r.read_note(&note[..note.len() - 1]), None);
        let mut padded = note.to_vec();
        padded.push(0);
        assert_eq!(r.read_note(&padded), None);
        start = *end;
    }
    assert_eq!(r.read_note(&[]), None);
}

proptest::proptest! {
    /// Any view, filled from any target and agent (up to the longest
    /// target inspected) with any verdict, gives back what its note
    /// carries, one note after another in one buffer; a note cut short
    /// or padded is refused.
    #[test]
    fn any_view_comes_back_from_its_note(
        views in proptest::collection::vec(
            (
                "[/a-zA-Z.%2eE5+]{0,40}",
                "[a-z=&%25+.]{0,20}",
                "[ -~]{0,30}",
                proptest::prelude::any::<(u32, u32, bool, bool)>(),
                proptest::collection::vec(0usize..100_000, 0..4),
            ),
            1..6,
        ),
    ) {
        let long = "/".to_string() + &"a%41.".repeat(MAX_TARGET / 5 + 3);
        let mut buf = Vec::new();
        let mut ends = Vec::new();
        let mut written = Vec::new();
        for (path, query, ua, (kinds, header, classified, longest), products) in &views {
            let mut w = event(if *longest { &long } else { path }, query, "www.example.org", "-");
            w.user_agent = ua;
            let mut r = Req::default();
            r.fill(&w);
            r.exploit.kinds = super::super::lists::KindSet::from_bits(*kinds);
            r.exploit.header_kinds = super::super::lists::KindSet::from_bits(*header);
            r.exploit.products = products.clone();
            r.write_note(*classified, &mut buf);
            ends.push(buf.len());
            written.push((carried(&r), *classified));
        }
        let mut start = 0;
        let mut r = Req::default();
        for (end, (want, classified)) in ends.iter().zip(&written) {
            let note = &buf[start..*end];
            proptest::prop_assert_eq!(r.read_note(&note[..note.len() - 1]), None);
            let mut padded = note.to_vec();
            padded.push(0);
            proptest::prop_assert_eq!(r.read_note(&padded), None);
            proptest::prop_assert_eq!(r.read_note(note), Some(*classified));
            proptest::prop_assert_eq!(&carried(&r), want);
            start = *end;
        }
    }
}

/// The view's shortcuts agree with the plain definitions: decoded
/// twice exactly when the first decoding left a `%`; the static flag
/// of the raw path; the last segment and extension of the decoded
/// path; the target hash that of the whole decoded target.
#[test]
fn fill_agrees_with_the_plain_definitions() {
    let cases = [
        ("/static/App.JS", ""),
        ("/a.b/c", ""),
        ("/a/b.tar.GZ", "x=1"),
        ("/img%2Elogo.PNG", ""),
        ("/img/logo%2epng", ""),
        ("/100%", "a=%"),
        ("/x", "q=%2525"),
        ("/%2e%2e/etc/passwd", ""),
        ("/dir/", "a+b=c%20d"),
        ("", ""),
        ("noslash.css", ""),
    ];
    let mut r = Req::default();
    for (path, query) in cases {
        let mut w = event(path, query, "www.example.org", "-");
        w.user_agent = "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0";
        r.fill(&w);
        let what = format!("{path}?{query}");
        assert_eq!(!r.twice.is_empty(), r.once.contains(&b'%'), "twice: {what}");
        assert_eq!(r.is_static, is_static(path.as_bytes()), "static: {what}");
        let p = r.path().to_vec();
        let name_at = p.iter().rposition(|&c| c == b'/').map_or(0, |i| i + 1);
        assert_eq!(r.name_at, name_at, "name: {what}");
        let ext = p[name_at..].iter().rposition(|&c| c == b'.');
        assert_eq!(r.ext(), ext.map(|d| &p[name_at + d + 1..]), "ext: {what}");
        assert_eq!(r.target_hash, hash_bytes(&r.once), "target: {what}");
        assert_eq!(r.ua_hash, hash_bytes(w.user_agent.as_bytes()), "ua: {what}");
    }
    // A long user agent is hashed on its first bytes only.
    let long = "a".repeat(MAX_UA + 10);
    let mut w = event("/", "", "www.example.org", "-");
    w.user_agent = &long;
    r.fill(&w);
    assert_eq!(r.ua_hash, hash_bytes(&long.as_bytes()[..MAX_UA]));
}

#[test]
fn static_assets() {
    assert!(is_static(b"/static/app.JS"));
    assert!(is_static(b"/a/b/logo.png"));
    assert!(!is_static(b"/index.php"));
    assert!(!is_static(b"/v1.2/api"));
    assert!(!is_static(b"/"));
}

/// Only a detector set of the shared part reads notes (a note leaves out
/// what the per-source rules read); a set that classifies does not read a
/// note its writer did not classify; a note is read whole otherwise.
#[test]
fn only_the_shared_part_reads_notes() {
    use super::super::WebDetectors;
    use crate::{Detector, Note, Part};
    use haboob_model::{EventRef, Origin};
    let cfg = super::super::WebConfig::default();
    assert!(!WebDetectors::new(&cfg).reads_notes);
    assert!(!WebDetectors::new(&cfg.part(Part::BySource { lanes: 2 })).reads_notes);
    assert!(WebDetectors::new(&cfg.part(Part::Shared)).reads_notes);
    // A note of another request, classified or not.
    let mut other = Req::default();
    other.fill(&event("/index.html", "", "www.example.org", "-"));
    let (mut classified, mut unclassified) = (Vec::new(), Vec::new());
    other.write_note(true, &mut classified);
    other.write_note(false, &mut unclassified);
    let w = event("/a/..%2f..%2fetc/passwd", "", "www.example.org", "-");
    let origin = Origin {
        file: "access.log",
        line: 1,
        raw: "",
    };
    let mut out = Vec::new();
    let path = |d: &WebDetectors| d.req.path().to_vec();
    for (part, note, reads) in [
        (Part::All, &classified, false),
        (Part::BySource { lanes: 2 }, &classified, false),
        (Part::Shared, &unclassified, false),
        (Part::Shared, &classified, true),
    ] {
        let mut d = WebDetectors::new(&cfg.part(part));
        d.observe_noted(
            &EventRef::Web(w.clone()),
            &origin,
            Note::Read(note),
            &mut out,
        );
        if reads {
            assert_eq!(path(&d), b"/index.html", "{part:?}");
            assert!(d.req.exploit.is_empty(), "{part:?}");
        } else {
            assert_eq!(path(&d), b"/a/../../etc/passwd", "{part:?}");
            assert!(!d.req.exploit.is_empty(), "{part:?}");
        }
    }
}
