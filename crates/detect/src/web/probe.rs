//! `web.probe`: a single probe for a name no visitor asks for.
//!
//! **What it detects.** What the per-source detectors saw below their
//! thresholds when it can only be a probe: a source that asked for a
//! secret, VCS or backup name (`/.env`, `/.git/config`, `/www.tar.gz`;
//! `web.sensitive`'s secret, vcs and backup classes, not its config pages)
//! and was answered other than 2xx, without reaching `web.sensitive`'s
//! three distinct names; a user agent that names a crawler is never
//! reported (crawlers follow stale links). One alert per episode, severity
//! low, emitted when the episode ends; a source that goes on to cross a
//! threshold gets that detector's alert instead. Likewise `web.admin_enum`'s
//! residue: the admin or login page of one product (`/phpmyadmin`,
//! `/wp-login.php`, `/manager/html`; not generic names such as `/admin`)
//! answered 404 or 410, so the site does not run it. And two kinds of its
//! own ([`super::script_probe`]): POSTs to server scripts that are not
//! there, and `GET`s of a product's own files answered 404 or 410.
//!
//! **Why it matters.** On real sites most hostile sources send one or two
//! requests (a `.env` grab, a backup name) and move on: below every
//! threshold, they are the bulk of what reaches a server. Reported at low
//! severity they feed the background summary (counts per family), the
//! distributed-sweep campaigns and actor linking, instead of vanishing.
//!
//! **Example.** `GET /.env` 404 twice, four days apart; `GET /phpmyadmin`
//! 404 once.
//!
//! **ATT&CK.** T1595.003 Wordlist Scanning.

use super::episode::Episode;
use haboob_model::Alert;

/// The detector id.
pub(crate) const ID: &str = "web.probe";
const TECHNIQUES: &[&str] = &["T1595.003"];

/// The family of a probed name (the alert's `family` detail).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Family {
    /// Credentials, keys, wallets (`/.env`, `/id_rsa`).
    Secret,
    /// Version-control metadata (`/.git/config`).
    Vcs,
    /// Backups and dumps (`/www.tar.gz`, `/db.sql`).
    Backup,
    /// The admin or login page of a product the site does not run
    /// (`/phpmyadmin`, `/wp-login.php` answered 404).
    Admin,
    /// A server script that is not there, POSTed to (`POST /inc/config.asp`
    /// answered 404; see [`super::script_probe`]).
    Script,
    /// A file of a product the site does not run (`/wp-includes/…`,
    /// `/data/admin/ver.txt` answered 404; see [`super::script_probe`]).
    Fingerprint,
}

impl Family {
    /// The detail value, and the title's noun and words.
    fn names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Family::Secret => ("secret", "request", "for secret files, none served,"),
            Family::Vcs => (
                "vcs",
                "request",
                "for version-control metadata, none served,",
            ),
            Family::Backup => ("backup", "request", "for backups or dumps, none served,"),
            Family::Admin => (
                "admin",
                "request",
                "for admin pages of products the site does not run",
            ),
            Family::Script => ("script", "POST", "to scripts the site does not have"),
            Family::Fingerprint => (
                "fingerprint",
                "request",
                "for files of products the site does not run",
            ),
        }
    }
}

/// The `web.probe` alert of an episode that asked for `family` names
/// (`distinct` of them) and crossed no threshold. It carries no tool
/// `fingerprint`: one or two requests tell little of a tool, and on
/// internet background noise (a million one-off probes) a profile per
/// source would cost the end of the hunt more than all else; many sources
/// sharing one request are `web.sweep`'s.
pub(crate) fn alert(ep: &Episode, family: Family, distinct: usize) -> Alert {
    let (name, noun, words) = family.names();
    let mut d = haboob_model::Details::new();
    d.insert("family".into(), name.into());
    d.insert("distinct_paths".into(), (distinct as u64).into());
    let title = format!(
        "{} {noun}{} {words} ({}) from {}",
        ep.count,
        if ep.count == 1 { "" } else { "s" },
        ep.title_samples(),
        ep.who_where()
    );
    ep.alert(ID, title, TECHNIQUES, d, &[])
}
