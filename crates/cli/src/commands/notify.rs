//! `haboob notify`: queue a notification per organisation with contacts and
//! campaign revision, then send what is due and record each outcome in the
//! store.

use crate::args::{Globals, NotifyArgs};
use anyhow::{Context, Result};
use haboob_hunt::{Config, Targets};
use haboob_model::{Contact, Ts};
use haboob_notify::{deliver_due, enqueue, not_queued, plan, Channels, RunSummary};
use haboob_report::terminal;
use haboob_store::Store;

/// The contacts of `targets` when given, else those saved in the store by
/// the hunts.
fn contacts(store: &Store, targets: Option<&Targets>) -> Result<Vec<Contact>> {
    if let Some(t) = targets {
        return Ok(t.contacts());
    }
    let mut out = Vec::new();
    for o in store.organisations().context("reading organisations")? {
        if let Some(d) = store
            .organisation(&o.name)
            .context("reading an organisation")?
        {
            out.extend(d.contacts);
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn now(a: &NotifyArgs) -> Result<Ts> {
    match &a.now {
        Some(s) => Ts::parse_rfc3339(s).map_err(|e| anyhow::anyhow!("--now {s:?}: {e}")),
        None => {
            let d = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .context("the clock is before 1970")?;
            Ok(Ts(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)))
        }
    }
}

/// `haboob notify`.
pub fn run(g: &Globals, a: &NotifyArgs) -> Result<u8> {
    let cfg = match &a.config {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    let ncfg = cfg.notify;
    let targets = if a.targets.is_empty() {
        None
    } else {
        let mut t = Targets::default();
        for p in &a.targets {
            t.extend(Targets::load(p)?);
        }
        Some(t)
    };
    let store = Store::open(&a.store).with_context(|| format!("opening store {}", a.store))?;
    let now = now(a)?;
    let contacts = contacts(&store, targets.as_ref())?;
    let (planned, campaigns) = plan(&store, &contacts, targets.as_ref(), &ncfg)?;
    if a.dry_run {
        let new = not_queued(&store, &planned)?;
        for p in &new {
            println!(
                "would queue\t{}\trev {}\t{}\t{}:{}\t{}",
                terminal(&p.campaign_id, 80),
                p.revision,
                terminal(&p.organisation, 200),
                p.channel,
                terminal(&p.address, 300),
                terminal(&p.subject, 300)
            );
        }
        let due = store.due_notifications(now, 10_000)?;
        for r in &due {
            println!(
                "would send\t#{}\t{}\t{}:{}\t{}",
                r.id,
                terminal(&r.organisation, 200),
                r.channel,
                terminal(&r.address, 300),
                terminal(&r.subject, 300)
            );
        }
        if !g.quiet {
            eprintln!(
                "notify (dry run): {campaigns} campaigns to tell, {} contacts, {} would be queued, {} queued and due; nothing changed",
                contacts.len(),
                new.len(),
                due.len()
            );
        }
        return Ok(0);
    }
    let mut summary = RunSummary {
        campaigns,
        queued: enqueue(&store, &planned, now)?,
        ..RunSummary::default()
    };
    let channels = Channels::new(&ncfg);
    deliver_due(&store, &channels, &ncfg, now, &mut summary)?;
    if !g.quiet {
        eprintln!(
            "notify: {} campaigns, {} contacts, {} queued, {} sent, {} to retry, {} failed",
            summary.campaigns,
            contacts.len(),
            summary.queued,
            summary.sent,
            summary.retrying,
            summary.failed
        );
    }
    Ok(u8::from(summary.failed > 0))
}
