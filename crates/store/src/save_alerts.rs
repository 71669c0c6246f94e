//! The alerts of one save: read the stored digests of up to 256 alerts in
//! one query, update the changed ones row by row, and load the new ones and
//! every changed alert's evidence, sources and accounts in bulk (binary
//! `COPY` on PostgreSQL, multi-row `INSERT`s on SQLite).

use crate::codec::{
    alert_accounts, alert_sources, bound, bounded_alert, digest, json, severity_rank, stage_rank,
    MAX_TEXT_BYTES,
};
use crate::db::{marks, Col, Tx, P};
use crate::types::SaveSummary;
use crate::Result;
use haboob_model::Alert;
use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};

/// Alerts whose stored digests are read in one query.
const LOOKUP_CHUNK: usize = 256;

const ALERT_COLUMNS: &[(&str, Col)] = &[
    ("id", Col::Text),
    ("detector", Col::Text),
    ("title", Col::Text),
    ("techniques", Col::Text),
    ("severity", Col::Int),
    ("source_ip", Col::Text),
    ("source_prefix", Col::Text),
    ("source_members", Col::Text),
    ("target", Col::Text),
    ("user_name", Col::Text),
    ("first_seen", Col::Int),
    ("last_seen", Col::Int),
    ("event_count", Col::Int),
    ("details", Col::Text),
    ("digest", Col::Text),
    ("updated_at", Col::Int),
    ("created_at", Col::Int),
];
const EVIDENCE_COLUMNS: &[(&str, Col)] = &[
    ("alert_id", Col::Text),
    ("seq", Col::Int),
    ("file", Col::Text),
    ("line", Col::Int),
    ("raw", Col::Text),
];
const SOURCE_COLUMNS: &[(&str, Col)] = &[("alert_id", Col::Text), ("source", Col::Text)];
const ACCOUNT_COLUMNS: &[(&str, Col)] = &[
    ("alert_id", Col::Text),
    ("user_name", Col::Text),
    ("stage", Col::Int),
];

/// Upsert `alerts` by id (the newest content wins; evidence, sources and
/// accounts replaced), counting new and changed ones in `sum`. The alerts
/// are taken [`LOOKUP_CHUNK`] at a time: only that many are held at once.
pub(crate) fn save_alerts<'a>(
    tx: &mut Tx<'_>,
    alerts: impl IntoIterator<Item = Cow<'a, Alert>>,
    at: i64,
    sum: &mut SaveSummary,
) -> Result<()> {
    let mut alerts = alerts.into_iter().map(bounded_cow);
    loop {
        let bounded: Vec<Cow<'a, Alert>> = alerts.by_ref().take(LOOKUP_CHUNK).collect();
        if bounded.is_empty() {
            break;
        }
        let ids: Vec<P<'_>> = bounded.iter().map(|a| P::Text(&a.id)).collect();
        let mut stored: HashMap<String, String> = HashMap::new();
        for mut r in tx.query(
            "save_hunt: read alerts",
            &format!(
                "SELECT id, digest FROM alerts WHERE id IN ({})",
                marks(ids.len())
            ),
            &ids,
        )? {
            stored.insert(r.text(0), r.text(1));
        }
        // Runs of distinct ids: a repeated id in one save starts the next
        // run, so it is compared with (and replaces) the first one.
        let mut start = 0;
        while start < bounded.len() {
            let mut seen = HashSet::new();
            let mut end = start;
            while end < bounded.len() && seen.insert(bounded[end].id.as_str()) {
                end += 1;
            }
            save_run(tx, &bounded[start..end], &mut stored, at, sum)?;
            start = end;
        }
    }
    Ok(())
}

