//! The one small place where SQLite and PostgreSQL differ: a connection
//! trait that runs SQL written once (with `?` placeholders) on either
//! backend, bound parameters ([`P`]), owned result values ([`Val`]), and a
//! transaction helper ([`Tx`]) that turns database messages into
//! [`StoreError::Database`] naming the operation.

use crate::{Result, StoreError};

/// Which SQL dialect a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// A bound parameter. Everything that came from a log is passed as one of
/// these, never spliced into SQL text.
#[derive(Debug, Clone, Copy)]
pub(crate) enum P<'a> {
    Null,
    Int(i64),
    Text(&'a str),
    Blob(&'a [u8]),
}

impl<'a> P<'a> {
    pub(crate) fn opt_text(s: Option<&'a str>) -> P<'a> {
        s.map_or(P::Null, P::Text)
    }
    pub(crate) fn opt_int(v: Option<i64>) -> P<'a> {
        v.map_or(P::Null, P::Int)
    }
    pub(crate) fn uint(v: u64) -> P<'a> {
        P::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}

/// A result value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Null,
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
}

/// One result row.
#[derive(Debug, Clone, Default)]
pub(crate) struct Row(pub(crate) Vec<Val>);

impl Row {
    fn take(&mut self, i: usize) -> Val {
        self.0
            .get_mut(i)
            .map(|v| std::mem::replace(v, Val::Null))
            .unwrap_or(Val::Null)
    }
    /// Text column `i` (NULL reads as empty).
    pub(crate) fn text(&mut self, i: usize) -> String {
        self.opt_text(i).unwrap_or_default()
    }
    pub(crate) fn opt_text(&mut self, i: usize) -> Option<String> {
        match self.take(i) {
            Val::Text(s) => Some(s),
            Val::Blob(b) => Some(String::from_utf8_lossy(&b).into_owned()),
            Val::Int(n) => Some(n.to_string()),
            Val::Null => None,
        }
    }
    /// Text column `i`, borrowed (None for NULL or non-text).
    pub(crate) fn str(&self, i: usize) -> Option<&str> {
        match self.0.get(i) {
            Some(Val::Text(s)) => Some(s),
            _ => None,
        }
    }
    /// Integer column `i` (NULL reads as 0).
    pub(crate) fn int(&self, i: usize) -> i64 {
        self.opt_int(i).unwrap_or(0)
    }
    pub(crate) fn opt_int(&self, i: usize) -> Option<i64> {
        match self.0.get(i) {
            Some(Val::Int(n)) => Some(*n),
            Some(Val::Text(s)) => s.parse().ok(),
            _ => None,
        }
    }
    pub(crate) fn uint(&self, i: usize) -> u64 {
        u64::try_from(self.int(i)).unwrap_or(0)
    }
    pub(crate) fn blob(&mut self, i: usize) -> Vec<u8> {
        match self.take(i) {
            Val::Blob(b) => b,
            Val::Text(s) => s.into_bytes(),
            _ => Vec::new(),
        }
    }
}

