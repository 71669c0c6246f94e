//! The per-organisation summary behind the organisations list (schema 7):
//! `org_targets` counts the `campaign_targets` rows of each distinct
//! (organisation, target, sector, region), `org_campaigns` the live
//! campaigns of each organisation per severity.
//!
//! `save_hunt` is their only writer. It notes what each campaign write
//! adds and removes in an [`OrgDelta`] (from the stored state it replaces,
//! read in the same transaction) and applies the sums before it commits,
//! so the summary always equals the aggregate over every campaign. On
//! PostgreSQL `save_hunt` first locks `org_campaigns` against other saves
//! ([`lock`]): two hunts saving at once would otherwise both subtract the
//! same stored state.

use crate::db::{Dialect, Tx, P};
use crate::Result;
use std::collections::{BTreeMap, BTreeSet};

/// One `campaign_targets` row as the summary keys it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct TargetRow {
    pub(crate) organisation: Option<String>,
    pub(crate) target: String,
    pub(crate) sector: String,
    pub(crate) region: Option<String>,
}

/// What one save adds to (positive) and removes from (negative) the
/// summary, by key, in key order (so that concurrent writers lock rows in
/// the same order).
#[derive(Debug, Default)]
pub(crate) struct OrgDelta {
    /// (organisation, target, sector, region) → rows.
    targets: BTreeMap<(String, String, String, Option<String>), i64>,
    /// (organisation, severity) → live campaigns.
    campaigns: BTreeMap<(String, i64), i64>,
}

impl OrgDelta {
    /// A campaign's target rows were stored (`sign` 1) or removed (-1).
    pub(crate) fn targets(&mut self, rows: &[TargetRow], sign: i64) {
        for r in rows {
            if let Some(o) = &r.organisation {
                let key = (
                    o.clone(),
                    r.target.clone(),
                    r.sector.clone(),
                    r.region.clone(),
                );
                *self.targets.entry(key).or_default() += sign;
            }
        }
    }

    /// A campaign of severity `severity` with these target rows became
    /// live (`sign` 1) or stopped being live (-1): once per organisation.
    pub(crate) fn campaign(&mut self, rows: &[TargetRow], severity: i64, sign: i64) {
        let orgs: BTreeSet<&str> = rows
            .iter()
            .filter_map(|r| r.organisation.as_deref())
            .collect();
        for o in orgs {
            *self.campaigns.entry((o.to_string(), severity)).or_default() += sign;
        }
    }
}

/// PostgreSQL: make concurrent `save_hunt`s take turns (readers and
/// analysts' actions are not blocked). SQLite's write transaction already
/// excludes other writers.
pub(crate) fn lock(tx: &mut Tx<'_>) -> Result<()> {
    if tx.dialect() == Dialect::Postgres {
        tx.batch(
            "save_hunt: lock the organisation summary",
            "LOCK TABLE org_campaigns IN SHARE ROW EXCLUSIVE MODE",
        )?;
    }
    Ok(())
}

/// The stored target rows of one campaign.
pub(crate) fn stored_targets(tx: &mut Tx<'_>, campaign: &str) -> Result<Vec<TargetRow>> {
    Ok(tx
        .query(
            "save_hunt: read campaign targets",
            "SELECT organisation, target, sector, region FROM campaign_targets \
             WHERE campaign_id = ?",
            &[P::Text(campaign)],
        )?
        .into_iter()
        .map(|mut r| TargetRow {
            organisation: r.opt_text(0),
            target: r.text(1),
            sector: r.text(2),
            region: r.opt_text(3),
        })
        .collect())
}

/// Add the sums to the summary tables and drop the rows that reach zero.
pub(crate) fn apply(tx: &mut Tx<'_>, d: &OrgDelta) -> Result<()> {
    const OP: &str = "save_hunt: organisation summary";
    let targets: Vec<_> = d.targets.iter().filter(|(_, n)| **n != 0).collect();
    let params: Vec<P<'_>> = targets
        .iter()
        .flat_map(|((o, t, s, r), n)| {
            [
                P::Text(o),
                P::Text(t),
                P::Text(s),
                P::Int(i64::from(r.is_some())),
                P::Text(r.as_deref().unwrap_or("")),
                P::Int(**n),
            ]
        })
        .collect();
    tx.insert_many_then(
        OP,
        "INSERT INTO org_targets (organisation, target, sector, has_region, region, refs)",
        6,
        &params,
        " ON CONFLICT (organisation, target, sector, has_region, region) \
         DO UPDATE SET refs = org_targets.refs + excluded.refs",
    )?;
    for ((o, t, s, r), _) in targets.iter().filter(|(_, n)| **n < 0) {
        tx.exec(
            OP,
            "DELETE FROM org_targets WHERE organisation = ? AND target = ? AND sector = ? \
             AND has_region = ? AND region = ? AND refs = 0",
            &[
                P::Text(o),
                P::Text(t),
                P::Text(s),
                P::Int(i64::from(r.is_some())),
                P::Text(r.as_deref().unwrap_or("")),
            ],
        )?;
    }
    let campaigns: Vec<_> = d.campaigns.iter().filter(|(_, n)| **n != 0).collect();
    let params: Vec<P<'_>> = campaigns
        .iter()
        .flat_map(|((o, sev), n)| [P::Text(o), P::Int(*sev), P::Int(**n)])
        .collect();
    tx.insert_many_then(
        OP,
        "INSERT INTO org_campaigns (organisation, severity, campaigns)",
        3,
        &params,
        " ON CONFLICT (organisation, severity) \
         DO UPDATE SET campaigns = org_campaigns.campaigns + excluded.campaigns",
    )?;
    if campaigns.iter().any(|(_, n)| **n < 0) {
        tx.exec(OP, "DELETE FROM org_campaigns WHERE campaigns = 0", &[])?;
    }
    Ok(())
}
