//! Crawler user agents: search engines, archivers and monitors whose
//! requests never make a sweep member, a harvest or a one-off probe (a
//! crawler follows stale links to backups and admin pages it once saw).

use aho_corasick::AhoCorasick;

/// Search engines, archivers and monitors (lower case).
pub(crate) const CRAWLERS: &[&str] = &[
    "googlebot",
    "google-inspectiontool",
    "adsbot-google",
    "bingbot",
    "bingpreview",
    "yandexbot",
    "baiduspider",
    "duckduckbot",
    "applebot",
    "ahrefsbot",
    "semrushbot",
    "mj12bot",
    "dotbot",
    "petalbot",
    "seznambot",
    "sogou web spider",
    "bytespider",
    "facebookexternalhit",
    "yahoo! slurp",
    "amazonbot",
    "gptbot",
    "ccbot",
    "qwantify",
    "exabot",
    "ia_archiver",
    "archive.org_bot",
    "mojeekbot",
    "coccocbot",
    "dataforseobot",
    "blexbot",
    "linkedinbot",
    "twitterbot",
    "uptimerobot",
    "pingdom",
    "statuscake",
    "site24x7",
];

/// The built-in [`CRAWLERS`] plus configured substrings, matched
/// case-insensitively on the first 1,024 bytes of a user agent.
#[derive(Debug, Clone)]
pub(crate) struct Crawlers(Option<AhoCorasick>);

impl Crawlers {
    /// The built-in list and `extra` (configured substrings).
    pub fn new(extra: &[String]) -> Self {
        let all: Vec<String> = CRAWLERS
            .iter()
            .map(|s| s.to_string())
            .chain(extra.iter().cloned())
            .collect();
        Crawlers(super::substring_matcher(&all))
    }

    /// Whether `ua` (bytes, cut to 1,024) names a crawler.
    pub fn matches(&self, ua: &[u8]) -> bool {
        self.0
            .as_ref()
            .is_some_and(|a| a.is_match(&ua[..ua.len().min(1024)]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_and_configured_crawlers() {
        let c = Crawlers::new(&["ExampleArchiver".into()]);
        for ua in [
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)",
            "exampleARCHIVER/1.0",
        ] {
            assert!(c.matches(ua.as_bytes()), "{ua}");
        }
        for ua in [
            "",
            "-",
            "curl/7.68.0",
            // A look-alike name is no crawler.
            "Mozilla/5.0+(compatible;+Baispider/2.0;++http://www.bai.com/search/spider.html)",
        ] {
            assert!(!c.matches(ua.as_bytes()), "{ua}");
        }
        // Past 1,024 bytes nothing is read.
        let long = format!("{}googlebot", "x".repeat(1024));
        assert!(!c.matches(long.as_bytes()));
        assert!(!Crawlers::new(&[]).matches(b"ExampleArchiver"));
    }
}
