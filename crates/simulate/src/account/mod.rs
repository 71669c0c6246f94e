//! `account-campaign`: a month of sign-in logs for four organisations with a
//! low-and-slow state-backed account campaign against three of them.
//!
//! The attacker walks a list of guessed addresses for the targeted people of
//! a presidential campaign (`campaign2026.example`), a state government
//! (`gov.oh.example`) and a newsroom (`news.example`): exactly 2,700
//! identification attempts (a wrong password against each guessed name; the
//! answer says whether it exists), then password attempts against 241 of the
//! identified accounts, 4 of which it takes over. It uses 40 addresses in
//! five /24s, one old browser string and a steady rhythm (about 45 s between
//! attempts in short daily sessions; about a dozen addresses active a day).
//! `acme-freight.example` is not targeted. Benign activity includes the hard
//! negatives: mistyped passwords then success, phones with a stale password
//! retrying all night from the user's home address, MFA prompts, shared
//! office egress addresses with mistyped user names.
//!
//! **Funnel** (as in `haboob_detect::auth`): `attempts` = every attacker
//! sign-in event (identification plus attack); `probed` = distinct names
//! tried; `identified` = probed names that exist; `attacked` = identified
//! accounts that received password attempts after the identifying one;
//! `compromised` = accounts with an attacker success. `identification_attempts`
//! is 2,700; `attempts` is larger and both are recorded in `labels.jsonl`.
//!
//! Entra tenants are written as `SigninLogs` JSON lines, the others as
//! unified audit log JSON lines; everything is deterministic for a seed.

mod attacker;
mod benign;
mod org;

pub use org::{LogFormat, Org, Person};

use haboob_model::{AuthOutcome, FailureClass, Ts};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// First simulated day: Monday 5 October 2026, 00:00 UTC (after the
/// September web reconnaissance of the election-recon scenario).
pub const START: Ts = Ts(1_791_158_400_000);

/// The number of identification attempts the attacker makes.
pub const IDENTIFICATION_ATTEMPTS: u64 = 2_700;
/// Accounts attacked.
pub const ATTACKED: usize = 241;
/// Accounts taken over.
pub const COMPROMISED: usize = 4;

/// Who made an attempt, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Ordinary sign-in (including mistypes, stale clients, MFA).
    Benign,
    /// Attacker asking whether a name exists.
    Identify,
    /// Attacker trying a password on an identified account.
    Attack,
}

/// One simulated sign-in attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimAuth {
    /// Event time.
    pub ts: Ts,
    /// Log it is written to.
    pub format: LogFormat,
    /// Organisation mail domain.
    pub domain: &'static str,
    /// Tenant / organisation id.
    pub tenant: &'static str,
    /// Account name tried (case-folded).
    pub user: String,
    /// Source address.
    pub ip: IpAddr,
    /// Result.
    pub outcome: AuthOutcome,
    /// Failure class, for failures and MFA challenges.
    pub failure: Option<FailureClass>,
    /// Application signed in to.
    pub app: &'static str,
    /// Entra `ClientAppUsed`.
    pub client_app: &'static str,
    /// User agent.
    pub user_agent: String,
    /// ISO country code.
    pub country: &'static str,
    /// Ground truth.
    pub role: Role,
}

impl SimAuth {
    /// Entra `ResultType` and description.
    pub fn result(&self) -> (u32, &'static str) {
        match (self.outcome, self.failure) {
            (AuthOutcome::Success, _) => (0, ""),
            (_, Some(FailureClass::UnknownUser)) => {
                (50034, "The user account does not exist in the directory.")
            }
            (_, Some(FailureClass::BadPassword)) => (
                50126,
                "Invalid username or password or Invalid on-premise username or password.",
            ),
            (_, Some(FailureClass::LockedOut)) => (
                50053,
                "Account is locked because user tried to sign in too many times.",
            ),
            (_, Some(FailureClass::MfaDenied)) => (
                500121,
                "Authentication failed during strong authentication request.",
            ),
            (_, Some(FailureClass::MfaRequired)) | (AuthOutcome::Challenge, _) => {
                (50074, "Strong Authentication is required.")
            }
            _ => (90000, "Other failure."),
        }
    }

