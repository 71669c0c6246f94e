//! Maintained lists: admin pages, login forms, scanner user agents and header
//! exploit signatures. All entries are lower case. Request-class anchors of
//! `web.exploit` live in `classes.rs`; product endpoints and sensitive file
//! names are data (`crates/detect/data/*.toml`, see `rules.rs`).
//!
//! Path patterns (sensitive files, admin pages) match anywhere in the decoded,
//! lower-cased path and must end at the end of the path or before a `/`; a
//! trailing `*` allows any continuation and a trailing `/` marks a directory.

/// Admin panels and login pages probed by enumerators.
pub const ADMIN_PATHS: &[&str] = &[
    "/wp-login.php",
    "/wp-admin",
    "/administrator",
    "/admin",
    "/admin.php",
    "/admin/login*",
    "/admin.html",
    "/admin.asp",
    "/admin.aspx",
    "/admin.jsp",
    "/adminpanel",
    "/admin-console",
    "/admincp",
    "/admin_area",
    "/phpmyadmin*",
    "/myadmin",
    "/mysqladmin",
    "/pma",
    "/dbadmin",
    "/sqladmin",
    "/manager/html",
    "/host-manager/html",
    "/user/login",
    "/login",
    "/login.php",
    "/login.html",
    "/login.aspx",
    "/login.jsp",
    "/signin",
    "/xmlrpc.php",
    "/cpanel",
    "/whm",
    "/webadmin",
    "/adminer.php",
    "/adminer",
    "/panel",
    "/controlpanel",
    "/cms/admin",
    "/typo3",
    "/bitrix/admin",
    "/joomla/administrator",
    "/jenkins/login",
    "/console/login*",
    "/webmail",
    "/roundcube",
    "/plesk",
    "/solr/admin",
    "/jmx-console",
    "/web-console",
    "/system/console",
    "/auth/login",
    "/account/login",
    "/backend",
    "/siteadmin",
    "/moderator",
];

/// The admin and login pages of [`ADMIN_PATHS`] that belong to one product
/// (WordPress, Joomla, phpMyAdmin, Tomcat, cPanel, …), not generic names
/// such as `/admin` or `/login`: answered 404, the site does not run the
/// product and the asker is guessing (`web.probe`).
pub const PRODUCT_ADMIN_PATHS: &[&str] = &[
    "/wp-login.php",
    "/wp-admin",
    "/xmlrpc.php",
    "/administrator",
    "/joomla/administrator",
    "/phpmyadmin*",
    "/myadmin",
    "/mysqladmin",
    "/pma",
    "/adminer.php",
    "/adminer",
    "/manager/html",
    "/host-manager/html",
    "/cpanel",
    "/whm",
    "/plesk",
    "/admincp",
    "/typo3",
    "/bitrix/admin",
    "/jenkins/login",
    "/console/login*",
    "/roundcube",
    "/solr/admin",
    "/jmx-console",
    "/web-console",
    "/system/console",
];

/// Login forms whose failed POSTs count for `web.login_bf`.
pub const LOGIN_FORMS: &[&str] = &[
    "/wp-login.php",
    "/xmlrpc.php",
    "/login",
    "/login.php",
    "/user/login",
    "/users/sign_in",
    "/signin",
    "/sign-in",
    "/auth/login",
    "/account/login",
    "/api/login",
    "/api/auth/login",
    "/administrator/index.php",
    "/admin/login*",
    "/admin.php",
    "/j_security_check",
    "/session",
    "/sessions",
    "/owa/auth.owa",
    "/remote/logincheck",
    "/dana-na/auth/url_default/login.cgi",
];

/// Category of an exploit signature.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum ExploitKind {
    /// `../` and friends, `/etc/passwd`, `win.ini`.
    Traversal,
    /// SQL injection.
    Sqli,
    /// Cross-site scripting.
    Xss,
    /// OS command injection.
    CommandInjection,
    /// Log4Shell JNDI lookup (CVE-2021-44228).
    Log4Shell,
    /// Shellshock (CVE-2014-6271) in a header.
    Shellshock,
    /// PHP stream wrappers and ini overrides.
    PhpWrapper,
    /// Remote file inclusion.
    Rfi,
    /// Server-side request forgery: metadata or loopback addresses in a parameter.
    Ssrf,
    /// Template and expression injection (Text4Shell, OGNL, SpEL, SSTI).
    ExpressionInjection,
    /// Serialised-object markers (Java, PHP, Python YAML).
    Deserialization,
    /// Probe for a well-known product vulnerability.
    CveProbe,
    /// Request for a product's installation or setup action.
    SetupProbe,
    /// Request for a product's management interface.
    AdminProbe,
    /// Request for a known web shell.
    Backdoor,
    /// Signature request of a known scanner (`w00tw00t`).
    ScannerProbe,
    /// Use of the server as an open proxy.
    OpenProxy,
    /// Pattern added in the configuration.
    Custom,
}

