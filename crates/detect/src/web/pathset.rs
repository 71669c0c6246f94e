//! A set of path patterns (see [`super::lists`] for the syntax) matched with one
//! Aho-Corasick automaton.

use super::cache::{TextId, VerdictCache};
use aho_corasick::{AhoCorasick, MatchKind};

/// Compiled path patterns.
#[derive(Debug, Clone)]
pub(crate) struct PathSet {
    ac: Option<AhoCorasick>,
    /// Per pattern: any continuation allowed after the match.
    open: Vec<bool>,
}

impl PathSet {
    /// Compile built-in and extra patterns (lower-cased; empty ones skipped).
    pub fn new<'a>(builtin: &[&str], extra: impl IntoIterator<Item = &'a String>) -> PathSet {
        let mut bodies: Vec<String> = Vec::new();
        let mut open = Vec::new();
        let all = builtin
            .iter()
            .map(|s| s.to_string())
            .chain(extra.into_iter().map(|s| s.to_ascii_lowercase()));
        for p in all {
            let (body, is_open) = match p.strip_suffix('*') {
                Some(b) => (b.to_string(), true),
                None => (p.clone(), p.ends_with('/')),
            };
            if body.is_empty() {
                continue;
            }
            bodies.push(body);
            open.push(is_open);
        }
        let ac = super::dfa::dfa(&bodies, false, MatchKind::Standard);
        PathSet { ac, open }
    }

    /// [`PathSet::matches`] through a verdict cache (`id`: the path's).
    pub fn matches_cached(
        &self,
        cache: &mut VerdictCache<bool>,
        path: &[u8],
        id: Option<TextId>,
    ) -> bool {
        cache.get_or(id, path, |p| self.matches(p))
    }

    /// The path (decoded, lower case) matches a pattern.
    pub fn matches(&self, path: &[u8]) -> bool {
        let Some(ac) = &self.ac else { return false };
        if !ac.is_match(path) {
            return false;
        }
        ac.find_overlapping_iter(path).any(|m| {
            self.open[m.pattern().as_usize()] || m.end() == path.len() || path[m.end()] == b'/'
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries() {
        let s = PathSet::new(&["/.env*", "/admin", "/.git/", ".sql"], []);
        assert!(s.matches(b"/.env"));
        assert!(s.matches(b"/app/.env.local"));
        assert!(s.matches(b"/admin"));
        assert!(s.matches(b"/admin/x"));
        assert!(!s.matches(b"/administration-guide.html"));
        assert!(s.matches(b"/.git/config"));
        assert!(s.matches(b"/dump.sql"));
        assert!(!s.matches(b"/sqlite/x.sqlx"));
        assert!(!s.matches(b"/index.html"));
    }
}
