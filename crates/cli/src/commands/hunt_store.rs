//! `haboob hunt --store URL`: incremental hunting. Each hunt reads only what
//! is new since the last one into the store (read positions, rotation and
//! truncation recognised, detector windows carried over; see
//! `haboob_hunt::incremental`), and saves its results, the alerts it no
//! longer reports and the new checkpoint in one transaction: a hunt killed
//! before it saves leaves the store as it was, and the rerun reads the same
//! lines again.

use crate::args::Globals;
use anyhow::{Context, Result};
use haboob_hunt::incremental::{hunt_incremental, ReadSummary};
use haboob_hunt::{HuntOptions, HuntReport, Targets};
use haboob_ingest::Input;
use haboob_store::Store;
use std::collections::BTreeSet;

/// The store's key of the hunt checkpoint.
pub const CHECKPOINT_KEY: &str = "hunt";

/// One incremental hunt into a store.
pub struct Incremental {
    store: Store,
    from_scratch: bool,
    /// The new checkpoint and the retracted alert ids, once hunted.
    done: Option<(Vec<u8>, Vec<String>, ReadSummary)>,
}

impl Incremental {
    /// Open the store of `--store ARG`.
    pub fn open(arg: &str, from_scratch: bool) -> Result<Incremental> {
        let url = super::store::resolve(arg)?;
        Ok(Incremental {
            store: super::store::open(&url)?,
            from_scratch,
            done: None,
        })
    }

    /// Hunt what is new since the checkpoint in the store.
    pub fn hunt(
        &mut self,
        g: &Globals,
        inputs: &[Input],
        opts: &HuntOptions,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<HuntReport> {
        let url = haboob_report::terminal(self.store.url(), 400);
        let prev = if self.from_scratch {
            None
        } else {
            self.store
                .checkpoint(CHECKPOINT_KEY)
                .with_context(|| format!("store {url}"))?
        };
        let first = prev.is_none();
        let inc = hunt_incremental(inputs, opts, prev.as_deref(), progress).map_err(|e| {
            anyhow::anyhow!(
                "store {url}: {e} (to read every input again from its start into this store: --from-scratch)"
            )
        })?;
        let mut retracted = inc.retracted;
        if self.from_scratch {
            // Everything stored that this complete re-read did not find.
            let now: BTreeSet<String> = inc.report.alerts.iter().map(|a| a.id.clone()).collect();
            let stored = self
                .store
                .all_alerts()
                .with_context(|| format!("store {url}"))?;
            retracted.extend(
                stored
                    .into_iter()
                    .filter(|a| !now.contains(a.id.as_str()))
                    .map(|a| a.id),
            );
        }
        if !g.quiet {
            let r = &inc.read;
            eprintln!(
                "{}: {} files read ({} bytes), {} unchanged, {} compressed rotations already read, {} bytes not read again",
                if first { "first hunt into this store" } else { "since the last hunt" },
                r.files_read,
                r.bytes_read,
                r.files_unchanged,
                r.files_already_read,
                r.bytes_skipped
            );
            for line in r.rotated.iter().chain(&r.truncated) {
                eprintln!("  {}", haboob_report::terminal(line, 400));
            }
        }
        self.done = Some((inc.checkpoint, retracted, inc.read));
        Ok(inc.report)
    }

    /// Save the report, the retracted alerts and the checkpoint, in one
    /// transaction.
    pub fn save(self, g: &Globals, report: &HuntReport, targets: &Targets) -> Result<()> {
        let Some((ck, retracted, _)) = &self.done else {
            return Ok(()); // nothing was hunted
        };
        let sum = super::store::save_run(
            g,
            &self.store,
            report,
            targets,
            retracted,
            &[(CHECKPOINT_KEY, ck.as_slice())],
        )?;
        if !g.quiet && !retracted.is_empty() {
            eprintln!(
                "retracted {} alerts of earlier hunts that grew or were not found again ({} alerts updated)",
                retracted.len(),
                sum.alerts_updated
            );
        }
        Ok(())
    }
}
