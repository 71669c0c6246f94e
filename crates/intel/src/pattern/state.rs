//! Stateful evaluation of patterns over a stream of events: observation
//! `AND`, `OR`, `FOLLOWEDBY` and the `WITHIN`, `REPEATS`, `START/STOP`
//! qualifiers.
//!
//! Each node of the pattern keeps the latest match it completed (the span
//! from its earliest to its latest event); `FOLLOWEDBY` keeps one span per
//! prefix and `REPEATS n` the spans of its last n matches. Memory is fixed
//! by the pattern, whatever the number of events.

use super::ast::{ObsExpr, Qualifier};
use super::eval::eval_comp;
use super::Pattern;
use crate::Observed;
use haboob_model::Ts;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// The events of one match: earliest and latest time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: Ts,
    end: Ts,
}

#[derive(Debug, Clone)]
struct Node {
    last: Option<Span>,
    /// `FOLLOWEDBY`: latest match of each prefix of the children.
    prefix: Vec<Option<Span>>,
    /// `REPEATS`: the last n matches of the child.
    recent: VecDeque<Span>,
    children: Vec<Node>,
}

impl Node {
    fn build(e: &ObsExpr) -> Node {
        let children = match e {
            ObsExpr::Observation(_) => Vec::new(),
            ObsExpr::Qualified(inner, _) => vec![Node::build(inner)],
            ObsExpr::And(items) | ObsExpr::Or(items) | ObsExpr::FollowedBy(items) => {
                items.iter().map(Node::build).collect()
            }
        };
        let prefix = match e {
            ObsExpr::FollowedBy(items) => vec![None; items.len()],
            _ => Vec::new(),
        };
        Node {
            last: None,
            prefix,
            recent: VecDeque::new(),
            children,
        }
    }

    /// Feeds one event; returns the match this event completes, if any;
    /// sets `seen` when the event satisfies an observation of the pattern.
    fn step(&mut self, e: &ObsExpr, o: &Observed<'_>, ts: Ts, seen: &mut bool) -> Option<Span> {
        let fired = match e {
            ObsExpr::Observation(c) => {
                let hit = eval_comp(c, o);
                *seen |= hit;
                hit.then_some(Span { start: ts, end: ts })
            }
            ObsExpr::Or(items) => {
                let mut fired = None;
                for (n, e) in self.children.iter_mut().zip(items) {
                    if let Some(s) = n.step(e, o, ts, seen) {
                        fired.get_or_insert(s);
                    }
                }
                fired
            }
            ObsExpr::And(items) => {
                let mut any = false;
                for (n, e) in self.children.iter_mut().zip(items) {
                    any |= n.step(e, o, ts, seen).is_some();
                }
                if any {
                    let mut span = Span { start: ts, end: ts };
                    for n in &self.children {
                        let s = n.last?;
                        span.start = span.start.min(s.start);
                        span.end = span.end.max(s.end);
                    }
                    Some(span)
                } else {
                    None
                }
            }
            ObsExpr::FollowedBy(items) => {
                let fired: Vec<Option<Span>> = self
                    .children
                    .iter_mut()
                    .zip(items)
                    .map(|(n, e)| n.step(e, o, ts, seen))
                    .collect();
                let last = fired.len() - 1;
                let mut done = None;
                // Last step first, so that one event never fills two steps.
                for j in (0..fired.len()).rev() {
                    let Some(s) = fired[j] else { continue };
                    let span = if j == 0 {
                        Some(s)
                    } else {
                        match self.prefix[j - 1] {
                            Some(p) if p.end <= s.start => Some(Span {
                                start: p.start,
                                end: s.end,
                            }),
                            _ => None,
                        }
                    };
                    if let Some(span) = span {
                        self.prefix[j] = Some(span);
                        if j == last {
                            done = Some(span);
                        }
                    }
                }
                done
            }
            ObsExpr::Qualified(inner, q) => {
                let s = self.children[0].step(inner, o, ts, seen)?;
                match *q {
                    Qualifier::Within(secs) => {
                        let limit = (secs * 1000.0) as i64;
                        (s.end.0 - s.start.0 <= limit).then_some(s)
                    }
                    Qualifier::StartStop(a, b) => (s.start >= a && s.end < b).then_some(s),
                    Qualifier::Repeats(n) => {
                        self.recent.push_back(s);
                        while self.recent.len() > n as usize {
                            self.recent.pop_front();
                        }
                        match self.recent.front() {
                            Some(first) if self.recent.len() == n as usize => Some(Span {
                                start: first.start,
                                end: s.end,
                            }),
                            _ => None,
                        }
                    }
                }
            }
        };
        if fired.is_some() {
            self.last = fired;
        }
        fired
    }

