-- Version 6: the stages a campaign reached per site (reconnaissance →
-- exploitation attempt → exploitation success → collection → defacement),
-- as JSON like the other list columns. Campaigns saved before read as
-- having none.
ALTER TABLE campaigns ADD COLUMN stages TEXT NOT NULL DEFAULT '[]';
