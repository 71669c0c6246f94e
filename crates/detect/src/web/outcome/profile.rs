//! What `web.exploit_success` learns of a site: the sizes of its not-found
//! answers per path family, its visitors, and which paths are scripts or
//! machine-made.

use super::super::fxhash::hash_bytes;
use super::{extension, near};
use haboob_model::Ts;
use std::net::IpAddr;

/// What the stream showed of one (source, site): eight bytes, so that the
/// table of every visitor stays small (it is read on every page view).
#[derive(Debug, Default, Clone, Copy, serde::Serialize, serde::Deserialize)]
#[serde(from = "VisitorSaved", into = "VisitorSaved")]
pub(super) struct Visitor {
    /// First request, seconds since the epoch (saturating).
    pub first_s: u32,
    pub ok: u16,
    pub not_found: u8,
    pub probes: bool,
}

impl Visitor {
    pub fn first_ms(&self) -> i64 {
        i64::from(self.first_s) * 1000
    }
}

/// The saved form of a [`Visitor`] (as states were saved before it was
/// packed).
#[derive(Debug, Default, Clone, Copy, serde::Serialize, serde::Deserialize)]
struct VisitorSaved {
    first: Ts,
    ok: u32,
    not_found: u32,
    probes: bool,
}

impl From<VisitorSaved> for Visitor {
    fn from(v: VisitorSaved) -> Self {
        Visitor {
            first_s: secs(v.first),
            ok: u16::try_from(v.ok).unwrap_or(u16::MAX),
            not_found: u8::try_from(v.not_found).unwrap_or(u8::MAX),
            probes: v.probes,
        }
    }
}

impl From<Visitor> for VisitorSaved {
    fn from(v: Visitor) -> Self {
        VisitorSaved {
            first: Ts(v.first_ms()),
            ok: u32::from(v.ok),
            not_found: u32::from(v.not_found),
            probes: v.probes,
        }
    }
}

/// Seconds since the epoch of `t`, within `u32`.
pub(super) fn secs(t: Ts) -> u32 {
    u32::try_from(t.0.div_euclid(1000).max(0)).unwrap_or(u32::MAX)
}

/// Path families: none/directory, PHP, ASP.NET, Java, CGI, other.
const FAMILIES: usize = 6;
/// Not-found sizes kept per family.
const SIZES: usize = 4;

/// The not-found answer sizes of one site.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub(super) struct Soft404 {
    /// Per family: (size, answers) pairs.
    sizes: [[(u64, u32); SIZES]; FAMILIES],
    /// Not-found answers learned.
    pub samples: u32,
    /// When the last was learned (for eviction).
    pub last: Ts,
}

impl Soft404 {
    pub fn learn(&mut self, fam: usize, size: u64, tol: u64, now: Ts) {
        self.samples = self.samples.saturating_add(1);
        self.last = now;
        let f = &mut self.sizes[fam];
        if let Some(e) = f.iter_mut().find(|e| e.1 > 0 && near(e.0, size, tol)) {
            e.1 = e.1.saturating_add(1);
            return;
        }
        if let Some(e) = f.iter_mut().min_by_key(|e| e.1) {
            *e = (size, 1);
        }
    }

    /// `size` is a not-found size of the family (or of any family when the
    /// family has none).
    pub fn matches(&self, fam: usize, size: u64, tol: u64) -> bool {
        let hit = |f: &[(u64, u32); SIZES]| f.iter().any(|e| e.1 > 0 && near(e.0, size, tol));
        if self.sizes[fam].iter().any(|e| e.1 > 0) {
            hit(&self.sizes[fam])
        } else {
            self.sizes.iter().any(hit)
        }
    }
}

/// Path family of a (decoded, lower-case) path, by extension.
pub(super) fn family(path: &[u8]) -> usize {
    let ext = extension(path);
    if ext.is_empty() {
        return 0;
    }
    match ext {
        b"" => 0,
        b"php" | b"php3" | b"php4" | b"php5" | b"php7" | b"phtml" | b"phar" => 1,
        b"asp" | b"aspx" | b"ashx" | b"asmx" | b"axd" | b"cshtml" => 2,
        b"jsp" | b"jspx" | b"do" | b"action" | b"jsf" | b"faces" => 3,
        b"cgi" | b"pl" | b"py" | b"sh" | b"rb" => 4,
        _ => 5,
    }
}

/// A server-side script a web shell can be (families PHP, ASP.NET, Java, CGI).
pub(super) fn is_script(path: &[u8]) -> bool {
    (1..=4).contains(&family(path))
}

/// The last segment looks machine-made: a scanner's probe for a missing
/// file (`/Nikto-3Qx7zT9a.html`, `/acunetix-inexistent-…`).
pub(super) fn random_looking(path: &[u8]) -> bool {
    let last = memchr::memrchr(b'/', path).map_or(path, |i| &path[i + 1..]);
    let stem = memchr::memchr(b'.', last).map_or(last, |d| &last[..d]);
    if memchr::memmem::find(stem, b"inexist").is_some()
        || memchr::memmem::find(stem, b"nonexist").is_some()
    {
        return true;
    }
    // The longest run of letters and digits must mix both and be long.
    let mut best = (0usize, false, false);
    let mut cur = (0usize, false, false);
    for &c in stem {
        if c.is_ascii_alphanumeric() {
            cur.0 += 1;
            cur.1 |= c.is_ascii_digit();
            cur.2 |= c.is_ascii_alphabetic();
            if cur.0 > best.0 {
                best = cur;
            }
        } else {
            cur = (0, false, false);
        }
    }
    best.0 >= 8 && best.1 && best.2 && {
        // At least three digits: words with one digit (`page2`) are not random.
        stem.iter().filter(|c| c.is_ascii_digit()).count() >= 3
    }
}

/// Hash of an address for table keys.
pub(super) fn hash_ip(ip: IpAddr) -> u64 {
    match ip {
        IpAddr::V4(a) => hash_bytes(&a.octets()),
        IpAddr::V6(a) => hash_bytes(&a.octets()),
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn random_looking_paths() {
        assert!(random_looking(b"/nikto-3qx7zt9a81.html"));
        assert!(random_looking(
            b"/acunetix-wvs-test-for-some-inexistent-file"
        ));
        assert!(random_looking(b"/a8f3c2d19e.php"));
        assert!(!random_looking(b"/page2.html"));
        assert!(!random_looking(b"/contact-us"));
        assert!(!random_looking(b"/2024/results"));
    }

    #[test]
    fn visitors_read_the_format_saved_before_they_were_packed() {
        let old = VisitorSaved {
            first: Ts(1_700_000_000_123),
            ok: 70_000,
            not_found: 300,
            probes: true,
        };
        let s = crate::DetectorState::of("t", &old).unwrap();
        let v: Visitor = s.into("t").unwrap();
        assert_eq!(v.first_s, 1_700_000_000);
        assert_eq!((v.ok, v.not_found, v.probes), (u16::MAX, u8::MAX, true));
        let s = crate::DetectorState::of("t", &v).unwrap();
        let back: VisitorSaved = s.into("t").unwrap();
        assert_eq!(back.first, Ts(1_700_000_000_000));
        assert_eq!(secs(Ts(-5)), 0);
    }

    #[test]
    fn families() {
        assert_eq!(family(b"/x/shell.php"), 1);
        assert_eq!(family(b"/Default.aspx"), 2);
        assert_eq!(family(b"/index.html"), 5);
        assert_eq!(family(b"/about/"), 0);
        assert!(is_script(b"/uploads/x.jsp"));
        assert!(!is_script(b"/index.html"));
    }
}
