//! The read side: campaign and alert pages, one campaign or alert in full,
//! evidence, and every alert (for regrouping).

use crate::codec::{
    alert_from_row, campaign_from_row, evidence_from_row, masks_with, sector_bit, severity_rank,
    state_from_row, ALERT_COLS, CAMPAIGN_COLS,
};
use crate::db::{marks, Dialect, Row, Tx, P};
use crate::types::{
    AlertQuery, CampaignDetail, CampaignQuery, CampaignRow, Note, NotificationQuery, Page,
};
use crate::Result;
use haboob_model::{Alert, Evidence, Ts};
use std::collections::{BTreeSet, HashMap};

/// Largest page.
pub(crate) const MAX_PAGE: u32 = 500;
/// Page size when none is asked for.
pub(crate) const DEFAULT_PAGE: u32 = 50;

pub(crate) fn page_size(limit: u32) -> u32 {
    match limit {
        0 => DEFAULT_PAGE,
        n => n.min(MAX_PAGE),
    }
}

/// A `WHERE` clause built from optional filters, with its parameters.
#[derive(Default)]
pub(crate) struct Where<'a> {
    clauses: Vec<String>,
    pub(crate) params: Vec<P<'a>>,
}

impl<'a> Where<'a> {
    pub(crate) fn add(&mut self, clause: &'static str, params: impl IntoIterator<Item = P<'a>>) {
        self.add_owned(clause.to_string(), params);
    }
    /// [`Where::add`] with a clause built by the code (placeholders only,
    /// never a value).
    pub(crate) fn add_owned(&mut self, clause: String, params: impl IntoIterator<Item = P<'a>>) {
        self.clauses.push(clause);
        self.params.extend(params);
    }
    pub(crate) fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }
}

fn next_offset(offset: u64, got: usize, total: u64) -> Option<u64> {
    let end = offset.saturating_add(got as u64);
    (got > 0 && end < total).then_some(end)
}

pub(crate) fn campaign_row(url: &str, mut r: Row) -> Result<CampaignRow> {
    let c = campaign_from_row(url, &mut r)?;
    let state = state_from_row(&mut r);
    let organisations: BTreeSet<String> = c
        .targets
        .iter()
        .filter_map(|t| t.organisation.clone())
        .collect();
    Ok(CampaignRow {
        sources: r.uint(24),
        alerts: r.uint(25),
        targets: c.targets.iter().map(|t| t.name.clone()).collect(),
        organisations: organisations.into_iter().collect(),
        id: c.id,
        summary: c.summary,
        severity: c.severity,
        state,
        funnel: c.funnel,
        first_seen: c.first_seen,
        last_seen: c.last_seen,
    })
}

/// A filter matching at most this many campaigns is paged by sorting its
/// matches; more are paged by walking the list order (see [`campaigns`]).
const SORT_AT_MOST: u64 = 20_000;

