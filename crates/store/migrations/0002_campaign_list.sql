-- Version 2: a filtered page of 100,000 campaigns without reading their
-- wide rows. The live campaigns' list order and filter columns are one
-- partial index (counts and pages come from the index alone); sectors are a
-- bit mask (election 1, news 2, campaign 4, government 8, other 16) so the
-- sector filter needs no join.

ALTER TABLE campaigns ADD COLUMN sector_mask BIGINT NOT NULL DEFAULT 0;
UPDATE campaigns SET sector_mask = (
    SELECT COALESCE(SUM(DISTINCT CASE ct.sector
        WHEN 'election' THEN 1 WHEN 'news' THEN 2 WHEN 'campaign' THEN 4
        WHEN 'government' THEN 8 ELSE 16 END), 0)
    FROM campaign_targets ct WHERE ct.campaign_id = campaigns.id);

DROP INDEX campaigns_list;
DROP INDEX campaigns_superseded;
DROP INDEX campaigns_status;
CREATE INDEX campaigns_live ON campaigns
    (severity, last_seen, id, first_seen, status, sector_mask) WHERE superseded_by IS NULL;
CREATE INDEX campaigns_order ON campaigns (severity, last_seen, id);
CREATE INDEX campaigns_filter ON campaigns
    (id, superseded_by, status, severity, first_seen, last_seen, sector_mask);
-- The organisation filter reads campaign ids from the index alone.
DROP INDEX campaign_targets_organisation;
DROP INDEX campaign_targets_sector;
CREATE INDEX campaign_targets_org ON campaign_targets (organisation, campaign_id);
