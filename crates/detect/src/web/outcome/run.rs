//! The outcome rules run as one: the detector set makes one call per
//! request for the three of them (not one dynamic call each), and their
//! per-request tests — each rule's idle-episode clock, then whether the
//! request is one it reads — sit in that one function, inlined. Most
//! requests (assets served, 304 answers) stop there; the rules' work on the
//! others stays in their own functions.
//!
//! Each rule keeps its own state, saved under its own id, and sees the same
//! requests in the same order as when it ran alone.

use super::super::exploit::ProductMeta;
use super::super::request::Req;
use super::super::{WebConfig, WebRule};
use super::defacement::WebDefacement;
use super::harvest::WebHarvest;
use super::success::WebExploitSuccess;
use haboob_model::{Alert, Origin, WebEvent};
use std::collections::HashMap;
use std::sync::Arc;

/// The enabled outcome rules (`web.exploit_success`, `web.harvest`,
/// `web.defacement`, in that order).
#[derive(Debug)]
pub(crate) struct Outcomes {
    success: Option<WebExploitSuccess>,
    harvest: Option<WebHarvest>,
    defacement: Option<WebDefacement>,
}

impl Outcomes {
    /// The enabled outcome rules, or `None` when none is.
    pub fn new(cfg: &WebConfig, products: Arc<[ProductMeta]>) -> Option<Outcomes> {
        let n = cfg.max_evidence;
        let m = cfg.max_tracked_sources;
        let o = Outcomes {
            success: cfg
                .exploit_success
                .enabled
                .then(|| WebExploitSuccess::new(&cfg.exploit_success, products, n, m)),
            harvest: cfg
                .harvest
                .enabled
                .then(|| WebHarvest::new(&cfg.harvest, cfg.sweep.crawler_rules.as_deref(), n, m)),
            defacement: cfg
                .defacement
                .enabled
                .then(|| WebDefacement::new(&cfg.defacement, n, m)),
        };
        (o.len() > 0).then_some(o)
    }

    /// Rules enabled.
    pub fn len(&self) -> usize {
        usize::from(self.success.is_some())
            + usize::from(self.harvest.is_some())
            + usize::from(self.defacement.is_some())
    }

    /// One request, for each enabled rule in turn.
    #[inline(never)]
    pub fn observe(&mut self, w: &WebEvent<'_>, req: &Req, o: &Origin<'_>, out: &mut Vec<Alert>) {
        if let Some(r) = &mut self.success {
            r.observe(w, req, o, out);
        }
        if let Some(r) = &mut self.harvest {
            r.observe(w, req, o, out);
        }
        if let Some(r) = &mut self.defacement {
            r.observe(w, req, o, out);
        }
    }

    /// End of stream.
    pub fn finish(&mut self, out: &mut Vec<Alert>) {
        self.each(&mut |r| r.finish(out));
    }

    /// Each rule's saved state, under its id.
    pub fn save(
        &self,
        out: &mut Vec<(String, crate::DetectorState)>,
    ) -> Result<(), crate::StateError> {
        let rules: [Option<&dyn WebRule>; 3] = [
            self.success.as_ref().map(|r| r as &dyn WebRule),
            self.harvest.as_ref().map(|r| r as &dyn WebRule),
            self.defacement.as_ref().map(|r| r as &dyn WebRule),
        ];
        for r in rules.into_iter().flatten() {
            out.push((r.id().to_string(), r.save()?));
        }
        Ok(())
    }

    /// Each rule takes (removes) the state saved under its id, when there
    /// is one.
    pub fn restore(
        &mut self,
        saved: &mut HashMap<String, crate::DetectorState>,
    ) -> Result<(), crate::StateError> {
        let mut result = Ok(());
        self.each(&mut |r| {
            if result.is_ok() {
                if let Some(s) = saved.remove(r.id()) {
                    result = r.restore(s);
                }
            }
        });
        result
    }

    /// The states of an unkeyed save (a list in build order), one per rule
    /// in order while there are some.
    pub fn restore_in_order(
        &mut self,
        states: &mut dyn Iterator<Item = crate::DetectorState>,
    ) -> Result<(), crate::StateError> {
        let mut result = Ok(());
        self.each(&mut |r| {
            if result.is_ok() {
                if let Some(s) = states.next() {
                    result = r.restore(s);
                }
            }
        });
        result
    }

    fn each(&mut self, f: &mut dyn FnMut(&mut dyn WebRule)) {
        if let Some(r) = &mut self.success {
            f(r);
        }
        if let Some(r) = &mut self.harvest {
            f(r);
        }
        if let Some(r) = &mut self.defacement {
            f(r);
        }
    }
}
