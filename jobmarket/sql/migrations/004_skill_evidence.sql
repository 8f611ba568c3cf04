-- 004: skill evidence (issue 11). Each extracted skill keeps the sentence it came from, that sentence's
-- section of the ad and whether it was found only in boilerplate (profiles and gaps leave those out).
-- The ESCO skills-pillar tables are new tables in schema_skills.sql, created for every store.
ALTER TABLE posting_skills ADD COLUMN IF NOT EXISTS sentence VARCHAR;
ALTER TABLE posting_skills ADD COLUMN IF NOT EXISTS section VARCHAR;
ALTER TABLE posting_skills ADD COLUMN IF NOT EXISTS boilerplate BOOLEAN DEFAULT false;
