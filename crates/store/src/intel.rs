//! Threat-intelligence indicators and their sources.
//!
//! An indicator is kept whole as JSON (`body`) with the columns filters
//! need; a save upserts by id (the newest content wins, `imported_at`
//! keeps the first import). Each save is one numbered import
//! (`intel_imports`); an indicator carries the number of the import that
//! added it or last changed its content (`import_id`), which retro-hunting
//! keys on. Each source keeps its pull cursor (TAXII `added_after`).

use crate::codec::{digest, json, unjson};
use crate::db::{marks, Dialect, Tx, P};
use crate::save::insert_many;
use crate::types::{IndicatorQuery, IntelImport, IntelSaved, IntelSourceRow, IntelWrite};
use crate::Result;
use haboob_model::intel::{Indicator, Tlp};
use haboob_model::Ts;
use std::collections::HashMap;

/// Ids looked up per query.
const CHUNK: usize = 500;

fn tlp_name(t: Tlp) -> &'static str {
    match t {
        Tlp::Clear => "clear",
        Tlp::Green => "green",
        Tlp::Amber => "amber",
        Tlp::AmberStrict => "amber-strict",
        Tlp::Red => "red",
    }
}

/// The next import number (the table locked on PostgreSQL, so that two
/// imports never take the same one; SQLite writers are serialised).
fn next_import(tx: &mut Tx<'_>) -> Result<i64> {
    if tx.dialect() == Dialect::Postgres {
        tx.batch(
            "save_indicators: lock imports",
            "LOCK TABLE intel_imports IN EXCLUSIVE MODE",
        )?;
    }
    let last = tx
        .one(
            "save_indicators: next import",
            "SELECT COALESCE(MAX(id), 0) FROM intel_imports",
            &[],
        )?
        .map_or(0, |r| r.int(0));
    Ok(last + 1)
}

/// The digest of an indicator's content: its import time left out, so that
/// importing the same indicator again is no change (the stored copy keeps
/// its first import time, and its import number).
fn content_digest(ind: &Indicator) -> String {
    let mut c = ind.clone();
    c.provenance.imported = Ts(0);
    digest(&c)
}

pub(crate) fn save(tx: &mut Tx<'_>, w: &IntelWrite<'_>) -> Result<IntelImport> {
    let at = crate::now().0;
    let import = next_import(tx)?;
    let mut out = IntelSaved::default();
    for chunk in w.indicators.chunks(CHUNK) {
        let ids: Vec<P<'_>> = chunk.iter().map(|i| P::Text(&i.id)).collect();
        let stored: HashMap<String, String> = tx
            .query(
                "save_indicators: read digests",
                &format!(
                    "SELECT id, digest FROM indicators WHERE id IN ({})",
                    marks(ids.len())
                ),
                &ids,
            )?
            .into_iter()
            .map(|mut r| (r.text(0), r.text(1)))
            .collect();
        let mut fresh: HashMap<&str, (&Indicator, String, String)> = HashMap::new();
        for ind in chunk {
            let d = content_digest(ind);
            match stored.get(&ind.id) {
                Some(old) if *old == d => out.unchanged += 1,
                Some(_) => {
                    let body = json(ind);
                    tx.exec(
                        "save_indicators: update",
                        "UPDATE indicators SET source = ?, name = ?, tlp = ?, confidence = ?, \
                         valid_from = ?, valid_until = ?, updated_at = ?, digest = ?, body = ?, \
                         import_id = ? WHERE id = ?",
                        &[
                            P::Text(w.source),
                            P::Text(&ind.name),
                            P::opt_text(ind.provenance.tlp.map(tlp_name)),
                            P::opt_int(ind.provenance.confidence.map(i64::from)),
                            P::opt_int(ind.valid_from.map(|t| t.0)),
                            P::opt_int(ind.valid_until.map(|t| t.0)),
                            P::Int(at),
                            P::Text(&d),
                            P::Text(&body),
                            P::Int(import),
                            P::Text(&ind.id),
                        ],
                    )?;
                    out.updated += 1;
                }
                // A repeated id within one save: the last one wins.
                None => {
                    fresh.insert(&ind.id, (ind, d, json(ind)));
                }
            }
        }
        let mut rows: Vec<_> = fresh.into_values().collect();
        rows.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        out.added += rows.len() as u64;
        let params: Vec<P<'_>> = rows
            .iter()
            .flat_map(|(ind, d, body)| {
                [
                    P::Text(&ind.id),
                    P::Text(w.source),
                    P::Text(&ind.name),
                    P::opt_text(ind.provenance.tlp.map(tlp_name)),
                    P::opt_int(ind.provenance.confidence.map(i64::from)),
                    P::opt_int(ind.valid_from.map(|t| t.0)),
                    P::opt_int(ind.valid_until.map(|t| t.0)),
                    P::Int(at),
                    P::Int(at),
                    P::Text(d),
                    P::Text(body),
                    P::Int(import),
                ]
            })
            .collect();
        insert_many(
            tx,
            "save_indicators: insert",
            "INSERT INTO indicators (id, source, name, tlp, confidence, valid_from, valid_until, \
             imported_at, updated_at, digest, body, import_id)",
            12,
            &params,
        )?;
    }
    let updated = tx.exec(
        "save_indicators: source",
        "UPDATE intel_sources SET cursor = COALESCE(?, cursor), last_imported = ? WHERE source = ?",
        &[P::opt_text(w.cursor), P::Int(at), P::Text(w.source)],
    )?;
    if updated == 0 {
        tx.exec(
            "save_indicators: new source",
            "INSERT INTO intel_sources (source, cursor, last_imported) VALUES (?, ?, ?)",
            &[P::Text(w.source), P::opt_text(w.cursor), P::Int(at)],
        )?;
    }
    tx.exec(
        "save_indicators: record import",
        "INSERT INTO intel_imports (id, at, source, added, updated) VALUES (?, ?, ?, ?, ?)",
        &[
            P::Int(import),
            P::Int(at),
            P::Text(w.source),
            P::uint(out.added),
            P::uint(out.updated),
        ],
    )?;
    Ok(IntelImport { saved: out, import })
}

