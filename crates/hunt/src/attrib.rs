//! Attribution of every campaign once campaigns are built: the candidate
//! actors of `haboob_intel::attribute`, from the actor database in
//! [`crate::HuntOptions::actors`].

use crate::pool::Pool;
use haboob_intel::{attribute, ActorDb, AttributionOptions};
use haboob_model::Campaign;
use std::collections::{HashMap, HashSet};

/// Fill `attribution` of each campaign from its member alerts (found in
/// `alerts` by id; of alerts sharing an id, the last).
pub(crate) fn attribute_all<P: Pool + ?Sized>(
    campaigns: &mut [Campaign],
    alerts: &P,
    db: &ActorDb,
) {
    let wanted: HashSet<&str> = campaigns
        .iter()
        .flat_map(|c| c.alerts.iter().map(String::as_str))
        .collect();
    let mut at: HashMap<String, usize> = HashMap::with_capacity(wanted.len());
    alerts.each(|i, a| {
        if wanted.contains(a.id.as_str()) {
            at.insert(a.id.clone(), i);
        }
    });
    drop(wanted);
    let opts = AttributionOptions::default();
    // Campaigns a batch at a time: packed alerts are read once a batch.
    let lens = crate::pool::batch_lens(campaigns.iter().map(|c| c.alerts.len()));
    let mut rest: &mut [Campaign] = campaigns;
    for take in lens {
        let (batch, after) = std::mem::take(&mut rest).split_at_mut(take);
        rest = after;
        let idx: Vec<Vec<usize>> = batch
            .iter()
            .map(|c| {
                c.alerts
                    .iter()
                    .filter_map(|id| at.get(id).copied())
                    .collect()
            })
            .collect();
        alerts.with(&idx.concat(), |members| {
            let mut from = 0;
            for (c, of) in batch.iter_mut().zip(&idx) {
                let m = &members[from..from + of.len()];
                from += of.len();
                c.attribution = attribute(c, m, db, &opts);
            }
        });
    }
}
