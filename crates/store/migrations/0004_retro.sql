-- Version 4: retro-hunting. Every save of indicators is one numbered
-- import; an indicator carries the number of the import that added it or
-- last changed its content (an unchanged re-import keeps the old number).
-- "New indicators" are those with a number above a cursor: `intel import`
-- reports what stored alerts its own import's indicators match, and
-- `hunt --retro` keeps the last import it hunted for (checkpoint `retro`).
-- Import numbers are taken as MAX + 1 inside the write transaction (the
-- table is locked first on PostgreSQL), so they grow with commit order.

CREATE TABLE intel_imports (
    id BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    source TEXT NOT NULL,
    added BIGINT NOT NULL,
    updated BIGINT NOT NULL
);

ALTER TABLE indicators ADD COLUMN import_id BIGINT NOT NULL DEFAULT 0;

-- Indicators stored before this version: one import, number 1, so that the
-- first retro-hunt hunts for them too.
INSERT INTO intel_imports (id, at, source, added, updated)
    SELECT 1, s.m, '(stored before schema 4)', s.n, 0
    FROM (SELECT MAX(imported_at) AS m, COUNT(*) AS n FROM indicators) s
    WHERE s.n > 0;
UPDATE indicators SET import_id = 1;

CREATE INDEX indicators_import ON indicators (import_id, id);
