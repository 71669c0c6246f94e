//! Attribution of every campaign once campaigns are built: the candidate
//! actors of `haboob_intel::attribute`, from the actor database in
//! [`crate::HuntOptions::actors`].

use crate::pool::Pool;
use haboob_intel::{attribute, ActorDb, AttributionOptions};
use haboob_model::{Alert, Campaign};
use std::collections::HashSet;

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
    let at = alerts.indices_of(&wanted);
    drop(wanted);
    let opts = AttributionOptions::default();
    // Campaigns a batch at a time: packed alerts are read once a batch.
    let lens = crate::pool::batch_lens(campaigns.iter().map(|c| c.alerts.len()));
    let mut rest: &mut [Campaign] = campaigns;
    for take in lens {
        let (batch, after) = std::mem::take(&mut rest).split_at_mut(take);
        rest = after;
        // Each campaign's members found: (index, id).
        let found: Vec<Vec<(usize, &str)>> = batch
            .iter()
            .map(|c| {
                c.alerts
                    .iter()
                    .filter_map(|id| at.get(id).map(|&i| (i, id.as_str())))
                    .collect()
            })
            .collect();
        let idx: Vec<usize> = found.iter().flatten().map(|&(i, _)| i).collect();
        let attributions = alerts.with(&idx, |members| {
            let mut from = 0;
            let mut out = Vec::with_capacity(found.len());
            for (c, of) in batch.iter().zip(&found) {
                let m = &members[from..from + of.len()];
                from += of.len();
                // An id looked up by its hash may have found another's
                // alert (see `Pool::indices_of`): only the alert of the id.
                let attribution = if m.iter().zip(of).all(|(a, (_, id))| a.id == *id) {
                    attribute(c, m, db, &opts)
                } else {
                    let m: Vec<&Alert> = (m.iter().zip(of))
                        .filter(|(a, (_, id))| a.id == *id)
                        .map(|(a, _)| *a)
                        .collect();
                    attribute(c, &m, db, &opts)
                };
                out.push(attribution);
            }
            out
        });
        for (c, a) in batch.iter_mut().zip(attributions) {
            c.attribution = a;
        }
    }
}
