//! Attribution of every campaign once campaigns are built: the candidate
//! actors of `haboob_intel::attribute`, from the actor database in
//! [`crate::HuntOptions::actors`].

use haboob_intel::{attribute, ActorDb, AttributionOptions};
use haboob_model::{Alert, Campaign};
use std::collections::HashMap;

/// Fill `attribution` of each campaign from its member alerts.
pub(crate) fn attribute_all(campaigns: &mut [Campaign], alerts: &[Alert], db: &ActorDb) {
    let by_id: HashMap<&str, &Alert> = alerts.iter().map(|a| (a.id.as_str(), a)).collect();
    let opts = AttributionOptions::default();
    for c in campaigns {
        let members: Vec<&Alert> = c
            .alerts
            .iter()
            .filter_map(|id| by_id.get(id.as_str()).copied())
            .collect();
        c.attribution = attribute(c, &members, db, &opts);
    }
}
