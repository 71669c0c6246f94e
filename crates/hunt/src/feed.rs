//! One stream's detectors and what they found: the part of the pipeline that
//! both the in-order pass and the sorted pass ([`crate::order`]) feed.

use crate::sigma::{SigmaFeed, StreamSigma};
use crate::{geo, HuntOptions};
use haboob_detect::auth::TravelTrack;
use haboob_detect::{Detector, DetectorState, Kinds, Note, Part, StateError};
use haboob_model::{Alert, EventRef, Origin, PackedAlerts};
use std::sync::Arc;

/// Fresh detectors for one stream, plus its geo cache.
pub(crate) struct Feed<'o> {
    detectors: Vec<Box<dyn Detector>>,
    /// For each kind (bit of [`Kinds`]), the detectors that read it
    /// ([`Detector::reads`]), in build order: an event goes only to those.
    route: [Vec<usize>; 8],
    alerts: Vec<Alert>,
    /// Alerts packed so far, and how many are held unpacked before they
    /// are packed ([`Feed::pack_after`]; never, by default).
    packed: PackedAlerts,
    pack_at: usize,
    geo: Option<geo::GeoCache<'o>>,
    /// Exchange sign-ins in IIS logs are derived (the auth detectors are here).
    derive_auth: bool,
    /// Sigma rules, and which events this lane matches them against.
    sigma: Option<(SigmaFeed<'o>, SigmaTakes)>,
}

/// The events a lane's Sigma feed matches. Without correlations (which
/// compare hits across sources) web requests are matched in their source
/// lane and everything else in the shared lane, so both cores match rules
/// over one large access log; with correlations the shared lane matches
/// every event, as one stream does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SigmaTakes {
    All,
    Web,
    NotWeb,
}

/// What one stream (or one lane of it) found.
#[derive(Default)]
pub(crate) struct FeedOut {
    pub(crate) alerts: Vec<Alert>,
    /// Alerts packed as they came (before `alerts`), when the feed packs.
    pub(crate) packed: PackedAlerts,
    /// Located successes for impossible travel across streams.
    pub(crate) travel: Option<TravelTrack>,
    /// Sigma timeline rows and counts, when rules were given.
    pub(crate) sigma: Option<StreamSigma>,
}

impl FeedOut {
    /// Add what another lane of the same stream found.
    pub(crate) fn absorb(&mut self, o: FeedOut) {
        self.alerts.extend(o.alerts);
        self.packed.append(o.packed);
        self.travel = self.travel.take().or(o.travel);
        self.sigma = match (self.sigma.take(), o.sigma) {
            (Some(mut a), Some(b)) => {
                a.absorb(b);
                Some(a)
            }
            (a, b) => a.or(b),
        };
    }
}