/// The alert with its text bounded as stored ([`bounded_alert`]), still
/// borrowed when it was and needs no bounding.
fn bounded_cow(a: Cow<'_, Alert>) -> Cow<'_, Alert> {
    match a {
        Cow::Borrowed(a) => bounded_alert(a),
        Cow::Owned(a) => match bounded_alert(&a) {
            Cow::Borrowed(_) => Cow::Owned(a),
            Cow::Owned(b) => Cow::Owned(b),
        },
    }
}

/// What a row needs besides the alert's own fields.
struct Prepared {
    digest: String,
    techniques: String,
    members: String,
    details: String,
    ip: Option<String>,
    sources: BTreeSet<String>,
}

/// Save alerts with distinct ids whose stored digests are in `stored`.
fn save_run(
    tx: &mut Tx<'_>,
    alerts: &[Cow<'_, Alert>],
    stored: &mut HashMap<String, String>,
    at: i64,
    sum: &mut SaveSummary,
) -> Result<()> {
    let mut new = Vec::new();
    let mut changed = Vec::new();
    for a in alerts {
        let a: &Alert = a;
        let p = Prepared {
            digest: digest(a),
            techniques: json(&a.techniques),
            members: json(&a.source.members),
            details: json(&a.details),
            ip: a.source.ip.map(|ip| ip.to_string()),
            sources: alert_sources(&a.source),
        };
        match stored.get(&a.id) {
            Some(old) if *old == p.digest => continue,
            Some(_) => {
                update_alert(tx, a, &p, at)?;
                sum.alerts_updated += 1;
            }
            None => {
                new.push((a, changed.len()));
                sum.alerts_new += 1;
            }
        }
        stored.insert(a.id.clone(), p.digest.clone());
        changed.push((a, p));
    }
    let mut params = Vec::with_capacity(new.len() * ALERT_COLUMNS.len());
    for &(a, i) in &new {
        params.extend(row_params(a, &changed[i].1, at));
        params.push(P::Int(at));
    }
    tx.insert_rows("save_hunt: insert alerts", "alerts", ALERT_COLUMNS, &params)?;
    let mut params = Vec::new();
    for (a, _) in &changed {
        for (seq, e) in a.evidence.iter().enumerate() {
            params.extend([
                P::Text(&a.id),
                P::uint(seq as u64),
                P::Text(&e.file),
                P::uint(e.line),
                P::Text(&e.raw),
            ]);
        }
    }
    tx.insert_rows(
        "save_hunt: insert evidence",
        "evidence",
        EVIDENCE_COLUMNS,
        &params,
    )?;
    let params: Vec<P<'_>> = changed
        .iter()
        .flat_map(|(a, p)| p.sources.iter().flat_map(|s| [P::Text(&a.id), P::Text(s)]))
        .collect();
    tx.insert_rows(
        "save_hunt: insert alert sources",
        "alert_sources",
        SOURCE_COLUMNS,
        &params,
    )?;
    let params: Vec<P<'_>> = changed
        .iter()
        .flat_map(|(a, _)| {
            alert_accounts(a).into_iter().flat_map(|(user, stage)| {
                [
                    P::Text(&a.id),
                    P::Text(bound(user, MAX_TEXT_BYTES)),
                    P::Int(stage_rank(stage)),
                ]
            })
        })
        .collect();
    tx.insert_rows(
        "save_hunt: insert alert accounts",
        "alert_accounts",
        ACCOUNT_COLUMNS,
        &params,
    )
}

/// The alert's columns in [`ALERT_COLUMNS`] order, up to `updated_at`.
fn row_params<'a>(a: &'a Alert, p: &'a Prepared, at: i64) -> [P<'a>; 16] {
    [
        P::Text(&a.id),
        P::Text(&a.detector),
        P::Text(&a.title),
        P::Text(&p.techniques),
        P::Int(severity_rank(a.severity)),
        P::opt_text(p.ip.as_deref()),
        P::opt_text(a.source.prefix.as_deref()),
        P::Text(&p.members),
        P::Text(&a.target),
        P::opt_text(a.user.as_deref()),
        P::Int(a.first_seen.0),
        P::Int(a.last_seen.0),
        P::uint(a.count),
        P::Text(&p.details),
        P::Text(&p.digest),
        P::Int(at),
    ]
}

/// Update a stored alert's row and drop its parts (inserted again with
/// the new ones).
fn update_alert(tx: &mut Tx<'_>, a: &Alert, p: &Prepared, at: i64) -> Result<()> {
    let mut params = row_params(a, p, at)[1..].to_vec();
    params.push(P::Text(&a.id));
    tx.exec(
        "save_hunt: update alert",
        "UPDATE alerts SET detector = ?, title = ?, techniques = ?, severity = ?, \
         source_ip = ?, source_prefix = ?, source_members = ?, target = ?, user_name = ?, \
         first_seen = ?, last_seen = ?, event_count = ?, details = ?, digest = ?, \
         updated_at = ? WHERE id = ?",
        &params,
    )?;
    for table in ["evidence", "alert_sources", "alert_accounts"] {
        tx.exec(
            "save_hunt: replace alert parts",
            &format!("DELETE FROM {table} WHERE alert_id = ?"),
            &[P::Text(&a.id)],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use haboob_model::{AlertSource, Details, Severity, Ts};

    fn alert(title: String) -> Alert {
        Alert {
            id: "al-1".into(),
            detector: "web.scan".into(),
            title,
            techniques: vec![],
            severity: Severity::Low,
            source: AlertSource::default(),
            target: "votes.example.gov".into(),
            user: None,
            first_seen: Ts(0),
            last_seen: Ts(0),
            count: 1,
            details: Details::default(),
            evidence: vec![],
        }
    }

    #[test]
    fn bounded_cow_keeps_what_fits_as_it_came_and_cuts_what_does_not() {
        let short = alert("short".into());
        let long = alert("x".repeat(MAX_TEXT_BYTES + 5));
        let cut = alert("x".repeat(MAX_TEXT_BYTES));

        let b = bounded_cow(Cow::Borrowed(&short));
        assert!(matches!(b, Cow::Borrowed(a) if std::ptr::eq(a, &short)));
        let o = bounded_cow(Cow::Owned(short.clone()));
        assert!(matches!(&o, Cow::Owned(_)));
        assert_eq!(*o, short);

        for a in [Cow::Borrowed(&long), Cow::Owned(long.clone())] {
            let got = bounded_cow(a);
            assert!(matches!(&got, Cow::Owned(_)));
            assert_eq!(got.title.len(), MAX_TEXT_BYTES);
            assert_eq!(*got, cut);
        }
    }
}
