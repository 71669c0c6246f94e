-- Version 8: the tools a campaign's alerts name (scanner and attack-tool
-- fingerprints): as JSON like the other list columns, and one row per
-- tool for the campaign list's tool filter. Campaigns saved before read as
-- naming none until they are saved again.
ALTER TABLE campaigns ADD COLUMN tools TEXT NOT NULL DEFAULT '[]';
CREATE TABLE campaign_tools (
    campaign_id TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    tool TEXT NOT NULL,
    PRIMARY KEY (campaign_id, tool)
);
CREATE INDEX campaign_tools_tool ON campaign_tools (tool);
