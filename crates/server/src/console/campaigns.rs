//! Campaign list, campaign page (funnel, timeline, sources, targets,
//! reasons, alerts and evidence, workflow), alert page, analyst actions.

use super::login::{check_csrf, form_fields};
use super::{
    charts, csrf_field, error_page, fetch_or_page, html_response, page, redirect, seg,
    severity_badge, status_badge, t, when, Viewer,
};
use crate::api::query::{self, Params};
use crate::api::{act, path_id};
use crate::auth::{require, ConsoleSession};
use crate::blocking::call;
use crate::{ApiError, AppState};
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use haboob_model::{Alert, Evidence};
use haboob_store::{Action, CampaignDetail, CampaignRow, Page, Principal, Role, Status};
use maud::{html, Markup};

/// Alerts listed on a campaign page at most.
const MAX_ALERTS: usize = 300;
/// Alerts whose evidence is shown on a campaign page at most.
const MAX_EVIDENCE_ALERTS: usize = 30;

fn funnel_cells(row: &CampaignRow) -> Markup {
    html! {
        @if let Some(f) = row.funnel {
            td.num { (f.identified) } td.num { (f.attacked) } td.num { (f.compromised) }
        } @else {
            td.num.muted { "–" } td.num.muted { "–" } td.num.muted { "–" }
        }
    }
}

/// A table of campaigns (list and organisation pages).
pub(crate) fn campaign_table(rows: &[CampaignRow]) -> Markup {
    html! {
        table.campaigns {
            thead { tr {
                th { "Severity" } th { "Status" } th { "Campaign" } th { "Organisations" }
                th { "Sources" } th { "Alerts" } th { "Identified" } th { "Attacked" } th { "Compromised" }
                th { "Last seen" }
            } }
            tbody {
                @for r in rows {
                    tr {
                        td { (severity_badge(r.severity)) }
                        td { (status_badge(r.state.status)) }
                        td { a.campaign-link href=(format!("/campaigns/{}", seg(&r.id))) { (t(&r.summary)) } }
                        td { @for (i, o) in r.organisations.iter().enumerate() {
                            @if i > 0 { ", " }
                            a href=(format!("/organisations/{}", seg(o))) { (t(o)) }
                        } }
                        td.num { (r.sources) } td.num { (r.alerts) }
                        (funnel_cells(r))
                        td { (when(r.last_seen)) }
                    }
                }
            }
        }
    }
}

fn select(name: &str, label: &str, options: &[&str], current: Option<&str>) -> Markup {
    html! {
        label { (label) " "
            select name=(name) data-autosubmit="" {
                option value="" { "any" }
                @for o in options {
                    option value=(o) selected[current == Some(*o)] { (o) }
                }
            }
        }
    }
}

/// GET /campaigns.
pub(crate) async fn list(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Extension(session): Extension<ConsoleSession>,
    RawQuery(raw): RawQuery,
) -> Response {
    let p = match Params::parse(raw.as_deref(), query::CAMPAIGN_PARAMS) {
        Ok(p) => p,
        Err(e) => return error_page(&e),
    };
    let q = match query::campaign_query(&p) {
        Ok(q) => q,
        Err(e) => return error_page(&e),
    };
    let qq = q.clone();
    let page_rows: Page<CampaignRow> = match call(&s.store, move |b| b.campaigns(&qq)).await {
        Ok(r) => r,
        Err(e) => return error_page(&e),
    };
    let link = |offset: u64| {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for name in [
            "severity",
            "sector",
            "organisation",
            "tool",
            "status",
            "since",
            "until",
        ] {
            if let Some(v) = p.str(name) {
                ser.append_pair(name, v);
            }
        }
        ser.append_pair("offset", &offset.to_string());
        format!("/campaigns?{}", ser.finish())
    };
    let limit = u64::from(if q.limit == 0 { 50 } else { q.limit });
    let viewer = Viewer {
        who: &who,
        session: &session,
    };
    let body = html! {
        h1 { "Campaigns" }
        form.filters method="get" action="/campaigns" {
            (select("severity", "Severity at least", &["low", "medium", "high", "critical"], p.str("severity")))
            (select("status", "Status", &["new", "triaged", "notified", "closed"], p.str("status")))
            (select("sector", "Sector", &["election", "news", "campaign", "government", "other"], p.str("sector")))
            label { "Organisation " input type="text" name="organisation" value=(p.str("organisation").unwrap_or("")); }
            label { "Tool " input type="text" name="tool" value=(p.str("tool").unwrap_or("")); }
            button type="submit" { "Filter" }
        }
        p.muted id="campaign-total" { (page_rows.total) @if page_rows.total == 1 { " campaign" } @else { " campaigns" } }
        (campaign_table(&page_rows.items))
        nav.pager {
            @if q.offset > 0 { a href=(link(q.offset.saturating_sub(limit))) { "← Previous" } }
            @if let Some(n) = page_rows.next_offset { a href=(link(n)) { "Next →" } }
        }
    };
    html_response(StatusCode::OK, page("Campaigns", Some(&viewer), body))
}

