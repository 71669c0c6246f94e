//! The simulated organisations and their directories.

use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};

const FIRST: &[&str] = &[
    "james",
    "mary",
    "robert",
    "patricia",
    "john",
    "jennifer",
    "michael",
    "linda",
    "david",
    "elizabeth",
    "william",
    "barbara",
    "richard",
    "susan",
    "joseph",
    "jessica",
    "thomas",
    "sarah",
    "charles",
    "karen",
    "daniel",
    "lisa",
    "matthew",
    "nancy",
    "anthony",
    "betty",
    "mark",
    "sandra",
    "donald",
    "ashley",
    "steven",
    "kimberly",
    "andrew",
    "emily",
    "paul",
    "donna",
    "joshua",
    "michelle",
    "kenneth",
    "carol",
    "kevin",
    "amanda",
    "brian",
    "melissa",
    "george",
    "deborah",
    "timothy",
    "stephanie",
    "ronald",
    "rebecca",
    "jason",
    "laura",
    "edward",
    "helen",
    "jeffrey",
    "sharon",
    "ryan",
    "cynthia",
    "jacob",
    "amy",
    "nasrin",
    "dmitri",
    "leila",
    "omar",
];
const LAST: &[&str] = &[
    "smith",
    "johnson",
    "williams",
    "brown",
    "jones",
    "garcia",
    "miller",
    "davis",
    "rodriguez",
    "martinez",
    "hernandez",
    "lopez",
    "gonzalez",
    "wilson",
    "anderson",
    "thomas",
    "taylor",
    "moore",
    "jackson",
    "martin",
    "lee",
    "perez",
    "thompson",
    "white",
    "harris",
    "sanchez",
    "clark",
    "ramirez",
    "lewis",
    "robinson",
    "walker",
    "young",
    "allen",
    "king",
    "wright",
    "scott",
    "torres",
    "nguyen",
    "hill",
    "flores",
    "green",
    "adams",
    "nelson",
    "baker",
    "hall",
    "rivera",
    "campbell",
    "mitchell",
    "carter",
    "roberts",
    "gomez",
    "phillips",
    "evans",
    "turner",
    "diaz",
    "parker",
    "cruz",
    "edwards",
    "collins",
    "reyes",
    "stewart",
    "morris",
    "morales",
    "murphy",
    "cook",
    "rogers",
    "karimi",
    "volkov",
    "haddad",
    "rahimi",
    "petrova",
];

/// Which log a tenant's sign-ins are written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogFormat {
    /// Entra ID `SigninLogs` (Log Analytics) JSON lines.
    EntraSignin,
    /// Microsoft 365 unified audit log JSON lines.
    M365Audit,
}

/// One simulated organisation.
#[derive(Debug, Clone)]
pub struct Org {
    /// Mail domain, e.g. `campaign2026.example`.
    pub domain: &'static str,
    /// Tenant / organisation id as the logs carry it.
    pub tenant: &'static str,
    /// Where its sign-ins are logged.
    pub format: LogFormat,
    /// Whether the attacker targets it.
    pub targeted: bool,
    /// Number of people targeted.
    pub targets: usize,
    /// Office egress address (a shared NAT for everyone on site).
    pub office_ip: IpAddr,
    /// Employee addresses.
    pub people: Vec<Person>,
}

/// One employee.
#[derive(Debug, Clone)]
pub struct Person {
    /// First name.
    pub first: String,
    /// Last name.
    pub last: String,
    /// Mail address / UPN.
    pub upn: String,
    /// Home (residential) address.
    pub home_ip: IpAddr,
    /// Browser user agent.
    pub agent: String,
}

/// Domain, tenant, log, employees, targeted people, office egress.
type OrgSpec = (&'static str, &'static str, LogFormat, usize, usize, [u8; 4]);

/// The four organisations.
pub(crate) fn orgs(rng: &mut ChaCha8Rng) -> Vec<Org> {
    let spec: [OrgSpec; 4] = [
        (
            "campaign2026.example",
            "5c1e9a40-2f6b-4d1e-9c3a-7d8e0f1a2b3c",
            LogFormat::EntraSignin,
            220,
            120,
            [192, 0, 2, 20],
        ),
        (
            "gov.oh.example",
            "a7d3c2b1-8e4f-4a5b-b6c7-d8e9f0a1b2c3",
            LogFormat::EntraSignin,
            420,
            150,
            [203, 0, 113, 10],
        ),
        (
            "news.example",
            "0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f",
            LogFormat::M365Audit,
            160,
            110,
            [198, 51, 100, 30],
        ),
        (
            "acme-freight.example",
            "3b4c5d6e-7f80-4192-a3b4-c5d6e7f8091a",
            LogFormat::M365Audit,
            240,
            0,
            [192, 0, 2, 200],
        ),
    ];
    let mut used_homes = BTreeSet::new();
    spec.iter()
        .map(|&(domain, tenant, format, n, targets, office)| {
            let mut upns = BTreeSet::new();
            let mut people = Vec::with_capacity(n);
            while people.len() < n {
                let first = *FIRST.choose(rng).unwrap_or(&"alex");
                let last = *LAST.choose(rng).unwrap_or(&"doe");
                let local = if domain == "news.example" {
                    format!("{}{last}", &first[..1])
                } else {
                    format!("{first}.{last}")
                };
                let mut upn = format!("{local}@{domain}");
                let mut k = 2;
                while upns.contains(&upn) {
                    upn = format!("{local}{k}@{domain}");
                    k += 1;
                }
                upns.insert(upn.clone());
                let home_ip = loop {
                    let ip = Ipv4Addr::new(
                        100,
                        rng.gen_range(64..128),
                        rng.gen_range(0..=255),
                        rng.gen_range(2..255),
                    );
                    let net = u32::from(ip) >> 8;
                    if used_homes.insert(net) {
                        break IpAddr::V4(ip);
                    }
                };
                let agent = browser(rng);
                people.push(Person {
                    first: first.into(),
                    last: last.into(),
                    upn,
                    home_ip,
                    agent,
                });
            }
            Org {
                domain,
                tenant,
                format,
                targeted: targets > 0,
                targets,
                office_ip: IpAddr::V4(Ipv4Addr::from(office)),
                people,
            }
        })
        .collect()
}

fn browser(rng: &mut ChaCha8Rng) -> String {
    match rng.gen_range(0..3) {
        0 => format!(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{}.0.0.0 Safari/537.36 Edg/{}.0.0.0",
            rng.gen_range(128..134),
            rng.gen_range(128..134)
        ),
        1 => format!(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{}.{} Safari/605.1.15",
            rng.gen_range(17..19),
            rng.gen_range(0..5)
        ),
        _ => format!(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{}.0.0.0 Safari/537.36",
            rng.gen_range(128..134)
        ),
    }
}

/// Address guesses an attacker makes for a person at a domain.
pub(crate) fn guesses(p: &Person, domain: &str) -> Vec<String> {
    let (f, l) = (&p.first, &p.last);
    let i = &f[..1];
    [
        format!("{f}.{l}"),
        format!("{i}{l}"),
        format!("{f}{l}"),
        f.to_string(),
        format!("{f}_{l}"),
        format!("{i}.{l}"),
        format!("{l}.{f}"),
        format!("{f}{}", &l[..1]),
        l.to_string(),
    ]
    .into_iter()
    .map(|local| format!("{local}@{domain}"))
    .collect()
}
