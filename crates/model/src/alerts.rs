//! [`Alerts`]: the alerts of a hunt, in order, behind an API that does not
//! promise they are held as a `Vec<Alert>`.
//!
//! Readers stream them with [`Alerts::iter`], one [`Cow<Alert>`] at a time:
//! borrowed while the alerts are held plainly, owned when a backing has to
//! decode each one. Only the flows that rewrite the list take it apart
//! ([`Alerts::into_vec`]) and put it back together ([`Alerts::from`]).

use crate::{Alert, PackedAlerts};
use serde::{Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;

/// A hunt's alerts, in order (a hunt keeps them by `first_seen`).
///
/// ```
/// use haboob_model::Alerts;
/// let alerts = Alerts::default();
/// assert!(alerts.is_empty());
/// assert_eq!(alerts.iter().count(), 0);
/// ```
#[derive(Clone, Default)]
pub struct Alerts {
    repr: Repr,
}

/// How the alerts are held.
#[derive(Clone)]
enum Repr {
    /// As they are.
    Plain(Vec<Alert>),
    /// Packed (encoded and compressed), in order: each decoded as read.
    Packed(PackedAlerts),
}

impl Default for Repr {
    fn default() -> Repr {
        Repr::Plain(Vec::new())
    }
}

impl Alerts {
    /// How many alerts there are.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Plain(v) => v.len(),
            Repr::Packed(p) => p.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        match &self.repr {
            Repr::Plain(v) => v.is_empty(),
            Repr::Packed(p) => p.is_empty(),
        }
    }

    /// The alerts in order, one at a time.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            inner: match &self.repr {
                Repr::Plain(v) => IterRepr::Plain(v.iter()),
                Repr::Packed(p) => IterRepr::Packed(p.iter()),
            },
        }
    }

    /// A copy of every alert, in order.
    pub fn to_vec(&self) -> Vec<Alert> {
        match &self.repr {
            Repr::Plain(v) => v.clone(),
            Repr::Packed(p) => p.iter().collect(),
        }
    }

    /// The alerts, in order, as a vector.
    pub fn into_vec(self) -> Vec<Alert> {
        match self.repr {
            Repr::Plain(v) => v,
            Repr::Packed(p) => p.iter().collect(),
        }
    }
}

impl From<Vec<Alert>> for Alerts {
    fn from(v: Vec<Alert>) -> Alerts {
        Alerts {
            repr: Repr::Plain(v),
        }
    }
}

/// Alerts held packed, in the store's order.
impl From<PackedAlerts> for Alerts {
    fn from(p: PackedAlerts) -> Alerts {
        Alerts {
            repr: Repr::Packed(p),
        }
    }
}

impl FromIterator<Alert> for Alerts {
    fn from_iter<I: IntoIterator<Item = Alert>>(iter: I) -> Alerts {
        Alerts::from(iter.into_iter().collect::<Vec<_>>())
    }
}

/// Equal when they hold equal alerts in the same order, however held.
impl PartialEq for Alerts {
    fn eq(&self, other: &Alerts) -> bool {
        match (&self.repr, &other.repr) {
            (Repr::Plain(a), Repr::Plain(b)) => a == b,
            _ => self.len() == other.len() && self.iter().eq(other.iter()),
        }
    }
}

/// As a list of alerts, as the `Vec<Alert>` it replaces printed.
impl fmt::Debug for Alerts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// As a sequence of alerts: the same output as the `Vec<Alert>` it
/// replaces.
impl Serialize for Alerts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'a> IntoIterator for &'a Alerts {
    type Item = Cow<'a, Alert>;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// The iterator of [`Alerts::iter`]: each alert, in order, borrowed where
/// the backing holds it as it is.
pub struct Iter<'a> {
    inner: IterRepr<'a>,
}

enum IterRepr<'a> {
    Plain(std::slice::Iter<'a, Alert>),
    Packed(crate::packed::Iter<'a>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = Cow<'a, Alert>;

    fn next(&mut self) -> Option<Cow<'a, Alert>> {
        match &mut self.inner {
            IterRepr::Plain(it) => it.next().map(Cow::Borrowed),
            IterRepr::Packed(it) => it.next().map(Cow::Owned),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.inner {
            IterRepr::Plain(it) => it.size_hint(),
            IterRepr::Packed(it) => it.size_hint(),
        }
    }
}

#[cfg(test)]
#[path = "alerts_tests.rs"]
mod tests;
