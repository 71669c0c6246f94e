//! What the simulated sites serve and who visits them: page and asset
//! catalogues, user agents, and the paths attackers and tools request.

/// The kind of site, which decides its pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SiteKind {
    Election,
    News,
    Campaign,
}

const ELECTION_PAGES: &[&str] = &[
    "/",
    "/voters/",
    "/voters/register",
    "/voters/check-registration",
    "/voters/polling-place-lookup",
    "/voters/absentee-ballot",
    "/voters/id-requirements",
    "/voters/military-overseas",
    "/elections/calendar",
    "/elections/2026-general",
    "/elections/2026-general/candidates",
    "/elections/2026-general/ballot-issues",
    "/results/",
    "/results/2024-general",
    "/results/2026-primary",
    "/campaign-finance/",
    "/campaign-finance/reports",
    "/poll-workers/",
    "/poll-workers/apply",
    "/about/",
    "/about/contact",
    "/media/",
    "/accessibility",
    "/privacy",
    "/forms/voter-registration-form.pdf",
    "/forms/absentee-application.pdf",
];
const COUNTIES: &[&str] = &[
    "adams", "allen", "ashland", "brown", "butler", "clark", "clinton", "delaware", "franklin",
    "greene", "hamilton", "jackson", "knox", "lake", "licking", "logan", "madison", "marion",
    "miami", "monroe", "morgan", "noble", "perry", "pike", "portage", "preble", "ross", "scioto",
    "stark", "summit", "union", "warren", "wayne", "wood",
];
const TOPICS: &[&str] = &[
    "early-voting",
    "poll-worker-training",
    "ballot-drop-box",
    "voter-registration",
    "certification",
    "post-election-audit",
    "canvass",
    "absentee-ballots",
];
const ENDINGS: &[&str] = &["begins", "deadline", "update", "reminder", "faq"];

const NEWS_PAGES: &[&str] = &[
    "/",
    "/politics/",
    "/us/",
    "/world/",
    "/business/",
    "/opinion/",
    "/live/election-2026",
    "/video/",
    "/newsletters",
    "/about/",
    "/about/corrections",
    "/search",
];
const NEWS_SECTIONS: &[&str] = &["politics", "us", "world", "business", "opinion"];
const NEWS_STORIES: &[&str] = &[
    "senate-race-tightens",
    "county-officials-prepare",
    "turnout-forecast",
    "debate-takeaways",
    "fact-check-mail-ballots",
    "markets-rally",
    "storm-season",
    "school-board-vote",
    "governor-signs-budget",
    "poll-shows-shift",
    "court-ruling-maps",
    "candidate-profile",
    "explainer-recounts",
    "city-council-recap",
    "cybersecurity-election-offices",
    "voter-guide",
];

const CAMPAIGN_PAGES: &[&str] = &[
    "/",
    "/about/",
    "/issues/",
    "/issues/economy/",
    "/issues/health-care/",
    "/issues/education/",
    "/issues/public-safety/",
    "/issues/climate/",
    "/issues/veterans/",
    "/donate/",
    "/volunteer/",
    "/events/",
    "/news/",
    "/contact/",
    "/privacy-policy/",
];
const CAMPAIGN_POSTS: &[&str] = &[
    "town-hall-recap",
    "endorsement-announcement",
    "weekend-of-action",
    "new-ad-released",
    "debate-statement",
    "volunteer-spotlight",
    "fundraising-milestone",
    "op-ed-local-jobs",
    "rally-schedule",
    "field-office-opening",
];

/// Every page (non-static URL) a site serves with 200.
pub(crate) fn pages(kind: SiteKind) -> Vec<String> {
    let mut v: Vec<String>;
    match kind {
        SiteKind::Election => {
            v = ELECTION_PAGES.iter().map(|s| s.to_string()).collect();
            v.extend(COUNTIES.iter().map(|c| format!("/counties/{c}")));
            for (i, t) in TOPICS.iter().enumerate() {
                for (j, e) in ENDINGS.iter().enumerate() {
                    let mm = 6 + (i + j) % 4;
                    v.push(format!("/news/2026/{mm:02}/{t}-{e}"));
                }
            }
        }
        SiteKind::News => {
            v = NEWS_PAGES.iter().map(|s| s.to_string()).collect();
            for (i, s) in NEWS_STORIES.iter().enumerate() {
                for (j, sec) in NEWS_SECTIONS.iter().enumerate() {
                    if (i + j) % 2 == 0 {
                        let dd = 1 + (i * 3 + j) % 28;
                        v.push(format!("/{sec}/2026/08/{dd:02}/{s}"));
                    }
                }
            }
        }
        SiteKind::Campaign => {
            v = CAMPAIGN_PAGES.iter().map(|s| s.to_string()).collect();
            for (i, p) in CAMPAIGN_POSTS.iter().enumerate() {
                v.push(format!("/2026/{:02}/{p}/", 6 + i % 3));
                v.push(format!("/2026/{:02}/{p}/amp/", 6 + i % 3));
            }
        }
    }
    v
}

