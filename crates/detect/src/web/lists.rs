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
