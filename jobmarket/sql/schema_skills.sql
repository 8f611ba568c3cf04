-- Skill tables, applied by jobmarket/skills.py before it writes. Idempotent (IF NOT EXISTS).
-- (schema.sql's DESIGN sketch of skill_profiles is this table without cluster_id/n_postings/relation.)

-- Skills found in a posting's description: one row per (posting, skill), its best evidence.
-- score is method-specific: exact 1.0, fuzzy = rapidfuzz ratio / 100, embedding = cosine.
CREATE TABLE IF NOT EXISTS posting_skills (
    posting_id VARCHAR NOT NULL,
    run_id     VARCHAR NOT NULL,     -- the normalize run whose postings were read
    skill_uri  VARCHAR NOT NULL,
    score      DOUBLE NOT NULL,
    method     VARCHAR NOT NULL,     -- exact | fuzzy | embedding
    evidence   VARCHAR,              -- the sentence, bullet or clause the skill was found in
    "start"    INTEGER,              -- char offsets of the evidence (label stages: of the matched words)
    "end"      INTEGER               --   in postings.description, end exclusive
);

-- Skill profiles. scope: occupation | occupation_country | cluster; source: postings | esco | model.
-- postings: weight = share of the scope's postings that ask for the skill, n_postings = scope's postings;
-- esco: ESCO's relations (weight NULL); model: cosine of occupation title (anchor) and skill (positive).
-- relation: ESCO's essential/optional relation of the occupation and skill, NULL when ESCO has none.
CREATE TABLE IF NOT EXISTS skill_profiles (
    scope          VARCHAR NOT NULL,
    occupation_uri VARCHAR,
    country        VARCHAR,
    cluster_id     VARCHAR,
    skill_uri      VARCHAR NOT NULL,
    weight         DOUBLE,
    n_postings     BIGINT,
    source         VARCHAR NOT NULL,
    relation       VARCHAR
);
