//! Scenario `election-recon`: seven sites in four log formats, benign hard
//! negatives, and actor-a's reconnaissance and limited scanning.
//!
//! Output folder layout:
//! - `oh/elections/`, `oh/vote/`, `campaign/`: Apache `combined`, weekly
//!   rotation (`access.log`, `access.log.1`, `access.log.2.gz`, …);
//! - `ga/other_vhosts_access.log`: `vhost_combined`, two Georgia sites;
//! - `az/u_exYYMM.log`: IIS W3C extended, one file per month (UTC);
//! - `news/access.json.log`: nginx JSON lines;
//! - `targets.toml`, `haboob.toml`, `labels.jsonl`.

mod attack;
pub(crate) mod benign;
pub(crate) mod catalog;

use crate::clock::{year_month, Zone, DAY, MS, PERIOD_START};
use crate::label::Labels;
use crate::write::{
    push_combined, push_iis, push_iis_header, push_nginx_json, push_target, push_vhost,
    write_metadata, OutFile, Req,
};
use crate::{SimError, SimOptions, SimSummary};
use catalog::SiteKind;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::fmt::Write as _;
use std::path::PathBuf;

/// How a site's requests are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// Apache combined in this folder, rotated weekly.
    Combined(&'static str),
    /// `ga/other_vhosts_access.log`.
    Vhost,
    /// `az/u_exYYMM.log`.
    Iis,
    /// `news/access.json.log`.
    NginxJson,
}

/// One simulated site.
#[derive(Debug)]
struct Site {
    host: &'static str,
    organisation: &'static str,
    sector: &'static str,
    region: &'static str,
    kind: SiteKind,
    layout: Layout,
    zone: Zone,
    /// Watched by an uptime monitor every 60 s.
    monitored: bool,
    /// The site's administrator.
    admin_ip: &'static str,
}

const SITES: &[Site] = &[
    Site {
        host: "elections.oh.example",
        organisation: "Ohio Secretary of State",
        sector: "election",
        region: "OH",
        kind: SiteKind::Election,
        layout: Layout::Combined("oh/elections"),
        zone: Zone::UsEastern,
        monitored: true,
        admin_ip: "12.146.37.10",
    },
    Site {
        host: "vote.oh.example",
        organisation: "Franklin County Board of Elections",
        sector: "election",
        region: "OH",
        kind: SiteKind::Election,
        layout: Layout::Combined("oh/vote"),
        zone: Zone::UsEastern,
        monitored: false,
        admin_ip: "12.146.38.21",
    },
    Site {
        host: "sos.ga.example",
        organisation: "Georgia Secretary of State",
        sector: "election",
        region: "GA",
        kind: SiteKind::Election,
        layout: Layout::Vhost,
        zone: Zone::UsEastern,
        monitored: false,
        admin_ip: "12.201.14.5",
    },
    Site {
        host: "results.ga.example",
        organisation: "Georgia Secretary of State",
        sector: "election",
        region: "GA",
        kind: SiteKind::Election,
        layout: Layout::Vhost,
        zone: Zone::UsEastern,
        monitored: false,
        admin_ip: "12.201.14.5",
    },
    Site {
        host: "elections.az.example",
        organisation: "Arizona Secretary of State",
        sector: "election",
        region: "AZ",
        kind: SiteKind::Election,
        layout: Layout::Iis,
        zone: Zone::Utc,
        monitored: false,
        admin_ip: "12.33.90.44",
    },
    Site {
        host: "news.example",
        organisation: "Example News",
        sector: "news",
        region: "US",
        kind: SiteKind::News,
        layout: Layout::NginxJson,
        zone: Zone::Utc,
        monitored: true,
        admin_ip: "12.88.120.7",
    },
    Site {
        host: "campaign2026.example",
        organisation: "Example for Senate 2026",
        sector: "campaign",
        region: "OH",
        kind: SiteKind::Campaign,
        layout: Layout::Combined("campaign"),
        zone: Zone::Utc,
        monitored: false,
        admin_ip: "12.64.5.99",
    },
];

/// The declared, legitimate pen-tester (allow-listed in `haboob.toml`).
const PENTEST_IP: &str = "45.79.182.20";

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

    /// The day at fraction `f` of the period.
    fn day_at(self, f: f64) -> u32 {
        ((f * f64::from(self.days)) as u32).min(self.days - 1)
    }

    /// A generator for one stream of the run (site index, or 100+ for attacks).
    fn rng(self, stream: u64) -> ChaCha8Rng {
        let mut r = ChaCha8Rng::seed_from_u64(self.seed);
        r.set_stream(stream);
        r
    }
}