/// Statuses the workflow allows next.
fn next_statuses(s: Status) -> &'static [Status] {
    match s {
        Status::New => &[Status::Triaged],
        Status::Triaged => &[Status::Notified],
        Status::Notified => &[Status::Closed],
        Status::Closed => &[Status::Triaged],
    }
}

pub(crate) fn evidence_list(ev: &[Evidence]) -> Markup {
    html! {
        ol.evidence {
            @for e in ev {
                li.evidence-line {
                    span.loc { (t(&e.file)) ":" (e.line) }
                    code.raw { (crate::text::clean(&e.raw, 4096)) }
                }
            }
        }
    }
}

fn source_text(a: &Alert) -> String {
    match (&a.source.prefix, &a.source.ip) {
        (Some(p), _) => t(p),
        (None, Some(ip)) => ip.to_string(),
        (None, None) => "–".to_string(),
    }
}

fn alerts_table(alerts: &[Alert]) -> Markup {
    html! {
        table.alerts {
            thead { tr {
                th { "Severity" } th { "Detector" } th { "Alert" } th { "Source" } th { "Target" }
                th { "Account" } th { "Events" } th { "First seen" } th { "Evidence" }
            } }
            tbody {
                @for a in alerts.iter().take(MAX_ALERTS) {
                    tr {
                        td { (severity_badge(a.severity)) }
                        td { code { (t(&a.detector)) } }
                        td { a href=(format!("/alerts/{}", seg(&a.id))) { (t(&a.title)) } }
                        td { (source_text(a)) }
                        td { (t(&a.target)) }
                        td { @if let Some(u) = &a.user { (t(u)) } }
                        td.num { (a.count) }
                        td { (when(a.first_seen)) }
                        td { @if !a.evidence.is_empty() {
                            a href=(format!("#ev-{}", seg(&a.id))) { (a.evidence.len()) " lines" }
                        } }
                    }
                }
            }
        }
        @if alerts.len() > MAX_ALERTS { p.muted { "Showing " (MAX_ALERTS) " of " (alerts.len()) " alerts." } }
    }
}

/// The evidence viewer: each alert's raw lines, escaped.
fn evidence_blocks(alerts: &[Alert]) -> Markup {
    let with: Vec<&Alert> = alerts.iter().filter(|a| !a.evidence.is_empty()).collect();
    html! {
        @for a in with.iter().take(MAX_EVIDENCE_ALERTS) {
            div.ev-block id=(format!("ev-{}", seg(&a.id))) {
                h3 { (severity_badge(a.severity)) " " a href=(format!("/alerts/{}", seg(&a.id))) { (t(&a.title)) }
                    span.muted { " · " (t(&a.detector)) " · " (source_text(a)) } }
                (evidence_list(&a.evidence))
            }
        }
        @if with.len() > MAX_EVIDENCE_ALERTS {
            p.muted { "Evidence of the first " (MAX_EVIDENCE_ALERTS) " of " (with.len()) " alerts; the others on their alert pages." }
        }
    }
}