/// The number of the last import (0 when none).
pub(crate) fn last_import(tx: &mut Tx<'_>) -> Result<i64> {
    Ok(tx
        .one(
            "last_import",
            "SELECT COALESCE(MAX(id), 0) FROM intel_imports",
            &[],
        )?
        .map_or(0, |r| r.int(0)))
}

pub(crate) fn indicators(tx: &mut Tx<'_>, q: &IndicatorQuery) -> Result<Vec<Indicator>> {
    let mut sql = String::from("SELECT body FROM indicators WHERE 1 = 1");
    let mut params = Vec::new();
    if let Some(s) = &q.source {
        sql.push_str(" AND source = ?");
        params.push(P::Text(s));
    }
    if let Some(t) = q.valid_at {
        sql.push_str(" AND (valid_until IS NULL OR valid_until >= ?)");
        sql.push_str(" AND (valid_from IS NULL OR valid_from <= ?)");
        params.extend([P::Int(t.0), P::Int(t.0)]);
    }
    if let Some(t) = q.imported_since {
        sql.push_str(" AND imported_at >= ?");
        params.push(P::Int(t.0));
    }
    if let Some(n) = q.import_after {
        sql.push_str(" AND import_id > ?");
        params.push(P::Int(n));
    }
    if let Some(n) = q.import_through {
        sql.push_str(" AND import_id <= ?");
        params.push(P::Int(n));
    }
    sql.push_str(" ORDER BY id");
    let url = tx.url.to_string();
    tx.query("indicators", &sql, &params)?
        .into_iter()
        .map(|mut r| unjson(&url, "indicator", &r.text(0)))
        .collect()
}

pub(crate) fn cursor(tx: &mut Tx<'_>, source: &str) -> Result<Option<String>> {
    Ok(tx
        .one(
            "intel_cursor",
            "SELECT cursor FROM intel_sources WHERE source = ?",
            &[P::Text(source)],
        )?
        .and_then(|mut r| r.opt_text(0)))
}

pub(crate) fn sources(tx: &mut Tx<'_>) -> Result<Vec<IntelSourceRow>> {
    Ok(tx
        .query(
            "intel_sources",
            "SELECT s.source, s.cursor, s.last_imported, \
             (SELECT COUNT(*) FROM indicators i WHERE i.source = s.source) \
             FROM intel_sources s ORDER BY s.source",
            &[],
        )?
        .into_iter()
        .map(|mut r| IntelSourceRow {
            source: r.text(0),
            cursor: r.opt_text(1),
            last_imported: Ts(r.int(2)),
            indicators: r.uint(3),
        })
        .collect())
}
