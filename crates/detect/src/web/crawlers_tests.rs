//! The crawler list: agents, published networks, user files.
use super::*;

const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
const BINGBOT: &str = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)";

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn built_in_list_parses_with_networks_for_google_and_bing() {
    let f = CrawlerFile::parse(BUILTIN, "data/crawlers.toml").unwrap();
    let with_nets: Vec<&str> = f
        .crawler
        .iter()
        .filter(|c| !c.networks.is_empty())
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(with_nets, ["Googlebot", "Bingbot"]);
    let bing = f.crawler.iter().find(|c| c.name == "Bingbot").unwrap();
    assert_eq!(bing.networks.len(), 28);
}

#[test]
fn a_crawler_with_networks_is_believed_only_from_them() {
    let c = Crawlers::new(&[], None);
    let anywhere = ip("198.51.100.7");
    for (ua, home) in [
        (GOOGLEBOT, "66.249.66.1"),
        (GOOGLEBOT, "66.249.79.200"),
        (GOOGLEBOT, "2001:4860:4801:10::1"),
        (GOOGLEBOT, "34.22.85.3"),
        (BINGBOT, "157.55.39.42"),
        (BINGBOT, "40.77.167.12"),
        (BINGBOT, "199.30.25.9"),
    ] {
        assert!(c.matches(ua.as_bytes(), ip(home)), "{ua} {home}");
        assert!(!c.matches(ua.as_bytes(), anywhere), "{ua} forged");
    }
    // Google's agent from Bing's network is no more Googlebot.
    assert!(!c.matches(GOOGLEBOT.as_bytes(), ip("157.55.39.42")));
    assert!(!c.matches(GOOGLEBOT.as_bytes(), ip("66.249.96.1")));
    // A User-Agent naming both is believed from either network only.
    let both = format!("{GOOGLEBOT} {BINGBOT}");
    assert!(c.matches(both.as_bytes(), ip("157.55.39.42")));
    assert!(c.matches(both.as_bytes(), ip("66.249.66.1")));
    assert!(!c.matches(both.as_bytes(), anywhere));
    assert_eq!(c.claim(b"curl/8.0"), Claim::None);
    assert_eq!(c.claimed(GOOGLEBOT.as_bytes()), Some("Googlebot"));
    assert_eq!(c.claimed(BINGBOT.as_bytes()), Some("Bingbot"));
    assert_eq!(c.claimed(b"Mozilla/5.0 (compatible; MJ12bot/v1.4.8)"), None);
    assert_eq!(c.claimed(b"curl/8.0"), None);
    assert!(matches!(c.claim(GOOGLEBOT.as_bytes()), Claim::Verify(_)));
}

#[test]
fn agents_without_networks_and_configured_agents_are_trusted_alone() {
    let c = Crawlers::new(&["ExampleArchiver".into()], None);
    let anywhere = ip("198.51.100.7");
    for ua in [
        "Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)",
        "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
        "exampleARCHIVER/1.0",
    ] {
        assert_eq!(c.claim(ua.as_bytes()), Claim::Trusted, "{ua}");
        assert!(c.matches(ua.as_bytes(), anywhere), "{ua}");
    }
    for ua in [
        "",
        "-",
        "curl/7.68.0",
        // A look-alike name is no crawler.
        "Mozilla/5.0+(compatible;+Baispider/2.0;++http://www.bai.com/search/spider.html)",
    ] {
        assert!(!c.matches(ua.as_bytes(), anywhere), "{ua}");
    }
    // Past 1,024 bytes nothing is read.
    let long = format!("{}mj12bot", "x".repeat(1024));
    assert!(!c.matches(long.as_bytes(), anywhere));
    assert!(!Crawlers::new(&[], None).matches(b"ExampleArchiver", anywhere));
}

#[test]
fn a_user_file_adds_networks_and_crawlers_and_bad_ones_are_refused() {
    let f = std::env::temp_dir().join(format!("haboob-crawlers-{}.toml", std::process::id()));
    std::fs::write(
        &f,
        "[[crawler]]\nname = \"googlebot\"\nnetworks = [\"192.0.2.0/24\"]\n\
         [[crawler]]\nname = \"Example\"\nagents = [\" ExampleBot \"]\nnetworks = [\"2001:db8::/32\"]\n",
    )
    .unwrap();
    let path = f.display().to_string();
    let c = Crawlers::new(&[], Some(&path));
    // A newly published Google network, beside the built-in ones.
    assert!(c.matches(GOOGLEBOT.as_bytes(), ip("192.0.2.9")));
    assert!(c.matches(GOOGLEBOT.as_bytes(), ip("66.249.66.1")));
    assert!(c.matches(b"examplebot/1.0", ip("2001:db8::5")));
    assert!(!c.matches(b"examplebot/1.0", ip("192.0.2.9")));
    std::fs::remove_file(&f).ok();
    // A file that cannot be read adds nothing.
    let c = Crawlers::new(&[], Some(&path));
    assert!(!c.matches(GOOGLEBOT.as_bytes(), ip("192.0.2.9")));
    for (text, want) in [
        (
            "[[crawler]]\nname = \"x\"\nagents = [\"xbot\"]\nnetworks = [\"192.0.2.0/33\"]\n",
            "rule file u.toml: crawler #1 (x): networks: bad prefix length in \"192.0.2.0/33\"",
        ),
        (
            "[[crawler]]\nname = \"x\"\nagents = [\" \"]\n",
            "rule file u.toml: crawler #1 (x) has no agent and no network",
        ),
        (
            "[[crawler]]\nname = \"\"\nagents = [\"xbot\"]\n",
            "rule file u.toml: crawler #1 has no name",
        ),
    ] {
        let e = CrawlerFile::parse(text, "u.toml").unwrap_err().to_string();
        assert_eq!(e, want, "{text}");
    }
}

#[test]
fn configuration_refuses_a_bad_crawler_file_naming_the_setting() {
    let f = std::env::temp_dir().join(format!("haboob-crawlers-bad-{}.toml", std::process::id()));
    std::fs::write(&f, "[[crawler]]\nname = \"x\"\nagent = [\"xbot\"]\n").unwrap();
    let mut cfg = crate::web::WebConfig::default();
    cfg.sweep.crawler_rules = Some(f.display().to_string());
    let e = cfg.validate().unwrap_err().to_string();
    std::fs::remove_file(&f).ok();
    assert!(
        e.starts_with(&format!(
            "web.sweep.crawler_rules: rule file {}: ",
            f.display()
        )) && e.contains("unknown field `agent`"),
        "{e}"
    );
}
