//! Analyst actions on campaigns (status workflow, assignee, notes) and the
//! audit trail that records them.

use crate::codec::{bound, json, role_of, status_of, unjson, MAX_NAME_BYTES, MAX_NOTE_BYTES};
use crate::db::{Tx, P};
use crate::read::Where;
use crate::types::{Action, AuditEntry, AuditQuery, Audited, CampaignState, Principal, Role};
use crate::{Result, StoreError};
use haboob_model::Ts;

/// Audit entries one query returns when no limit is given, and at most.
const DEFAULT_AUDIT: u32 = 100;
const MAX_AUDIT: u32 = 1000;

/// The action as stored: free text bounded.
fn bounded(action: &Action) -> Action {
    match action {
        Action::SetStatus { status } => Action::SetStatus { status: *status },
        Action::Assign { assignee } => Action::Assign {
            assignee: assignee
                .as_deref()
                .map(|a| bound(a, MAX_NAME_BYTES).to_string()),
        },
        Action::Note { text } => Action::Note {
            text: bound(text, MAX_NOTE_BYTES).to_string(),
        },
    }
}

fn state(tx: &mut Tx<'_>, id: &str) -> Result<Option<CampaignState>> {
    Ok(tx
        .one(
            "act: read campaign",
            "SELECT status, assignee, revision, updated_at, superseded_by \
             FROM campaigns WHERE id = ?",
            &[P::Text(id)],
        )?
        .map(|mut r| CampaignState {
            status: status_of(&r.text(0)),
            assignee: r.opt_text(1),
            revision: r.int(2),
            updated_at: Ts(r.int(3)),
            superseded_by: r.opt_text(4),
        }))
}

pub(crate) fn act(
    tx: &mut Tx<'_>,
    who: &Principal,
    campaign_id: &str,
    action: &Action,
) -> Result<CampaignState> {
    let Some(before) = state(tx, campaign_id)? else {
        return Err(StoreError::NotFound(format!(
            "campaign {:?}",
            bound(campaign_id, MAX_NAME_BYTES)
        )));
    };
    let at = crate::now().0;
    let action = bounded(action);
    match &action {
        Action::SetStatus { status } => {
            if !before.status.can_go_to(*status) {
                return Err(StoreError::InvalidTransition {
                    campaign: campaign_id.to_string(),
                    from: before.status.as_str().to_string(),
                    to: status.as_str().to_string(),
                });
            }
            tx.exec(
                "act: set status",
                "UPDATE campaigns SET status = ?, updated_at = ? WHERE id = ?",
                &[P::Text(status.as_str()), P::Int(at), P::Text(campaign_id)],
            )?;
        }
        Action::Assign { assignee } => {
            tx.exec(
                "act: assign",
                "UPDATE campaigns SET assignee = ?, updated_at = ? WHERE id = ?",
                &[
                    P::opt_text(assignee.as_deref()),
                    P::Int(at),
                    P::Text(campaign_id),
                ],
            )?;
        }
        Action::Note { text } => {
            tx.exec(
                "act: note",
                "INSERT INTO notes (campaign_id, author, at, body) VALUES (?, ?, ?, ?)",
                &[
                    P::Text(campaign_id),
                    P::Text(bound(&who.name, MAX_NAME_BYTES)),
                    P::Int(at),
                    P::Text(text),
                ],
            )?;
            tx.exec(
                "act: note",
                "UPDATE campaigns SET updated_at = ? WHERE id = ?",
                &[P::Int(at), P::Text(campaign_id)],
            )?;
        }
    }
    record(tx, at, &who.name, who.role, campaign_id, &json(&action))?;
    state(tx, campaign_id)?.ok_or_else(|| StoreError::NotFound(format!("campaign {campaign_id}")))
}

/// One audit row; `action` is the JSON of an [`Audited`] value.
pub(crate) fn record(
    tx: &mut Tx<'_>,
    at: i64,
    actor: &str,
    role: Role,
    campaign: &str,
    action: &str,
) -> Result<()> {
    tx.exec(
        "audit: record",
        "INSERT INTO audit (at, actor, role, campaign, action) VALUES (?, ?, ?, ?, ?)",
        &[
            P::Int(at),
            P::Text(bound(actor, MAX_NAME_BYTES)),
            P::Text(role.as_str()),
            P::Text(campaign),
            P::Text(action),
        ],
    )?;
    Ok(())
}

pub(crate) fn audit(tx: &mut Tx<'_>, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
    let mut w = Where::default();
    if let Some(c) = q.campaign.as_deref() {
        w.add("campaign = ?", [P::Text(c)]);
    }
    if let Some(a) = q.actor.as_deref() {
        w.add("actor = ?", [P::Text(a)]);
    }
    let limit = if q.limit == 0 {
        DEFAULT_AUDIT
    } else {
        q.limit.min(MAX_AUDIT)
    };
    let mut params = w.params.clone();
    params.push(P::Int(limit.into()));
    let rows = tx.query(
        "audit",
        &format!(
            "SELECT at, actor, role, campaign, action FROM audit{} ORDER BY id DESC LIMIT ?",
            w.sql()
        ),
        &params,
    )?;
    rows.into_iter()
        .map(|mut r| {
            Ok(AuditEntry {
                at: Ts(r.int(0)),
                actor: r.text(1),
                role: role_of(&r.text(2)),
                campaign: r.text(3),
                action: unjson::<Audited>(tx.url, "audit action", &r.text(4))?,
            })
        })
        .collect()
}
