//! Scenario `election-actor`: one reconnaissance actor with six addresses in
//! three networks (four in one /24, another IPv4 network, an IPv6 network)
//! walking its own wordlist against eight sites in four log formats over four
//! weeks, beside browsers, crawlers and an uptime monitor on every site, an internet-wide
//! research scanner (three addresses, its own User-Agent and wordlist, every
//! site every week), ten unrelated commodity scanners sharing one public
//! wordlist and a stock `python-requests` User-Agent, and one-off exploit
//! probes from unrelated sources (background exploitation).
//!
//! Output folder layout:
//! - `www/elections.mi.example/access.log`, `www/vote.pa.example/access.log`:
//!   Apache `combined`, a folder per host (not mapped in `targets.toml`: the
//!   hunt names the site from the folder);
//! - `vhosts/other_vhosts_access.log`: `vhost_combined`, two Wisconsin sites;
//! - `iis/u_exYYMM.log`: IIS W3C with `cs-host`, Nevada and Arizona;
//! - `json/access.json.log`: nginx JSON lines, a news site and Georgia;
//! - `targets.toml`, `labels.jsonl`.

mod traffic;

use crate::clock::{year_month, Zone, DAY, MS, PERIOD_START};
use crate::label::Labels;
use crate::write::{
    push_combined, push_iis, push_iis_header, push_nginx_json, push_target, push_vhost,
    write_metadata, OutFile, Req,
};
use crate::{SimError, SimOptions, SimSummary};
use std::path::PathBuf;

/// How a site's requests are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    Combined,
    Vhost,
    Iis,
    Json,
}

#[derive(Debug)]
struct Site {
    host: &'static str,
    organisation: &'static str,
    sector: &'static str,
    region: &'static str,
    layout: Layout,
}

const SITES: &[Site] = &[
    Site {
        host: "elections.mi.example",
        organisation: "Michigan Bureau of Elections",
        sector: "election",
        region: "MI",
        layout: Layout::Combined,
    },
    Site {
        host: "vote.pa.example",
        organisation: "Pennsylvania Department of State",
        sector: "election",
        region: "PA",
        layout: Layout::Combined,
    },
    Site {
        host: "sos.wi.example",
        organisation: "Wisconsin Elections Commission",
        sector: "election",
        region: "WI",
        layout: Layout::Vhost,
    },
    Site {
        host: "results.wi.example",
        organisation: "Wisconsin Elections Commission",
        sector: "election",
        region: "WI",
        layout: Layout::Vhost,
    },
    Site {
        host: "elections.nv.example",
        organisation: "Nevada Secretary of State",
        sector: "election",
        region: "NV",
        layout: Layout::Iis,
    },
    Site {
        host: "vote.az.example",
        organisation: "Arizona Secretary of State",
        sector: "election",
        region: "AZ",
        layout: Layout::Iis,
    },
    Site {
        host: "news.example",
        organisation: "Example News",
        sector: "news",
        region: "US",
        layout: Layout::Json,
    },
    Site {
        host: "elections.ga.example",
        organisation: "Georgia Secretary of State",
        sector: "election",
        region: "GA",
        layout: Layout::Json,
    },
];

pub(crate) fn run(opts: &SimOptions) -> Result<SimSummary, SimError> {
    let mut labels = Labels::default();
    let mut reqs = traffic::plan(opts, &mut labels);
    let end = (PERIOD_START + i64::from(opts.days) * DAY) * MS;
    reqs.retain(|r| r.ms < end);
    reqs.sort_by_key(|r| (r.ms, r.site));
    let mut summary = SimSummary::default();
    for layout in [Layout::Combined, Layout::Vhost, Layout::Iis, Layout::Json] {
        write_layout(opts, layout, &reqs, &mut labels, &mut summary)?;
    }
    write_metadata(&opts.out, &labels, &targets_toml(), &mut summary)?;
    crate::intel::write(&opts.out, &crate::intel::ELECTION_ACTOR, &mut summary)?;
    Ok(summary)
}

/// Organisations, sectors and regions; no `paths` (the combined logs live in
/// folders named after their hosts).
fn targets_toml() -> String {
    let mut s = String::from("# Sites of the election-actor simulation.\n");
    for site in SITES {
        push_target(
            &mut s,
            site.host,
            site.organisation,
            site.sector,
            site.region,
        );
    }
    s
}

fn write_layout(
    opts: &SimOptions,
    layout: Layout,
    reqs: &[Req],
    labels: &mut Labels,
    summary: &mut SimSummary,
) -> Result<(), SimError> {
    let mut files: Vec<(PathBuf, OutFile)> = Vec::new();
    let mut line = Vec::with_capacity(1024);
    for r in reqs {
        let site = &SITES[usize::from(r.site)];
        if site.layout != layout {
            continue;
        }
        let secs = r.secs();
        let path = match layout {
            Layout::Combined => opts.out.join("www").join(site.host).join("access.log"),
            Layout::Vhost => opts.out.join("vhosts/other_vhosts_access.log"),
            Layout::Iis => {
                let (yy, mm) = year_month(secs);
                opts.out.join(format!("iis/u_ex{yy:02}{mm:02}.log"))
            }
            Layout::Json => opts.out.join("json/access.json.log"),
        };
        line.clear();
        let at = match files.iter().position(|(p, _)| *p == path) {
            Some(i) => i,
            None => {
                files.push((path.clone(), OutFile::create(&path)?));
                if layout == Layout::Iis {
                    push_iis_header(&mut line, secs);
                }
                files.len() - 1
            }
        };
        match layout {
            Layout::Combined => push_combined(&mut line, r, Zone::UsEastern),
            Layout::Vhost => push_vhost(&mut line, r, site.host, Zone::UsEastern),
            Layout::Iis => push_iis(&mut line, r, site.host),
            Layout::Json => push_nginx_json(&mut line, r, site.host, Zone::Utc),
        }
        summary.lines += 1;
        summary.bytes += line.len() as u64;
        labels.record(r.tag, r.ms);
        files[at].1.write(&line)?;
    }
    for (_, f) in files {
        summary.files.push(f.finish()?);
    }
    Ok(())
}