pub(crate) fn campaigns(tx: &mut Tx<'_>, q: &CampaignQuery) -> Result<Page<CampaignRow>> {
    // `walk`: the same conditions made unusable as index keys (SQLite's
    // unary `+`), so that the page walks the list-order index instead.
    let mut w = Where::default();
    let mut walk = Where::default();
    if let Some(s) = q.min_severity {
        let p = [P::Int(severity_rank(s))];
        w.add("c.severity >= ?", p);
        walk.add("c.severity >= ?", p);
    }
    let masks = q
        .sector
        .map(|s| masks_with(sector_bit(s)))
        .unwrap_or_default();
    if !masks.is_empty() {
        let p = masks.iter().map(|m| P::Int(*m));
        w.add_owned(
            format!("c.sector_mask IN ({})", marks(masks.len())),
            p.clone(),
        );
        walk.add_owned(format!("+c.sector_mask IN ({})", marks(masks.len())), p);
    }
    if let Some(o) = q.organisation.as_deref() {
        let sql = "c.id IN (SELECT campaign_id FROM campaign_targets WHERE organisation = ?)";
        w.add(sql, [P::Text(o)]);
        walk.add(sql, [P::Text(o)]);
    }
    if let Some(t) = q.tool.as_deref() {
        let sql = "c.id IN (SELECT campaign_id FROM campaign_tools WHERE tool = ?)";
        w.add(sql, [P::Text(t)]);
        walk.add(sql, [P::Text(t)]);
    }
    if let Some(s) = q.status {
        w.add("c.status = ?", [P::Text(s.as_str())]);
        walk.add("+c.status = ?", [P::Text(s.as_str())]);
    }
    if let Some(t) = q.since {
        w.add("c.last_seen >= ?", [P::Int(t.0)]);
        walk.add("+c.last_seen >= ?", [P::Int(t.0)]);
    }
    if let Some(t) = q.until {
        w.add("c.first_seen <= ?", [P::Int(t.0)]);
        walk.add("+c.first_seen <= ?", [P::Int(t.0)]);
    }
    if !q.include_superseded {
        w.add("c.superseded_by IS NULL", []);
        walk.add("c.superseded_by IS NULL", []);
    }
    let cond = w.sql();
    let total = tx.count(
        "campaigns: count",
        &format!("SELECT COUNT(*) FROM campaigns c{cond}"),
        &w.params,
    )?;
    // How to page: the count says how many match.
    // - Few (up to 20,000) and some filter besides severity: sort the
    //   matches, found through the filter's index (a range that holds
    //   only them, e.g. `campaigns_sector` for sector + status + time).
    //   The list order is made unusable for the sort (`+c.severity`), or
    //   else a planner may walk the list order instead: PostgreSQL's
    //   statistics cannot see that the matches sit at its end (a filter
    //   correlated with severity), and it then walks past ~45,000
    //   non-matching entries of 100,000 before the page.
    // - Many: walk the list order (`campaigns_live` covers every filter
    //   column) and stop after the page. SQLite plans without statistics
    //   and would rather read every match through a filter index and sort
    //   them (~100 ms for 75,000), so its filter columns are made unusable
    //   as index keys (unary `+`); PostgreSQL chooses this itself.
    // - A severity filter alone is a prefix of the list order: walked.
    let severity_only = q.sector.is_none()
        && q.organisation.is_none()
        && q.tool.is_none()
        && q.status.is_none()
        && q.since.is_none()
        && q.until.is_none();
    let sort = total <= SORT_AT_MOST && !severity_only;
    let (cond, mut params) = if tx.dialect() == Dialect::Sqlite && total > SORT_AT_MOST {
        (walk.sql(), walk.params)
    } else {
        (cond, w.params)
    };
    let first_key = if sort { "+c.severity" } else { "c.severity" };
    params.extend([P::Int(page_size(q.limit).into()), P::uint(q.offset)]);
    // The page's ids from the list index, then their (wide) rows.
    let rows = tx.query(
        "campaigns: page",
        &format!(
            "SELECT {CAMPAIGN_COLS} FROM campaigns WHERE id IN (\
             SELECT c.id FROM campaigns c{cond} \
             ORDER BY {first_key} DESC, c.last_seen DESC, c.id DESC LIMIT ? OFFSET ?) \
             ORDER BY severity DESC, last_seen DESC, id DESC"
        ),
        &params,
    )?;
    let items = rows
        .into_iter()
        .map(|r| campaign_row(tx.url, r))
        .collect::<Result<Vec<_>>>()?;
    Ok(Page {
        next_offset: next_offset(q.offset, items.len(), total),
        items,
        total,
    })
}

/// Attach evidence rows `(alert_id, file, line, raw)`, in order, to alerts.
fn attach_evidence(alerts: &mut [Alert], rows: Vec<Row>) {
    let mut by_id: HashMap<String, Vec<Evidence>> = HashMap::new();
    for mut r in rows {
        let id = r.text(0);
        let mut e = r;
        e.0.remove(0);
        by_id.entry(id).or_default().push(evidence_from_row(e));
    }
    for a in alerts {
        if let Some(ev) = by_id.remove(&a.id) {
            a.evidence = ev;
        }
    }
}

pub(crate) fn campaign(tx: &mut Tx<'_>, id: &str) -> Result<Option<CampaignDetail>> {
    let Some(mut r) = tx.one(
        "campaign",
        &format!("SELECT {CAMPAIGN_COLS} FROM campaigns WHERE id = ?"),
        &[P::Text(id)],
    )?
    else {
        return Ok(None);
    };
    let mut campaign = campaign_from_row(tx.url, &mut r)?;
    let state = state_from_row(&mut r);
    campaign.alerts = tx
        .query(
            "campaign: members",
            "SELECT alert_id FROM campaign_alerts WHERE campaign_id = ? ORDER BY seq",
            &[P::Text(id)],
        )?
        .into_iter()
        .map(|mut r| r.text(0))
        .collect();
    let mut alerts = tx
        .query(
            "campaign: alerts",
            &format!(
                "SELECT {ALERT_COLS} FROM alerts a \
                 WHERE a.id IN (SELECT alert_id FROM campaign_alerts WHERE campaign_id = ?) \
                 ORDER BY a.first_seen, a.id"
            ),
            &[P::Text(id)],
        )?
        .into_iter()
        .map(|r| alert_from_row(tx.url, r))
        .collect::<Result<Vec<_>>>()?;
    let ev = tx.query(
        "campaign: evidence",
        "SELECT e.alert_id, e.file, e.line, e.raw FROM evidence e \
         WHERE e.alert_id IN (SELECT alert_id FROM campaign_alerts WHERE campaign_id = ?) \
         ORDER BY e.alert_id, e.seq",
        &[P::Text(id)],
    )?;
    attach_evidence(&mut alerts, ev);
    let notes = tx
        .query(
            "campaign: notes",
            "SELECT author, at, body FROM notes WHERE campaign_id = ? ORDER BY at, id",
            &[P::Text(id)],
        )?
        .into_iter()
        .map(|mut r| Note {
            author: r.text(0),
            at: Ts(r.int(1)),
            text: r.text(2),
        })
        .collect();
    let notifications = crate::notify::list(
        tx,
        &NotificationQuery {
            campaign: Some(id.to_string()),
            limit: crate::notify::MAX_LIST,
            ..NotificationQuery::default()
        },
    )?;
    Ok(Some(CampaignDetail {
        campaign,
        state,
        alerts,
        notes,
        notifications,
    }))
}

