-- haboob store schema, version 1. Written once for SQLite and PostgreSQL:
-- {{ID}} is an auto-incrementing integer primary key and {{BLOB}} a byte
-- string in the target dialect (see migrate.rs). Times are UTC
-- milliseconds since the epoch; severities 0 (low) … 3 (critical);
-- booleans 0/1; lists are JSON text.

CREATE TABLE runs (
    id {{ID}},
    ran_at BIGINT NOT NULL,
    alerts BIGINT NOT NULL,
    alerts_new BIGINT NOT NULL,
    alerts_updated BIGINT NOT NULL,
    alerts_retracted BIGINT NOT NULL,
    campaigns BIGINT NOT NULL,
    campaigns_new BIGINT NOT NULL,
    campaigns_updated BIGINT NOT NULL,
    campaigns_superseded BIGINT NOT NULL
);

CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    detector TEXT NOT NULL,
    title TEXT NOT NULL,
    techniques TEXT NOT NULL,
    severity BIGINT NOT NULL,
    source_ip TEXT,
    source_prefix TEXT,
    source_members TEXT NOT NULL,
    target TEXT NOT NULL,
    user_name TEXT,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    event_count BIGINT NOT NULL,
    details TEXT NOT NULL,
    digest TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX alerts_first_seen ON alerts (first_seen, id);
CREATE INDEX alerts_last_seen ON alerts (last_seen);
CREATE INDEX alerts_detector ON alerts (detector);
CREATE INDEX alerts_target ON alerts (target);
CREATE INDEX alerts_user ON alerts (user_name);
CREATE INDEX alerts_severity ON alerts (severity);

CREATE TABLE evidence (
    alert_id TEXT NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    file TEXT NOT NULL,
    line BIGINT NOT NULL,
    raw TEXT NOT NULL,
    PRIMARY KEY (alert_id, seq)
);

-- Every address or prefix an alert names (ip, prefix, cluster members).
CREATE TABLE alert_sources (
    alert_id TEXT NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    PRIMARY KEY (alert_id, source)
);
CREATE INDEX alert_sources_source ON alert_sources (source);

-- Accounts an alert names, with the furthest funnel stage it shows
-- (0 identified, 1 attacked, 2 compromised).
CREATE TABLE alert_accounts (
    alert_id TEXT NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    user_name TEXT NOT NULL,
    stage BIGINT NOT NULL,
    PRIMARY KEY (alert_id, user_name)
);
CREATE INDEX alert_accounts_user ON alert_accounts (user_name);

CREATE TABLE campaigns (
    id TEXT PRIMARY KEY,
    summary TEXT NOT NULL,
    severity BIGINT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    sources TEXT NOT NULL,
    n_sources BIGINT NOT NULL,
    targets TEXT NOT NULL,
    n_alerts BIGINT NOT NULL,
    detectors TEXT NOT NULL,
    techniques TEXT NOT NULL,
    reasons TEXT NOT NULL,
    compromised TEXT NOT NULL,
    actors TEXT NOT NULL,
    funnel_by_target TEXT NOT NULL,
    has_funnel BIGINT NOT NULL,
    funnel_attempts BIGINT NOT NULL,
    funnel_probed BIGINT NOT NULL,
    funnel_identified BIGINT NOT NULL,
    funnel_attacked BIGINT NOT NULL,
    funnel_compromised BIGINT NOT NULL,
    status TEXT NOT NULL,
    assignee TEXT,
    revision BIGINT NOT NULL,
    digest TEXT NOT NULL,
    superseded_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX campaigns_list ON campaigns (severity, last_seen);
CREATE INDEX campaigns_first_seen ON campaigns (first_seen);
CREATE INDEX campaigns_last_seen ON campaigns (last_seen);
CREATE INDEX campaigns_status ON campaigns (status);
CREATE INDEX campaigns_superseded ON campaigns (superseded_by);

CREATE TABLE campaign_alerts (
    campaign_id TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    alert_id TEXT NOT NULL,
    PRIMARY KEY (campaign_id, seq)
);
CREATE INDEX campaign_alerts_alert ON campaign_alerts (alert_id);

CREATE TABLE campaign_targets (
    campaign_id TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    target TEXT NOT NULL,
    organisation TEXT,
    sector TEXT NOT NULL,
    region TEXT,
    PRIMARY KEY (campaign_id, target)
);
CREATE INDEX campaign_targets_organisation ON campaign_targets (organisation);
CREATE INDEX campaign_targets_sector ON campaign_targets (sector);

CREATE TABLE targets (
    name TEXT PRIMARY KEY,
    organisation TEXT,
    sector TEXT NOT NULL,
    region TEXT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX targets_organisation ON targets (organisation);

CREATE TABLE contacts (
    organisation TEXT NOT NULL,
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    PRIMARY KEY (organisation, channel, address)
);

CREATE TABLE notes (
    id {{ID}},
    campaign_id TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    author TEXT NOT NULL,
    at BIGINT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX notes_campaign ON notes (campaign_id, id);

CREATE TABLE audit (
    id {{ID}},
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    campaign TEXT NOT NULL,
    action TEXT NOT NULL
);
CREATE INDEX audit_campaign ON audit (campaign, id);
CREATE INDEX audit_actor ON audit (actor, id);

CREATE TABLE tokens (
    id {{ID}},
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    last_used BIGINT,
    revoked BIGINT NOT NULL
);

CREATE TABLE notifications (
    id {{ID}},
    campaign_id TEXT NOT NULL,
    revision BIGINT NOT NULL,
    organisation TEXT NOT NULL,
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    sent_at BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (campaign_id, revision, organisation, channel, address)
);
CREATE INDEX notifications_due ON notifications (state, next_attempt_at);
CREATE INDEX notifications_organisation ON notifications (organisation, id);

CREATE TABLE checkpoints (
    ckey TEXT PRIMARY KEY,
    blob {{BLOB}} NOT NULL,
    updated_at BIGINT NOT NULL
);
