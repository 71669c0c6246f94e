//! Corpus rules over haboob's real field views: web requests (`WebEvent`),
//! sign-in JSON (`JsonView`), with the mapping's renames.

use haboob_model::{FieldView, JsonView, Ts, WebEvent};
use haboob_sigma::{load, Family, Loaded, Mapping};

fn rules(test: &str) -> Option<Loaded> {
    let dir = haboob_testdata::corpus_or_skip(test)?.join("sigma/SigmaHQ-sigma/rules");
    let l = load(
        &[
            dir.join("web"),
            dir.join("cloud/azure/signin_logs"),
            dir.join("identity/okta"),
        ],
        &Mapping::builtin(),
    );
    assert_eq!(l.tally.total.invalid, 0);
    Some(l)
}

fn ids(l: &Loaded, f: Family, ev: &dyn FieldView) -> Vec<String> {
    let mut out = Vec::new();
    l.rules.matches(f, ev, &mut out);
    out.iter().map(|i| l.rules.meta(*i).id.clone()).collect()
}

fn web(query: &'static str) -> WebEvent<'static> {
    WebEvent {
        ts: Ts::from_secs(0),
        source_ip: "192.0.2.1".parse().unwrap(),
        method: "GET",
        path: "/download.php",
        query,
        status: 200,
        bytes: 10,
        user_agent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        referrer: "",
        site: "votes.example.gov",
        user: "",
        forwarded: "",
        protocol: "HTTP/1.1",
    }
}

#[test]
fn web_rules_read_the_webserver_taxonomy() {
    let Some(l) = rules("web_rules_read_the_webserver_taxonomy") else {
        return;
    };
    let traversal = "7745c2ea-24a5-4290-b680-04359cb84b35";
    assert!(ids(&l, Family::Web, &web("file=../../../etc/passwd")).contains(&traversal.to_string()));
    assert!(!ids(&l, Family::Web, &web("file=../etc/passwd")).contains(&traversal.to_string()));
    assert_eq!(ids(&l, Family::Web, &web("q=hello")), Vec::<String>::new());
    // `proxy` rules are for forward-proxy logs and do not load by default:
    // Metasploit's bare user agent, listed whole in "Exploit Framework User
    // Agent" (a proxy rule), raises nothing on an access log...
    let exploit_ua = "fdd1bfb5-f60b-4a35-910e-f36ed3d0b32f".to_string();
    let bare = WebEvent {
        user_agent: "Mozilla/5.0",
        ..web("q=hello")
    };
    assert!(ids(&l, Family::Web, &bare).is_empty());
    // ... unless the mapping file says so; they then read the same view.
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/data/logsources.toml");
    let text = std::fs::read_to_string(shipped).unwrap()
        + "\n[[source]]\ncategory = \"proxy\"\nfamily = \"web\"\n";
    let mapping = Mapping::parse(&text, std::path::Path::new(shipped)).unwrap();
    let dir = haboob_testdata::corpus_or_skip("proxy rules").unwrap();
    let with_proxy = load(&[dir.join("sigma/SigmaHQ-sigma/rules/web")], &mapping);
    assert_eq!(ids(&with_proxy, Family::Web, &bare), [exploit_ua]);
    // Web rules do not run on other families.
    assert!(ids(&l, Family::Windows, &web("file=../../../etc/passwd")).is_empty());
}

#[test]
fn azure_signin_rules_read_graph_and_log_analytics_names() {
    let Some(l) = rules("azure_signin_rules_read_graph_and_log_analytics_names") else {
        return;
    };
    let lockout = "2b7d6fc0-71ac-4cf7-8ed1-b5788ee5257a".to_string();
    let graph = JsonView::new(
        r#"{"userPrincipalName":"a@x.example","status":{"errorCode":50053,"failureReason":"locked"}}"#,
    );
    assert!(ids(&l, Family::AzureSignin, &graph).contains(&lockout));
    let la = JsonView::new(r#"{"ResultType":"50053","Identity":"a"}"#);
    assert!(ids(&l, Family::AzureSignin, &la).contains(&lockout));
    let other = JsonView::new(r#"{"status":{"errorCode":50126}}"#);
    assert!(!ids(&l, Family::AzureSignin, &other).contains(&lockout));
}

#[test]
fn okta_rules_read_json_paths() {
    let Some(l) = rules("okta_rules_read_json_paths") else {
        return;
    };
    let grant = "413d4a81-6c98-4479-9863-014785fd579c".to_string();
    let ev = JsonView::new(
        r#"{"eventType":"user.account.privilege.grant","outcome":{"result":"SUCCESS"}}"#,
    );
    assert_eq!(ids(&l, Family::Okta, &ev), std::slice::from_ref(&grant));
    let ev = JsonView::new(r#"{"eventType":"user.account.privilege.revoke"}"#);
    assert!(!ids(&l, Family::Okta, &ev).contains(&grant));
}
