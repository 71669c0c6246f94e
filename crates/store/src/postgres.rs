//! PostgreSQL connections (the synchronous `postgres` client, no TLS: the
//! server is expected on loopback or a trusted network).

use crate::db::{numbered_placeholders, Col, Conn, Dialect, Row, Val, P};
use bytes::BytesMut;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use postgres::{Client, NoTls, Statement};
use std::collections::HashMap;
use std::error::Error as StdError;

/// Prepared statements kept per connection (SQL is a small fixed set plus
/// filter combinations).
const STATEMENT_CACHE: usize = 256;

pub(crate) struct PgConn {
    client: Client,
    statements: HashMap<String, Statement>,
}

fn message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => e.to_string(),
    }
}

impl PgConn {
    pub(crate) fn open(url: &str) -> Result<PgConn, String> {
        let client = Client::connect(url, NoTls).map_err(|e| message(&e))?;
        Ok(PgConn {
            client,
            statements: HashMap::new(),
        })
    }

    fn statement(&mut self, sql: &str) -> Result<Statement, String> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let st = self
            .client
            .prepare(&numbered_placeholders(sql))
            .map_err(|e| message(&e))?;
        if self.statements.len() >= STATEMENT_CACHE {
            self.statements.clear();
        }
        self.statements.insert(sql.to_string(), st.clone());
        Ok(st)
    }
}

impl ToSql for P<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        match *self {
            P::Null => Ok(IsNull::Yes),
            P::Int(n) => match *ty {
                Type::INT4 => i32::try_from(n)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(n)?.to_sql(ty, out),
                _ => n.to_sql(ty, out),
            },
            P::Text(s) => s.to_sql(ty, out),
            P::Blob(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn row(r: &postgres::Row) -> Result<Row, String> {
    let mut vals = Vec::with_capacity(r.len());
    for (i, col) in r.columns().iter().enumerate() {
        let e = |e: postgres::Error| format!("column {}: {}", col.name(), message(&e));
        let v = match *col.type_() {
            Type::INT8 => r.try_get::<_, Option<i64>>(i).map_err(e)?.map(Val::Int),
            Type::INT4 => r
                .try_get::<_, Option<i32>>(i)
                .map_err(e)?
                .map(|n| Val::Int(n.into())),
            Type::INT2 => r
                .try_get::<_, Option<i16>>(i)
                .map_err(e)?
                .map(|n| Val::Int(n.into())),
            Type::BOOL => r
                .try_get::<_, Option<bool>>(i)
                .map_err(e)?
                .map(|b| Val::Int(b.into())),
            Type::BYTEA => r
                .try_get::<_, Option<Vec<u8>>>(i)
                .map_err(e)?
                .map(Val::Blob),
            _ => r.try_get::<_, Option<String>>(i).map_err(e)?.map(Val::Text),
        };
        vals.push(v.unwrap_or(Val::Null));
    }
    Ok(Row(vals))
}

fn refs<'a>(params: &'a [P<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

impl Conn for PgConn {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn exec(&mut self, sql: &str, params: &[P<'_>]) -> Result<u64, String> {
        let st = self.statement(sql)?;
        self.client
            .execute(&st, &refs(params))
            .map_err(|e| message(&e))
    }

    fn query(&mut self, sql: &str, params: &[P<'_>]) -> Result<Vec<Row>, String> {
        let st = self.statement(sql)?;
        let rows = self
            .client
            .query(&st, &refs(params))
            .map_err(|e| message(&e))?;
        rows.iter().map(row).collect()
    }

    fn batch(&mut self, sql: &str) -> Result<(), String> {
        self.client.batch_execute(sql).map_err(|e| message(&e))
    }

    fn healthy(&mut self) -> bool {
        !self.client.is_closed()
    }

    fn copy_in(
        &mut self,
        table: &str,
        columns: &[(&str, Col)],
        params: &[P<'_>],
    ) -> Result<u64, String> {
        let names: Vec<&str> = columns.iter().map(|c| c.0).collect();
        let types: Vec<Type> = columns
            .iter()
            .map(|c| match c.1 {
                Col::Text => Type::TEXT,
                Col::Int => Type::INT8,
            })
            .collect();
        let sql = format!(
            "COPY {table} ({}) FROM STDIN (FORMAT binary)",
            names.join(", ")
        );
        let sink = self.client.copy_in(&sql).map_err(|e| message(&e))?;
        let mut w = BinaryCopyInWriter::new(sink, &types);
        for row in params.chunks(columns.len()) {
            w.write(&refs(row)).map_err(|e| message(&e))?;
        }
        w.finish().map_err(|e| message(&e))
    }
}