pub(crate) fn alerts(tx: &mut Tx<'_>, q: &AlertQuery) -> Result<Page<Alert>> {
    // Addresses are stored in canonical text; accept any spelling.
    let source = q.source.as_deref().map(|s| {
        s.parse::<std::net::IpAddr>()
            .map_or_else(|_| s.to_string(), |ip| ip.to_string())
    });
    let mut w = Where::default();
    if let Some(c) = q.campaign.as_deref() {
        w.add(
            "a.id IN (SELECT alert_id FROM campaign_alerts WHERE campaign_id = ?)",
            [P::Text(c)],
        );
    }
    if let Some(d) = q.detector.as_deref() {
        w.add("a.detector = ?", [P::Text(d)]);
    }
    if let Some(s) = q.min_severity {
        w.add("a.severity >= ?", [P::Int(severity_rank(s))]);
    }
    if let Some(s) = source.as_deref() {
        w.add(
            "a.id IN (SELECT alert_id FROM alert_sources WHERE source = ?)",
            [P::Text(s)],
        );
    }
    if let Some(t) = q.target.as_deref() {
        w.add("a.target = ?", [P::Text(t)]);
    }
    if let Some(u) = q.user.as_deref() {
        w.add(
            "(a.user_name = ? OR a.id IN (SELECT alert_id FROM alert_accounts WHERE user_name = ?))",
            [P::Text(u), P::Text(u)],
        );
    }
    if let Some(t) = q.since {
        w.add("a.last_seen >= ?", [P::Int(t.0)]);
    }
    if let Some(t) = q.until {
        w.add("a.first_seen <= ?", [P::Int(t.0)]);
    }
    let cond = w.sql();
    let total = tx.count(
        "alerts: count",
        &format!("SELECT COUNT(*) FROM alerts a{cond}"),
        &w.params,
    )?;
    let mut params = w.params.clone();
    params.extend([P::Int(page_size(q.limit).into()), P::uint(q.offset)]);
    let items = tx
        .query(
            "alerts: page",
            &format!(
                "SELECT {ALERT_COLS} FROM alerts a{cond} ORDER BY a.first_seen, a.id LIMIT ? OFFSET ?"
            ),
            &params,
        )?
        .into_iter()
        .map(|r| alert_from_row(tx.url, r))
        .collect::<Result<Vec<_>>>()?;
    Ok(Page {
        next_offset: next_offset(q.offset, items.len(), total),
        items,
        total,
    })
}

pub(crate) fn alert(tx: &mut Tx<'_>, id: &str) -> Result<Option<Alert>> {
    let Some(r) = tx.one(
        "alert",
        &format!("SELECT {ALERT_COLS} FROM alerts a WHERE a.id = ?"),
        &[P::Text(id)],
    )?
    else {
        return Ok(None);
    };
    let mut a = alert_from_row(tx.url, r)?;
    a.evidence = evidence(tx, id)?;
    Ok(Some(a))
}

pub(crate) fn evidence(tx: &mut Tx<'_>, alert_id: &str) -> Result<Vec<Evidence>> {
    Ok(tx
        .query(
            "evidence",
            "SELECT file, line, raw FROM evidence WHERE alert_id = ? ORDER BY seq",
            &[P::Text(alert_id)],
        )?
        .into_iter()
        .map(evidence_from_row)
        .collect())
}

pub(crate) fn all_alerts(tx: &mut Tx<'_>) -> Result<Vec<Alert>> {
    let mut alerts = tx
        .query(
            "all_alerts",
            &format!("SELECT {ALERT_COLS} FROM alerts a ORDER BY a.first_seen, a.id"),
            &[],
        )?
        .into_iter()
        .map(|r| alert_from_row(tx.url, r))
        .collect::<Result<Vec<_>>>()?;
    let ev = tx.query(
        "all_alerts: evidence",
        "SELECT alert_id, file, line, raw FROM evidence ORDER BY alert_id, seq",
        &[],
    )?;
    attach_evidence(&mut alerts, ev);
    Ok(alerts)
}