impl<'o> Feed<'o> {
    /// Every detector of a stream.
    pub(crate) fn new(opts: &'o HuntOptions) -> Feed<'o> {
        Feed::part(opts, Part::All)
    }

    /// The detectors of one lane's part of a stream ([`crate::lanes`]).
    pub(crate) fn part(opts: &'o HuntOptions, part: Part) -> Feed<'o> {
        let mut detectors = haboob_detect::build_part(&opts.config.detect(), part);
        // Always built (idle without indicators), last: the detectors of a
        // stream are the same with and without intel, so a checkpoint saved
        // without intel restores into a hunt with it and back.
        let intel = opts.intel.clone().unwrap_or_default();
        detectors.push(Box::new(crate::intel_match::IntelMatch::new(
            Arc::clone(&intel),
            part,
        )));
        // After it, for the same reason (and a checkpoint saved before it
        // existed restores the others and starts it fresh).
        detectors.push(Box::new(crate::victim::Victim::new(intel, part)));
        let auth = !matches!(part, Part::BySource { .. });
        if opts.geo.is_some() {
            // Sign-ins are located only with a City database: only then is
            // there travel to compare across streams.
            for d in detectors.iter_mut() {
                if let Some(t) = d.travel() {
                    t.keep_track();
                }
            }
        }
        Feed {
            route: route(&detectors),
            detectors,
            alerts: Vec::new(),
            packed: PackedAlerts::new(),
            pack_at: usize::MAX,
            geo: opts.geo.as_deref().filter(|_| auth).map(geo::GeoCache::new),
            derive_auth: auth,
            sigma: opts.sigma.as_ref().and_then(|s| {
                let takes = match (part, s.correlations.is_some()) {
                    (Part::All, _) | (Part::Shared, true) => SigmaTakes::All,
                    (Part::Shared, false) => SigmaTakes::NotWeb,
                    (Part::BySource { .. }, false) => SigmaTakes::Web,
                    (Part::BySource { .. }, true) => return None,
                };
                let gap = opts.config.hunt.merge_gap_secs.saturating_mul(1000);
                let feed = SigmaFeed::new(s, i64::try_from(gap).unwrap_or(i64::MAX));
                Some((feed, takes))
            }),
        }
    }

    /// Enrich (geo) and hand one event to every detector.
    pub(crate) fn observe(&mut self, ev: &EventRef<'_>, origin: &Origin<'_>) {
        self.observe_noted(ev, origin, Note::Read(&[]));
    }

    /// [`Feed::observe`], with the [`Note`] of a web request shared with
    /// another lane ([`Detector::observe_noted`]).
    ///
    /// A web request with no Sigma rules to match that derives no sign-in
    /// (every request of an access log but an Exchange endpoint's) goes
    /// straight to the detectors that read web requests: the same calls,
    /// in the same order, as [`Feed::observe_any`] makes of it. Inlined
    /// into the lanes' walks: a call per request costs more than the
    /// test.
    #[inline(always)]
    pub(crate) fn observe_noted(
        &mut self,
        ev: &EventRef<'_>,
        origin: &Origin<'_>,
        mut note: Note<'_>,
    ) {
        if let EventRef::Web(w) = ev {
            let plain = self.sigma.is_none()
                && !(self.derive_auth && haboob_detect::auth::exchange::may_be_endpoint(w.path));
            if plain {
                for &i in &self.route[WEB_BIT] {
                    if let Some(d) = self.detectors.get_mut(i) {
                        d.observe_noted(ev, origin, note.reborrow(), &mut self.alerts);
                    }
                }
                self.pack_when_due();
                return;
            }
        }
        self.observe_any(ev, origin, note);
    }

    /// [`Feed::observe_noted`] of any event: enriched (geo), matched
    /// against the Sigma rules, with the sign-in a web request derives.
    #[inline(never)]
    fn observe_any(&mut self, ev: &EventRef<'_>, origin: &Origin<'_>, mut note: Note<'_>) {
        let enriched = match (&mut self.geo, ev) {
            (Some(cache), EventRef::Auth(a)) => cache.enrich(a).map(EventRef::Auth),
            _ => None,
        };
        let ev = enriched.as_ref().unwrap_or(ev);
        if let Some((s, takes)) = &mut self.sigma {
            let web = matches!(ev, EventRef::Web(_));
            if *takes == SigmaTakes::All || web == (*takes == SigmaTakes::Web) {
                s.observe(ev, origin);
            }
        }
        // Exchange sign-ins in IIS logs feed the auth detectors as well.
        let derived = match ev {
            EventRef::Web(w) if self.derive_auth => {
                haboob_detect::auth::exchange::auth_event(w).map(EventRef::Auth)
            }
            _ => None,
        };
        for &i in &self.route[kind_bit(ev)] {
            if let Some(d) = self.detectors.get_mut(i) {
                d.observe_noted(ev, origin, note.reborrow(), &mut self.alerts);
            }
        }
        // The derived sign-in has no note (only web detectors write one).
        if let Some(ev) = derived.as_ref() {
            for &i in &self.route[kind_bit(ev)] {
                if let Some(d) = self.detectors.get_mut(i) {
                    d.observe(ev, origin, &mut self.alerts);
                }
            }
        }
        self.pack_when_due();
    }

    /// Pack the alerts held once they reach [`Feed::pack_after`]'s number.
    #[inline(always)]
    fn pack_when_due(&mut self) {
        if self.alerts.len() >= self.pack_at {
            self.pack();
        }
    }

    /// Pack alerts into `store` (empty) once `n` are held unpacked (and at
    /// the end, once any were): on a flood of alerts they are then a small
    /// part of the memory they would take ([`PackedAlerts`]).
    pub(crate) fn pack_after(&mut self, n: usize, store: PackedAlerts) {
        debug_assert!(self.packed.is_empty());
        self.pack_at = n.max(1);
        self.packed = store;
    }

    /// Move the alerts held into the packed store.
    #[cold]
    #[inline(never)]
    fn pack(&mut self) {
        for a in self.alerts.drain(..) {
            self.packed.push(&a);
        }
    }

    /// Route the event kinds again, from what each detector reads now.
    fn reroute(&mut self) {
        self.route = route(&self.detectors);
    }

    /// Alerts the detectors emitted so far (closed windows), taken out.
    pub(crate) fn take_alerts(&mut self) -> Vec<Alert> {
        std::mem::take(&mut self.alerts)
    }

    /// Every detector's windowed state, in build order (before `finish`).
    pub(crate) fn save(&self) -> Result<Vec<DetectorState>, StateError> {
        self.detectors.iter().map(|d| d.save_state()).collect()
    }

    /// Restore what [`Feed::save`] saved from detectors built alike. A
    /// checkpoint saved before `intel.victim` existed (one state fewer), or
    /// before `intel.match` too (two fewer), restores the others and starts
    /// those fresh: they are built last, in that order.
    pub(crate) fn restore(&mut self, states: Vec<DetectorState>) -> Result<(), StateError> {
        if states.len() > self.detectors.len() || states.len() + 2 < self.detectors.len() {
            return Err(StateError::Decode(
                "feed",
                format!(
                    "{} detectors saved, {} built",
                    states.len(),
                    self.detectors.len()
                ),
            ));
        }
        for (d, s) in self.detectors.iter_mut().zip(states) {
            d.restore_state(s)?;
        }
        // What a detector reads may follow its state (`intel.match` with
        // open episodes and no indicators).
        self.reroute();
        Ok(())
    }

    /// End of stream: every detector flushes; the alerts, the located
    /// successes kept for impossible travel across streams, and what the
    /// Sigma rules found.
    pub(crate) fn finish(self) -> FeedOut {
        let (mut out, sigma_alerts) = self.finish_split();
        out.alerts.extend(sigma_alerts);
        out
    }

    /// [`Feed::finish`] with the Sigma rules' alerts apart.
    pub(crate) fn finish_split(mut self) -> (FeedOut, Vec<Alert>) {
        let mut track = None;
        for d in self.detectors.iter_mut() {
            d.finish(&mut self.alerts);
            if let Some(t) = d.travel() {
                track = t.take_track();
            }
        }
        // Once packing, every alert of the feed is packed.
        if !self.packed.is_empty() {
            self.pack();
        }
        let mut sigma_alerts = Vec::new();
        let sigma = self.sigma.map(|(s, _)| {
            let (alerts, rest) = s.finish();
            sigma_alerts = alerts;
            rest
        });
        (
            FeedOut {
                alerts: self.alerts,
                packed: self.packed,
                travel: track,
                sigma,
            },
            sigma_alerts,
        )
    }
}

/// [`kind_bit`] of a web request.
const WEB_BIT: usize = Kinds::WEB.bits().trailing_zeros() as usize;

/// The bit of an event's kind in [`Kinds`] (0-7).
fn kind_bit(ev: &EventRef<'_>) -> usize {
    (Kinds::of(ev).bits().trailing_zeros() & 7) as usize
}

/// For each kind bit, the indexes of the detectors that read it.
fn route(detectors: &[Box<dyn Detector>]) -> [Vec<usize>; 8] {
    let reads: Vec<Kinds> = detectors.iter().map(|d| d.reads()).collect();
    std::array::from_fn(|bit| {
        reads
            .iter()
            .enumerate()
            .filter(|(_, k)| k.bits() & (1 << bit) != 0)
            .map(|(i, _)| i)
            .collect()
    })
}

#[cfg(test)]
#[path = "feed_tests.rs"]
pub(crate) mod tests;
