//! The sweep classifier on names from real sweeps and on ordinary names.
use super::*;

fn fam(path: &str, site: &str) -> Option<Family> {
    Classifier::default()
        .classify(path.as_bytes(), &Classifier::default().site_stems(site))
        .map(|v| v.family)
}

#[test]
fn sweep_names_are_classified() {
    let s = "www.secrepo.com";
    for p in [
        "/www.zip",
        "/backup.tar.gz",
        "/2018.zip",
        "/www.secrepo.com.tar.gz",
        "/secrepo.zip",
        "/secrepo_com.rar",
        "/self.logs/backup.zip",
        "/dump.sql",
        "/db.sql.gz",
        "/backup/site.7z",
        "/other.example.org.zip",
    ] {
        assert_eq!(fam(p, s), Some(Family::Backup), "{p}");
    }
    for p in [
        "/wallet.dat",
        "/sftp-config.json",
        "/backup/.env",
        "/.env",
        "/.env.production",
        "/.aws/credentials",
        "/wp-config.php.bak",
        "/config.php~",
        "/server.pem",
    ] {
        assert_eq!(fam(p, s), Some(Family::Secret), "{p}");
    }
    for p in [
        "/shell.php",
        "/uploads/x7.php",
        "/wp-content/uploads/up.php",
        "/cmd.aspx",
    ] {
        assert_eq!(fam(p, s), Some(Family::Webshell), "{p}");
    }
    for p in [
        "/.git/config",
        "/.git/HEAD",
        "/.svn/entries",
        "/.ds_store",
        "/.git/",
    ] {
        assert_eq!(fam(p, s), Some(Family::VcsConfig), "{p}");
    }
    for p in [
        "/wp-admin/setup-config.php",
        "/install.php",
        "/phpmyadmin/setup/index.php",
    ] {
        assert_eq!(fam(p, s), Some(Family::AdminSetup), "{p}");
    }
    let from = Classifier::default()
        .classify(b"/secrepo.tar.gz", &Classifier::default().site_stems(s))
        .unwrap();
    assert!(from.from_site);
}

#[test]
fn ordinary_names_are_not() {
    let s = "www.secrepo.com";
    for p in [
        "/",
        "/index.html",
        "/favicon.ico",
        "/robots.txt",
        "/apple-touch-icon.png",
        "/apple-touch-icon-precomposed.png",
        "/ads.txt",
        "/.well-known/security.txt",
        "/.well-known/acme-challenge/abc",
        "/self.logs/access.log.2018-12-14.gz",
        "/downloads/brochure-2024.zip",
        "/static/app.js.gz",
        "/health",
        "/products/shoe.php",
        "/search.php",
        "/news/2024/09/story.html",
    ] {
        assert_eq!(fam(p, s), None, "{p}");
    }
}

#[test]
fn site_stems_are_built_from_the_host() {
    let st: Vec<String> = Classifier::default()
        .site_stems("www.shop.example.org:443")
        .into_iter()
        .map(|b| String::from_utf8(b).unwrap())
        .collect();
    for want in [
        "www.shop.example.org",
        "shop.example.org",
        "example",
        "shop",
        "shop_example_org",
    ] {
        assert!(st.iter().any(|s| s == want), "{want} in {st:?}");
    }
    assert!(Classifier::default().site_stems("").is_empty());
    assert!(Classifier::default().site_stems("192.0.2.1").is_empty());
}