    /// The log line (one JSON object, no newline).
    pub fn to_line(&self) -> String {
        let (code, desc) = self.result();
        let v = match self.format {
            LogFormat::EntraSignin => json!({
                "TimeGenerated": self.ts.to_string(),
                "UserPrincipalName": self.user,
                "IPAddress": self.ip.to_string(),
                "ResultType": code.to_string(),
                "ResultDescription": desc,
                "AppDisplayName": self.app,
                "ClientAppUsed": self.client_app,
                "UserAgent": self.user_agent,
                "TenantId": self.tenant,
                "LocationDetails": {"countryOrRegion": self.country},
            }),
            LogFormat::M365Audit => {
                let ok = self.outcome == AuthOutcome::Success;
                let err = match code {
                    0 => "",
                    50034 => "UserAccountNotFound",
                    50126 => "InvalidUserNameOrPassword",
                    50053 => "IdsLocked",
                    50074 => "UserStrongAuthClientAuthNRequiredInterrupt",
                    _ => "Other",
                };
                let mut t = self.ts.to_string();
                t.truncate(19);
                let mut o = json!({
                    "CreationTime": t,
                    "Operation": if ok { "UserLoggedIn" } else { "UserLoginFailed" },
                    "UserId": self.user,
                    "ClientIP": self.ip.to_string(),
                    "ResultStatus": if ok { "Success" } else { "Failed" },
                    "OrganizationId": self.tenant,
                    "Workload": "AzureActiveDirectory",
                    "RecordType": 15,
                    "ExtendedProperties": [{"Name": "UserAgent", "Value": self.user_agent}],
                });
                if !ok {
                    o["LogonError"] = json!(err);
                    o["ErrorNumber"] = json!(code.to_string());
                }
                o
            }
        };
        v.to_string()
    }
}

/// Ground truth for one account name (employee or attacker guess).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountTruth {
    /// Account name.
    pub user: String,
    /// Organisation domain.
    pub org: &'static str,
    /// The account exists.
    pub exists: bool,
    /// The attacker tried the name.
    pub probed: bool,
    /// The attacker learned it exists.
    pub identified: bool,
    /// The attacker tried passwords on it after identifying it.
    pub attacked: bool,
    /// The attacker signed in to it.
    pub compromised: bool,
}

/// The attacker funnel (see the module docs for the semantics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct TruthFunnel {
    /// Identification attempts (2,700).
    pub identification_attempts: u64,
    /// All attacker attempts.
    pub attempts: u64,
    /// Distinct names tried.
    pub probed: u64,
    /// Names that exist.
    pub identified: u64,
    /// Accounts attacked.
    pub attacked: u64,
    /// Accounts taken over.
    pub compromised: u64,
}

/// A generated month with its ground truth.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// All events, sorted by time.
    pub events: Vec<SimAuth>,
    /// The organisations.
    pub orgs: Vec<Org>,
    /// Per probed name or employee, sorted by name.
    pub accounts: Vec<AccountTruth>,
    /// Attacker addresses, sorted.
    pub attacker_ips: Vec<IpAddr>,
    /// Whole funnel.
    pub funnel: TruthFunnel,
    /// Funnel per tenant id.
    pub funnel_by_tenant: BTreeMap<String, TruthFunnel>,
    /// Compromised account names, sorted.
    pub compromised: Vec<String>,
}

/// What [`write_account_campaign`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSummary {
    /// Files written (logs, then `labels.jsonl`).
    pub files: Vec<PathBuf>,
    /// Events written.
    pub events: u64,
    /// Attacker funnel.
    pub funnel: TruthFunnel,
    /// Compromised account names, sorted.
    pub compromised: Vec<String>,
}

/// Generate `days` of sign-ins with the campaign (deterministic for `seed`).
pub fn scenario(days: u32, seed: u64) -> Scenario {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let orgs = org::orgs(&mut rng);
    let mut events = benign::events(&orgs, days.max(1), &mut rng);
    let att = attacker::campaign(&orgs, days.max(1), &mut rng);
    events.extend(att.events);
    events.sort_by(|a, b| (a.ts, &a.user, a.ip).cmp(&(b.ts, &b.user, b.ip)));
    let mut funnel_by_tenant: BTreeMap<String, TruthFunnel> = BTreeMap::new();
    let mut funnel = TruthFunnel::default();
    for e in events.iter().filter(|e| e.role != Role::Benign) {
        let f = funnel_by_tenant.entry(e.tenant.to_string()).or_default();
        f.attempts += 1;
        funnel.attempts += 1;
        if e.role == Role::Identify {
            f.identification_attempts += 1;
            funnel.identification_attempts += 1;
        }
    }
    for a in att.accounts.iter().filter(|a| a.probed) {
        let tenant = orgs
            .iter()
            .find(|o| o.domain == a.org)
            .map_or("", |o| o.tenant);
        for f in [
            &mut funnel,
            funnel_by_tenant.entry(tenant.to_string()).or_default(),
        ] {
            f.probed += u64::from(a.probed);
            f.identified += u64::from(a.identified);
            f.attacked += u64::from(a.attacked);
            f.compromised += u64::from(a.compromised);
        }
    }
    let compromised = att
        .accounts
        .iter()
        .filter(|a| a.compromised)
        .map(|a| a.user.clone())
        .collect();
    Scenario {
        events,
        orgs,
        accounts: att.accounts,
        attacker_ips: att.ips,
        funnel,
        funnel_by_tenant,
        compromised,
    }
}

