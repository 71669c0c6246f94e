//! What retro-hunting reads: every stored alert in pages (keyset order, so
//! a store of any size is walked in bounded memory), the live campaigns of
//! some alerts, and which of some alert ids are stored.

use crate::codec::{alert_from_row, evidence_from_row, ALERT_COLS};
use crate::db::{marks, Tx, P};
use crate::read::page_size;
use crate::types::AlertCursor;
use crate::Result;
use haboob_model::Alert;
use std::collections::{BTreeSet, HashMap};

/// Ids looked up per query.
const CHUNK: usize = 500;

pub(crate) fn alerts_after(
    tx: &mut Tx<'_>,
    after: Option<&AlertCursor>,
    limit: u32,
) -> Result<(Vec<Alert>, Option<AlertCursor>)> {
    let limit = page_size(limit);
    let rows = match after {
        None => tx.query(
            "alerts_after",
            &format!("SELECT {ALERT_COLS} FROM alerts a ORDER BY a.first_seen, a.id LIMIT ?"),
            &[P::Int(limit.into())],
        )?,
        Some(c) => tx.query(
            "alerts_after",
            &format!(
                "SELECT {ALERT_COLS} FROM alerts a \
                 WHERE a.first_seen > ? OR (a.first_seen = ? AND a.id > ?) \
                 ORDER BY a.first_seen, a.id LIMIT ?"
            ),
            &[
                P::Int(c.first_seen.0),
                P::Int(c.first_seen.0),
                P::Text(&c.id),
                P::Int(limit.into()),
            ],
        )?,
    };
    let mut alerts = rows
        .into_iter()
        .map(|r| alert_from_row(tx.url, r))
        .collect::<Result<Vec<_>>>()?;
    if alerts.is_empty() {
        return Ok((alerts, None));
    }
    let ids: Vec<P<'_>> = alerts.iter().map(|a| P::Text(&a.id)).collect();
    let mut by_id: HashMap<String, Vec<haboob_model::Evidence>> = HashMap::new();
    for mut r in tx.query(
        "alerts_after: evidence",
        &format!(
            "SELECT alert_id, file, line, raw FROM evidence WHERE alert_id IN ({}) \
             ORDER BY alert_id, seq",
            marks(ids.len())
        ),
        &ids,
    )? {
        let id = r.text(0);
        r.0.remove(0);
        by_id.entry(id).or_default().push(evidence_from_row(r));
    }
    for a in &mut alerts {
        a.evidence = by_id.remove(&a.id).unwrap_or_default();
    }
    let next = (alerts.len() == limit as usize).then(|| {
        let last = &alerts[alerts.len() - 1];
        AlertCursor {
            first_seen: last.first_seen,
            id: last.id.clone(),
        }
    });
    Ok((alerts, next))
}

pub(crate) fn live_campaigns_of(tx: &mut Tx<'_>, ids: &[String]) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        let params: Vec<P<'_>> = chunk.iter().map(|i| P::Text(i)).collect();
        for mut r in tx.query(
            "live_campaigns_of",
            &format!(
                "SELECT ca.alert_id, ca.campaign_id FROM campaign_alerts ca \
                 JOIN campaigns c ON c.id = ca.campaign_id \
                 WHERE c.superseded_by IS NULL AND ca.alert_id IN ({}) \
                 ORDER BY ca.alert_id, ca.campaign_id",
                marks(params.len())
            ),
            &params,
        )? {
            out.push((r.text(0), r.text(1)));
        }
    }
    Ok(out)
}

pub(crate) fn stored_alert_ids(tx: &mut Tx<'_>, ids: &[String]) -> Result<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    for chunk in ids.chunks(CHUNK) {
        let params: Vec<P<'_>> = chunk.iter().map(|i| P::Text(i)).collect();
        for mut r in tx.query(
            "stored_alert_ids",
            &format!(
                "SELECT id FROM alerts WHERE id IN ({})",
                marks(params.len())
            ),
            &params,
        )? {
            out.insert(r.text(0));
        }
    }
    Ok(out)
}
