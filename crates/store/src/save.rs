//! [`crate::Store::save_hunt`]: alerts, campaigns, targets, contacts and
//! checkpoints of one hunt, upserted in one transaction.

use crate::codec::{
    bound, digest, json, sector_bit, severity_rank, MAX_NAME_BYTES, MAX_TEXT_BYTES,
};
use crate::db::{Tx, P};
use crate::org_summary::{self, OrgDelta, TargetRow};
use crate::types::{HuntWrite, SaveSummary, Status};
use crate::Result;
use haboob_model::{Campaign, Funnel};
use std::collections::{BTreeSet, HashMap, HashSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    New,
    Updated,
    Same,
}

pub(crate) fn save_hunt(tx: &mut Tx<'_>, w: &HuntWrite<'_>) -> Result<SaveSummary> {
    let at = w.ran_at.0;
    let mut sum = SaveSummary::default();
    org_summary::lock(tx)?;
    let mut orgs = OrgDelta::default();
    let mut retracted = 0;
    for id in w.retract_alerts {
        retracted += tx.exec(
            "save_hunt: retract alert",
            "DELETE FROM alerts WHERE id = ?",
            &[P::Text(id)],
        )?;
    }
    crate::save_alerts::save_alerts(tx, w.alerts, at, &mut sum)?;
    for c in w.campaigns {
        match upsert_campaign(tx, c, at, &mut orgs)? {
            Change::New => sum.campaigns_new += 1,
            Change::Updated => sum.campaigns_updated += 1,
            Change::Same => {}
        }
    }
    let superseded = if w.campaigns_complete {
        supersede(tx, w.campaigns, at, &mut orgs)?
    } else {
        0
    };
    org_summary::apply(tx, &orgs)?;
    save_targets(tx, w, at)?;
    for (key, blob) in w.checkpoints {
        tx.exec(
            "save_hunt: checkpoint",
            "INSERT INTO checkpoints (ckey, blob, updated_at) VALUES (?, ?, ?) \
             ON CONFLICT (ckey) DO UPDATE SET blob = excluded.blob, updated_at = excluded.updated_at",
            &[P::Text(key), P::Blob(blob), P::Int(at)],
        )?;
    }
    tx.exec(
        "save_hunt: record run",
        "INSERT INTO runs (ran_at, alerts, alerts_new, alerts_updated, alerts_retracted, \
         campaigns, campaigns_new, campaigns_updated, campaigns_superseded) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &[
            P::Int(at),
            P::uint(w.alerts.len() as u64),
            P::uint(sum.alerts_new),
            P::uint(sum.alerts_updated),
            P::uint(retracted),
            P::uint(w.campaigns.len() as u64),
            P::uint(sum.campaigns_new),
            P::uint(sum.campaigns_updated),
            P::uint(superseded),
        ],
    )?;
    tracing::debug!(
        alerts_new = sum.alerts_new,
        alerts_updated = sum.alerts_updated,
        campaigns_new = sum.campaigns_new,
        campaigns_updated = sum.campaigns_updated,
        superseded,
        retracted,
        "hunt saved"
    );
    Ok(sum)
}

pub(crate) fn checkpoint(tx: &mut Tx<'_>, key: &str) -> Result<Option<Vec<u8>>> {
    Ok(tx
        .one(
            "checkpoint",
            "SELECT blob FROM checkpoints WHERE ckey = ?",
            &[P::Text(key)],
        )?
        .map(|mut r| r.blob(0)))
}

