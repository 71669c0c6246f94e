//! Scenario `election-intrusion`: from probing to theft, after the public
//! CISA/FBI advisories AA20-296B and AA20-304A. One actor scans four state
//! election sites with a commercial scanner (Acunetix tokens in paths and
//! parameters), exploits one of them (F5 BIG-IP CVE-2020-5902 and Telerik UI
//! CVE-2017-9248 / CVE-2019-18935 shapes: the Telerik dialog handler answers
//! a real page), places and uses a webshell, iterates a voter-lookup
//! endpoint (`/voter/lookup?id=N`, sequential), and defaces another site
//! (`PUT` of the home page, whose size then changes and stays changed).
//!
//! Beside it, the benign look-alikes that must stay quiet: a search-engine
//! crawler fetching public PDFs, a results-feed API client polling one JSON
//! resource, a journalist downloading the public results files once, an
//! uptime monitor, and the offices' editors updating pages from their own
//! (allow-listed) networks, among ordinary visitors, some of whom look a
//! voter up.
//!
//! Output: `<state>/access.log` (Apache `combined`, one per site, US
//! Eastern time), `targets.toml` (each folder named to its site),
//! `haboob.toml` (the editors' networks allow-listed) and `labels.jsonl`,
//! whose attack labels carry the stage each activity reaches on its site
//! and, for the harvest, the records and bytes taken.
//!
//! The schedule: day 0 is a quiet baseline; the scan, exploitation and
//! harvest are on day 1, the defacement on day 2; benign traffic runs the
//! whole period (4 to 14 days).

mod attack;
mod benign;

use crate::clock::{Zone, DAY, MS, PERIOD_START};
use crate::label::Labels;
use crate::write::{push_combined, push_target, write_metadata, OutFile, Req};
use crate::{SimError, SimOptions, SimSummary};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::fmt::Write as _;

/// One simulated state election site.
#[derive(Debug)]
struct Site {
    host: &'static str,
    organisation: &'static str,
    region: &'static str,
    /// Folder of its `access.log`.
    dir: &'static str,
    /// Home page size before any change, bytes.
    home_bytes: u32,
    /// The office network its editors work from.
    office: &'static str,
    /// An editor's address in it.
    editor_ip: &'static str,
}

/// The exploited site (voter lookup harvested).
const PA: usize = 0;
/// The defaced site.
const WI: usize = 1;
/// Scanned only.
const MI: usize = 2;
/// Scanned and probed with exploits that failed.
const NV: usize = 3;

const SITES: &[Site] = &[
    Site {
        host: "elections.pa.example",
        organisation: "Pennsylvania Department of State",
        region: "PA",
        dir: "pa",
        home_bytes: 18_240,
        office: "12.146.40.0/24",
        editor_ip: "12.146.40.15",
    },
    Site {
        host: "elections.wi.example",
        organisation: "Wisconsin Elections Commission",
        region: "WI",
        dir: "wi",
        home_bytes: 21_410,
        office: "12.201.20.0/24",
        editor_ip: "12.201.20.7",
    },
    Site {
        host: "vote.mi.example",
        organisation: "Michigan Bureau of Elections",
        region: "MI",
        dir: "mi",
        home_bytes: 16_980,
        office: "12.33.91.0/24",
        editor_ip: "12.33.91.40",
    },
    Site {
        host: "sos.nv.example",
        organisation: "Nevada Secretary of State",
        region: "NV",
        dir: "nv",
        home_bytes: 19_770,
        office: "12.88.121.0/24",
        editor_ip: "12.88.121.9",
    },
];

/// Fewest and most days the scenario simulates.
const MIN_DAYS: u32 = 4;
const MAX_DAYS: u32 = 14;

/// Run-wide settings every generator sees.
#[derive(Debug, Clone, Copy)]
struct Ctx {
    days: u32,
    seed: u64,
    rate: u32,
}

impl Ctx {
    /// UTC milliseconds of midnight starting day `d` of the period.
    fn day_ms(self, d: u32) -> i64 {
        (PERIOD_START + i64::from(d) * DAY) * MS
    }

    /// A generator for one stream of the run (site index, or 100+ for attacks).
    fn rng(self, stream: u64) -> ChaCha8Rng {
        let mut r = ChaCha8Rng::seed_from_u64(self.seed);
        r.set_stream(stream);
        r
    }
}

/// When the defacement happened, if it did (UTC ms), and the defaced home
/// page's size: benign traffic answers the home page with it afterwards.
#[derive(Debug, Clone, Copy)]
struct Defaced {
    site: usize,
    at: i64,
    bytes: u32,
}

pub(crate) fn run(opts: &SimOptions) -> Result<SimSummary, SimError> {
    if opts.days < MIN_DAYS {
        return Err(SimError::Options(
            "election-intrusion needs at least 4 days",
        ));
    }
    let ctx = Ctx {
        days: opts.days.min(MAX_DAYS),
        seed: opts.seed,
        rate: opts.rate,
    };
    let mut labels = Labels::default();
    let (attacks, defaced) = attack::plan(ctx, &mut labels);
    let mut per_site: Vec<Vec<Req>> = SITES.iter().map(|_| Vec::new()).collect();
    for r in attacks {
        per_site[usize::from(r.site)].push(r);
    }
    let mut summary = SimSummary::default();
    let end = ctx.day_ms(ctx.days);
    for (i, site) in SITES.iter().enumerate() {
        let mut reqs = benign::site_traffic(ctx, i, defaced, &mut labels);
        reqs.append(&mut per_site[i]);
        reqs.retain(|r| r.ms < end);
        reqs.sort_by_key(|r| r.ms);
        let path = opts.out.join(site.dir).join("access.log");
        let mut f = OutFile::create(&path)?;
        let mut line = Vec::with_capacity(1024);
        for r in &reqs {
            line.clear();
            push_combined(&mut line, r, Zone::UsEastern);
            summary.lines += 1;
            summary.bytes += line.len() as u64;
            // Bytes taken are the bodies of answered (2xx) requests.
            let taken = if (200..300).contains(&r.status) {
                r.bytes
            } else {
                0
            };
            labels.record_sized(r.tag, r.ms, taken);
            f.write(&line)?;
        }
        summary.files.push(f.finish()?);
    }
    write_metadata(&opts.out, &labels, &targets_toml(), &mut summary)?;
    let hp = opts.out.join("haboob.toml");
    std::fs::write(&hp, haboob_toml()).map_err(SimError::io(&hp))?;
    summary.files.push(hp);
    Ok(summary)
}

/// `targets.toml`: each site's organisation and state, and its folder.
fn targets_toml() -> String {
    let mut s = String::from("# Sites of the election-intrusion simulation.\n");
    for site in SITES {
        push_target(
            &mut s,
            site.host,
            site.organisation,
            "election",
            site.region,
        );
        let _ = writeln!(s, "paths = [\"{}/*\"]", site.dir);
    }
    s
}

/// `haboob.toml`: the offices' own networks, from which their editors
/// update pages, are the defacement rule's editors.
fn haboob_toml() -> String {
    let nets: Vec<String> = SITES.iter().map(|s| format!("\"{}\"", s.office)).collect();
    format!(
        "# The election offices' own networks: their editors update pages from\n\
         # here (writes from anywhere else are not theirs).\n\
         [web.defacement]\neditors = [{}]\n",
        nets.join(", ")
    )
}