impl ExploitKind {
    /// Stable lower-case name used in alert details.
    pub fn as_str(self) -> &'static str {
        match self {
            ExploitKind::Traversal => "path_traversal",
            ExploitKind::Sqli => "sqli",
            ExploitKind::Xss => "xss",
            ExploitKind::CommandInjection => "command_injection",
            ExploitKind::Log4Shell => "log4shell",
            ExploitKind::Shellshock => "shellshock",
            ExploitKind::PhpWrapper => "php_wrapper",
            ExploitKind::Rfi => "rfi",
            ExploitKind::Ssrf => "ssrf",
            ExploitKind::ExpressionInjection => "expression_injection",
            ExploitKind::Deserialization => "deserialization",
            ExploitKind::CveProbe => "cve_probe",
            ExploitKind::SetupProbe => "setup_probe",
            ExploitKind::AdminProbe => "admin_probe",
            ExploitKind::Backdoor => "backdoor",
            ExploitKind::ScannerProbe => "scanner_probe",
            ExploitKind::OpenProxy => "open_proxy",
            ExploitKind::Custom => "custom",
        }
    }
}

/// A set of [`ExploitKind`]s in one word: no allocation per request, and
/// iterated in the enum's order (as a `BTreeSet` is).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct KindSet(u32);

impl KindSet {
    /// Every kind, in declaration order (`ALL[k as usize] == k`).
    const ALL: [ExploitKind; 18] = [
        ExploitKind::Traversal,
        ExploitKind::Sqli,
        ExploitKind::Xss,
        ExploitKind::CommandInjection,
        ExploitKind::Log4Shell,
        ExploitKind::Shellshock,
        ExploitKind::PhpWrapper,
        ExploitKind::Rfi,
        ExploitKind::Ssrf,
        ExploitKind::ExpressionInjection,
        ExploitKind::Deserialization,
        ExploitKind::CveProbe,
        ExploitKind::SetupProbe,
        ExploitKind::AdminProbe,
        ExploitKind::Backdoor,
        ExploitKind::ScannerProbe,
        ExploitKind::OpenProxy,
        ExploitKind::Custom,
    ];

    #[inline]
    fn bit(k: ExploitKind) -> u32 {
        1 << (k as u32)
    }

    /// Add `k`.
    #[inline]
    pub fn insert(&mut self, k: ExploitKind) {
        self.0 |= Self::bit(k);
    }

    /// `k` is in the set.
    #[inline]
    pub fn contains(&self, k: ExploitKind) -> bool {
        self.0 & Self::bit(k) != 0
    }

    /// No kind.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// Remove every kind.
    #[inline]
    pub fn clear(&mut self) {
        self.0 = 0;
    }

    /// Remove the kinds of `other`.
    #[inline]
    pub fn remove_all(&mut self, other: KindSet) {
        self.0 &= !other.0;
    }

    /// The set as a word (for [`super::request::Req::write_note`]).
    pub(crate) fn bits(self) -> u32 {
        self.0
    }

    /// The set of a word from [`KindSet::bits`] (unknown bits dropped).
    pub(crate) fn from_bits(bits: u32) -> KindSet {
        KindSet(bits & ((1 << Self::ALL.len()) - 1))
    }

    /// The kinds, in the enum's order.
    pub fn iter(self) -> impl Iterator<Item = ExploitKind> {
        Self::ALL.into_iter().filter(move |k| self.contains(*k))
    }
}

/// Exploit substrings checked in the user agent and referrer. Each contains
/// `$`, `<` or `'`, or is `() {` (the matcher pre-filters on those bytes).
pub const HEADER_PATTERNS: &[(&str, ExploitKind)] = &[
    ("${jndi:", ExploitKind::Log4Shell),
    ("${${", ExploitKind::Log4Shell),
    ("${lower:", ExploitKind::Log4Shell),
    ("${env:", ExploitKind::Log4Shell),
    ("${script:", ExploitKind::ExpressionInjection),
    ("${dns:", ExploitKind::ExpressionInjection),
    ("${url:", ExploitKind::ExpressionInjection),
    ("() {", ExploitKind::Shellshock),
    ("<script", ExploitKind::Xss),
    ("' or 1=1", ExploitKind::Sqli),
    ("' and sleep(", ExploitKind::Sqli),
];

/// Static asset extensions (lower case, without the dot): not counted by
/// `web.scan` and `web.crawl`.
pub const STATIC_EXTENSIONS: &[&str] = &[
    "css", "js", "mjs", "map", "png", "jpg", "jpeg", "gif", "ico", "svg", "webp", "avif", "bmp",
    "woff", "woff2", "ttf", "otf", "eot", "mp4", "webm", "mp3", "ogg", "wav", "pdf",
];

#[cfg(test)]
mod kind_set_tests {
    use super::*;

    #[test]
    fn every_kind_once_in_order() {
        for (i, k) in KindSet::ALL.iter().enumerate() {
            assert_eq!(*k as usize, i, "{k:?} out of place");
        }
        // The last declared kind closes the list: a kind declared after it
        // would be missing from ALL.
        assert_eq!(ExploitKind::Custom as usize, KindSet::ALL.len() - 1);
        let mut s = KindSet::default();
        s.insert(ExploitKind::Rfi);
        s.insert(ExploitKind::Traversal);
        s.insert(ExploitKind::Rfi);
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            [ExploitKind::Traversal, ExploitKind::Rfi]
        );
        let mut t = KindSet::default();
        t.insert(ExploitKind::Rfi);
        s.remove_all(t);
        assert!(s.contains(ExploitKind::Traversal) && !s.contains(ExploitKind::Rfi));
        s.clear();
        assert!(s.is_empty());
    }
}
