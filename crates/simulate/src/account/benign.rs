//! Ordinary sign-ins, including the hard negatives detectors must not flag.

use super::{at, Org, Role, SimAuth};
use haboob_model::{AuthOutcome, FailureClass};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::net::{IpAddr, Ipv4Addr};

const GOV_VPN: [u8; 4] = [203, 0, 113, 77];
const MOBILE_UA: &str = "Outlook-iOS/2.0";
const PHONE_MAIL_UA: &str = "iPhone Mail (20H115)";

struct Ctx<'a> {
    org: &'a Org,
    user: String,
    ip: IpAddr,
    app: &'static str,
    client_app: &'static str,
    agent: String,
    country: &'static str,
}

impl Ctx<'_> {
    fn ev(
        &self,
        day: u32,
        ms: i64,
        outcome: AuthOutcome,
        failure: Option<FailureClass>,
    ) -> SimAuth {
        SimAuth {
            ts: at(day, ms),
            format: self.org.format,
            domain: self.org.domain,
            tenant: self.org.tenant,
            user: self.user.clone(),
            ip: self.ip,
            outcome,
            failure,
            app: self.app,
            client_app: self.client_app,
            user_agent: self.agent.clone(),
            country: self.country,
            role: Role::Benign,
        }
    }
}

/// A name with two neighbouring letters swapped (a typo that does not exist).
fn typo(upn: &str) -> String {
    let (local, domain) = upn.split_once('@').unwrap_or((upn, ""));
    let mut b: Vec<char> = local.chars().collect();
    if b.len() >= 3 {
        b.swap(1, 2);
    }
    if b.iter().collect::<String>() == local {
        b.push('x');
    }
    format!("{}@{domain}", b.into_iter().collect::<String>())
}

/// Benign events of every employee of every organisation.
pub(crate) fn events(orgs: &[Org], days: u32, rng: &mut ChaCha8Rng) -> Vec<SimAuth> {
    let mut out = Vec::new();
    for org in orgs {
        for p in &org.people {
            for day in 0..days {
                let weekday = day % 7 < 5;
                let sessions = if weekday {
                    rng.gen_range(1..=3)
                } else {
                    u32::from(rng.gen_bool(0.25))
                };
                for _ in 0..sessions {
                    session(org, p, day, weekday, rng, &mut out);
                }
            }
        }
    }
    // Phones left with an old password after a change: a night of retries.
    let everyone: Vec<(&Org, usize)> = orgs
        .iter()
        .flat_map(|o| (0..o.people.len()).map(move |i| (o, i)))
        .collect();
    for _ in 0..6 {
        let (org, i) = everyone[rng.gen_range(0..everyone.len())];
        let p = &org.people[i];
        let ctx = Ctx {
            org,
            user: p.upn.clone(),
            ip: p.home_ip,
            app: "Office 365 Exchange Online",
            client_app: "Exchange ActiveSync",
            agent: PHONE_MAIL_UA.into(),
            country: "US",
        };
        let change = rng.gen_range(1..days.max(2));
        for day in 0..days {
            if day != change + 1 {
                out.push(ctx.ev(
                    day,
                    7 * 3_600_000 + rng.gen_range(0..600_000),
                    AuthOutcome::Success,
                    None,
                ));
            }
        }
        let mut ms = 22 * 3_600_000i64;
        while ms < 31 * 3_600_000 {
            let (d, m) = (change + (ms / 86_400_000) as u32, ms % 86_400_000);
            if d < days {
                out.push(ctx.ev(d, m, AuthOutcome::Failure, Some(FailureClass::BadPassword)));
            }
            ms += 300_000 + rng.gen_range(-20_000..20_000);
        }
        if change + 1 < days {
            out.push(ctx.ev(
                change + 1,
                7 * 3_600_000 + 1_800_000,
                AuthOutcome::Success,
                None,
            ));
        }
    }
    out
}

fn session(
    org: &Org,
    p: &super::Person,
    day: u32,
    weekday: bool,
    rng: &mut ChaCha8Rng,
    out: &mut Vec<SimAuth>,
) {
    let r: f64 = rng.gen();
    let (ip, remote) = if weekday && r < 0.6 {
        (org.office_ip, false)
    } else if r < 0.97 {
        if org.domain.starts_with("gov.") && rng.gen_bool(0.3) {
            (IpAddr::V4(Ipv4Addr::from(GOV_VPN)), false)
        } else {
            (p.home_ip, true)
        }
    } else {
        let hotel = Ipv4Addr::new(198, 19, rng.gen_range(0..=255), rng.gen_range(2..255));
        (IpAddr::V4(hotel), true)
    };
    let mobile = rng.gen_bool(0.3);
    let mut ctx = Ctx {
        org,
        user: p.upn.clone(),
        ip,
        app: if mobile {
            "Microsoft Outlook"
        } else {
            "OfficeHome"
        },
        client_app: if mobile {
            "Mobile Apps and Desktop clients"
        } else {
            "Browser"
        },
        agent: if mobile {
            MOBILE_UA.into()
        } else {
            p.agent.clone()
        },
        country: "US",
    };
    let mut ms = rng.gen_range(12 * 3_600_000..23 * 3_600_000i64);
    if !remote && rng.gen_bool(0.004) {
        let right = std::mem::replace(&mut ctx.user, typo(&p.upn));
        out.push(ctx.ev(
            day,
            ms,
            AuthOutcome::Failure,
            Some(FailureClass::UnknownUser),
        ));
        ctx.user = right;
        ms += rng.gen_range(10_000..30_000);
    }
    if rng.gen_bool(0.03) {
        for _ in 0..rng.gen_range(1..=3) {
            out.push(ctx.ev(
                day,
                ms,
                AuthOutcome::Failure,
                Some(FailureClass::BadPassword),
            ));
            ms += rng.gen_range(8_000..40_000);
        }
    }
    if remote && rng.gen_bool(0.5) {
        out.push(ctx.ev(
            day,
            ms,
            AuthOutcome::Challenge,
            Some(FailureClass::MfaRequired),
        ));
        ms += rng.gen_range(10_000..40_000);
    }
    out.push(ctx.ev(day, ms, AuthOutcome::Success, None));
}