pub(crate) fn run(opts: &SimOptions) -> Result<SimSummary, SimError> {
    let ctx = Ctx {
        days: opts.days,
        seed: opts.seed,
        rate: opts.rate,
    };
    let mut labels = Labels::default();
    let mut per_site: Vec<Vec<Req>> = SITES.iter().map(|_| Vec::new()).collect();
    for r in attack::plan(ctx, &mut labels) {
        per_site[usize::from(r.site)].push(r);
    }
    let mut summary = SimSummary::default();
    // Output groups: one per combined folder, then the shared files.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, s) in SITES.iter().enumerate() {
        if let Layout::Combined(_) = s.layout {
            groups.push(vec![i]);
        }
    }
    for layout in [Layout::Vhost, Layout::Iis, Layout::NginxJson] {
        groups.push(
            (0..SITES.len())
                .filter(|&i| SITES[i].layout == layout)
                .collect(),
        );
    }
    for group in groups {
        let mut reqs = Vec::new();
        for &i in &group {
            reqs.extend(benign::site_traffic(ctx, i, &mut labels));
            reqs.append(&mut per_site[i]);
        }
        // Sessions started late on the last day may run past the period.
        let end = ctx.day_ms(ctx.days);
        reqs.retain(|r| r.ms < end);
        reqs.sort_by_key(|r| r.ms);
        write_group(
            opts,
            ctx,
            SITES[group[0]].layout,
            &reqs,
            &mut labels,
            &mut summary,
        )?;
    }
    write_metadata(&opts.out, &labels, &targets_toml(), &mut summary)?;
    let hp = opts.out.join("haboob.toml");
    let haboob = format!("[hunt]\nallow_sources = [\"{PENTEST_IP}\"]\n");
    std::fs::write(&hp, haboob).map_err(SimError::io(&hp))?;
    summary.files.push(hp);
    crate::intel::write(&opts.out, &crate::intel::ELECTION_RECON, &mut summary)?;
    Ok(summary)
}

/// `targets.toml`: every site's organisation, sector and region, and the
/// files of formats that do not name the site.
fn targets_toml() -> String {
    let mut s = String::from("# Sites of the election-recon simulation.\n");
    for site in SITES {
        push_target(
            &mut s,
            site.host,
            site.organisation,
            site.sector,
            site.region,
        );
        if let Layout::Combined(dir) = site.layout {
            let _ = writeln!(s, "paths = [\"{dir}/*\"]");
        }
    }
    // Who `haboob notify` tells: one example mailbox per organisation, at
    // its first site's host.
    let mut told: Vec<&str> = Vec::new();
    for site in SITES {
        if told.contains(&site.organisation) {
            continue;
        }
        told.push(site.organisation);
        let _ = write!(
            s,
            "\n[[organisation]]\nname = \"{}\"\ncontacts = [{{ channel = \"email\", address = \"security@{}\" }}]\n",
            site.organisation, site.host
        );
    }
    s
}

/// The rotated file name for a request in week `w` of `weeks`.
fn rotated_name(w: i64, weeks: i64) -> String {
    match weeks - 1 - w {
        0 => "access.log".to_string(),
        1 => "access.log.1".to_string(),
        n => format!("access.log.{n}.gz"),
    }
}

fn write_group(
    opts: &SimOptions,
    ctx: Ctx,
    layout: Layout,
    reqs: &[Req],
    labels: &mut Labels,
    summary: &mut SimSummary,
) -> Result<(), SimError> {
    let weeks = i64::from(ctx.days.div_ceil(7));
    let mut current: Option<(PathBuf, OutFile)> = None;
    let mut line = Vec::with_capacity(1024);
    let mut last_day = i64::MIN;
    for r in reqs {
        let site = &SITES[usize::from(r.site)];
        let secs = r.secs();
        let path = match layout {
            Layout::Combined(dir) => {
                let w = ((secs - PERIOD_START) / (7 * DAY)).min(weeks - 1);
                opts.out.join(dir).join(rotated_name(w, weeks))
            }
            Layout::Vhost => opts.out.join("ga/other_vhosts_access.log"),
            Layout::Iis => {
                let (yy, mm) = year_month(secs);
                opts.out.join(format!("az/u_ex{yy:02}{mm:02}.log"))
            }
            Layout::NginxJson => opts.out.join("news/access.json.log"),
        };
        line.clear();
        let fresh = current.as_ref().is_none_or(|(p, _)| *p != path);
        if fresh {
            if let Some((_, f)) = current.take() {
                summary.files.push(f.finish()?);
            }
            current = Some((path.clone(), OutFile::create(&path)?));
        }
        if layout == Layout::Iis {
            // IIS repeats its directives when the application pool recycles;
            // simulate a recycle every tenth day.
            let day = (secs - PERIOD_START).div_euclid(DAY);
            if fresh || (day != last_day && day % 10 == 9) {
                push_iis_header(&mut line, secs);
            }
            last_day = day;
        }
        match layout {
            Layout::Combined(_) => push_combined(&mut line, r, site.zone),
            Layout::Vhost => push_vhost(&mut line, r, site.host, site.zone),
            Layout::Iis => push_iis(&mut line, r, site.host),
            Layout::NginxJson => push_nginx_json(&mut line, r, site.host, site.zone),
        }
        summary.lines += 1;
        summary.bytes += line.len() as u64;
        labels.record(r.tag, r.ms);
        if let Some((_, f)) = current.as_mut() {
            f.write(&line)?;
        }
    }
    if let Some((_, f)) = current.take() {
        summary.files.push(f.finish()?);
    }
    Ok(())
}
