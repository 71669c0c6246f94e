//! Ground truth: [`Label`] records in `labels.jsonl`, and the registry that
//! tallies them while logs are written.

use crate::SimError;
use haboob_model::Ts;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::IpAddr;
use std::path::Path;

/// Whether a labelled source is hostile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LabelKind {
    /// Attacker activity a detector must find.
    Attack,
    /// Notable benign activity no detector may flag (or that must be suppressed).
    Benign,
}

/// One ground-truth record of `labels.jsonl`: one source's activity of one
/// role against one site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Label {
    /// Attack or benign.
    pub kind: LabelKind,
    /// Who: `actor-a`, or a benign party such as `googlebot`.
    pub actor: String,
    /// What it did. Attack: `crawl`, `scan`, `sensitive`, `scanner_ua`,
    /// `exploit`, `admin_enum`, `distributed_scan`. Benign: `user`,
    /// `crawler`, `monitor`, `pentest`, `broken_links`, `admin`.
    pub role: String,
    /// The source address.
    pub source_ip: IpAddr,
    /// For `distributed_scan`: the /24 the members share (`192.0.2.0/24`).
    pub prefix: Option<String>,
    /// The site (host name) acted on.
    pub site: String,
    /// The haboob detector expected to fire (attacks only), e.g. `web.scan`.
    pub detector: Option<String>,
    /// The MITRE ATT&CK technique expected, e.g. `T1595.002`.
    pub technique: Option<String>,
    /// First request.
    pub first_seen: Ts,
    /// Last request.
    pub last_seen: Ts,
    /// Requests (log lines) by this source against this site in this role.
    pub events: u64,
    /// The actor haboob should attribute this activity's campaign to (its
    /// canonical name), for the seeded actors the scenario's ISAC intel
    /// names; absent: unattributed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributed_to: Option<String>,
    /// The campaign stage this activity reaches on the site
    /// (`reconnaissance`, `exploitation_attempt`, `exploitation_success`,
    /// `collection`, `defacement`), for scenarios that label stages
    /// (`election-intrusion`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// Records taken (`collection`): distinct records answered 2xx.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<u64>,
    /// Response bytes of the labelled requests, for labels that count them
    /// (`collection`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
}

/// Read `labels.jsonl` (blank lines skipped).
pub fn read_labels(path: &Path) -> Result<Vec<Label>, SimError> {
    let f = std::fs::File::open(path).map_err(SimError::io(path))?;
    let mut out = Vec::new();
    for (i, line) in BufReader::new(f).lines().enumerate() {
        let line = line.map_err(SimError::io(path))?;
        if line.trim().is_empty() {
            continue;
        }
        let label = serde_json::from_str(&line).map_err(|source| SimError::BadLabel {
            path: path.to_path_buf(),
            line: i as u64 + 1,
            source,
        })?;
        out.push(label);
    }
    Ok(out)
}

/// Index of a label in a [`Labels`] registry; carried by each request.
pub(crate) type Tag = u32;
/// The request carries no label.
pub(crate) const NO_TAG: Tag = Tag::MAX;

/// What a label is about, before its events are tallied.
#[derive(Debug, Clone)]
pub(crate) struct LabelSpec {
    pub kind: LabelKind,
    pub actor: &'static str,
    pub role: &'static str,
    pub ip: IpAddr,
    pub site: &'static str,
    pub detector: Option<&'static str>,
    pub technique: Option<&'static str>,
    pub prefix: Option<String>,
}

/// What a label adds for scenarios with campaign stages.
#[derive(Debug, Clone, Default)]
pub(crate) struct Outcome {
    /// The stage reached (see [`Label::stage`]).
    pub stage: Option<&'static str>,
    /// Records taken.
    pub records: Option<u64>,
    /// Tally the response bytes of the label's requests (the caller passes
    /// 0 for requests that took nothing, e.g. not answered 2xx).
    pub count_bytes: bool,
}

