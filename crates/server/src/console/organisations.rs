//! Organisation list and page: what hit it, its accounts and their stage,
//! its contacts and the notifications sent to it.

use super::campaigns::campaign_table;
use super::{error_page, fetch_or_page, html_response, page, seg, severity_badge, t, when, Viewer};
use crate::auth::ConsoleSession;
use crate::blocking::call;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use haboob_store::{AccountStage, NotificationRow, NotificationState, Principal};
use maud::{html, Markup};

/// Accounts listed on an organisation page at most.
const MAX_ACCOUNTS: usize = 500;

/// A table of notifications (campaign and organisation pages).
pub(crate) fn notification_table(rows: &[NotificationRow]) -> Markup {
    html! {
        table.notifications {
            thead { tr { th { "State" } th { "Organisation" } th { "Channel" } th { "To" } th { "Subject" }
                th { "Revision" } th { "Attempts" } th { "Sent" } th { "Last error" } } }
            tbody { @for n in rows { tr {
                td { span class=(format!("badge nt-{}", state_str(n.state))) { (state_str(n.state)) } }
                td { (t(&n.organisation)) }
                td { (t(&n.channel)) }
                td { (t(&n.address)) }
                td { (t(&n.subject)) }
                td.num { (n.revision) }
                td.num { (n.attempts) }
                td { @if let Some(s) = n.sent_at { (when(s)) } @else if n.state == NotificationState::Pending { "next " (when(n.next_attempt_at)) } }
                td { @if let Some(e) = &n.last_error { (t(e)) } }
            } } }
        }
    }
}

fn state_str(s: NotificationState) -> &'static str {
    match s {
        NotificationState::Pending => "pending",
        NotificationState::Sent => "sent",
        NotificationState::Failed => "failed",
    }
}

fn stage_str(s: AccountStage) -> &'static str {
    match s {
        AccountStage::Identified => "identified",
        AccountStage::Attacked => "attacked",
        AccountStage::Compromised => "compromised",
    }
}

/// GET /organisations.
pub(crate) async fn list(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Extension(session): Extension<ConsoleSession>,
) -> Response {
    let rows = match call(&s.store, |b| b.organisations()).await {
        Ok(r) => r,
        Err(e) => return error_page(&e),
    };
    let viewer = Viewer {
        who: &who,
        session: &session,
    };
    let body = html! {
        h1 { "Organisations" }
        table.organisations {
            thead { tr { th { "Organisation" } th { "Sector" } th { "Region" } th { "Targets" }
                th { "Campaigns" } th { "Highest severity" } th { "Compromised accounts" } } }
            tbody { @for o in &rows { tr {
                td { a.org-link href=(format!("/organisations/{}", seg(&o.name))) { (t(&o.name)) } }
                td { (o.sector.as_str()) }
                td { @if let Some(r) = &o.region { (t(r)) } }
                td { (o.targets.iter().map(|x| t(x)).collect::<Vec<_>>().join(", ")) }
                td.num { (o.campaigns) }
                td { @if let Some(sev) = o.max_severity { (severity_badge(sev)) } }
                td.num { (o.compromised) }
            } } }
        }
    };
    html_response(StatusCode::OK, page("Organisations", Some(&viewer), body))
}

/// GET /organisations/{name}.
pub(crate) async fn show(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Extension(session): Extension<ConsoleSession>,
    Path(name): Path<String>,
) -> Response {
    let d = match fetch_or_page(&s, "name", name, "organisation", |b, n| b.organisation(n)).await {
        Ok(d) => d,
        Err(page) => return page,
    };
    let viewer = Viewer {
        who: &who,
        session: &session,
    };
    let o = &d.row;
    let body = html! {
        p.crumbs { a href="/organisations" { "Organisations" } }
        h1 { (t(&o.name)) }
        p.muted { (o.sector.as_str()) @if let Some(r) = &o.region { " · " (t(r)) }
            " · targets " (o.targets.iter().map(|x| t(x)).collect::<Vec<_>>().join(", "))
            " · " (o.campaigns) " campaigns · " span id="org-compromised" { (o.compromised) } " accounts compromised" }
        section { h2 { "What hit it" } (campaign_table(&d.campaigns)) }
        section { h2 { "Notifications" }
            @if d.notifications.is_empty() { p.muted id="notification-state" { "Not notified yet." } }
            @else { (notification_table(&d.notifications)) } }
        section.two {
            div {
                h2 { "Accounts" }
                table.accounts { thead { tr { th { "Account" } th { "Stage" } th { "Campaigns" } } }
                    tbody { @for a in d.accounts.iter().take(MAX_ACCOUNTS) { tr {
                        td { (t(&a.user)) }
                        td { span class=(format!("badge stage-{}", stage_str(a.stage))) { (stage_str(a.stage)) } }
                        td { @for (i, c) in a.campaigns.iter().enumerate() {
                            @if i > 0 { ", " } a href=(format!("/campaigns/{}", seg(c))) { code { (t(c)) } } } }
                    } } } }
                @if d.accounts.len() > MAX_ACCOUNTS { p.muted { "and " (d.accounts.len() - MAX_ACCOUNTS) " more accounts" } }
            }
            div {
                h2 { "Contacts" }
                @if d.contacts.is_empty() { p.muted { "No contact in targets.toml." } }
                ul { @for c in &d.contacts { li { (t(&c.channel)) ": " (t(&c.address)) } } }
            }
        }
    };
    html_response(StatusCode::OK, page(&t(&o.name), Some(&viewer), body))
}
