//! The delivery loop over the store: [`plan`] what each organisation with
//! contacts must be told, [`enqueue`] it (idempotent: one row per campaign,
//! revision, organisation, channel and address), then [`deliver_due`]
//! sends what is due and records each outcome with the next retry time.

use crate::compose::{compose, owns, Sender};
use crate::render::{self, Channel};
use crate::send::{Channels, Outgoing};
use haboob_hunt::{NotifyConfig, Targets};
use haboob_model::{Contact, Ts};
use haboob_store::{
    CampaignQuery, Delivery, NewNotification, NotificationQuery, NotificationRow, Status, Store,
    StoreError,
};
use std::collections::{BTreeMap, BTreeSet};

/// Due notifications fetched per store query.
const DUE_BATCH: u32 = 100;

/// One message to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// Campaign.
    pub campaign_id: String,
    /// Campaign revision described.
    pub revision: i64,
    /// Organisation told.
    pub organisation: String,
    /// Channel name.
    pub channel: String,
    /// Recipient.
    pub address: String,
    /// Subject line.
    pub subject: String,
    /// Body as stored ([`render::body`]).
    pub body: String,
}

impl Planned {
    fn key(&self) -> (&str, i64, &str, &str, &str) {
        (
            &self.campaign_id,
            self.revision,
            &self.organisation,
            &self.channel,
            &self.address,
        )
    }
}

/// What one delivery run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// Campaigns considered (current, not closed, at or above the minimum severity).
    pub campaigns: u64,
    /// Messages newly queued.
    pub queued: u64,
    /// Messages delivered.
    pub sent: u64,
    /// Attempts that failed and will be retried.
    pub retrying: u64,
    /// Messages given up (failed permanently or out of retries).
    pub failed: u64,
}

/// Every message the organisations with `contacts` must receive about the
/// current campaigns of `store` (not superseded, not closed, at or above
/// `cfg.min_severity`). Campaign targets the hunt left without an
/// organisation are looked up in `targets`. Sorted by campaign,
/// organisation, channel and address.
pub fn plan(
    store: &Store,
    contacts: &[Contact],
    targets: Option<&Targets>,
    cfg: &NotifyConfig,
) -> Result<(Vec<Planned>, u64), StoreError> {
    let mut by_org: BTreeMap<&str, Vec<&Contact>> = BTreeMap::new();
    for c in contacts {
        by_org.entry(c.organisation.trim()).or_default().push(c);
    }
    let sender = Sender {
        name: cfg.sender.clone(),
        reply_to: cfg.reply_to.clone(),
    };
    let mut out = Vec::new();
    let mut considered = 0u64;
    let mut offset = 0u64;
    loop {
        let page = store.campaigns(&CampaignQuery {
            min_severity: Some(cfg.min_severity),
            include_superseded: false,
            limit: 500,
            offset,
            ..CampaignQuery::default()
        })?;
        for row in &page.items {
            if row.state.status == Status::Closed || row.state.superseded_by.is_some() {
                continue;
            }
            considered += 1;
            let listed = row
                .organisations
                .iter()
                .any(|o| by_org.contains_key(o.trim()));
            let enrichable = targets.is_some_and(|t| {
                row.targets.iter().any(|n| {
                    t.enrich(n)
                        .organisation
                        .is_some_and(|o| by_org.contains_key(o.trim()))
                })
            });
            if !listed && !enrichable {
                continue;
            }
            let Some(detail) = store.campaign(&row.id)? else {
                continue;
            };
            let mut campaign = detail.campaign;
            if let Some(t) = targets {
                for tg in campaign
                    .targets
                    .iter_mut()
                    .filter(|t| t.organisation.is_none())
                {
                    *tg = t.enrich(&tg.name);
                }
            }
            for (org, cs) in &by_org {
                if !campaign.targets.iter().any(|t| owns(t, org)) {
                    continue;
                }
                let Some(n) = compose(
                    &campaign,
                    detail.state.revision,
                    &detail.alerts,
                    org,
                    &sender,
                ) else {
                    continue;
                };
                let subject = render::subject(&n);
                for c in cs {
                    let Some(ch) = Channel::parse(&c.channel) else {
                        tracing::warn!(organisation = %org, channel = %c.channel, "Skipped a contact of an unknown channel.");
                        continue;
                    };
                    out.push(Planned {
                        campaign_id: campaign.id.clone(),
                        revision: detail.state.revision,
                        organisation: org.to_string(),
                        channel: ch.as_str().to_string(),
                        address: c.address.clone(),
                        subject: subject.clone(),
                        body: render::body(ch, &n),
                    });
                }
            }
        }
        match page.next_offset {
            Some(o) if o > offset => offset = o,
            _ => break,
        }
    }
    out.sort_by(|a, b| a.key().cmp(&b.key()));
    out.dedup_by(|a, b| a.key() == b.key());
    Ok((out, considered))
}