/// Registry of labels: one per (source, site, role), tallied as requests
/// are written.
#[derive(Debug, Default)]
pub(crate) struct Labels {
    specs: Vec<LabelSpec>,
    outcomes: BTreeMap<Tag, Outcome>,
    bytes: BTreeMap<Tag, u64>,
    index: BTreeMap<(IpAddr, &'static str, &'static str), Tag>,
    first: Vec<i64>,
    last: Vec<i64>,
    events: Vec<u64>,
}

impl Labels {
    /// The tag for a spec, registering it the first time.
    pub(crate) fn tag(&mut self, spec: LabelSpec) -> Tag {
        let key = (spec.ip, spec.site, spec.role);
        if let Some(t) = self.index.get(&key) {
            return *t;
        }
        let t = self.specs.len() as Tag;
        self.index.insert(key, t);
        self.specs.push(spec);
        self.first.push(i64::MAX);
        self.last.push(i64::MIN);
        self.events.push(0);
        t
    }

    /// Attach a stage, record count or byte tally to a label.
    pub(crate) fn annotate(&mut self, tag: Tag, o: Outcome) {
        if o.count_bytes {
            self.bytes.entry(tag).or_insert(0);
        }
        self.outcomes.insert(tag, o);
    }

    /// [`Labels::record`], also adding the response bytes to a label that
    /// counts them.
    pub(crate) fn record_sized(&mut self, tag: Tag, ms: i64, bytes: u32) {
        self.record(tag, ms);
        if let Some(b) = self.bytes.get_mut(&tag) {
            *b += u64::from(bytes);
        }
    }

    /// Count one written request at `ms`.
    pub(crate) fn record(&mut self, tag: Tag, ms: i64) {
        if tag == NO_TAG {
            return;
        }
        let i = tag as usize;
        self.first[i] = self.first[i].min(ms);
        self.last[i] = self.last[i].max(ms);
        self.events[i] += 1;
    }

    /// Write `labels.jsonl` (labels that saw no request are dropped), sorted
    /// by kind, site, role and source. Returns the number written.
    pub(crate) fn write(&self, path: &Path) -> Result<u64, SimError> {
        let mut order: Vec<usize> = (0..self.specs.len())
            .filter(|&i| self.events[i] > 0)
            .collect();
        order.sort_by(|&a, &b| {
            let (x, y) = (&self.specs[a], &self.specs[b]);
            (x.kind, x.site, x.role, x.ip).cmp(&(y.kind, y.site, y.role, y.ip))
        });
        let f = std::fs::File::create(path).map_err(SimError::io(path))?;
        let mut w = std::io::BufWriter::new(f);
        for &i in &order {
            let s = &self.specs[i];
            let label = Label {
                kind: s.kind,
                actor: s.actor.to_string(),
                role: s.role.to_string(),
                source_ip: s.ip,
                prefix: s.prefix.clone(),
                site: s.site.to_string(),
                detector: s.detector.map(str::to_string),
                technique: s.technique.map(str::to_string),
                first_seen: Ts(self.first[i]),
                last_seen: Ts(self.last[i]),
                events: self.events[i],
                attributed_to: match s.kind {
                    LabelKind::Attack => crate::intel::identity_of(s.actor).map(str::to_string),
                    LabelKind::Benign => None,
                },
                stage: self
                    .outcomes
                    .get(&(i as Tag))
                    .and_then(|o| o.stage)
                    .map(str::to_string),
                records: self.outcomes.get(&(i as Tag)).and_then(|o| o.records),
                bytes: self.bytes.get(&(i as Tag)).copied(),
            };
            serde_json::to_writer(&mut w, &label)
                .map_err(|e| SimError::io(path)(std::io::Error::other(e)))?;
            w.write_all(b"\n").map_err(SimError::io(path))?;
        }
        w.flush().map_err(SimError::io(path))?;
        Ok(order.len() as u64)
    }
}
