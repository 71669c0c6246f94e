//! How many records a site's own visitors read within the harvest window:
//! the bar `web.harvest` sets from the site itself.
//!
//! Per site, a histogram in quarter-octave buckets of how many visitors
//! (source episodes) *reached* each record count: when a visitor's distinct
//! records go from `c - 1` to `c` and `c` opens a new bucket, that bucket's
//! count goes up. So `reached[b]` is the number of visitors that read at
//! least the bucket's lower bound, live episodes included, and the site's
//! ceiling (the count that at most one visitor in a hundred reaches) is read
//! from it at any time without waiting for episodes to end.
//!
//! Counts are halved when the first bucket reaches [`HALVE_AT`], so the
//! baseline follows the site as it changes and never overflows.

use serde::{Deserialize, Serialize};

/// Buckets: exact counts 1..=7, then four per power of two up to 2^20.
const BUCKETS: usize = 8 + 4 * 18;
/// Visitors counted before all counts are halved.
const HALVE_AT: u32 = 1 << 20;

/// Bucket of a record count (`c >= 1`).
fn bucket(c: u64) -> usize {
    if c < 8 {
        return c as usize;
    }
    let l = 63 - c.leading_zeros() as usize; // >= 3
    let quarter = ((c >> (l - 2)) & 3) as usize;
    (8 + 4 * (l - 3) + quarter).min(BUCKETS - 1)
}

/// Smallest record count in bucket `b`.
fn lower(b: usize) -> u64 {
    if b < 8 {
        return b as u64;
    }
    let l = (b - 8) / 4 + 3;
    let quarter = ((b - 8) % 4) as u64;
    (1u64 << l) + quarter * (1u64 << (l - 2))
}

/// The visitors of one site, by the record counts they reached.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct Reached {
    reached: Vec<u32>,
}

impl Reached {
    /// A visitor's distinct records went from `c - 1` to `c`.
    pub fn crossed(&mut self, c: u64) {
        if c == 0 || (c > 1 && bucket(c) == bucket(c - 1)) {
            return;
        }
        if self.reached.is_empty() {
            self.reached = vec![0; BUCKETS];
        }
        let b = bucket(c);
        self.reached[b] = self.reached[b].saturating_add(1);
        if self.reached[1] >= HALVE_AT {
            for r in &mut self.reached {
                *r /= 2;
            }
        }
    }

    /// Visitors that read at least one record.
    pub fn visitors(&self) -> u32 {
        self.reached.get(1).copied().unwrap_or(0)
    }

    /// The record count that at most one visitor in a hundred reached (the
    /// lower bound of the first bucket reached by ≤ 1 %); `None` with fewer
    /// than `min_visitors` visitors.
    pub fn ceiling(&self, min_visitors: u32) -> Option<u64> {
        let n = self.visitors();
        if n == 0 || n < min_visitors {
            return None;
        }
        let few = n / 100;
        let b = (1..BUCKETS).find(|&b| self.reached[b] <= few)?;
        Some(lower(b))
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn buckets_are_monotone_and_bounds_agree() {
        let mut last = 0;
        for c in 1..100_000u64 {
            let b = bucket(c);
            assert!(b >= last, "{c}");
            assert!(lower(b) <= c, "{c}");
            if b > last {
                assert_eq!(lower(b), c, "bucket {b} starts at {c}");
            }
            last = b;
        }
        assert_eq!(bucket(8), 8);
        assert_eq!(bucket(10), 9);
        assert_eq!(bucket(12), 10);
        assert_eq!(bucket(16), 12);
    }

    /// `n` visitors each reading `c` records.
    fn visit(r: &mut Reached, n: u32, c: u64) {
        for _ in 0..n {
            for i in 1..=c {
                r.crossed(i);
            }
        }
    }

    #[test]
    fn ceiling_is_what_one_visitor_in_a_hundred_reaches() {
        let mut r = Reached::default();
        visit(&mut r, 97, 3);
        assert_eq!(r.ceiling(100), None, "97 visitors: too few");
        visit(&mut r, 3, 40);
        assert_eq!(r.visitors(), 100);
        // Three visitors (3 %) read 40: the first bucket at most one reached
        // is past 40 (40 lies in [40, 48)).
        assert_eq!(r.ceiling(100), Some(48));
        visit(&mut r, 100, 2);
        // Two hundred visitors: two may reach it; three still read 40.
        assert_eq!(r.ceiling(100), Some(48));
        visit(&mut r, 100, 2);
        // Three hundred: the three readers of 40 are 1 %.
        assert_eq!(r.ceiling(100), Some(4));
    }

    #[test]
    fn counts_halve_and_stay_proportional() {
        let mut r = Reached::default();
        for _ in 0..HALVE_AT + 10 {
            r.crossed(1);
        }
        assert!(r.visitors() < HALVE_AT);
        assert!(r.visitors() >= HALVE_AT / 2);
    }
}