/// Queue `planned` (due at `now`); the number newly queued (a message
/// queued by an earlier run is not queued again).
pub fn enqueue(store: &Store, planned: &[Planned], now: Ts) -> Result<u64, StoreError> {
    let mut n = 0;
    for p in planned {
        let id = store.enqueue_notification(&NewNotification {
            campaign_id: &p.campaign_id,
            revision: p.revision,
            organisation: &p.organisation,
            channel: &p.channel,
            address: &p.address,
            subject: &p.subject,
            body: &p.body,
            due_at: now,
        })?;
        if id.is_some() {
            n += 1;
        }
    }
    Ok(n)
}

/// The messages of `planned` not queued yet (for `--dry-run`).
pub fn not_queued<'a>(
    store: &Store,
    planned: &'a [Planned],
) -> Result<Vec<&'a Planned>, StoreError> {
    let mut known: BTreeMap<&str, BTreeSet<(i64, String, String, String)>> = BTreeMap::new();
    for p in planned {
        if known.contains_key(p.campaign_id.as_str()) {
            continue;
        }
        let rows = store.notifications(&NotificationQuery {
            campaign: Some(p.campaign_id.clone()),
            limit: 100_000,
            ..NotificationQuery::default()
        })?;
        known.insert(
            &p.campaign_id,
            rows.into_iter()
                .map(|r| (r.revision, r.organisation, r.channel, r.address))
                .collect(),
        );
    }
    Ok(planned
        .iter()
        .filter(|p| {
            !known.get(p.campaign_id.as_str()).is_some_and(|k| {
                k.contains(&(
                    p.revision,
                    p.organisation.clone(),
                    p.channel.clone(),
                    p.address.clone(),
                ))
            })
        })
        .collect())
}

/// The outcome to record for attempt number `row.attempts + 1` that failed
/// with `err` at `now`: retry after `cfg.retry_secs[row.attempts]`, or give
/// up when the error is permanent or the schedule is spent.
pub fn failure(
    cfg: &NotifyConfig,
    attempts_before: u32,
    now: Ts,
    error: &crate::SendError,
) -> Delivery {
    let retry_at = if error.permanent {
        None
    } else {
        cfg.retry_secs.get(attempts_before as usize).map(|s| {
            Ts(now.0.saturating_add(
                i64::try_from(*s)
                    .unwrap_or(i64::MAX / 2_000)
                    .saturating_mul(1000),
            ))
        })
    };
    Delivery::Failed {
        at: now,
        error: error.message.clone(),
        retry_at,
    }
}

/// Send every notification due at `now` and record each outcome.
pub fn deliver_due(
    store: &Store,
    channels: &Channels,
    cfg: &NotifyConfig,
    now: Ts,
    summary: &mut RunSummary,
) -> Result<(), StoreError> {
    let mut done: BTreeSet<i64> = BTreeSet::new();
    loop {
        let due: Vec<NotificationRow> = store
            .due_notifications(now, DUE_BATCH)?
            .into_iter()
            .filter(|r| !done.contains(&r.id))
            .collect();
        if due.is_empty() {
            return Ok(());
        }
        for r in &due {
            done.insert(r.id);
            let out = Outgoing {
                id: r.id,
                channel: &r.channel,
                address: &r.address,
                subject: &r.subject,
                body: &r.body,
            };
            let outcome = match channels.send(&out, now.secs()) {
                Ok(()) => {
                    summary.sent += 1;
                    tracing::info!(id = r.id, organisation = %r.organisation, channel = %r.channel, "Sent a notification.");
                    Delivery::Sent { at: now }
                }
                Err(e) => {
                    let d = failure(cfg, r.attempts, now, &e);
                    if matches!(
                        d,
                        Delivery::Failed {
                            retry_at: Some(_),
                            ..
                        }
                    ) {
                        summary.retrying += 1;
                        tracing::warn!(id = r.id, organisation = %r.organisation, channel = %r.channel, error = %e, "Delivery failed; will retry.");
                    } else {
                        summary.failed += 1;
                        tracing::error!(id = r.id, organisation = %r.organisation, channel = %r.channel, error = %e, "Delivery failed; given up.");
                    }
                    d
                }
            };
            store.record_delivery(r.id, &outcome)?;
        }
    }
}