/// Insert rows of `ncols` parameters each, up to 64 per statement.
pub(crate) fn insert_many(
    tx: &mut Tx<'_>,
    op: &str,
    head: &str,
    ncols: usize,
    params: &[P<'_>],
) -> Result<()> {
    tx.insert_many(op, head, ncols, params)
}

fn upsert_campaign(tx: &mut Tx<'_>, c: &Campaign, at: i64, orgs: &mut OrgDelta) -> Result<Change> {
    let d = digest(c);
    let old = tx.one(
        "save_hunt: read campaign",
        "SELECT digest, superseded_by, severity FROM campaigns WHERE id = ?",
        &[P::Text(&c.id)],
    )?;
    let change = match &old {
        Some(r) if r.str(0) == Some(d.as_str()) => {
            if r.str(1).is_some() {
                // Current again (e.g. a regrouping was undone): live once more.
                tx.exec(
                    "save_hunt: revive campaign",
                    "UPDATE campaigns SET superseded_by = NULL, updated_at = ? WHERE id = ?",
                    &[P::Int(at), P::Text(&c.id)],
                )?;
                let rows = org_summary::stored_targets(tx, &c.id)?;
                orgs.campaign(&rows, r.int(2), 1);
            }
            return Ok(Change::Same);
        }
        Some(r) => {
            // Its stored targets and (when live) its place in the counts go.
            let rows = org_summary::stored_targets(tx, &c.id)?;
            orgs.targets(&rows, -1);
            if r.str(1).is_none() {
                orgs.campaign(&rows, r.int(2), -1);
            }
            Change::Updated
        }
        None => Change::New,
    };
    let f = c.funnel.unwrap_or_default();
    let Funnel {
        attempts,
        probed,
        identified,
        attacked,
        compromised,
    } = f;
    let (sources, targets, detectors) = (json(&c.sources), json(&c.targets), json(&c.detectors));
    let (techniques, reasons) = (json(&c.techniques), json(&c.reasons));
    let (by_target, owned, actors) = (
        json(&c.funnel_by_target),
        json(&c.compromised),
        json(&c.actors),
    );
    let attribution = json(&c.attribution);
    let (stages, tools) = (json(&c.stages), json(&c.tools));
    let content = [
        P::Text(bound(&c.summary, MAX_TEXT_BYTES)),
        P::Int(severity_rank(c.severity)),
        P::Int(c.first_seen.0),
        P::Int(c.last_seen.0),
        P::Text(&sources),
        P::uint(c.sources.len() as u64),
        P::Text(&targets),
        P::uint(c.alerts.len() as u64),
        P::Text(&detectors),
        P::Text(&techniques),
        P::Text(&reasons),
        P::Text(&owned),
        P::Text(&actors),
        P::Text(&by_target),
        P::Int(i64::from(c.funnel.is_some())),
        P::uint(attempts),
        P::uint(probed),
        P::uint(identified),
        P::uint(attacked),
        P::uint(compromised),
        P::Text(&d),
        P::Int(at),
        P::Int(c.targets.iter().fold(0, |m, t| m | sector_bit(t.sector))),
        P::Text(&attribution),
        P::Text(&stages),
        P::Text(&tools),
    ];
    if change == Change::New {
        let mut params = vec![P::Text(&c.id)];
        params.extend(content);
        params.extend([P::Text(Status::New.as_str()), P::Int(at)]);
        tx.exec(
            "save_hunt: insert campaign",
            "INSERT INTO campaigns (id, summary, severity, first_seen, last_seen, sources, \
             n_sources, targets, n_alerts, detectors, techniques, reasons, compromised, actors, \
             funnel_by_target, has_funnel, funnel_attempts, funnel_probed, funnel_identified, \
             funnel_attacked, funnel_compromised, digest, updated_at, sector_mask, attribution, \
             stages, tools, status, created_at, revision) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
            &params,
        )?;
    } else {
        let mut params = content.to_vec();
        params.push(P::Text(&c.id));
        tx.exec(
            "save_hunt: update campaign",
            "UPDATE campaigns SET summary = ?, severity = ?, first_seen = ?, last_seen = ?, \
             sources = ?, n_sources = ?, targets = ?, n_alerts = ?, detectors = ?, \
             techniques = ?, reasons = ?, compromised = ?, actors = ?, funnel_by_target = ?, \
             has_funnel = ?, funnel_attempts = ?, funnel_probed = ?, funnel_identified = ?, \
             funnel_attacked = ?, funnel_compromised = ?, digest = ?, updated_at = ?, \
             sector_mask = ?, attribution = ?, stages = ?, tools = ?, revision = revision + 1, superseded_by = NULL \
             WHERE id = ?",
            &params,
        )?;
        for table in ["campaign_alerts", "campaign_targets", "campaign_tools"] {
            tx.exec(
                "save_hunt: replace campaign parts",
                &format!("DELETE FROM {table} WHERE campaign_id = ?"),
                &[P::Text(&c.id)],
            )?;
        }
    }
    let params: Vec<P<'_>> = c
        .alerts
        .iter()
        .enumerate()
        .flat_map(|(seq, a)| [P::Text(&c.id), P::uint(seq as u64), P::Text(a)])
        .collect();
    insert_many(
        tx,
        "save_hunt: insert campaign alerts",
        "INSERT INTO campaign_alerts (campaign_id, seq, alert_id)",
        3,
        &params,
    )?;
    let mut seen = BTreeSet::new();
    let rows: Vec<TargetRow> = c
        .targets
        .iter()
        .filter(|t| seen.insert(t.name.as_str()))
        .map(|t| TargetRow {
            organisation: t.organisation.clone(),
            target: t.name.clone(),
            sector: t.sector.as_str().to_string(),
            region: t.region.clone(),
        })
        .collect();
    let params: Vec<P<'_>> = rows
        .iter()
        .flat_map(|t| {
            [
                P::Text(&c.id),
                P::Text(&t.target),
                P::opt_text(t.organisation.as_deref()),
                P::Text(&t.sector),
                P::opt_text(t.region.as_deref()),
            ]
        })
        .collect();
    insert_many(
        tx,
        "save_hunt: insert campaign targets",
        "INSERT INTO campaign_targets (campaign_id, target, organisation, sector, region)",
        5,
        &params,
    )?;
    let tools: BTreeSet<&str> = c.tools.iter().map(|t| bound(t, MAX_NAME_BYTES)).collect();
    let params: Vec<P<'_>> = tools
        .iter()
        .flat_map(|t| [P::Text(&c.id), P::Text(t)])
        .collect();
    insert_many(
        tx,
        "save_hunt: insert campaign tools",
        "INSERT INTO campaign_tools (campaign_id, tool)",
        2,
        &params,
    )?;
    // Stored and live (an update revives a superseded campaign too).
    orgs.targets(&rows, 1);
    orgs.campaign(&rows, severity_rank(c.severity), 1);
    Ok(change)
}

/// Mark stored live campaigns that are not in `current` as superseded by
/// the current campaign sharing most of their alerts, carrying their
/// analyst state over. The number superseded.
fn supersede(tx: &mut Tx<'_>, current: &[Campaign], at: i64, orgs: &mut OrgDelta) -> Result<u64> {
    const OP: &str = "save_hunt: supersede campaigns";
    let ids: HashSet<&str> = current.iter().map(|c| c.id.as_str()).collect();
    let mut by_alert: HashMap<&str, usize> = HashMap::new();
    for (i, c) in current.iter().enumerate() {
        for a in &c.alerts {
            by_alert.entry(a.as_str()).or_insert(i);
        }
    }
    let live = tx.query(
        OP,
        "SELECT id, severity FROM campaigns WHERE superseded_by IS NULL ORDER BY id",
        &[],
    )?;
    let mut n = 0;
    for mut r in live {
        let old = r.text(0);
        if ids.contains(old.as_str()) {
            continue;
        }
        let members = tx.query(
            OP,
            "SELECT alert_id FROM campaign_alerts WHERE campaign_id = ?",
            &[P::Text(&old)],
        )?;
        let mut overlap: HashMap<usize, u64> = HashMap::new();
        for mut m in members {
            if let Some(&i) = by_alert.get(m.text(0).as_str()) {
                *overlap.entry(i).or_default() += 1;
            }
        }
        // Most shared alerts; on a tie the earlier campaign (hunt order).
        let Some((succ, _)) = overlap
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        else {
            tracing::debug!(campaign = %old, "no current campaign shares its alerts; kept");
            continue;
        };
        let succ = current[succ].id.as_str();
        carry_state(tx, &old, succ, at)?;
        tx.exec(
            OP,
            "UPDATE campaigns SET superseded_by = ?, updated_at = ? WHERE id = ?",
            &[P::Text(succ), P::Int(at), P::Text(&old)],
        )?;
        let rows = org_summary::stored_targets(tx, &old)?;
        orgs.campaign(&rows, r.int(1), -1);
        n += 1;
    }
    Ok(n)
}

/// Status and assignee go to the successor when it has none of its own;
/// notes are copied.
fn carry_state(tx: &mut Tx<'_>, old: &str, succ: &str, at: i64) -> Result<()> {
    const OP: &str = "save_hunt: carry analyst state";
    let sql = "SELECT status, assignee FROM campaigns WHERE id = ?";
    let (Some(mut o), Some(mut s)) = (
        tx.one(OP, sql, &[P::Text(old)])?,
        tx.one(OP, sql, &[P::Text(succ)])?,
    ) else {
        return Ok(());
    };
    let (old_status, old_assignee) = (o.text(0), o.opt_text(1));
    let (succ_status, succ_assignee) = (s.text(0), s.opt_text(1));
    if succ_status == Status::New.as_str() && old_status != succ_status {
        tx.exec(
            OP,
            "UPDATE campaigns SET status = ?, updated_at = ? WHERE id = ?",
            &[P::Text(&old_status), P::Int(at), P::Text(succ)],
        )?;
    }
    if let (None, Some(a)) = (succ_assignee, old_assignee.as_deref()) {
        tx.exec(
            OP,
            "UPDATE campaigns SET assignee = ?, updated_at = ? WHERE id = ?",
            &[P::Text(bound(a, MAX_NAME_BYTES)), P::Int(at), P::Text(succ)],
        )?;
    }
    let notes = tx.query(
        OP,
        "SELECT author, at, body FROM notes WHERE campaign_id = ? ORDER BY id",
        &[P::Text(old)],
    )?;
    for mut n in notes {
        let (author, when, body) = (n.text(0), n.int(1), n.text(2));
        tx.exec(
            OP,
            "INSERT INTO notes (campaign_id, author, at, body) VALUES (?, ?, ?, ?)",
            &[
                P::Text(succ),
                P::Text(&author),
                P::Int(when),
                P::Text(&body),
            ],
        )?;
    }
    Ok(())
}

fn save_targets(tx: &mut Tx<'_>, w: &HuntWrite<'_>, at: i64) -> Result<()> {
    for t in w.targets {
        tx.exec(
            "save_hunt: target",
            "INSERT INTO targets (name, organisation, sector, region, updated_at) \
             VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET \
             organisation = excluded.organisation, sector = excluded.sector, \
             region = excluded.region, updated_at = excluded.updated_at",
            &[
                P::Text(bound(&t.name, MAX_TEXT_BYTES)),
                P::opt_text(t.organisation.as_deref()),
                P::Text(t.sector.as_str()),
                P::opt_text(t.region.as_deref()),
                P::Int(at),
            ],
        )?;
    }
    // The contacts given replace the stored ones of every organisation
    // they or the targets name (a contact removed from targets.toml goes).
    let orgs: BTreeSet<&str> = w
        .contacts
        .iter()
        .map(|c| c.organisation.as_str())
        .chain(w.targets.iter().filter_map(|t| t.organisation.as_deref()))
        .collect();
    for o in orgs {
        tx.exec(
            "save_hunt: contacts",
            "DELETE FROM contacts WHERE organisation = ?",
            &[P::Text(o)],
        )?;
    }
    for c in w.contacts {
        tx.exec(
            "save_hunt: contact",
            "INSERT INTO contacts (organisation, channel, address) VALUES (?, ?, ?) \
             ON CONFLICT (organisation, channel, address) DO NOTHING",
            &[
                P::Text(bound(&c.organisation, MAX_NAME_BYTES)),
                P::Text(bound(&c.channel, MAX_NAME_BYTES)),
                P::Text(bound(&c.address, MAX_NAME_BYTES)),
            ],
        )?;
    }
    Ok(())
}
