-- Version 3: threat intelligence. Indicators with their provenance and
-- expiry (the whole indicator as JSON in `body`, the columns for filters),
-- one row per intel source with its pull cursor (TAXII `added_after`), and
-- each campaign's attribution.

CREATE TABLE indicators (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    name TEXT NOT NULL,
    tlp TEXT,
    confidence BIGINT,
    valid_from BIGINT,
    valid_until BIGINT,
    imported_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    digest TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX indicators_source ON indicators (source, id);
CREATE INDEX indicators_imported ON indicators (imported_at, id);

CREATE TABLE intel_sources (
    source TEXT PRIMARY KEY,
    cursor TEXT,
    last_imported BIGINT NOT NULL
);

ALTER TABLE campaigns ADD COLUMN attribution TEXT NOT NULL DEFAULT '[]';

-- The campaign list filtered by status (the analyst's queue) and a time
-- span: a range over this index instead of a scan of every live campaign.
CREATE INDEX campaigns_queue ON campaigns
    (status, last_seen, sector_mask, severity, first_seen, id) WHERE superseded_by IS NULL;