/// A database connection of either backend.
pub(crate) trait Conn: Send {
    fn dialect(&self) -> Dialect;
    /// Run one statement; rows changed.
    fn exec(&mut self, sql: &str, params: &[P<'_>]) -> std::result::Result<u64, String>;
    /// Run one query; all rows.
    fn query(&mut self, sql: &str, params: &[P<'_>]) -> std::result::Result<Vec<Row>, String>;
    /// Run several statements without parameters (DDL, BEGIN, COMMIT).
    fn batch(&mut self, sql: &str) -> std::result::Result<(), String>;
    /// False when the connection is broken and must not be reused.
    fn healthy(&mut self) -> bool {
        true
    }
    /// Bulk-load rows of `columns.len()` parameters each into `table`
    /// (PostgreSQL: `COPY … FROM STDIN` in binary format, so the values are
    /// data, never SQL); rows loaded. Other backends use multi-row `INSERT`s
    /// instead (see [`Tx::insert_rows`]).
    fn copy_in(
        &mut self,
        table: &str,
        columns: &[(&str, Col)],
        params: &[P<'_>],
    ) -> std::result::Result<u64, String> {
        let _ = (table, columns, params);
        Err("COPY needs PostgreSQL".into())
    }
}

/// Column type of a bulk load (the schema's tables use these two).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Col {
    /// `TEXT`.
    Text,
    /// `BIGINT`.
    Int,
}

/// Rows per multi-row `INSERT` (SQLite's bulk path).
const INSERT_ROWS: usize = 64;

/// A connection inside a transaction (or not), with errors that say where.
pub(crate) struct Tx<'a> {
    pub(crate) conn: &'a mut dyn Conn,
    pub(crate) url: &'a str,
}

impl Tx<'_> {
    fn err(&self, op: &str, message: String) -> StoreError {
        StoreError::Database {
            url: self.url.to_string(),
            op: op.to_string(),
            message,
        }
    }
    pub(crate) fn dialect(&self) -> Dialect {
        self.conn.dialect()
    }
    pub(crate) fn exec(&mut self, op: &str, sql: &str, params: &[P<'_>]) -> Result<u64> {
        self.conn.exec(sql, params).map_err(|m| self.err(op, m))
    }
    pub(crate) fn query(&mut self, op: &str, sql: &str, params: &[P<'_>]) -> Result<Vec<Row>> {
        self.conn.query(sql, params).map_err(|m| self.err(op, m))
    }
    pub(crate) fn one(&mut self, op: &str, sql: &str, params: &[P<'_>]) -> Result<Option<Row>> {
        Ok(self.query(op, sql, params)?.into_iter().next())
    }
    pub(crate) fn count(&mut self, op: &str, sql: &str, params: &[P<'_>]) -> Result<u64> {
        Ok(self.one(op, sql, params)?.map_or(0, |r| r.uint(0)))
    }
    pub(crate) fn batch(&mut self, op: &str, sql: &str) -> Result<()> {
        self.conn.batch(sql).map_err(|m| self.err(op, m))
    }
    /// Insert rows of `columns.len()` parameters each into `table`:
    /// PostgreSQL bulk-loads them with binary `COPY`, SQLite runs multi-row
    /// `INSERT`s of up to 64 rows. `table` and `columns` are fixed names
    /// from the code; every value is a parameter.
    pub(crate) fn insert_rows(
        &mut self,
        op: &str,
        table: &str,
        columns: &[(&str, Col)],
        params: &[P<'_>],
    ) -> Result<()> {
        if params.is_empty() {
            return Ok(());
        }
        debug_assert_eq!(params.len() % columns.len(), 0);
        match self.dialect() {
            Dialect::Postgres => self
                .conn
                .copy_in(table, columns, params)
                .map(|_| ())
                .map_err(|m| self.err(op, m)),
            Dialect::Sqlite => {
                let names: Vec<&str> = columns.iter().map(|c| c.0).collect();
                let head = format!("INSERT INTO {table} ({})", names.join(", "));
                self.insert_many(op, &head, columns.len(), params)
            }
        }
    }
    /// Insert rows of `ncols` parameters each with `head` (`INSERT INTO t
    /// (cols)`, maybe followed by nothing else), up to 64 rows per statement.
    pub(crate) fn insert_many(
        &mut self,
        op: &str,
        head: &str,
        ncols: usize,
        params: &[P<'_>],
    ) -> Result<()> {
        self.insert_many_then(op, head, ncols, params, "")
    }
    /// [`Tx::insert_many`] with `tail` (fixed SQL, e.g. an `ON CONFLICT`
    /// clause) after the rows of each statement.
    pub(crate) fn insert_many_then(
        &mut self,
        op: &str,
        head: &str,
        ncols: usize,
        params: &[P<'_>],
        tail: &str,
    ) -> Result<()> {
        let row = format!("({})", marks(ncols));
        for chunk in params.chunks(ncols * INSERT_ROWS) {
            let rows = vec![row.as_str(); chunk.len() / ncols].join(", ");
            self.exec(op, &format!("{head} VALUES {rows}{tail}"), chunk)?;
        }
        Ok(())
    }
}

/// Rewrite `?` placeholders as `$1, $2, …` (PostgreSQL), leaving quoted
/// text alone.
pub(crate) fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    let mut quoted = false;
    for c in sql.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '?' if !quoted => {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            }
            _ => out.push(c),
        }
    }
    out
}

/// `?, ?, ?` for an `IN (…)` list of `n` values.
pub(crate) fn marks(n: usize) -> String {
    let mut s = String::with_capacity(n * 3);
    for i in 0..n {
        if i > 0 {
            s.push_str(", ");
        }
        s.push('?');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_outside_quotes() {
        assert_eq!(
            numbered_placeholders("SELECT a FROM t WHERE b = ? AND c = '?' AND d IN (?, ?)"),
            "SELECT a FROM t WHERE b = $1 AND c = '?' AND d IN ($2, $3)"
        );
        assert_eq!(marks(3), "?, ?, ?");
        assert_eq!(marks(0), "");
    }
}
