//! Organisations: declared in targets or seen in campaigns' targets, with
//! the campaigns touching them, their accounts and notifications.

use crate::codec::{sector_of, severity_of, stage_of, stage_rank};
use crate::db::{marks, Tx, P};
use crate::read::{campaigns, MAX_PAGE};
use crate::types::{
    AccountRow, AccountStage, CampaignQuery, NotificationQuery, OrganisationDetail, OrganisationRow,
};
use crate::Result;
use haboob_model::{Contact, TargetSector};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Default)]
struct Org {
    sector: Option<TargetSector>,
    region: Option<String>,
    targets: BTreeSet<String>,
}

/// Organisation → its targets, sector and region (declared targets by
/// name first, then the targets campaigns recorded, kept in `org_targets`,
/// by target; rows of one target by sector, then region, no region last).
/// The sector is the first row's, the region the first one given.
fn org_map(tx: &mut Tx<'_>) -> Result<BTreeMap<String, Org>> {
    let mut orgs: BTreeMap<String, Org> = BTreeMap::new();
    for sql in [
        "SELECT name, organisation, sector, region FROM targets \
         WHERE organisation IS NOT NULL ORDER BY name",
        "SELECT target, organisation, sector, \
         CASE WHEN has_region = 1 THEN region END FROM org_targets \
         ORDER BY target, sector, has_region DESC, region",
    ] {
        for mut r in tx.query("organisations: targets", sql, &[])? {
            let o = orgs.entry(r.text(1)).or_default();
            o.targets.insert(r.text(0));
            if o.sector.is_none() {
                o.sector = Some(sector_of(&r.text(2)));
            }
            if o.region.is_none() {
                o.region = r.opt_text(3);
            }
        }
    }
    Ok(orgs)
}

pub(crate) fn organisations(tx: &mut Tx<'_>) -> Result<Vec<OrganisationRow>> {
    let orgs = org_map(tx)?;
    let mut per_org: BTreeMap<String, (u64, i64)> = BTreeMap::new();
    for mut r in tx.query(
        "organisations: campaigns",
        "SELECT organisation, CAST(SUM(campaigns) AS BIGINT), MAX(severity) FROM org_campaigns \
         WHERE campaigns > 0 GROUP BY organisation",
        &[],
    )? {
        per_org.insert(r.text(0), (r.uint(1), r.int(2)));
    }
    let target_org: BTreeMap<&str, &str> = orgs
        .iter()
        .flat_map(|(o, v)| v.targets.iter().map(move |t| (t.as_str(), o.as_str())))
        .collect();
    let mut owned: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for mut r in tx.query(
        "organisations: compromised accounts",
        "SELECT DISTINCT a.target, aa.user_name FROM alert_accounts aa \
         JOIN alerts a ON a.id = aa.alert_id WHERE aa.stage = ?",
        &[P::Int(stage_rank(AccountStage::Compromised))],
    )? {
        if let Some(o) = target_org.get(r.text(0).as_str()) {
            owned.entry(o).or_default().insert(r.text(1));
        }
    }
    Ok(orgs
        .iter()
        .map(|(name, o)| {
            let (n, sev) = per_org.get(name).copied().unwrap_or((0, -1));
            OrganisationRow {
                name: name.clone(),
                sector: o.sector.unwrap_or_default(),
                region: o.region.clone(),
                targets: o.targets.iter().cloned().collect(),
                campaigns: n,
                max_severity: (n > 0).then(|| severity_of(sev)),
                compromised: owned.get(name.as_str()).map_or(0, |s| s.len() as u64),
            }
        })
        .collect())
}

pub(crate) fn organisation(tx: &mut Tx<'_>, name: &str) -> Result<Option<OrganisationDetail>> {
    let Some(row) = organisations(tx)?.into_iter().find(|o| o.name == name) else {
        return Ok(None);
    };
    let camps = campaigns(
        tx,
        &CampaignQuery {
            organisation: Some(name.to_string()),
            limit: MAX_PAGE,
            ..CampaignQuery::default()
        },
    )?
    .items;
    let accounts = accounts(tx, &row.targets)?;
    let contacts = tx
        .query(
            "organisation: contacts",
            "SELECT organisation, channel, address FROM contacts WHERE organisation = ? \
             ORDER BY channel, address",
            &[P::Text(name)],
        )?
        .into_iter()
        .map(|mut r| Contact {
            organisation: r.text(0),
            channel: r.text(1),
            address: r.text(2),
        })
        .collect();
    let notifications = crate::notify::list(
        tx,
        &NotificationQuery {
            organisation: Some(name.to_string()),
            limit: crate::notify::MAX_LIST,
            ..NotificationQuery::default()
        },
    )?;
    Ok(Some(OrganisationDetail {
        row,
        campaigns: camps,
        accounts,
        contacts,
        notifications,
    }))
}

/// Accounts named by alerts against `targets`, furthest stage first, with
/// the live campaigns they appear in.
fn accounts(tx: &mut Tx<'_>, targets: &[String]) -> Result<Vec<AccountRow>> {
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let params: Vec<P<'_>> = targets.iter().map(|t| P::Text(t)).collect();
    let rows = tx.query(
        "organisation: accounts",
        &format!(
            "SELECT aa.user_name, aa.stage, c.id FROM alert_accounts aa \
             JOIN alerts a ON a.id = aa.alert_id \
             LEFT JOIN campaign_alerts ca ON ca.alert_id = a.id \
             LEFT JOIN campaigns c ON c.id = ca.campaign_id AND c.superseded_by IS NULL \
             WHERE a.target IN ({})",
            marks(targets.len())
        ),
        &params,
    )?;
    let mut acc: BTreeMap<String, (AccountStage, BTreeSet<String>)> = BTreeMap::new();
    for mut r in rows {
        let stage = stage_of(r.int(1));
        let e = acc
            .entry(r.text(0))
            .or_insert((AccountStage::Identified, BTreeSet::new()));
        e.0 = e.0.max(stage);
        if let Some(c) = r.opt_text(2) {
            e.1.insert(c);
        }
    }
    let mut out: Vec<AccountRow> = acc
        .into_iter()
        .map(|(user, (stage, camps))| AccountRow {
            user,
            stage,
            campaigns: camps.into_iter().collect(),
        })
        .collect();
    out.sort_by(|a, b| b.stage.cmp(&a.stage).then_with(|| a.user.cmp(&b.user)));
    Ok(out)
}