/// The events of [`scenario`].
pub fn generate(days: u32, seed: u64) -> Vec<SimAuth> {
    scenario(days, seed).events
}

/// Who an organisation of the scenario is: name, sector, region.
fn org_profile(domain: &str) -> (&'static str, &'static str, Option<&'static str>) {
    match domain {
        "campaign2026.example" => ("Example 2026 presidential campaign", "campaign", None),
        "gov.oh.example" => ("State of Ohio", "government", Some("OH")),
        "news.example" => ("Example News", "news", None),
        _ => ("Acme Freight", "other", None),
    }
}

/// Write the month to `out`: `entra_signin.jsonl`, `m365_audit.jsonl`,
/// `targets.toml` (tenant → organisation, sector) and `labels.jsonl` (one
/// line per account and per source, then a summary).
pub fn write_account_campaign(out: &Path, days: u32, seed: u64) -> std::io::Result<AccountSummary> {
    std::fs::create_dir_all(out)?;
    let sc = scenario(days, seed);
    let mut files = Vec::new();
    for (name, fmt) in [
        ("entra_signin.jsonl", LogFormat::EntraSignin),
        ("m365_audit.jsonl", LogFormat::M365Audit),
    ] {
        let path = out.join(name);
        let mut w = BufWriter::new(std::fs::File::create(&path)?);
        for e in sc.events.iter().filter(|e| e.format == fmt) {
            writeln!(w, "{}", e.to_line())?;
        }
        w.flush()?;
        files.push(path);
    }
    let path = out.join("targets.toml");
    let mut w = BufWriter::new(std::fs::File::create(&path)?);
    writeln!(
        w,
        "# Organisations of the account-campaign scenario, keyed by tenant id."
    )?;
    for o in &sc.orgs {
        let (organisation, sector, region) = org_profile(o.domain);
        writeln!(w, "\n[[target]]")?;
        writeln!(w, "name = {:?}", o.tenant)?;
        writeln!(
            w,
            "organisation = {:?}",
            format!("{organisation} ({})", o.domain)
        )?;
        writeln!(w, "sector = {sector:?}")?;
        if let Some(r) = region {
            writeln!(w, "region = {r:?}")?;
        }
    }
    w.flush()?;
    files.push(path);
    let path = out.join("labels.jsonl");
    let mut w = BufWriter::new(std::fs::File::create(&path)?);
    for a in &sc.accounts {
        let mut v = serde_json::to_value(a)?;
        v["kind"] = json!("account");
        writeln!(w, "{v}")?;
    }
    let mut sources: BTreeMap<IpAddr, &str> = BTreeMap::new();
    for e in &sc.events {
        sources.entry(e.ip).or_insert(if e.role == Role::Benign {
            "benign"
        } else {
            "attacker"
        });
    }
    for (ip, role) in &sources {
        writeln!(
            w,
            "{}",
            match crate::intel::identity_of(role) {
                Some(actor) =>
                    json!({"kind": "source", "ip": ip.to_string(), "role": role, "attributed_to": actor}),
                None => json!({"kind": "source", "ip": ip.to_string(), "role": role}),
            }
        )?;
    }
    writeln!(
        w,
        "{}",
        json!({"kind": "summary", "seed": seed, "days": days, "funnel": sc.funnel,
               "funnel_by_tenant": sc.funnel_by_tenant, "compromised": sc.compromised,
               "tenants": sc.orgs.iter().map(|o| (o.tenant, o.domain)).collect::<BTreeMap<_, _>>()})
    )?;
    w.flush()?;
    files.push(path);
    Ok(AccountSummary {
        files,
        events: sc.events.len() as u64,
        funnel: sc.funnel,
        compromised: sc.compromised,
    })
}

/// Milliseconds since [`START`] → timestamp.
pub(crate) fn at(day: u32, ms_of_day: i64) -> Ts {
    Ts(START.0 + i64::from(day) * 86_400_000 + ms_of_day)
}

#[cfg(test)]
mod tests;