/// Static assets a page pulls in (the first ones on every page).
pub(crate) fn assets(kind: SiteKind) -> &'static [&'static str] {
    match kind {
        SiteKind::Election => &[
            "/static/css/site.4f9a1c.css",
            "/static/js/app.7d21be.js",
            "/static/js/vendor.91c0aa.js",
            "/static/img/state-seal.svg",
            "/static/fonts/publicsans-regular.woff2",
            "/static/img/hero-vote.jpg",
            "/favicon.ico",
        ],
        SiteKind::News => &[
            "/assets/css/main.b81e2.css",
            "/assets/js/bundle.e03f7.js",
            "/assets/img/logo.svg",
            "/assets/js/analytics.js",
            "/assets/fonts/serif-text.woff2",
            "/images/2026/09/lead-photo.jpg",
            "/images/2026/09/thumb-4.webp",
            "/favicon.ico",
        ],
        SiteKind::Campaign => &[
            "/wp-content/themes/c26/style.css?ver=6.6.2",
            "/wp-includes/js/jquery/jquery.min.js?ver=3.7.1",
            "/wp-content/themes/c26/js/main.js?ver=1.4",
            "/wp-content/uploads/2026/08/candidate-portrait.jpg",
            "/wp-content/uploads/2026/08/rally-crowd.png",
            "/favicon.ico",
        ],
    }
}

/// Links that used to exist: the occasional user's 404.
pub(crate) fn broken_links(kind: SiteKind) -> &'static [&'static str] {
    match kind {
        SiteKind::Election => &[
            "/voters/registraton",
            "/results/2022-general-old",
            "/files/sample-ballot-2024.pdf",
            "/news/2025/11/canvass-update",
        ],
        SiteKind::News => &[
            "/politics/2025/10/12/old-story",
            "/video/embed/8812",
            "/live/election-2024",
        ],
        SiteKind::Campaign => &["/events/fall-rally-2025/", "/donate-now/", "/issues/jobs/"],
    }
}

/// An administrator's session: (method, path, status). `{n}` is replaced by
/// a number.
pub(crate) fn admin_session(kind: SiteKind) -> &'static [(&'static str, &'static str, u16)] {
    match kind {
        SiteKind::Election => &[
            ("GET", "/user/login", 200),
            ("POST", "/user/login", 303),
            ("GET", "/admin/", 200),
            ("GET", "/admin/content", 200),
            ("GET", "/admin/content/node/{n}/edit", 200),
            ("POST", "/admin/content/node/{n}/edit", 303),
            ("GET", "/admin/reports/dblog", 200),
            ("GET", "/admin/structure/menu", 200),
            ("GET", "/admin/config", 200),
            ("GET", "/admin/content", 200),
        ],
        SiteKind::News => &[
            ("GET", "/admin/login", 200),
            ("POST", "/admin/login", 302),
            ("GET", "/admin/", 200),
            ("GET", "/admin/articles", 200),
            ("GET", "/admin/articles/{n}/edit", 200),
            ("POST", "/admin/articles/{n}/edit", 302),
            ("GET", "/admin/media", 200),
            ("GET", "/admin/articles", 200),
        ],
        SiteKind::Campaign => &[
            ("GET", "/wp-login.php", 200),
            ("POST", "/wp-login.php", 302),
            ("GET", "/wp-admin/", 200),
            ("GET", "/wp-admin/edit.php", 200),
            ("GET", "/wp-admin/post.php?post={n}&action=edit", 200),
            ("POST", "/wp-admin/admin-ajax.php", 200),
            ("POST", "/wp-admin/post.php", 302),
            ("GET", "/wp-admin/upload.php", 200),
            ("GET", "/wp-admin/plugins.php", 200),
        ],
    }
}