fn workflow(d: &CampaignDetail, viewer: &Viewer<'_>) -> Markup {
    let id = &d.campaign.id;
    let action = format!("/campaigns/{}/actions", seg(id));
    html! {
        section.workflow {
            h2 { "Workflow" }
            p { "Status " span id="status" { (status_badge(d.state.status)) }
                " · assignee " span id="assignee" { (d.state.assignee.as_deref().map(t).unwrap_or_else(|| "nobody".into())) }
                " · revision " (d.state.revision) " · updated " (when(d.state.updated_at)) }
            @if let Some(by) = &d.state.superseded_by {
                p.notice { "Regrouped into " a href=(format!("/campaigns/{}", seg(by))) { (t(by)) } "." }
            }
            @if viewer.who.role >= Role::Analyst {
                div.forms {
                    @for next in next_statuses(d.state.status) {
                        @let name = query::status_str(*next);
                        form.status-form method="post" action=(action) {
                            (csrf_field(viewer.session))
                            input type="hidden" name="action" value="set_status";
                            input type="hidden" name="status" value=(name);
                            button id=(format!("to-{name}")) type="submit" { "Move to " (name) }
                        }
                    }
                    form method="post" action=(action) {
                        (csrf_field(viewer.session))
                        input type="hidden" name="action" value="assign";
                        label { "Assignee " input type="text" name="assignee" maxlength="256"
                            value=(d.state.assignee.as_deref().unwrap_or("")); }
                        button type="submit" { "Assign" }
                    }
                    form method="post" action=(action) {
                        (csrf_field(viewer.session))
                        input type="hidden" name="action" value="note";
                        label { "Note " textarea name="text" rows="2" maxlength="8192" required {} }
                        button type="submit" { "Add note" }
                    }
                }
            } @else {
                p.muted { "Viewers cannot change campaigns." }
            }
            @if !d.notes.is_empty() {
                h3 { "Notes" }
                ul.notes { @for n in &d.notes {
                    li { span.muted { (when(n.at)) " · " (t(&n.author)) } " " (crate::text::clean(&n.text, 8192)) }
                } }
            }
        }
    }
}

/// GET /campaigns/{id}.
/// Who it may be: ranked candidates with confidence and reasons, or why
/// the campaign is unattributed.
fn attribution(c: &haboob_model::Campaign) -> Markup {
    html! {
        section.attribution id="attribution" {
            h2 { "Attribution" }
            @if c.attribution.is_empty() {
                p.muted id="unattributed" { "Unattributed: no infrastructure or tooling evidence ties this campaign to a known actor." }
            } @else {
                table { thead { tr { th { "Candidate" } th { "Confidence" } th { "Reasons" } } }
                    tbody { @for a in c.attribution.iter().take(10) { tr.candidate {
                        td { strong.actor { (t(&a.actor)) }
                            @if !a.aliases.is_empty() { br; span.muted { (a.aliases.iter().map(|x| t(x)).collect::<Vec<_>>().join(", ")) } } }
                        td.confidence { (a.confidence) "%" }
                        td { ul.reasons { @for r in a.reasons.iter().take(20) {
                            li { code { (reason_kind(r.kind)) } " " (t(&r.text)) } } } }
                    } } } }
            }
        }
    }
}

fn reason_kind(k: haboob_model::intel::ReasonKind) -> &'static str {
    use haboob_model::intel::ReasonKind as K;
    match k {
        K::Infrastructure => "infrastructure",
        K::Technique => "technique",
        K::Targeting => "targeting",
        K::Tooling => "tooling",
        K::Timing => "timing",
    }
}

