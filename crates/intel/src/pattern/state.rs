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

    /// Feeds one event; returns the match this event completes, if any.
    fn step(&mut self, e: &ObsExpr, o: &Observed<'_>, ts: Ts) -> Option<Span> {
        let fired = match e {
            ObsExpr::Observation(c) => eval_comp(c, o).then_some(Span { start: ts, end: ts }),
            ObsExpr::Or(items) => {
                let mut fired = None;
                for (n, e) in self.children.iter_mut().zip(items) {
                    if let Some(s) = n.step(e, o, ts) {
                        fired.get_or_insert(s);
                    }
                }
                fired
            }
            ObsExpr::And(items) => {
                let mut any = false;
                for (n, e) in self.children.iter_mut().zip(items) {
                    any |= n.step(e, o, ts).is_some();
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
                    .map(|(n, e)| n.step(e, o, ts))
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
                let s = self.children[0].step(inner, o, ts)?;
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
        self.root.step(&self.pattern.expr, o, ts).is_some()
    }
}