/// Browser user agents of ordinary visitors.
pub(crate) const BROWSERS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; SM-S921U) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:130.0) Gecko/20100101 Firefox/130.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36 Edg/128.0.2739.42",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0",
    "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
];

/// Googlebot's user agent.
pub(crate) const GOOGLEBOT: &str =
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
/// Bingbot's user agent.
pub(crate) const BINGBOT: &str =
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)";
/// UptimeRobot's user agent.
pub(crate) const UPTIMEROBOT: &str =
    "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)";

/// Where first page views come from.
pub(crate) const ENTRY_REFERERS: &[&str] = &[
    "",
    "",
    "",
    "https://www.google.com/",
    "https://www.google.com/",
    "https://www.bing.com/",
    "https://duckduckgo.com/",
    "https://www.facebook.com/",
    "https://t.co/",
];

/// Files a sensitive-file sweep asks for; `/server-status` answers 403.
pub(crate) const SENSITIVE: &[&str] = &[
    "/.env",
    "/.git/config",
    "/.git/HEAD",
    "/wp-config.php~",
    "/wp-config.php.bak",
    "/backup.zip",
    "/backup.sql",
    "/db.sql",
    "/server-status",
    "/phpinfo.php",
    "/.aws/credentials",
    "/.DS_Store",
    "/config.json",
    "/.htpasswd",
    "/web.config.bak",
    "/.svn/entries",
    "/info.php",
    "/dump.sql.gz",
];

/// Admin and login panels an enumeration tries.
pub(crate) const ADMIN_PANELS: &[&str] = &[
    "/wp-login.php",
    "/administrator/",
    "/phpmyadmin/",
    "/admin/login",
    "/user/login",
    "/manager/html",
    "/cpanel",
    "/webadmin",
    "/admin.php",
    "/login.php",
];

const SCAN_DIRS: &[&str] = &[
    "",
    "/admin",
    "/backup",
    "/old",
    "/test",
    "/api",
    "/cgi-bin",
    "/includes",
    "/scripts",
    "/uploads",
    "/tmp",
    "/dev",
    "/staging",
    "/console",
    "/portal",
    "/data",
    "/files",
    "/config",
    "/private",
    "/vendor",
    "/lib",
    "/system",
    "/app",
    "/db",
    "/logs",
];
const SCAN_FILES: &[&str] = &[
    "index.php",
    "login.jsp",
    "config.php",
    "setup.php",
    "install.php",
    "readme.txt",
    "debug.log",
    "test.cgi",
    "status",
    "web.config",
    "default.aspx",
    "upload.php",
    "shell.php",
    "admin.asp",
];

/// Distinct paths of a vulnerability scan (dirs × files, deterministic).
pub(crate) fn scan_paths() -> Vec<String> {
    let mut v = Vec::with_capacity(SCAN_DIRS.len() * SCAN_FILES.len());
    for f in SCAN_FILES {
        for d in SCAN_DIRS {
            v.push(format!("{d}/{f}"));
        }
    }
    v
}

/// Nikto's user agent (declared pen-test).
pub(crate) const NIKTO: &str = "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:Port Check)";
/// Nuclei's default user agent.
pub(crate) const NUCLEI: &str =
    "Mozilla/5.0 (compatible; Nuclei - Open-source project (github.com/projectdiscovery/nuclei))";
/// sqlmap's default user agent.
pub(crate) const SQLMAP: &str = "sqlmap/1.8.7#stable (https://sqlmap.org)";

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn catalogues_are_distinct_and_large_enough() {
        for kind in [SiteKind::Election, SiteKind::News, SiteKind::Campaign] {
            let p = pages(kind);
            let set: BTreeSet<&String> = p.iter().collect();
            assert_eq!(set.len(), p.len(), "{kind:?} pages repeat");
            assert!(p.len() >= 35, "{kind:?} has {} pages", p.len());
            for b in broken_links(kind) {
                assert!(!set.contains(&b.to_string()));
            }
        }
        let s = scan_paths();
        assert!(s.iter().collect::<BTreeSet<_>>().len() >= 300);
        assert!(SENSITIVE.len() >= 16 && ADMIN_PANELS.len() >= 8);
    }
}
