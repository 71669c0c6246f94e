//! `haboob token create|list|revoke`: API and console tokens.

use crate::args::{TokenArgs, TokenCommand, TokenRole};
use anyhow::{bail, Context, Result};
use haboob_store::{Role, Store};
use std::io::Write;

fn open(arg: &str) -> Result<Store> {
    super::store::open(&super::store::resolve(arg)?)
}

/// Who the audit trail names for token administration from this command
/// line: `cli:` and the operating-system user.
fn operator() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli:{}", haboob_model::bounded(user.trim(), 64))
}

/// Run a token subcommand.
pub fn run(a: &TokenArgs) -> Result<u8> {
    let mut out = std::io::stdout().lock();
    match &a.command {
        TokenCommand::Create { store, role, name } => {
            let name = name.trim();
            if name.is_empty() || name.len() > 128 || name.chars().any(char::is_control) {
                bail!("token name must be 1 to 128 printable characters");
            }
            let role = match role {
                TokenRole::Viewer => Role::Viewer,
                TokenRole::Analyst => Role::Analyst,
                TokenRole::Admin => Role::Admin,
            };
            let t = open(store)?
                .create_token(name, role, &operator())
                .context("cannot create the token")?;
            eprintln!(
                "haboob: token {:?} created; the secret below is shown only once",
                t.name
            );
            writeln!(out, "{}", t.secret)?;
        }
        TokenCommand::List { store } => {
            let tokens = open(store)?.tokens().context("cannot list tokens")?;
            writeln!(
                out,
                "{:<24} {:<8} {:<25} {:<25} state",
                "name", "role", "created", "last used"
            )?;
            for t in tokens {
                let role = match t.role {
                    Role::Viewer => "viewer",
                    Role::Analyst => "analyst",
                    Role::Admin => "admin",
                };
                writeln!(
                    out,
                    "{:<24} {:<8} {:<25} {:<25} {}",
                    haboob_report::terminal(&t.name, 64),
                    role,
                    t.created_at,
                    t.last_used
                        .map(|x| x.to_string())
                        .unwrap_or_else(|| "never".into()),
                    if t.revoked { "revoked" } else { "live" }
                )?;
            }
        }
        TokenCommand::Revoke { store, name } => {
            if !open(store)?
                .revoke_token(name, &operator())
                .context("cannot revoke the token")?
            {
                bail!("no live token named {}", haboob_report::terminal(name, 64));
            }
            eprintln!(
                "haboob: token {} revoked",
                haboob_report::terminal(name, 64)
            );
        }
    }
    Ok(0)
}