pub(crate) async fn show(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Extension(session): Extension<ConsoleSession>,
    Path(id): Path<String>,
) -> Response {
    let d = match fetch_or_page(&s, "id", id, "campaign", |b, id| b.campaign(id)).await {
        Ok(d) => d,
        Err(page) => return page,
    };
    let viewer = Viewer {
        who: &who,
        session: &session,
    };
    let c = &d.campaign;
    let body = html! {
        p.crumbs { a href="/campaigns" { "Campaigns" } " / " code { (t(&c.id)) } }
        h1 { (severity_badge(c.severity)) " " (t(&c.summary)) }
        p.muted { (when(c.first_seen)) " – " (when(c.last_seen)) " · " (c.sources.len()) " sources · "
            (c.alerts.len()) " alerts · detectors " (c.detectors.iter().map(|d| t(d)).collect::<Vec<_>>().join(", "))
            @if !c.techniques.is_empty() { " · ATT&CK " (c.techniques.iter().map(|d| t(d)).collect::<Vec<_>>().join(", ")) }
            @if !c.tools.is_empty() { " · tools " span #campaign-tools { (c.tools.iter().map(|d| t(d)).collect::<Vec<_>>().join(", ")) } } }
        (attribution(c))
        (workflow(&d, &viewer))
        @if let Some(f) = c.funnel {
            section.funnel {
                h2 { "Funnel" }
                table.funnel-figures { tbody { tr {
                    th { "Attempts" } td id="funnel-attempts" { (f.attempts) }
                    th { "Probed" } td id="funnel-probed" { (f.probed) }
                    th { "Identified" } td id="funnel-identified" { (f.identified) }
                    th { "Attacked" } td id="funnel-attacked" { (f.attacked) }
                    th { "Compromised" } td id="funnel-compromised" { (f.compromised) }
                } } }
                (charts::funnel(c))
                @if !c.compromised.is_empty() {
                    p { "Compromised accounts: " @for (i, u) in c.compromised.iter().enumerate() {
                        @if i > 0 { ", " } strong.account { (t(u)) } } }
                }
            }
        }
        section { h2 { "Activity per source" } (charts::timeline(c, &d.alerts)) }
        section.two {
            div {
                h2 { "Targets" }
                table { thead { tr { th { "Target" } th { "Organisation" } th { "Sector" } th { "Region" } } }
                    tbody { @for tg in &c.targets { tr {
                        td { (t(&tg.name)) }
                        td { @if let Some(o) = &tg.organisation { a href=(format!("/organisations/{}", seg(o))) { (t(o)) } } }
                        td { (tg.sector.as_str()) }
                        td { @if let Some(r) = &tg.region { (t(r)) } }
                    } } } }
            }
            div {
                h2 { "Why grouped" }
                ul.reasons { @for r in &c.reasons { li { (t(r)) } } }
                h2 { "Sources (" (c.sources.len() + c.actors.len()) ")" }
                ul.sources { @for ip in c.sources.iter().take(200) { li { code { (ip) } } }
                    @for a in c.actors.iter().take(50) { li { code { (t(a)) } } } }
                @if c.sources.len() > 200 { p.muted { "and " (c.sources.len() - 200) " more" } }
            }
        }
        section { h2 { "Alerts" } (alerts_table(&d.alerts)) }
        section.evidence-viewer { h2 { "Evidence" } (evidence_blocks(&d.alerts)) }
        @if !d.notifications.is_empty() {
            section { h2 { "Notifications" } (super::organisations::notification_table(&d.notifications)) }
        }
    };
    html_response(StatusCode::OK, page(&t(&c.summary), Some(&viewer), body))
}

fn form_action(fields: &std::collections::HashMap<String, String>) -> Result<Action, ApiError> {
    let get = |k: &str| fields.get(k).map(String::as_str).unwrap_or("");
    match get("action") {
        "set_status" => Ok(Action::SetStatus {
            status: query::parse_status(get("status")).ok_or_else(|| {
                ApiError::param("status", "expected new, triaged, notified or closed")
            })?,
        }),
        "assign" => {
            let a = get("assignee").trim();
            Ok(Action::Assign {
                assignee: (!a.is_empty()).then(|| a.to_string()),
            })
        }
        "note" => Ok(Action::Note {
            text: get("text").to_string(),
        }),
        _ => Err(ApiError::param(
            "action",
            "expected set_status, assign or note",
        )),
    }
}

/// POST /campaigns/{id}/actions (console form; CSRF checked, analyst+).
pub(crate) async fn action(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Extension(session): Extension<ConsoleSession>,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    let result = async {
        let fields = form_fields(body).await?;
        check_csrf(&fields, &session)?;
        require(&who, Role::Analyst)?;
        let id = path_id("id", id)?;
        let action = form_action(&fields)?;
        act(&s, who, id.clone(), action).await?;
        Ok::<_, ApiError>(id)
    }
    .await;
    match result {
        Ok(id) => redirect(&format!("/campaigns/{}", seg(&id))),
        Err(e) => error_page(&e),
    }
}

/// GET /alerts/{id}: one alert and its evidence.
pub(crate) async fn alert_page(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Extension(session): Extension<ConsoleSession>,
    Path(id): Path<String>,
) -> Response {
    let a = match fetch_or_page(&s, "id", id, "alert", |b, id| b.alert(id)).await {
        Ok(a) => a,
        Err(page) => return page,
    };
    let viewer = Viewer {
        who: &who,
        session: &session,
    };
    let body = html! {
        h1 { (severity_badge(a.severity)) " " (t(&a.title)) }
        table.facts { tbody {
            tr { th { "Id" } td { code { (t(&a.id)) } } }
            tr { th { "Detector" } td { code { (t(&a.detector)) } } }
            tr { th { "Source" } td { (source_text(&a)) } }
            tr { th { "Target" } td { (t(&a.target)) } }
            tr { th { "Account" } td { @if let Some(u) = &a.user { (t(u)) } } }
            tr { th { "Events" } td { (a.count) } }
            tr { th { "Seen" } td { (when(a.first_seen)) " – " (when(a.last_seen)) } }
            tr { th { "ATT&CK" } td { (a.techniques.iter().map(|x| t(x)).collect::<Vec<_>>().join(", ")) } }
            @for (k, v) in &a.details {
                tr { th { (t(k)) } td { code { (crate::text::clean(&v.to_string(), 500)) } } }
            }
        } }
        h2 { "Evidence" }
        (evidence_list(&a.evidence))
    };
    html_response(StatusCode::OK, page(&t(&a.title), Some(&viewer), body))
}
