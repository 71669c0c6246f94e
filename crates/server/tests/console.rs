//! The console over a real store (SQLite; PostgreSQL too for the pages
//! that show what queries return): login, CSRF, roles, and every
//! attacker-controlled string escaped.

mod common;

use axum::http::{header, Method, StatusCode};
use axum::Router;
use common::*;
use haboob_store::Status;
use std::sync::Arc;

sqlite!(login_needs_the_forms_csrf_token_and_a_valid_token);
both!(
    status_form_needs_csrf_and_the_analyst_role,
    hostile_strings_are_escaped_on_every_page,
    campaign_list_filters,
);

async fn login_needs_the_forms_csrf_token_and_a_valid_token(app: Router, b: Arc<Fixture>) {
    let page = get(&app, "/login", None).await;
    let cookie = page
        .headers
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .expect("cookie")
        .to_string();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("Path=/"),
        "{cookie}"
    );
    let pre = page.session().expect("session");
    assert_eq!(pre.len(), 64);
    let csrf = csrf_of(&page.body);
    // The token with its first digit changed (never equal to the real one).
    let flipped = if csrf.starts_with('0') { '1' } else { '0' };
    for form in [
        format!("token={}", b.analyst),
        format!("csrf={flipped}{}&token={}", &csrf[1..], b.analyst),
        format!("csrf=&token={}", b.analyst),
    ] {
        let r = send(&app, console(Method::POST, "/login", &pre, Some(&form))).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{form}");
        assert!(r.session().is_none());
    }
    // Without the pre-login session cookie.
    let r = send(&app, req(Method::POST, "/login", None, None)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A bad token.
    let r = send(
        &app,
        console(
            Method::POST,
            "/login",
            &pre,
            Some(&format!("csrf={csrf}&token=nope")),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("That token is not valid."));
    let s = login(&app, b.analyst.as_str()).await;
    let r = send(&app, console(Method::GET, "/campaigns", &s, None)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("ana · analyst"));
    // The pre-login session is gone.
    assert_eq!(
        send(&app, console(Method::GET, "/campaigns", &pre, None))
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    // Logout needs the token too, then ends the session.
    assert_eq!(
        send(&app, console(Method::POST, "/logout", &s, Some("csrf=bad")))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let csrf = csrf_of(&r.body);
    let out = send(
        &app,
        console(Method::POST, "/logout", &s, Some(&format!("csrf={csrf}"))),
    )
    .await;
    assert_eq!(
        (out.status, out.header(header::LOCATION)),
        (StatusCode::SEE_OTHER, "/login")
    );
    assert_eq!(
        send(&app, console(Method::GET, "/campaigns", &s, None))
            .await
            .status,
        StatusCode::SEE_OTHER
    );
}

async fn status_form_needs_csrf_and_the_analyst_role(app: Router, b: Arc<Fixture>) {
    let s = login(&app, b.analyst.as_str()).await;
    let page = send(&app, console(Method::GET, "/campaigns/c1", &s, None)).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = csrf_of(&page.body);
    for form in [
        "action=set_status&status=triaged".to_string(),
        "csrf=wrong&action=set_status&status=triaged".to_string(),
    ] {
        let r = send(
            &app,
            console(Method::POST, "/campaigns/c1/actions", &s, Some(&form)),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{form}");
        assert_eq!(b.status("c1").await, Status::New);
    }
    // Another session's token does not work either.
    let other = login(&app, b.analyst.as_str()).await;
    let other_csrf = csrf_of(
        &send(&app, console(Method::GET, "/campaigns", &other, None))
            .await
            .body,
    );
    assert_ne!(other_csrf, csrf);
    let r = send(
        &app,
        console(
            Method::POST,
            "/campaigns/c1/actions",
            &s,
            Some(&format!(
                "csrf={other_csrf}&action=set_status&status=triaged"
            )),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(b.status("c1").await, Status::New);
    let r = send(
        &app,
        console(
            Method::POST,
            "/campaigns/c1/actions",
            &s,
            Some(&format!("csrf={csrf}&action=set_status&status=triaged")),
        ),
    )
    .await;
    assert_eq!(
        (r.status, r.header(header::LOCATION)),
        (StatusCode::SEE_OTHER, "/campaigns/c1")
    );
    assert_eq!(b.status("c1").await, Status::Triaged);
    let page = send(&app, console(Method::GET, "/campaigns/c1", &s, None)).await;
    assert!(page.body.contains("data-status=\"triaged\""));
    assert!(
        page.body.contains("id=\"to-notified\""),
        "next step offered"
    );
    let r = send(
        &app,
        console(
            Method::POST,
            "/campaigns/c1/actions",
            &s,
            Some(&format!(
                "csrf={csrf}&action=note&text=%3Cb%3Ecalled+them%3C%2Fb%3E"
            )),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = send(&app, console(Method::GET, "/campaigns/c1", &s, None)).await;
    assert!(page.body.contains("&lt;b&gt;called them&lt;/b&gt;"));
    // A viewer sees no forms and cannot post one.
    let v = login(&app, b.viewer.as_str()).await;
    let page = send(&app, console(Method::GET, "/campaigns/c1", &v, None)).await;
    assert!(!page.body.contains("name=\"action\""));
    let vcsrf = csrf_of(&page.body);
    let r = send(
        &app,
        console(
            Method::POST,
            "/campaigns/c1/actions",
            &v,
            Some(&format!("csrf={vcsrf}&action=set_status&status=notified")),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(b.status("c1").await, Status::Triaged);
}

fn assert_escaped(what: &str, html: &str) {
    assert!(!html.contains(SCRIPT), "{what}: raw <script>");
    assert!(!html.contains("<img"), "{what}: raw <img>");
    assert!(
        !html.contains("onerror=alert(1)>"),
        "{what}: raw attribute injection"
    );
    assert!(
        !html.contains('\x1b') && !html.contains('\x07'),
        "{what}: raw terminal bytes"
    );
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{what}: escaped script shown"
    );
    // Every <script> element loads the static file; no inline style.
    for (i, _) in html.match_indices("<script") {
        assert!(
            html[i..].starts_with("<script src=\"/static/haboob.js\""),
            "{what}: inline script"
        );
    }
    assert!(!html.contains(" style="), "{what}: style attribute");
    assert!(!html.contains("<style"), "{what}: style element");
}

async fn hostile_strings_are_escaped_on_every_page(app: Router, b: Arc<Fixture>) {
    let s = login(&app, b.analyst.as_str()).await;
    let org = "Org%20%3Cscript%3Ealert(1)%3C%2Fscript%3E";
    for uri in [
        "/campaigns",
        "/campaigns/c1",
        "/alerts/a1",
        "/organisations",
        &format!("/organisations/{org}"),
    ] {
        let r = send(&app, console(Method::GET, uri, &s, None)).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.body);
        assert!(r.header(header::CONTENT_TYPE).starts_with("text/html"));
        assert_escaped(uri, &r.body);
    }
    let page = send(&app, console(Method::GET, "/campaigns/c1", &s, None))
        .await
        .body;
    // The path and user agent of the evidence line, escaped.
    assert!(page.contains("GET /&quot;&gt;&lt;img src=x onerror=alert(1)&gt; HTTP/1.1"));
    assert!(page.contains("\\u{1b}[31mred\\u{1b}]0;owned\\u{7}"));
    assert!(page.contains("class=\"evidence-line\""));
    assert!(page.contains(
        "<span id=\"campaign-tools\">sqlmap, tool &lt;script&gt;alert(1)&lt;/script&gt;</span>"
    ));
    assert!(page.contains("<td id=\"funnel-identified\">80</td>"));
    assert!(page.contains("<td id=\"funnel-compromised\">2</td>"));
    assert!(page.contains("<svg class=\"funnel\""));
    assert!(page.contains("<svg class=\"timeline\""));
    // Attribution: the candidate, its confidence and reason, escaped.
    assert!(page.contains(
        "<strong class=\"actor\">Mint Sandstorm &lt;script&gt;alert(1)&lt;/script&gt;</strong>"
    ));
    assert!(page.contains("<td class=\"confidence\">72%</td>"));
    assert!(
        page.contains("<code>infrastructure</code> source 203.0.113.7 is listed (&lt;script&gt;")
    );
    assert!(!page.contains("id=\"unattributed\""));
    let other = send(&app, console(Method::GET, "/campaigns/c2", &s, None)).await;
    assert_eq!(other.status, StatusCode::OK);
    assert!(other.body.contains("id=\"unattributed\""));
    assert!(!other.body.contains("class=\"actor\""));
    // Links to hostile names are percent-encoded.
    assert!(page.contains("href=\"/organisations/Org%20%3Cscript%3Ealert%281%29%3C%2Fscript%3E\""));
    // Unknown console pages and errors are pages too, escaped.
    let r = send(
        &app,
        console(
            Method::GET,
            "/campaigns/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
            &s,
            None,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(!r.body.contains(SCRIPT));
    let r = send(
        &app,
        console(Method::GET, "/campaigns?severity=%3Cscript%3E", &s, None),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("severity: expected"));
    assert_eq!(
        send(&app, console(Method::GET, "/elsewhere", &s, None))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn campaign_list_filters(app: Router, b: Arc<Fixture>) {
    let s = login(&app, b.viewer.as_str()).await;
    let r = send(
        &app,
        console(Method::GET, "/campaigns?severity=high", &s, None),
    )
    .await;
    assert!(r.body.contains("href=\"/campaigns/c1\""));
    assert!(!r.body.contains("href=\"/campaigns/c2\""));
    assert!(r
        .body
        .contains("<option value=\"high\" selected>high</option>"));
    let r = send(&app, console(Method::GET, "/campaigns", &s, None)).await;
    assert!(r.body.contains("href=\"/campaigns/c1\"") && r.body.contains("href=\"/campaigns/c2\""));
    assert!(r.body.contains("2 campaigns"));
}