    fn snapshot(&self) -> NodeSnapshot {
        let sp = |s: &Span| (s.start.0, s.end.0);
        NodeSnapshot {
            last: self.last.as_ref().map(sp),
            prefix: self.prefix.iter().map(|p| p.as_ref().map(sp)).collect(),
            recent: self.recent.iter().map(sp).collect(),
            children: self.children.iter().map(Node::snapshot).collect(),
        }
    }

    /// The node of `e` with the spans of `s`, or why `s` is not a state of
    /// `e` (another shape, or a span that ends before it starts).
    fn restore(e: &ObsExpr, s: NodeSnapshot) -> Result<Node, String> {
        fn span((a, b): (i64, i64)) -> Result<Span, String> {
            if a > b {
                return Err(format!("a span ends ({b}) before it starts ({a})"));
            }
            Ok(Span {
                start: Ts(a),
                end: Ts(b),
            })
        }
        let mut node = Node::build(e);
        if s.children.len() != node.children.len() || s.prefix.len() != node.prefix.len() {
            return Err("its shape is not the pattern's".into());
        }
        let repeats = match e {
            ObsExpr::Qualified(_, Qualifier::Repeats(n)) => *n as usize,
            _ => 0,
        };
        if s.recent.len() > repeats {
            return Err("more repeats than the pattern counts".into());
        }
        node.last = s.last.map(span).transpose()?;
        for (p, x) in node.prefix.iter_mut().zip(s.prefix) {
            *p = x.map(span).transpose()?;
        }
        for r in s.recent {
            node.recent.push_back(span(r)?);
        }
        let items: Vec<&ObsExpr> = match e {
            ObsExpr::Observation(_) => Vec::new(),
            ObsExpr::Qualified(inner, _) => vec![inner],
            ObsExpr::And(items) | ObsExpr::Or(items) | ObsExpr::FollowedBy(items) => {
                items.iter().collect()
            }
        };
        node.children = items
            .into_iter()
            .zip(s.children)
            .map(|(e, s)| Node::restore(e, s))
            .collect::<Result<_, _>>()?;
        Ok(node)
    }
}

/// The saved form of one node of a [`PatternState`]: its spans as
/// (start, end) in ms, and its children's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeSnapshot {
    last: Option<(i64, i64)>,
    prefix: Vec<Option<(i64, i64)>>,
    recent: Vec<(i64, i64)>,
    children: Vec<NodeSnapshot>,
}

/// What one event did to a [`PatternState`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Step {
    /// The event satisfies at least one observation of the pattern.
    pub seen: bool,
    /// The match of the whole pattern the event completes: the time of its
    /// earliest and of its latest event.
    pub matched: Option<(Ts, Ts)>,
}

/// Evaluation state of one pattern over a stream of events (in time
/// order), for patterns with several observations or qualifiers; memory is
/// fixed by the pattern (REPEATS n keeps n entries).
///
/// ```
/// use haboob_intel::pattern::Pattern;
/// use haboob_intel::Observed;
/// use haboob_model::Ts;
///
/// let p = Pattern::parse("[domain-name:value = 'evil.example'] REPEATS 2 TIMES WITHIN 60 SECONDS").unwrap();
/// let mut state = p.state();
/// let ev = Observed { domain: Some("evil.example"), ..Observed::default() };
/// assert!(!state.observe(&ev, Ts::from_secs(0)));
/// assert!(state.observe(&ev, Ts::from_secs(30)));
/// ```
#[derive(Debug, Clone)]
pub struct PatternState {
    pattern: Pattern,
    root: Node,
}

impl PatternState {
    /// Fresh state for a pattern.
    pub fn new(pattern: Pattern) -> PatternState {
        let root = Node::build(&pattern.expr);
        PatternState { pattern, root }
    }

    /// The pattern evaluated.
    pub fn pattern(&self) -> &Pattern {
        &self.pattern
    }

    /// Feeds one event seen at `ts`; true when it completes a match of the
    /// whole pattern.
    pub fn observe(&mut self, o: &Observed<'_>, ts: Ts) -> bool {
        self.step(o, ts).matched.is_some()
    }

    /// [`PatternState::observe`], telling also whether the event took part
    /// (satisfied an observation) and the span of the match it completes.
    pub fn step(&mut self, o: &Observed<'_>, ts: Ts) -> Step {
        let mut seen = false;
        let matched = self
            .root
            .step(&self.pattern.expr, o, ts, &mut seen)
            .map(|s| (s.start, s.end));
        Step { seen, matched }
    }

    /// The saved form of the state (without the pattern), for a later run
    /// over the same pattern ([`PatternState::restore`]).
    pub fn snapshot(&self) -> NodeSnapshot {
        self.root.snapshot()
    }

    /// The state of `pattern` that [`PatternState::snapshot`] saved, or why
    /// the snapshot is not a state of this pattern.
    pub fn restore(pattern: Pattern, snapshot: NodeSnapshot) -> Result<PatternState, String> {
        let root = Node::restore(&pattern.expr, snapshot)?;
        Ok(PatternState { pattern, root })
    }
}
