//! The notification queue: enqueue once per key, due rows, delivery
//! outcomes, listing.

use crate::codec::{bound, state_name, state_of, MAX_BODY_BYTES, MAX_ERROR_BYTES, MAX_NAME_BYTES};
use crate::db::{Row, Tx, P};
use crate::read::Where;
use crate::types::{
    Delivery, NewNotification, NotificationQuery, NotificationRow, NotificationState,
};
use crate::{Result, StoreError};
use haboob_model::Ts;

/// Most rows one listing returns.
pub(crate) const MAX_LIST: u32 = 1000;
/// Rows a listing returns when no limit is given.
const DEFAULT_LIST: u32 = 100;

const COLS: &str = "id, campaign_id, revision, organisation, channel, address, subject, body, \
     state, attempts, next_attempt_at, last_error, sent_at";

fn row(mut r: Row) -> NotificationRow {
    NotificationRow {
        id: r.int(0),
        campaign_id: r.text(1),
        revision: r.int(2),
        organisation: r.text(3),
        channel: r.text(4),
        address: r.text(5),
        subject: r.text(6),
        body: r.text(7),
        state: state_of(&r.text(8)),
        attempts: u32::try_from(r.int(9)).unwrap_or(u32::MAX),
        next_attempt_at: Ts(r.int(10)),
        last_error: r.opt_text(11),
        sent_at: r.opt_int(12).map(Ts),
    }
}

pub(crate) fn enqueue(tx: &mut Tx<'_>, n: &NewNotification<'_>) -> Result<Option<i64>> {
    let rows = tx.query(
        "enqueue_notification",
        "INSERT INTO notifications (campaign_id, revision, organisation, channel, address, \
         subject, body, state, attempts, next_attempt_at, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?) \
         ON CONFLICT (campaign_id, revision, organisation, channel, address) DO NOTHING \
         RETURNING id",
        &[
            P::Text(n.campaign_id),
            P::Int(n.revision),
            P::Text(bound(n.organisation, MAX_NAME_BYTES)),
            P::Text(bound(n.channel, MAX_NAME_BYTES)),
            P::Text(bound(n.address, MAX_NAME_BYTES)),
            P::Text(bound(n.subject, MAX_NAME_BYTES)),
            P::Text(bound(n.body, MAX_BODY_BYTES)),
            P::Text(state_name(NotificationState::Pending)),
            P::Int(n.due_at.0),
            P::Int(crate::now().0),
        ],
    )?;
    Ok(rows.first().map(|r| r.int(0)))
}

pub(crate) fn due(tx: &mut Tx<'_>, now: Ts, limit: u32) -> Result<Vec<NotificationRow>> {
    let limit = if limit == 0 {
        DEFAULT_LIST
    } else {
        limit.min(MAX_LIST)
    };
    Ok(tx
        .query(
            "due_notifications",
            &format!(
                "SELECT {COLS} FROM notifications WHERE state = ? AND next_attempt_at <= ? \
                 ORDER BY next_attempt_at, id LIMIT ?"
            ),
            &[
                P::Text(state_name(NotificationState::Pending)),
                P::Int(now.0),
                P::Int(limit.into()),
            ],
        )?
        .into_iter()
        .map(row)
        .collect())
}

pub(crate) fn record(tx: &mut Tx<'_>, id: i64, outcome: &Delivery) -> Result<()> {
    let n = match outcome {
        Delivery::Sent { at } => tx.exec(
            "record_delivery: sent",
            "UPDATE notifications SET state = ?, attempts = attempts + 1, sent_at = ? WHERE id = ?",
            &[
                P::Text(state_name(NotificationState::Sent)),
                P::Int(at.0),
                P::Int(id),
            ],
        )?,
        Delivery::Failed {
            at: _,
            error,
            retry_at,
        } => {
            let (state, next) = match retry_at {
                Some(t) => (NotificationState::Pending, P::Int(t.0)),
                None => (NotificationState::Failed, P::Null),
            };
            tx.exec(
                "record_delivery: failed",
                "UPDATE notifications SET state = ?, attempts = attempts + 1, last_error = ?, \
                 next_attempt_at = COALESCE(?, next_attempt_at) WHERE id = ?",
                &[
                    P::Text(state_name(state)),
                    P::Text(bound(error, MAX_ERROR_BYTES)),
                    next,
                    P::Int(id),
                ],
            )?
        }
    };
    if n == 0 {
        return Err(StoreError::NotFound(format!("notification {id}")));
    }
    Ok(())
}

pub(crate) fn list(tx: &mut Tx<'_>, q: &NotificationQuery) -> Result<Vec<NotificationRow>> {
    let mut w = Where::default();
    if let Some(c) = q.campaign.as_deref() {
        w.add("campaign_id = ?", [P::Text(c)]);
    }
    if let Some(o) = q.organisation.as_deref() {
        w.add("organisation = ?", [P::Text(o)]);
    }
    if let Some(s) = q.state {
        w.add("state = ?", [P::Text(state_name(s))]);
    }
    let limit = if q.limit == 0 {
        DEFAULT_LIST
    } else {
        q.limit.min(MAX_LIST)
    };
    let mut params = w.params.clone();
    params.push(P::Int(limit.into()));
    Ok(tx
        .query(
            "notifications",
            &format!(
                "SELECT {COLS} FROM notifications{} ORDER BY id DESC LIMIT ?",
                w.sql()
            ),
            &params,
        )?
        .into_iter()
        .map(row)
        .collect())
}
