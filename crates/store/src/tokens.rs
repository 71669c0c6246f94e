//! API tokens: created with a random secret shown once, stored as a hash.
//!
//! Secrets are 32 random bytes from the operating system, shown as
//! `hb_<base64url>`. The store keeps their SHA-256 (hex): a fast hash is
//! right here because the secret has 256 bits of entropy, so there is
//! nothing for a slow password hash to protect against guessing, and a
//! verification per request must be cheap.

use crate::analyst::record;
use crate::codec::{bound, hex, json, role_of, MAX_NAME_BYTES};
use crate::db::{Tx, P};
use crate::types::{NewToken, Principal, Role, TokenAction, TokenInfo};
use crate::{Result, Store, StoreError};
use base64::Engine as _;
use haboob_model::Ts;
use sha2::{Digest, Sha256};

/// Prefix of every secret (lets scanners and people recognise them).
pub const SECRET_PREFIX: &str = "hb_";
/// Random bytes per secret.
const SECRET_BYTES: usize = 32;
/// `last_used` is written at most this often per token (verification
/// happens on every request; one write a minute is enough to see use).
const LAST_USED_RESOLUTION_MS: i64 = 60_000;

fn hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Token administration is done by whoever holds the store (the CLI): the
/// audit trail records `by` with the admin role.
fn audit_admin(tx: &mut Tx<'_>, by: &str, action: &TokenAction) -> Result<()> {
    record(tx, crate::now().0, by, Role::Admin, "", &json(action))
}

pub(crate) fn create(tx: &mut Tx<'_>, name: &str, role: Role, by: &str) -> Result<NewToken> {
    let name = name.trim();
    if name.is_empty() || name.len() > MAX_NAME_BYTES || name.chars().any(char::is_control) {
        return Err(StoreError::Invalid(format!(
            "token name {:?} (1 to {MAX_NAME_BYTES} bytes, no control characters)",
            bound(name, 64)
        )));
    }
    if tx
        .one(
            "create_token: check name",
            "SELECT id FROM tokens WHERE name = ?",
            &[P::Text(name)],
        )?
        .is_some()
    {
        return Err(StoreError::Conflict(format!("token {name:?}")));
    }
    let mut raw = [0u8; SECRET_BYTES];
    getrandom::fill(&mut raw).map_err(|e| StoreError::Database {
        url: tx.url.to_string(),
        op: "create_token: random secret".into(),
        message: e.to_string(),
    })?;
    let secret = format!(
        "{SECRET_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    );
    tx.exec(
        "create_token",
        "INSERT INTO tokens (name, role, hash, created_at, revoked) VALUES (?, ?, ?, ?, 0)",
        &[
            P::Text(name),
            P::Text(role.as_str()),
            P::Text(&hash(&secret)),
            P::Int(crate::now().0),
        ],
    )?;
    audit_admin(
        tx,
        by,
        &TokenAction::CreateToken {
            name: name.to_string(),
            role,
        },
    )?;
    Ok(NewToken {
        name: name.to_string(),
        role,
        secret,
    })
}

pub(crate) fn verify(store: &Store, secret: &str) -> Result<Option<Principal>> {
    if !secret.starts_with(SECRET_PREFIX) || secret.len() > 128 {
        return Ok(None);
    }
    let h = hash(secret);
    let found = store.read("verify_token", |tx| {
        tx.one(
            "verify_token",
            "SELECT name, role, revoked, last_used FROM tokens WHERE hash = ?",
            &[P::Text(&h)],
        )
    })?;
    let Some(mut r) = found else {
        return Ok(None);
    };
    if r.int(2) != 0 {
        return Ok(None);
    }
    let now = crate::now().0;
    if r.opt_int(3)
        .is_none_or(|t| now - t >= LAST_USED_RESOLUTION_MS)
    {
        store.write("verify_token: last use", |tx| {
            tx.exec(
                "verify_token: last use",
                "UPDATE tokens SET last_used = ? WHERE hash = ?",
                &[P::Int(now), P::Text(&h)],
            )
        })?;
    }
    Ok(Some(Principal {
        name: r.text(0),
        role: role_of(&r.text(1)),
    }))
}

pub(crate) fn list(tx: &mut Tx<'_>) -> Result<Vec<TokenInfo>> {
    Ok(tx
        .query(
            "tokens",
            "SELECT name, role, created_at, last_used, revoked FROM tokens ORDER BY name",
            &[],
        )?
        .into_iter()
        .map(|mut r| TokenInfo {
            name: r.text(0),
            role: role_of(&r.text(1)),
            created_at: Ts(r.int(2)),
            last_used: r.opt_int(3).map(Ts),
            revoked: r.int(4) != 0,
        })
        .collect())
}

pub(crate) fn revoke(tx: &mut Tx<'_>, name: &str, by: &str) -> Result<bool> {
    let name = name.trim();
    let done = tx.exec(
        "revoke_token",
        "UPDATE tokens SET revoked = 1 WHERE name = ? AND revoked = 0",
        &[P::Text(name)],
    )? > 0;
    if done {
        let name = bound(name, MAX_NAME_BYTES).to_string();
        audit_admin(tx, by, &TokenAction::RevokeToken { name })?;
    }
    Ok(done)
}
